import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { PermanentHandlerError, type StoredEvent } from '#domain';
import { createLogger } from '#infra/logging/logger.js';
import { DeadLettersRepository } from '#infra/transport/dead-letters.repository.js';
import { HandlerDispatcher } from '#infra/transport/handler-dispatcher.js';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

type Line = Record<string, unknown>;

/** A logger whose JSON lines the test can read back, exactly as an operator's collector would. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Line[]; raw: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return {
    logger,
    raw: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line),
  };
}

const KUBE_TOKEN = 'kube-bearer-3c9f1a7e55d04b2a';
const WEBHOOK_SECRET = 'whsec-8d1e2f3a4b5c6d7e8f90';

describe('logs', () => {
  describe('redaction', () => {
    it('never writes tokens, kubeconfigs, webhook secrets or authorization headers, wherever a log call puts them', () => {
      const { logger, raw, lines } = capturingLogger();
      logger.info({ token: 'circle_top_level_secret' }, 'top level');
      logger.info({ req: { headers: { authorization: 'Bearer circle_header_secret', 'x-gitlab-token': 'gl-secret-1', 'x-hub-signature-256': 'sha256=abc' } } }, 'request');
      logger.info({ headers: { authorization: 'Bearer circle_bare_header_secret' } }, 'bare headers');
      logger.info({ body: { kubeconfig: `users:\n- user:\n    token: ${KUBE_TOKEN}`, secret: WEBHOOK_SECRET } }, 'body');
      logger.info({ cluster: { kubeconfig: 'apiVersion: v1 kubeconfig-nested' }, webhook: { webhookSecret: 'nested-webhook-secret' } }, 'nested');
      logger.child({ secret: 'child-binding-secret' }).warn('child');

      const text = raw();
      for (const secret of ['circle_top_level_secret', 'circle_header_secret', 'gl-secret-1', 'sha256=abc', 'circle_bare_header_secret', KUBE_TOKEN, WEBHOOK_SECRET, 'kubeconfig-nested', 'nested-webhook-secret', 'child-binding-secret']) {
        expect(text).not.toContain(secret);
      }
      // Redacted, not dropped: an operator still sees that the field was there.
      expect(lines()[0]).toMatchObject({ token: '[redacted]', msg: 'top level' });
      expect(lines()[3]).toMatchObject({ body: { kubeconfig: '[redacted]', secret: '[redacted]' } });
    });
  });

  describe('correlation ids', () => {
    let db: TestDatabase;
    let app: NestFastifyApplication;
    let http: () => supertest.Agent;
    const captured = capturingLogger();
    const adminToken = `circle_logs_admin_${'y'.repeat(24)}`;

    beforeAll(async () => {
      db = await createTestDatabase();
      app = await createApiApp({ pool: db.pool, ownsPool: false, logger: captured.logger, adminToken, rateLimitPerMinute: 0 });
      await app.listen(0, '127.0.0.1');
      const address = app.getHttpServer().address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      http = () => supertest.agent(url);
    });
    afterAll(async () => {
      await app.close();
      await db.drop();
    });

    it('puts the caller’s correlation id on every line a request writes, and no secret', async () => {
      const correlationId = 'ci-job-4711-step-3';
      await http()
        .put('/v1/webhooks/secrets/acme/shop')
        .set('x-correlation-id', correlationId)
        .auth(adminToken, { type: 'bearer' })
        .send({ secret: WEBHOOK_SECRET })
        .expect((res) => expect(res.status).toBeLessThan(300));
      await http()
        .post('/v1/clusters')
        .set('x-correlation-id', `${correlationId}-bad`)
        .auth(adminToken, { type: 'bearer' })
        .send({ name: 'eu-1', environment: 'nowhere', kubeconfig: `users:\n- user:\n    token: ${KUBE_TOKEN}` })
        .expect((res) => expect(res.status).toBeGreaterThanOrEqual(400));
      await http().get('/v1/applications').set('x-correlation-id', `${correlationId}-anon`).expect(401);

      const mine = (id: string) => captured.lines().filter((l) => l.correlationId === id);
      expect(mine(correlationId)).toContainEqual(expect.objectContaining({ msg: 'request completed', method: 'PUT', status: expect.any(Number), actor: 'admin' }));
      expect(mine(`${correlationId}-bad`)).toContainEqual(expect.objectContaining({ msg: 'request completed', method: 'POST', route: '/v1/clusters' }));
      expect(mine(`${correlationId}-anon`)).toContainEqual(expect.objectContaining({ msg: 'request completed', status: 401 }));
      // Every line about a request carries its id: none lacks one.
      const requestLines = captured.lines().filter((l) => l.msg === 'request completed');
      expect(requestLines.every((l) => typeof l.correlationId === 'string')).toBe(true);

      const text = captured.raw();
      for (const secret of [adminToken, WEBHOOK_SECRET, KUBE_TOKEN]) expect(text).not.toContain(secret);
    });

    it('makes an id for a request that brings none, and answers with it', async () => {
      const res = await http().get('/v1/applications').auth(adminToken, { type: 'bearer' }).expect(200);
      const id = res.headers['x-correlation-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(captured.lines().filter((l) => l.correlationId === id).map((l) => l.msg)).toContain('request completed');
    });
  });

  describe('worker lines', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await db.drop();
    });

    it('carry the correlation id of the command whose event a handler is working on, down to its dead letter', async () => {
      const { logger, lines } = capturingLogger();
      const event: StoredEvent = {
        eventId: '5d6a2b1e-0c9f-4e7a-8b3d-2f1e0a9c8b7d',
        globalPosition: 1,
        streamId: 'rollout-r1',
        streamVersion: 1,
        type: 'RolloutRequested',
        data: {},
        metadata: { actor: 'ci', source: 'api', correlationId: 'deploy-from-ci-99' },
        recordedAt: new Date(),
      };
      const handler = {
        name: 'noisy-handler',
        eventTypes: ['RolloutRequested'],
        async handle(): Promise<void> {
          await new Promise((resolve) => setImmediate(resolve));
          logger.info({ cluster: 'eu-1' }, 'applying');
          throw new PermanentHandlerError('cluster refused the manifest');
        },
      };
      await new HandlerDispatcher(handler, new DeadLettersRepository(db.pool), { maxAttempts: 1 }, logger).deliver(event);

      expect(lines().map((l) => [l.msg, l.correlationId, l.handler])).toEqual([
        ['applying', 'deploy-from-ci-99', 'noisy-handler'],
        ['event dead-lettered', 'deploy-from-ci-99', 'noisy-handler'],
      ]);
    });
  });
});
