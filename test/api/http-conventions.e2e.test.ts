import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type ApiHarness } from '../support/api-harness.js';

describe('HTTP conventions shared by every endpoint', () => {
  let api: ApiHarness;
  let manager: string;

  const countEvents = async (streamId: string): Promise<number> =>
    (await api.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [streamId])).rows[0]!.n;

  beforeAll(async () => {
    api = await startApi();
    manager = await api.token('release-manager', 'alice');
  });
  afterAll(async () => {
    await api.close();
  });

  const expectProblem = (response: { status: number; headers: Record<string, string>; body: Record<string, unknown> }, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, code, type: expect.stringContaining('https://circle.dev/problems/'), title: expect.any(String), detail: expect.any(String) });
    expect(response.body.correlationId).toBe(response.headers['x-correlation-id']);
  };

  it('answers a malformed JSON body with 400 MALFORMED_JSON', async () => {
    const response = await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('content-type', 'application/json').send('{"name": "shop",');
    expectProblem(response, 400, 'MALFORMED_JSON');
  });

  it('answers a 2 MiB body with 413 and writes nothing', async () => {
    const response = await api
      .http()
      .post('/v1/applications')
      .auth(manager, { type: 'bearer' })
      .send({ name: 'huge', team: 't', description: 'x'.repeat(2 * 1024 * 1024) });
    expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(await countEvents('application-huge')).toBe(0);
  });

  it('answers a body that is not JSON with 415', async () => {
    const response = await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('content-type', 'text/plain').send('name=shop');
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects unknown fields and wrong types, listing every field', async () => {
    const response = await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name: 'Shop!', team: 42, colour: 'red' });
    expectProblem(response, 400, 'VALIDATION_FAILED');
    const fields = (response.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect([...new Set(fields)]).toEqual(['colour', 'name', 'team']);
    expect(response.body.errors).toContainEqual({ field: 'colour', message: 'unknown field' });
  });

  it('answers a missing token with 401 and a Bearer challenge, a wrong one with 401 INVALID_TOKEN', async () => {
    const missing = await api.http().get('/v1/applications');
    expectProblem(missing, 401, 'UNAUTHENTICATED');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await api.http().get('/v1/applications').auth('circle_not-a-real-token', { type: 'bearer' }), 401, 'INVALID_TOKEN');
    expectProblem(await api.http().get('/v1/applications').set('authorization', 'Basic Zm9vOmJhcg=='), 401, 'UNAUTHENTICATED');
  });

  it('answers an unknown route with a 404 problem', async () => {
    expectProblem(await api.http().get('/v1/nothing-here').auth(manager, { type: 'bearer' }), 404, 'ROUTE_NOT_FOUND');
  });

  it('keeps a caller\'s correlation id, and makes one otherwise', async () => {
    const given = await api.http().get('/health').set('x-correlation-id', 'ci-run-4711').expect(200);
    expect(given.headers['x-correlation-id']).toBe('ci-run-4711');
    const made = await api.http().get('/health').expect(200);
    expect(made.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await api.http().get('/health').set('x-correlation-id', 'a b\tc').expect(200);
    expect(hostile.headers['x-correlation-id']).not.toBe('a b\tc');
  });

  describe('Idempotency-Key', () => {
    it('returns the first answer to a retry with the same key and body, and does the work once', async () => {
      const send = () =>
        api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'create-billing-1').send({ name: 'billing', team: 'finance' });
      const first = await send().expect(201);
      const retry = await send().expect(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.headers.location).toBe('/v1/applications/billing');
      expect(retry.headers['x-circle-position']).toBe(first.headers['x-circle-position']);
      expect(await countEvents('application-billing')).toBe(1);
    });

    it('replays the status the first answer really had (200 for a repeat of an existing release)', async () => {
      await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name: 'replayed', team: 't' }).expect(201);
      const release = { version: '1.0.0', images: [{ name: 'web', repository: 'registry.example.com/replayed', tag: '1.0.0' }] };
      await api.http().post('/v1/applications/replayed/releases').auth(manager, { type: 'bearer' }).send(release).expect(201);
      const repeat = () =>
        api.http().post('/v1/applications/replayed/releases').auth(manager, { type: 'bearer' }).set('idempotency-key', 'again-1').send(release);
      await repeat().expect(200);
      const replayed = await repeat().expect(200);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
    });

    it('refuses the same key with a different body with 422', async () => {
      await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'k-2').send({ name: 'ledger', team: 'finance' }).expect(201);
      const reused = await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'k-2').send({ name: 'ledger', team: 'other' });
      expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('scopes keys to the token, so two clients cannot collide', async () => {
      const other = await api.token('release-manager', 'bob');
      await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'shared').send({ name: 'app-one', team: 't' }).expect(201);
      const second = await api.http().post('/v1/applications').auth(other, { type: 'bearer' }).set('idempotency-key', 'shared').send({ name: 'app-two', team: 't' }).expect(201);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
    });

    it('lets a failed request be retried with the same key', async () => {
      const bad = await api.http().post('/v1/applications/nope/../x').auth(manager, { type: 'bearer' }).set('idempotency-key', 'k-3').send({ name: 'x', team: 't' });
      expect(bad.status).toBeGreaterThanOrEqual(400);
      const invalid = await api.http().patch('/v1/applications/ghost').auth(manager, { type: 'bearer' }).send({ team: 't' });
      expectProblem(invalid, 404, 'APPLICATION_NOT_FOUND');
      const rejected = await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'k-4').send({ name: 'BAD', team: 't' });
      expectProblem(rejected, 400, 'VALIDATION_FAILED');
      await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'k-4').send({ name: 'BAD', team: 't' }).expect(400);
      const fixed = await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'k-5').send({ name: 'good', team: 't' });
      expect(fixed.status).toBe(201);
    });

    it('rejects a malformed key', async () => {
      const response = await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).set('idempotency-key', 'x'.repeat(300)).send({ name: 'keyed', team: 't' });
      expectProblem(response, 400, 'IDEMPOTENCY_KEY_INVALID');
      expect(await countEvents('application-keyed')).toBe(0);
    });
  });

  it('lets exactly one of two concurrent conflicting creates win', async () => {
    const [a, b] = await Promise.all([
      api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name: 'contested', team: 'red' }),
      api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name: 'contested', team: 'blue' }),
    ]);
    expect([a!.status, b!.status].sort()).toEqual([201, 409]);
    const loser = a!.status === 409 ? a! : b!;
    expect(['APPLICATION_ALREADY_EXISTS', 'CONCURRENCY_CONFLICT']).toContain(loser.body.code);
    expect(await countEvents('application-contested')).toBe(1);
  });
});
