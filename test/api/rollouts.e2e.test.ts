import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { readModelProjections } from '#infra/projections/read-model-projections.js';
import { ProjectionRunner } from '#infra/projections/projection-runner.js';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import { seeder } from '../support/seed.js';

describe('rollouts API', () => {
  let api: ApiHarness;
  let ci: string;
  let alice: string;
  let bob: string;
  let viewer: string;

  const post = (path: string, token: string, body: object) => api.http().post(path).auth(token, { type: 'bearer' }).send(body);
  const eventsOf = async (streamId: string) =>
    (await api.db.pool.query<{ type: string }>('SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version', [streamId])).rows.map((r) => r.type);

  beforeAll(async () => {
    api = await startApi();
    const seed = seeder(new PostgresEventStore(api.db.pool));
    ci = await api.token('deployer', 'ci-shop');
    alice = await api.token('release-manager', 'alice');
    bob = await api.token('release-manager', 'bob');
    viewer = await api.token('viewer', 'val');
    await seed.environment('staging', 1, { wavePlan: { waves: [{ kind: 'count', count: 1 }, { kind: 'rest' }], maxParallel: 2, bakeSeconds: 60, onFailure: 'rollback' } });
    await seed.environment('prod', 2, { requiredApprovals: 1 });
    for (const [name, labels] of [['stg-eu-1', { region: 'eu' }], ['stg-eu-2', { region: 'eu' }], ['stg-us-1', { region: 'us' }]] as const) {
      await seed.cluster(name, 'staging', { ...labels });
    }
    await seed.cluster('stg-old', 'staging', { region: 'eu' });
    await seed.cordon('stg-old');
    await seed.cluster('prod-eu-1', 'prod', { region: 'eu' });
    for (const app of ['shop', 'cart', 'search']) {
      await seed.application(app);
      for (const version of ['1.0.0', '1.1.0', '2.0.0']) await seed.release(app, version);
    }
  });
  afterAll(async () => {
    await api.close();
  });

  it('accepts a deploy with 202, a rollout id and a link, split into the environment\'s waves, skipping cordoned clusters', async () => {
    const accepted = await post('/v1/rollouts', ci, { kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'staging', reason: 'first install' }).expect(202);
    expect(accepted.body).toMatchObject({
      phase: 'Progressing',
      waves: [['stg-eu-1'], ['stg-eu-2', 'stg-us-1']],
      skippedClusters: ['stg-old'],
      superseded: null,
    });
    const id = accepted.body.rolloutId as string;
    expect(accepted.headers.location).toBe(`/v1/rollouts/${id}`);
    expect(accepted.body.links.self).toBe(`/v1/rollouts/${id}`);

    const read = await api.http().get(`/v1/rollouts/${id}?position=${accepted.body.position}`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(read.body).toMatchObject({
      id,
      application: 'shop',
      kind: 'deploy',
      version: '1.0.0',
      fromVersion: null,
      environment: 'staging',
      phase: 'Progressing',
      requestedBy: 'ci-shop',
      reason: 'first install',
      strategy: { kind: 'canary', replicas: 3 },
    });
    expect(await eventsOf('application-shop')).toEqual(['ApplicationCreated', 'ApplicationClustersClaimed']);
  });

  it('rejects a second rollout on clusters that an active rollout holds, naming it, and writes nothing', async () => {
    const first = await post('/v1/rollouts', ci, { kind: 'deploy', application: 'cart', version: '1.0.0', clusters: ['stg-eu-1'] }).expect(202);
    const before = await eventsOf('application-cart');
    const second = await post('/v1/rollouts', ci, { kind: 'deploy', application: 'cart', version: '1.1.0', clusters: ['stg-eu-1', 'stg-us-1'] }).expect(409);
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(second.body).toMatchObject({ code: 'ROLLOUT_ALREADY_ACTIVE', details: { activeRolloutId: first.body.rolloutId, clusters: ['stg-eu-1'] } });
    expect(await eventsOf('application-cart')).toEqual(before);
  });

  it('supersedes the active rollout when asked: the old one is told to abort in the same write', async () => {
    const first = await post('/v1/rollouts', ci, { kind: 'deploy', application: 'search', version: '1.0.0', clusters: ['stg-us-1'] }).expect(202);
    const second = await post('/v1/rollouts', ci, { kind: 'deploy', application: 'search', version: '1.1.0', clusters: ['stg-us-1'], supersede: true }).expect(202);
    expect(second.body.superseded).toBe(first.body.rolloutId);
    const old = await api.http().get(`/v1/rollouts/${first.body.rolloutId}?position=${second.body.position}`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(old.body.phase).toBe('Aborting');
    expect(old.body.message).toBe(`aborting: superseded by rollout ${second.body.rolloutId}`);
  });

  it('lets exactly one of many concurrent deploys of one application to one cluster win', async () => {
    await seeder(new PostgresEventStore(api.db.pool)).application('race');
    await seeder(new PostgresEventStore(api.db.pool)).release('race', '1.0.0');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post('/v1/rollouts', ci, { kind: 'deploy', application: 'race', version: '1.0.0', clusters: ['stg-eu-2'] })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);
    const rollouts = await api.db.pool.query(`SELECT count(*)::int AS n FROM events WHERE type = 'RolloutRequested' AND data->>'application' = 'race'`);
    expect(rollouts.rows[0].n).toBe(1);
  });

  it('rejects what can be checked at once: unknown release, unknown or cordoned cluster, unknown environment, kind mismatch', async () => {
    const cases: [object, number, string][] = [
      [{ kind: 'deploy', application: 'shop', version: '9.9.9', environment: 'staging' }, 422, 'ROLLOUT_RELEASE_UNKNOWN'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0', clusters: ['nowhere-1'] }, 422, 'ROLLOUT_CLUSTER_UNKNOWN'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0', clusters: ['stg-old'] }, 422, 'CLUSTER_CORDONED'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'qa' }, 422, 'ROLLOUT_ENVIRONMENT_UNKNOWN'],
      [{ kind: 'upgrade', application: 'shop', version: '1.1.0', clusters: ['prod-eu-1'] }, 422, 'ROLLOUT_KIND_MISMATCH'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'staging', selector: { region: 'mars' } }, 422, 'ROLLOUT_TARGETS_EMPTY'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0' }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'install', application: 'shop', version: '1.0.0', environment: 'staging' }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0', clusters: ['prod-eu-1'], strategy: { canary: { steps: [{ setWeight: 10, pause: {} }] } } }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0', clusters: ['prod-eu-1'], strategy: { canary: { steps: [{ setWeight: 150 }] } } }, 400, 'VALIDATION_FAILED'],
      [{ kind: 'deploy', application: 'shop', version: '1.0.0', clusters: ['prod-eu-1'], supersde: true }, 400, 'VALIDATION_FAILED'],
    ];
    const head = await api.db.pool.query<{ p: string }>('SELECT max(global_position) AS p FROM events');
    for (const [body, status, code] of cases) {
      const response = await post('/v1/rollouts', ci, body);
      expect({ body, status: response.status, code: response.body.code }).toEqual({ body, status, code });
    }
    const after = await api.db.pool.query<{ p: string }>('SELECT max(global_position) AS p FROM events');
    expect(after.rows[0]!.p).toBe(head.rows[0]!.p);
  });

  it('names the bad field of a step that sets two things at once', async () => {
    const response = await post('/v1/rollouts', ci, {
      kind: 'deploy', application: 'shop', version: '1.0.0', clusters: ['prod-eu-1'],
      strategy: { canary: { steps: [{ setWeight: 10 }, { setWeight: 20, pause: {} }] } },
    }).expect(400);
    expect(response.body.errors).toEqual([{ field: 'strategy.canary.steps.1.setWeight|pause|analysis', message: 'set exactly one of setWeight, pause, analysis' }]);
  });

  it('keeps a deployer token to its environments', async () => {
    const scoped = await api.token('deployer', 'ci-staging-only', ['staging']);
    const denied = await post('/v1/rollouts', scoped, { kind: 'deploy', application: 'shop', version: '1.0.0', clusters: ['prod-eu-1'] }).expect(403);
    expect(denied.body.code).toBe('ENVIRONMENT_NOT_ALLOWED');
    const viewerDenied = await post('/v1/rollouts', viewer, { kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'staging' }).expect(403);
    expect(viewerDenied.body.code).toBe('FORBIDDEN');
  });

  it('gates promotion on the previous environment (a release manager may override with a reason), then runs the approval flow', async () => {
    // cart@1.0.0 never went live in staging, so prod's promotion gate stands in the way.
    const gated = await post('/v1/rollouts', alice, { kind: 'deploy', application: 'cart', version: '1.0.0', environment: 'prod' }).expect(422);
    expect(gated.body).toMatchObject({ code: 'PROMOTION_GATE_FAILED', details: { previousEnvironment: 'staging', live: false } });
    const byDeployer = await post('/v1/rollouts', ci, { kind: 'deploy', application: 'cart', version: '1.0.0', environment: 'prod', override: { reason: 'urgent' } }).expect(403);
    expect(byDeployer.body.code).toBe('FORBIDDEN');
    const needless = await post('/v1/rollouts', alice, { kind: 'deploy', application: 'search', version: '1.0.0', environment: 'staging', override: { reason: 'x' } }).expect(422);
    expect(needless.body.code).toBe('PROMOTION_OVERRIDE_UNNEEDED');
    const accepted = await post('/v1/rollouts', alice, {
      kind: 'deploy', application: 'cart', version: '1.0.0', environment: 'prod', override: { reason: 'first install of cart, nothing to soak' },
    }).expect(202);
    const requested = await api.db.pool.query<{ data: { promotionOverride: unknown } }>(
      `SELECT data FROM events WHERE stream_id = $1 AND type = 'RolloutRequested'`,
      [`rollout-${accepted.body.rolloutId}`],
    );
    expect(requested.rows[0]!.data.promotionOverride).toEqual({
      by: 'alice',
      reason: 'first install of cart, nothing to soak',
      missing: 'cart@1.0.0 is not live in staging, the environment before prod',
    });
    expect(accepted.body.phase).toBe('AwaitingApproval');
    const id = accepted.body.rolloutId;
    const self = await post(`/v1/rollouts/${id}/approve`, alice, {}).expect(422);
    expect(self.body.code).toBe('ROLLOUT_SELF_APPROVAL');
    const early = await post(`/v1/rollouts/${id}/promote`, bob, {}).expect(422);
    expect(early.body.code).toBe('ROLLOUT_AWAITING_APPROVAL');
    const approved = await post(`/v1/rollouts/${id}/approve`, bob, { comment: 'dashboards green' }).expect(202);
    expect(approved.body.phase).toBe('Progressing');
    const read = await api.http().get(`/v1/rollouts/${id}?position=${approved.body.position}`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(read.body).toMatchObject({ phase: 'Progressing', approvers: ['bob'], message: 'approved by bob' });
  });

  it('pauses, resumes, promotes and aborts, rejecting what the phase does not allow', async () => {
    await seeder(new PostgresEventStore(api.db.pool)).application('ops');
    await seeder(new PostgresEventStore(api.db.pool)).release('ops', '1.0.0');
    const { body } = await post('/v1/rollouts', ci, { kind: 'deploy', application: 'ops', version: '1.0.0', clusters: ['stg-eu-1'] }).expect(202);
    const id = body.rolloutId;
    const deployerPause = await post(`/v1/rollouts/${id}/pause`, ci, {}).expect(403);
    expect(deployerPause.body.code).toBe('FORBIDDEN');
    expect((await post(`/v1/rollouts/${id}/resume`, alice, {}).expect(422)).body.code).toBe('ROLLOUT_NOT_PAUSED');
    expect((await post(`/v1/rollouts/${id}/pause`, alice, { reason: 'watching' }).expect(202)).body.phase).toBe('Paused');
    expect((await post(`/v1/rollouts/${id}/resume`, alice, {}).expect(202)).body.phase).toBe('Progressing');
    expect((await post(`/v1/rollouts/${id}/promote`, alice, { full: true }).expect(202)).body.phase).toBe('Progressing');
    expect((await post(`/v1/rollouts/${id}/abort`, alice, {}).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await post(`/v1/rollouts/${id}/abort`, alice, { reason: 'bad metrics' }).expect(202)).body.phase).toBe('Aborting');
    expect((await post(`/v1/rollouts/${id}/promote`, alice, {}).expect(422)).body.code).toBe('ROLLOUT_INVALID_PHASE');
    expect((await post('/v1/rollouts/no-such-rollout/pause', alice, {}).expect(404)).body.code).toBe('ROLLOUT_NOT_FOUND');
    expect(await eventsOf(`rollout-${id}`)).toEqual(['RolloutRequested', 'RolloutPaused', 'RolloutResumed', 'RolloutPromoted', 'RolloutAbortRequested']);
  });

  it('lists rollouts newest first, filtered by application and phase, with a cursor', async () => {
    const head = await api.db.pool.query<{ p: string }>('SELECT max(global_position) AS p FROM events');
    const all = await api.http().get(`/v1/rollouts?position=${head.rows[0]!.p}&application=cart&limit=1`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(all.body.items).toHaveLength(1);
    expect(all.body.items[0].application).toBe('cart');
    const next = await api.http().get(`/v1/rollouts?application=cart&limit=1&cursor=${all.body.nextCursor}`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(next.body.items[0].application).toBe('cart');
    expect(next.body.items[0].id).not.toBe(all.body.items[0].id);
    const paused = await api.http().get('/v1/rollouts?phase=Aborting').auth(viewer, { type: 'bearer' }).expect(200);
    expect(paused.body.items.every((r: { phase: string }) => r.phase === 'Aborting')).toBe(true);
    expect((await api.http().get('/v1/rollouts?phase=Sideways').auth(viewer, { type: 'bearer' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await api.http().get('/v1/rollouts/nope').auth(viewer, { type: 'bearer' }).expect(404)).body.code).toBe('ROLLOUT_NOT_FOUND');
  });

  it('waits for the read models only as far as the last change to what a deploy reads, not the head of the log', async () => {
    await api.projections.stop();
    const store = new PostgresEventStore(api.db.pool);
    const seed = seeder(store);
    // Writes the stopped read models never apply: an application and its release.
    await seed.application('late');
    await seed.release('late', '1.0.0');
    const quick = await post('/v1/rollouts', alice, { kind: 'deploy', application: 'late', version: '1.0.0', clusters: ['stg-us-1'] });
    expect(quick.status).toBe(202);

    // A cluster registered a moment ago is a change to what the deploy reads: it waits for it.
    await seed.cluster('stg-new', 'staging', { region: 'eu' });
    const resumed = new ProjectionRunner(api.db.pool, store, readModelProjections, { pollMs: 20 });
    const resume = new Promise<void>((resolve) => setTimeout(() => resolve(resumed.start()), 300));
    try {
      const waited = await post('/v1/rollouts', alice, { kind: 'deploy', application: 'cart', version: '1.0.0', clusters: ['stg-new'] });
      expect(waited.status).toBe(202);
      expect(waited.body.waves).toEqual([['stg-new']]);
    } finally {
      await resume;
      await resumed.stop();
    }
  });
});
