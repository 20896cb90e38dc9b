import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from '#infra/logging/logger.js';
import { PinoNestLogger } from '#infra/nest/pino-nest-logger.js';
import { ApiModule, type ApiModuleOptions } from './api.module.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Builds the HTTP app without listening, so tests drive the same app over real HTTP
 * (supertest against `app.getHttpServer()` after `listen(0)`) that production serves.
 */
export async function createApiApp(options: ApiModuleOptions & { logger: Logger }): Promise<NestFastifyApplication> {
  const { logger, ...moduleOptions } = options;
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(moduleOptions),
    new FastifyAdapter({ bodyLimit: MAX_BODY_BYTES, trustProxy: false }),
    { logger: new PinoNestLogger(logger.child({ component: 'api' })), abortOnError: false },
  );
  return app;
}
