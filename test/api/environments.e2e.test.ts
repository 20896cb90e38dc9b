import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import { expectInvalidField, expectProblem, logHead, streamEvents } from '../support/api-expect.js';

const prodPolicy = {
  requiredSoakSeconds: 86400,
  requiredApprovals: 2,
  clusterSelector: { tier: 'gold' },
  wavePlan: { waves: ['1', '25%', 'rest'], maxParallel: 5, bakeSeconds: 600, onFailure: 'pause' },
};
const DEFAULT_POLICY = {
  requiredSoakSeconds: 0,
  requiredApprovals: 0,
  clusterSelector: {},
  wavePlan: { waves: ['rest'], maxParallel: 10, bakeSeconds: 0, onFailure: 'rollback' },
};

describe('environments API', () => {
  let api: ApiHarness;
  let admin: string;
  let manager: string;
  let viewer: string;

  const define = (body: Record<string, unknown>, token = admin) => api.http().post('/v1/environments').auth(token, { type: 'bearer' }).send(body);
  const patch = (name: string, body: unknown, token = admin) =>
    api.http().patch(`/v1/environments/${name}`).auth(token, { type: 'bearer' }).send(body as object);
  const get = (path: string) => api.http().get(path).auth(viewer, { type: 'bearer' });

  beforeAll(async () => {
    api = await startApi();
    admin = await api.token('admin', 'platform-admin');
    manager = await api.token('release-manager', 'alice');
    viewer = await api.token('viewer', 'val');
  });
  afterAll(async () => {
    await api.close();
  });

  describe('POST /v1/environments', () => {
    it('defines an environment with its policy; wave sizes go in and come out as strings', async () => {
      const res = await define({ name: 'prod', rank: 3, description: 'Customer traffic', policy: prodPolicy }).expect(201);
      expect(res.body).toEqual({ name: 'prod', rank: 3, description: 'Customer traffic', policy: prodPolicy, position: Number(res.headers['x-circle-position']) });
      expect(res.headers.location).toBe('/v1/environments/prod');
      const read = await get(`/v1/environments/prod?position=${res.body.position}`).expect(200);
      expect(read.body).toEqual({
        name: 'prod',
        rank: 3,
        description: 'Customer traffic',
        policy: prodPolicy,
        definedAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const [event] = await streamEvents(api, 'environment-prod');
      expect(event).toMatchObject({ type: 'EnvironmentDefined', metadata: { actor: 'platform-admin', source: 'api' } });
      expect((event!.data.policy as { wavePlan: { waves: unknown } }).wavePlan.waves).toEqual([
        { kind: 'count', count: 1 },
        { kind: 'percent', percent: 25 },
        { kind: 'rest' },
      ]);
    });

    it('fills omitted policy fields with defaults, one by one', async () => {
      const bare = await define({ name: 'dev', rank: 1 }).expect(201);
      expect(bare.body).toMatchObject({ description: '', policy: DEFAULT_POLICY });
      const partial = await define({ name: 'staging', rank: 2, policy: { requiredSoakSeconds: 3600, wavePlan: { bakeSeconds: 60 } } }).expect(201);
      expect(partial.body.policy).toEqual({ ...DEFAULT_POLICY, requiredSoakSeconds: 3600, wavePlan: { ...DEFAULT_POLICY.wavePlan, bakeSeconds: 60 } });
    });

    it('answers 200 for the same definition again and 409 ENVIRONMENT_ALREADY_EXISTS for a different one, writing nothing', async () => {
      const head = await logHead(api);
      const same = await define({ name: 'dev', rank: 1, policy: { wavePlan: { waves: ['rest'] } } }).expect(200);
      expect(same.body).toMatchObject({ name: 'dev', rank: 1 });
      expectProblem(await define({ name: 'dev', rank: 7 }), 409, 'ENVIRONMENT_ALREADY_EXISTS');
      expect(await logHead(api)).toBe(head);
      expect(await streamEvents(api, 'environment-dev')).toHaveLength(1);
    });

    it.each([
      ['a negative rank', { rank: -1 }, 'ENVIRONMENT_POLICY_INVALID'],
      ['a soak over 90 days', { policy: { requiredSoakSeconds: 91 * 86400 } }, 'ENVIRONMENT_POLICY_INVALID'],
      ['more than 10 approvals', { policy: { requiredApprovals: 11 } }, 'ENVIRONMENT_POLICY_INVALID'],
      ['a selector Kubernetes would refuse', { policy: { clusterSelector: { 'no spaces': 'x' } } }, 'LABEL_INVALID'],
      ['a wave size that is no size', { policy: { wavePlan: { waves: ['half'] } } }, 'WAVE_PLAN_INVALID'],
      ['a zero wave', { policy: { wavePlan: { waves: ['0', 'rest'] } } }, 'WAVE_PLAN_INVALID'],
      ['"rest" before the last wave', { policy: { wavePlan: { waves: ['rest', '1'] } } }, 'WAVE_PLAN_INVALID'],
      ['no waves', { policy: { wavePlan: { waves: [] } } }, 'WAVE_PLAN_INVALID'],
      ['maxParallel 0', { policy: { wavePlan: { maxParallel: 0 } } }, 'WAVE_PLAN_INVALID'],
      ['a negative bake', { policy: { wavePlan: { bakeSeconds: -5 } } }, 'WAVE_PLAN_INVALID'],
    ])('refuses %s with 400 and its code, writing nothing', async (_what, change, code) => {
      const head = await logHead(api);
      expectProblem(await define({ name: 'qa', rank: 2, ...change }), 400, code);
      expect(await logHead(api)).toBe(head);
    });

    it.each([
      ['an unknown field', { colour: 'blue' }, 'colour'],
      ['an unknown policy field', { policy: { soak: 5 } }, 'policy.soak'],
      ['an unknown wave plan field', { policy: { wavePlan: { parallel: 5 } } }, 'policy.wavePlan.parallel'],
      ['a rank that is no integer', { rank: 'first' }, 'rank'],
      ['a fractional soak', { policy: { requiredSoakSeconds: 1.5 } }, 'policy.requiredSoakSeconds'],
      ['an unknown failure mode', { policy: { wavePlan: { onFailure: 'explode' } } }, 'policy.wavePlan.onFailure'],
      ['waves that are not strings', { policy: { wavePlan: { waves: [1, 'rest'] } } }, 'policy.wavePlan.waves'],
      ['a selector value that is no string', { policy: { clusterSelector: { tier: 1 } } }, 'policy.clusterSelector'],
      ['a policy that is no object', { policy: 'strict' }, 'policy'],
      ['a missing name', { name: undefined }, 'name'],
      ['a missing rank', { rank: undefined }, 'rank'],
      ['a name that is not a DNS label', { name: 'QA env' }, 'name'],
    ])('rejects %s with 400 VALIDATION_FAILED naming the field', async (_what, change, field) => {
      const head = await logHead(api);
      expectInvalidField(await define({ name: 'qa', rank: 2, ...change }), field);
      expect(await logHead(api)).toBe(head);
    });

    it('needs a token (401) of the admin role (403 for a release manager)', async () => {
      expectProblem(await api.http().post('/v1/environments').send({ name: 'qa', rank: 2 }), 401, 'UNAUTHENTICATED');
      expectProblem(await define({ name: 'qa', rank: 2 }, manager), 403, 'FORBIDDEN');
      expect(await streamEvents(api, 'environment-qa')).toHaveLength(0);
    });
  });

  describe('PATCH /v1/environments/{name}', () => {
    it('merges the change into the current policy, field by field', async () => {
      const res = await patch('prod', { description: 'All customers', policy: { wavePlan: { bakeSeconds: 900 } } }).expect(200);
      const policy = { ...prodPolicy, wavePlan: { ...prodPolicy.wavePlan, bakeSeconds: 900 } };
      expect(res.body).toEqual({ name: 'prod', rank: 3, description: 'All customers', policy, position: Number(res.headers['x-circle-position']) });
      const read = await get(`/v1/environments/prod?position=${res.body.position}`).expect(200);
      expect(read.body).toMatchObject({ description: 'All customers', policy });
      const events = await streamEvents(api, 'environment-prod');
      expect(events.at(-1)).toMatchObject({ type: 'EnvironmentUpdated', metadata: { actor: 'platform-admin' } });

      const ranked = await patch('prod', { rank: 4, policy: { clusterSelector: {} } }).expect(200);
      expect(ranked.body).toMatchObject({ rank: 4, policy: { ...policy, clusterSelector: {} } });
    });

    it('writes nothing for a change that changes nothing, and answers with the stream\'s last position', async () => {
      const head = await logHead(api);
      const res = await patch('prod', { rank: 4 }).expect(200);
      expect(await logHead(api)).toBe(head);
      expect(res.body.position).toBe(Number((await streamEvents(api, 'environment-prod')).at(-1)!.global_position));
    });

    it('answers 404 ENVIRONMENT_NOT_FOUND and the domain\'s rejections, writing nothing', async () => {
      const head = await logHead(api);
      expectProblem(await patch('ghost', { rank: 1 }), 404, 'ENVIRONMENT_NOT_FOUND');
      expectProblem(await patch('prod', { rank: -2 }), 400, 'ENVIRONMENT_POLICY_INVALID');
      expectProblem(await patch('prod', { policy: { wavePlan: { waves: ['10%', 'rest', '1'] } } }), 400, 'WAVE_PLAN_INVALID');
      expectProblem(await patch('prod', { policy: { clusterSelector: { '-bad': 'x' } } }), 400, 'LABEL_INVALID');
      expect(await logHead(api)).toBe(head);
    });

    it('rejects bad bodies with 400 naming the field, and needs an admin token', async () => {
      const head = await logHead(api);
      expectInvalidField(await patch('prod', { name: 'production' }), 'name');
      expectInvalidField(await patch('prod', { rank: '4' }), 'rank');
      expectInvalidField(await patch('prod', { policy: { wavePlan: { maxParallel: 'all' } } }), 'policy.wavePlan.maxParallel');
      expectProblem(await api.http().patch('/v1/environments/prod').send({ rank: 1 }), 401, 'UNAUTHENTICATED');
      expectProblem(await patch('prod', { rank: 1 }, manager), 403, 'FORBIDDEN');
      expect(await logHead(api)).toBe(head);
    });
  });

  describe('GET /v1/environments', () => {
    it('lists in promotion order, rank then name, in pages', async () => {
      const last = await define({ name: 'canary', rank: 2 }).expect(201);
      const all = await get(`/v1/environments?position=${last.body.position}`).expect(200);
      expect(all.body.items.map((e: { name: string; rank: number }) => [e.rank, e.name])).toEqual([
        [1, 'dev'],
        [2, 'canary'],
        [2, 'staging'],
        [4, 'prod'],
      ]);
      expect(all.body.items[3].policy.wavePlan.waves).toEqual(['1', '25%', 'rest']);
      const first = await get('/v1/environments?limit=2').expect(200);
      expect(first.body.items.map((e: { name: string }) => e.name)).toEqual(['dev', 'canary']);
      const second = await get(`/v1/environments?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body.items.map((e: { name: string }) => e.name)).toEqual(['staging', 'prod']);
      expect(second.body.nextCursor).toBeNull();
    });

    it('answers 400 for bad paging or an unknown parameter, 401 without a token', async () => {
      expectProblem(await get('/v1/environments?cursor=garbage'), 400, 'CURSOR_INVALID');
      const swapped = Buffer.from(JSON.stringify(['dev', 1])).toString('base64url');
      expectProblem(await get(`/v1/environments?cursor=${swapped}`), 400, 'CURSOR_INVALID');
      expectInvalidField(await get('/v1/environments?limit=0'), 'limit');
      expectInvalidField(await get('/v1/environments?rank=1'), 'rank');
      expectProblem(await api.http().get('/v1/environments'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET /v1/environments/{name}', () => {
    it('answers 404 ENVIRONMENT_NOT_FOUND, 400 for a bad position, 401 without a token', async () => {
      expectProblem(await get('/v1/environments/ghost'), 404, 'ENVIRONMENT_NOT_FOUND');
      expectInvalidField(await get('/v1/environments/prod?position=later'), 'position');
      expectProblem(await api.http().get('/v1/environments/prod'), 401, 'UNAUTHENTICATED');
    });
  });
});
