import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { createLogger } from '#infra/logging/logger.js';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import { expectInvalidField, expectProblem, logHead, streamEvents } from '../support/api-expect.js';
import { OffsetClock } from '../support/offset-clock.js';

const MINUTE = 60_000;

/**
 * Verified tokens are cached per API process; these tests hold the cache to its promise:
 * expiry and revocation still take effect on the very next request, on every process.
 */
describe('token expiry and revocation with two API processes', () => {
  const clock = new OffsetClock();
  let api: ApiHarness;
  let other: NestFastifyApplication;
  let otherHttp: () => supertest.Agent;
  let admin: string;

  const issue = async (name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; token: string }> =>
    (await api.http().post('/v1/tokens').auth(admin, { type: 'bearer' }).send({ name, role: 'deployer', ...extra }).expect(201)).body;
  const changeExpiry = (id: string, body: unknown) => api.http().patch(`/v1/tokens/${id}`).auth(admin, { type: 'bearer' }).send(body as object);
  const read = (http: () => supertest.Agent, secret: string) => http().get('/v1/applications').auth(secret, { type: 'bearer' });

  beforeAll(async () => {
    api = await startApi({ clock });
    admin = await api.token('admin', 'root-admin');
    // A second API process on the same database, as behind a load balancer.
    other = await createApiApp({ pool: api.db.pool, ownsPool: false, logger: createLogger({ level: 'silent' }), clock, rateLimitPerMinute: 0 });
    await other.listen(0, '127.0.0.1');
    const address = other.getHttpServer().address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    otherHttp = () => supertest.agent(url);
  });
  afterAll(async () => {
    await other.close();
    await api.close();
  });

  it('stops a token at its expiry even while both processes have it cached', async () => {
    const { token } = await issue('ci-short', { expiresAt: new Date(clock.now().getTime() + 5 * MINUTE).toISOString() });
    await read(api.http, token).expect(200);
    await read(otherHttp, token).expect(200);
    clock.advance(6 * MINUTE);
    expectProblem(await read(api.http, token), 401, 'INVALID_TOKEN');
    expectProblem(await read(otherHttp, token), 401, 'INVALID_TOKEN');
  });

  it('revokes through one process and the other refuses the token on its next request', async () => {
    const { id, token } = await issue('ci-revoked-elsewhere');
    await read(otherHttp, token).expect(200);
    await read(otherHttp, token).expect(200); // answered from its cache now
    await api.http().delete(`/v1/tokens/${id}`).auth(admin, { type: 'bearer' }).expect(200);
    // The other process hears of it by NOTIFY; it must not keep accepting the token.
    expectProblem(await read(api.http, token), 401, 'INVALID_TOKEN');
    await expectRefusedSoon(() => read(otherHttp, token));
  });

  it('expires a token at once with PATCH, through both processes, and records who did it', async () => {
    const { id, token } = await issue('ci-rotated');
    await read(api.http, token).expect(200);
    await read(otherHttp, token).expect(200);
    const now = clock.now().toISOString();
    const res = await changeExpiry(id, { expiresAt: now }).expect(200);
    expect(res.body).toMatchObject({ id, name: 'ci-rotated', expiresAt: now, revokedAt: null });
    expect(res.body).not.toHaveProperty('token');
    expectProblem(await read(api.http, token), 401, 'INVALID_TOKEN');
    await expectRefusedSoon(() => read(otherHttp, token));

    const events = await streamEvents(api, `token-${id}`);
    expect(events.map((e) => [e.type, e.metadata.actor])).toEqual([
      ['ApiTokenIssued', 'root-admin'],
      ['ApiTokenExpiryChanged', 'root-admin'],
    ]);
    expect(events[1]!.data).toEqual({ id, name: 'ci-rotated', expiresAt: now });
    expect(Number(res.headers['x-circle-position'])).toBe(Number(events[1]!.global_position));

    // The same change again (a client retry) tells the log nothing new.
    const head = await logHead(api);
    await changeExpiry(id, { expiresAt: now }).expect(200);
    expect(await logHead(api)).toBe(head);
  });

  it('extends a grace period: a token given a later expiry keeps working past the old one', async () => {
    const { id, token } = await issue('ci-grace', { expiresAt: new Date(clock.now().getTime() + MINUTE).toISOString() });
    await read(api.http, token).expect(200);
    await changeExpiry(id, { expiresAt: new Date(clock.now().getTime() + 10 * MINUTE).toISOString() }).expect(200);
    clock.advance(2 * MINUTE);
    await read(api.http, token).expect(200);
    await read(otherHttp, token).expect(200);
  });

  it('answers 404, 409 for a revoked token, and 400 for a bad time, writing nothing', async () => {
    const { id } = await issue('ci-gone');
    await api.http().delete(`/v1/tokens/${id}`).auth(admin, { type: 'bearer' }).expect(200);
    const head = await logHead(api);
    const later = new Date(clock.now().getTime() + MINUTE).toISOString();
    expectProblem(await changeExpiry('tok_0000', { expiresAt: later }), 404, 'TOKEN_NOT_FOUND');
    expectProblem(await changeExpiry(id, { expiresAt: later }), 409, 'TOKEN_REVOKED');
    expectInvalidField(await changeExpiry(id, { expiresAt: 'tomorrow' }), 'expiresAt');
    expectInvalidField(await changeExpiry(id, {}), 'expiresAt');
    const viewer = await api.token('viewer', 'nosy');
    expectProblem(await api.http().patch(`/v1/tokens/${id}`).auth(viewer, { type: 'bearer' }).send({ expiresAt: later }), 403, 'FORBIDDEN');
    expect(await logHead(api)).toBe(head);
  });
});

/**
 * The other process learns of a change by NOTIFY, which Postgres delivers within
 * milliseconds of the commit; the bound here is generous, the point is that it happens.
 */
async function expectRefusedSoon(request: () => supertest.Test): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const res = await request();
    if (res.status === 401 || Date.now() > deadline) {
      expectProblem(res, 401, 'INVALID_TOKEN');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
