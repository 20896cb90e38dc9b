import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import { expectInvalidField, expectProblem, logHead, streamEvents } from '../support/api-expect.js';

const FUTURE = '2099-01-01T00:00:00.000Z';

describe('tokens API', () => {
  let api: ApiHarness;
  let admin: string;
  let manager: string;

  const issue = (body: Record<string, unknown>, token = admin) => api.http().post('/v1/tokens').auth(token, { type: 'bearer' }).send(body);
  const tokenCount = async () => Number((await api.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM api_tokens')).rows[0]!.n);

  beforeAll(async () => {
    api = await startApi();
    admin = await api.token('admin', 'root-admin');
    manager = await api.token('release-manager', 'alice');
  });
  afterAll(async () => {
    await api.close();
  });

  describe('POST /v1/tokens', () => {
    it('issues a token whose secret is in this answer only, and tells the log who issued it', async () => {
      const res = await issue({ name: 'ci-shop', role: 'deployer', environments: ['staging'], expiresAt: FUTURE }).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^tok_[0-9a-f]+$/),
        name: 'ci-shop',
        role: 'deployer',
        environments: ['staging'],
        createdBy: 'root-admin',
        createdAt: expect.any(String),
        expiresAt: FUTURE,
        revokedAt: null,
        lastUsedAt: null,
        token: expect.stringMatching(/^circle_/),
      });
      expect(res.headers.location).toBe(`/v1/tokens/${res.body.id}`);
      const secret: string = res.body.token;

      // The new token works, with its role.
      await api.http().get('/v1/applications').auth(secret, { type: 'bearer' }).expect(200);
      expectProblem(await issue({ name: 'sneaky', role: 'admin' }, secret), 403, 'FORBIDDEN');

      const events = await streamEvents(api, `token-${res.body.id}`);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'ApiTokenIssued',
        data: { id: res.body.id, name: 'ci-shop', role: 'deployer', environments: ['staging'], expiresAt: FUTURE },
        metadata: { actor: 'root-admin', source: 'api' },
      });
      expect(Number(res.headers['x-circle-position'])).toBe(Number(events[0]!.global_position));
      const hash = createHash('sha256').update(secret).digest('hex');
      expect(JSON.stringify(events)).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(hash);
    });

    it('issues a token that never expires and may deploy anywhere when those are omitted', async () => {
      const res = await issue({ name: 'alice@example.com', role: 'viewer' }).expect(201);
      expect(res.body).toMatchObject({ environments: [], expiresAt: null, role: 'viewer' });
    });

    it('refuses a taken name with 409 TOKEN_NAME_TAKEN, writing nothing', async () => {
      const [head, count] = [await logHead(api), await tokenCount()];
      expectProblem(await issue({ name: 'ci-shop', role: 'viewer' }), 409, 'TOKEN_NAME_TAKEN');
      expect([await logHead(api), await tokenCount()]).toEqual([head, count]);
    });

    it('refuses an Idempotency-Key, since a replay would need the secret stored', async () => {
      const [head, count] = [await logHead(api), await tokenCount()];
      const res = await api.http().post('/v1/tokens').auth(admin, { type: 'bearer' }).set('Idempotency-Key', 'issue-1').send({ name: 'ci-cart', role: 'deployer' });
      expectProblem(res, 400, 'IDEMPOTENCY_KEY_NOT_SUPPORTED');
      expect([await logHead(api), await tokenCount()]).toEqual([head, count]);
      const { rowCount } = await api.db.pool.query('SELECT 1 FROM idempotency_keys');
      expect(rowCount).toBe(0);
    });

    it.each([
      ['an unknown field', { scopes: ['all'] }, 'scopes'],
      ['an unknown role', { role: 'root' }, 'role'],
      ['a name of the wrong type', { name: 42 }, 'name'],
      ['a name with spaces', { name: 'ci shop' }, 'name'],
      ['an environment that is no DNS label', { environments: ['Prod!'] }, 'environments'],
      ['environments that are no list', { environments: 'prod' }, 'environments'],
      ['an expiry that is no date', { expiresAt: 'tomorrow' }, 'expiresAt'],
      ['an expiry in the past', { expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      ['a missing name', { name: undefined }, 'name'],
      ['a missing role', { role: undefined }, 'role'],
    ])('rejects %s with 400 VALIDATION_FAILED naming the field', async (_what, change, field) => {
      const [head, count] = [await logHead(api), await tokenCount()];
      expectInvalidField(await issue({ name: 'ci-web', role: 'deployer', ...change }), field);
      expect([await logHead(api), await tokenCount()]).toEqual([head, count]);
    });

    it('needs a token (401) of the admin role (403 for a release manager)', async () => {
      const count = await tokenCount();
      expectProblem(await api.http().post('/v1/tokens').send({ name: 'x', role: 'viewer' }), 401, 'UNAUTHENTICATED');
      expectProblem(await issue({ name: 'x', role: 'viewer' }, manager), 403, 'FORBIDDEN');
      expect(await tokenCount()).toBe(count);
    });
  });

  describe('GET /v1/tokens', () => {
    it('lists tokens by name without secrets or hashes, in pages', async () => {
      const res = await api.http().get('/v1/tokens').auth(admin, { type: 'bearer' }).expect(200);
      const names = res.body.items.map((t: { name: string }) => t.name);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining(['alice', 'alice@example.com', 'ci-shop', 'root-admin']));
      for (const item of res.body.items) {
        expect(Object.keys(item).sort()).toEqual(
          ['createdAt', 'createdBy', 'environments', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'role'].sort(),
        );
      }
      const hashes = await api.db.pool.query<{ secret_hash: string }>('SELECT secret_hash FROM api_tokens');
      for (const { secret_hash } of hashes.rows) expect(res.text).not.toContain(secret_hash);
      expect(res.text).not.toContain(admin);
      expect(res.body.items.find((t: { name: string }) => t.name === 'root-admin').lastUsedAt).not.toBeNull();

      const first = await api.http().get('/v1/tokens?limit=2').auth(admin, { type: 'bearer' }).expect(200);
      const rest = await api.http().get(`/v1/tokens?limit=200&cursor=${first.body.nextCursor}`).auth(admin, { type: 'bearer' }).expect(200);
      expect([...first.body.items, ...rest.body.items].map((t: { name: string }) => t.name)).toEqual(names);
    });

    it('answers 400 for bad paging or an unknown parameter, 401 and 403', async () => {
      expectProblem(await api.http().get('/v1/tokens?cursor=garbage').auth(admin, { type: 'bearer' }), 400, 'CURSOR_INVALID');
      expectInvalidField(await api.http().get('/v1/tokens?role=admin').auth(admin, { type: 'bearer' }), 'role');
      expectProblem(await api.http().get('/v1/tokens'), 401, 'UNAUTHENTICATED');
      expectProblem(await api.http().get('/v1/tokens').auth(manager, { type: 'bearer' }), 403, 'FORBIDDEN');
    });
  });

  describe('DELETE /v1/tokens/{id}', () => {
    it('revokes a token: its next request is 401, and the log says who revoked it', async () => {
      const issued = await issue({ name: 'ci-temp', role: 'deployer' }).expect(201);
      const secret: string = issued.body.token;
      await api.http().get('/v1/applications').auth(secret, { type: 'bearer' }).expect(200);

      const res = await api.http().delete(`/v1/tokens/${issued.body.id}`).auth(admin, { type: 'bearer' }).expect(200);
      expect(res.body).toMatchObject({ id: issued.body.id, name: 'ci-temp', revokedAt: expect.any(String) });
      expect(res.body).not.toHaveProperty('token');
      expectProblem(await api.http().get('/v1/applications').auth(secret, { type: 'bearer' }), 401, 'INVALID_TOKEN');

      const events = await streamEvents(api, `token-${issued.body.id}`);
      expect(events.map((e) => [e.type, e.metadata.actor])).toEqual([
        ['ApiTokenIssued', 'root-admin'],
        ['ApiTokenRevoked', 'root-admin'],
      ]);
      expect(Number(res.headers['x-circle-position'])).toBe(Number(events[1]!.global_position));

      // Again: the same answer, nothing new in the log.
      const head = await logHead(api);
      const again = await api.http().delete(`/v1/tokens/${issued.body.id}`).auth(admin, { type: 'bearer' }).expect(200);
      expect(again.body.revokedAt).toBe(res.body.revokedAt);
      expect(await logHead(api)).toBe(head);
    });

    it('revokes a token issued outside the API, starting its stream with the revocation', async () => {
      const secret = await api.token('viewer', 'bootstrap-viewer');
      const { rows } = await api.db.pool.query<{ id: string }>(`SELECT id FROM api_tokens WHERE name = 'bootstrap-viewer'`);
      await api.http().delete(`/v1/tokens/${rows[0]!.id}`).auth(admin, { type: 'bearer' }).expect(200);
      expectProblem(await api.http().get('/v1/tokens').auth(secret, { type: 'bearer' }), 401, 'INVALID_TOKEN');
      expect((await streamEvents(api, `token-${rows[0]!.id}`)).map((e) => e.type)).toEqual(['ApiTokenRevoked']);
    });

    it('answers 404 TOKEN_NOT_FOUND for an unknown id, 401 and 403, writing nothing', async () => {
      const head = await logHead(api);
      expectProblem(await api.http().delete('/v1/tokens/tok_0000').auth(admin, { type: 'bearer' }), 404, 'TOKEN_NOT_FOUND');
      const { rows } = await api.db.pool.query<{ id: string }>(`SELECT id FROM api_tokens WHERE name = 'alice@example.com'`);
      expectProblem(await api.http().delete(`/v1/tokens/${rows[0]!.id}`), 401, 'UNAUTHENTICATED');
      expectProblem(await api.http().delete(`/v1/tokens/${rows[0]!.id}`).auth(manager, { type: 'bearer' }), 403, 'FORBIDDEN');
      expect(await logHead(api)).toBe(head);
      const still = await api.db.pool.query('SELECT revoked_at FROM api_tokens WHERE id = $1', [rows[0]!.id]);
      expect(still.rows[0].revoked_at).toBeNull();
    });
  });
});
