import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { systemClock, type Clock } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createLogger } from '#infra/logging/logger.js';
import { readModelProjections } from '#infra/projections/read-model-projections.js';
import { ProjectionRunner } from '#infra/projections/projection-runner.js';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { TokenService } from '../../apps/api/src/auth/token.service.js';
import type { Role } from '../../apps/api/src/auth/principal.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface ApiHarness {
  db: TestDatabase;
  app: NestFastifyApplication;
  url: string;
  /** supertest against the listening server: real HTTP. */
  http: () => supertest.Agent;
  /** A fresh token of the role; its name is the actor recorded in events. */
  token(role: Role, name?: string, environments?: string[]): Promise<string>;
  adminToken: string;
  projections: ProjectionRunner;
  close(): Promise<void>;
}

/**
 * The API as `npm start` runs it, on its own database, with the catalog projections
 * running in-process (as the worker would) so reads see writes.
 */
export async function startApi(options: { clock?: Clock; rateLimitPerMinute?: number } = {}): Promise<ApiHarness> {
  const db = await createTestDatabase();
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const clock = options.clock ?? systemClock;
  const adminToken = `circle_test_admin_${Math.random().toString(36).slice(2)}_${'x'.repeat(20)}`;
  // Suites poll the API far faster than any client should; limiting has its own test.
  const app = await createApiApp({ pool: db.pool, ownsPool: false, logger, clock, adminToken, rateLimitPerMinute: options.rateLimitPerMinute ?? 0 });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const projections = new ProjectionRunner(db.pool, new PostgresEventStore(db.pool, clock), readModelProjections, { pollMs: 20, logger });
  projections.start();
  const tokens = app.get(TokenService);
  let counter = 0;
  return {
    db,
    app,
    url,
    adminToken,
    projections,
    http: () => supertest.agent(url),
    async token(role, name, environments) {
      counter += 1;
      const issued = await tokens.issue({ name: name ?? `${role}-${counter}`, role, environments, createdBy: 'test' });
      return issued.secret;
    },
    async close() {
      await projections.stop();
      await app.close();
      await db.drop();
    },
  };
}
