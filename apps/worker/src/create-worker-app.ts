import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from '#infra/logging/logger.js';
import { PinoNestLogger } from '#infra/nest/pino-nest-logger.js';
import { WorkerModule, type WorkerModuleOptions } from './worker.module.js';

/** The worker is a standalone Nest context: no HTTP server, only consumers and timers. */
export async function createWorkerApp(options: WorkerModuleOptions & { logger: Logger }): Promise<INestApplicationContext> {
  const { logger, ...moduleOptions } = options;
  const workerLogger = logger.child({ component: 'worker' });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ ...moduleOptions, logger: workerLogger }), {
    logger: new PinoNestLogger(workerLogger),
    abortOnError: false,
  });
  await app.init();
  return app;
}
