import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { drive, seedFleet, startRollout, type Fixture } from '../engine/fixtures.js';

const HOUR = 3600_000;
const CANARY = { canary: { replicas: 2, progressDeadlineSeconds: 60, steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] } };

/**
 * Real rollouts on the simulator, then the questions: where does it run (now and at a
 * past moment), what runs on a cluster, which version is live, has it soaked, what
 * happened, who did it.
 */
describe('read models after real rollouts', () => {
  let circle: CircleHarness;
  let f: Fixture;
  const moments: Record<string, string> = {};
  const ids: Record<string, string> = {};
  // Read-your-writes: every read waits until the read models reached the log's head.
  const get = async (path: string, status = 200) => {
    const head = (await circle.db.pool.query<{ p: string }>('SELECT coalesce(max(global_position), 0) AS p FROM events')).rows[0]!.p;
    return circle.http().get(`${path}${path.includes('?') ? '&' : '?'}position=${head}`).auth(f.manager, { type: 'bearer' }).expect(status);
  };
  const placements = async (query = '') =>
    ((await get(`/v1/applications/web/placements${query}`)).body.items as { cluster: string; track: string; version: string; trafficPercent: number }[])
      .map((p) => `${p.cluster} ${p.track} ${p.version} ${p.trafficPercent}%`);
  const soak = async (version: string) => (await get(`/v1/applications/web/versions/${version}/soak?environment=prod`)).body;
  const live = async () => (await get('/v1/applications/web/live?environment=prod')).body.environments[0];

  beforeAll(async () => {
    circle = await startCircle();
    f = await seedFleet(circle, { environment: 'prod', clusters: ['a-1', 'a-2'], application: 'web', versions: ['1.0.0', '1.1.0', '1.2.0'] });
    await circle.http().patch('/v1/environments/prod').auth(circle.admin, { type: 'bearer' }).send({ policy: { requiredSoakSeconds: 3600 } }).expect(200);
    ids.deploy = await startRollout(circle, f.deployer, { kind: 'deploy', application: 'web', version: '1.0.0', environment: 'prod' });
    expect((await drive(circle, ids.deploy)).phase).toBe('Succeeded');
  }, 60_000);
  afterAll(async () => {
    await circle.close();
  });

  it('after a first deploy: where it runs, what runs on a cluster, and the live version', async () => {
    expect(await placements()).toEqual(['a-1 stable 1.0.0 100%', 'a-2 stable 1.0.0 100%']);
    const onCluster = (await get('/v1/clusters/a-1/placements')).body.items;
    expect(onCluster).toEqual([expect.objectContaining({ application: 'web', track: 'stable', version: '1.0.0', replicasDesired: 3, health: 'healthy', rolloutId: ids.deploy })]);
    expect(await live()).toMatchObject({ environment: 'prod', status: 'live', version: '1.0.0' });
    await get('/v1/applications/nope/placements', 404);
    await get('/v1/clusters/nope/placements', 404);
    moments.afterDeploy = circle.clock.now().toISOString();
  });

  it('counts soak time on the injectable clock until the environment\'s requirement is met', async () => {
    const fresh = await soak('1.0.0');
    expect(fresh).toMatchObject({ live: true, requiredSeconds: 3600, satisfied: false });
    expect(fresh.remainingSeconds).toBeGreaterThan(3500);
    circle.clock.advance(HOUR / 2);
    const half = await soak('1.0.0');
    expect(half.soakedSeconds).toBeGreaterThanOrEqual(1800);
    expect(half.satisfied).toBe(false);
    circle.clock.advance(HOUR);
    expect(await soak('1.0.0')).toMatchObject({ satisfied: true, remainingSeconds: 0 });
    expect(await soak('1.1.0')).toMatchObject({ live: false, soakedSeconds: 0, satisfied: false });
  });

  it('mid-canary: both tracks with their traffic shares, and the environment is mixed', async () => {
    ids.upgrade = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'web', version: '1.1.0', environment: 'prod', strategy: CANARY });
    await drive(circle, ids.upgrade, { until: (r) => r.currentStep === 'pause until promoted' });
    expect(await placements()).toEqual(['a-1 canary 1.1.0 50%', 'a-1 stable 1.0.0 50%', 'a-2 canary 1.1.0 50%', 'a-2 stable 1.0.0 50%']);
    const mixed = await live();
    expect(mixed).toMatchObject({ status: 'mixed', version: null });
    expect(mixed.breakdown).toHaveLength(4);
    // The old version is no longer live everywhere: its soak clock stopped.
    expect(await soak('1.0.0')).toMatchObject({ live: false, soakedSeconds: 0 });
    moments.midCanary = circle.clock.now().toISOString();
    await circle.http().post(`/v1/rollouts/${ids.upgrade}/promote`).auth(f.manager, { type: 'bearer' }).send({ full: true }).expect(202);
    expect((await drive(circle, ids.upgrade)).phase).toBe('Succeeded');
    expect(await placements()).toEqual(['a-1 stable 1.1.0 100%', 'a-2 stable 1.1.0 100%']);
    expect(await live()).toMatchObject({ status: 'live', version: '1.1.0' });
  });

  it('answers for a past moment from the placement history (?at=)', async () => {
    expect(await placements(`?at=${moments.afterDeploy}`)).toEqual(['a-1 stable 1.0.0 100%', 'a-2 stable 1.0.0 100%']);
    expect(await placements(`?at=${moments.midCanary}`)).toEqual(['a-1 canary 1.1.0 50%', 'a-1 stable 1.0.0 50%', 'a-2 canary 1.1.0 50%', 'a-2 stable 1.0.0 50%']);
    expect(await placements('?at=2000-01-01T00:00:00Z')).toEqual([]);
    await get('/v1/applications/web/placements?at=yesterday', 400);
  });

  it('a failed rollout puts every cluster back and resets the soak clock', async () => {
    circle.clock.advance(2 * HOUR);
    expect((await soak('1.1.0')).satisfied).toBe(true);
    const fault = circle.fleet.injectImageFault('registry.example.com/web:1.2.0', { kind: 'never-ready' }, { clusters: ['a-2'] });
    try {
      ids.failed = await startRollout(circle, f.deployer, {
        kind: 'upgrade', application: 'web', version: '1.2.0', environment: 'prod',
        strategy: { canary: { replicas: 2, progressDeadlineSeconds: 60, steps: [{ setWeight: 50 }, { setWeight: 100 }] } },
      });
      expect((await drive(circle, ids.failed, { stepMs: 20_000 })).phase).toBe('Failed');
    } finally {
      circle.fleet.removeImageFault(fault);
    }
    expect(await placements()).toEqual(['a-1 stable 1.1.0 100%', 'a-2 stable 1.1.0 100%']);
    expect(await live()).toMatchObject({ status: 'live', version: '1.1.0' });
    const reset = await soak('1.1.0');
    expect(reset).toMatchObject({ live: true, satisfied: false });
    expect(reset.soakedSeconds).toBeLessThan(3600);
    expect(reset.lastResetReason).toMatch(/health gate failed/);
  });

  it('a rollback makes the older version live again', async () => {
    ids.rollback = await startRollout(circle, f.manager, { kind: 'rollback', application: 'web', version: '1.0.0', environment: 'prod' });
    expect((await drive(circle, ids.rollback, { stepMs: 10_000 })).phase).toBe('Succeeded');
    expect(await placements()).toEqual(['a-1 stable 1.0.0 100%', 'a-2 stable 1.0.0 100%']);
    expect(await live()).toMatchObject({ status: 'live', version: '1.0.0' });
    expect(await soak('1.1.0')).toMatchObject({ live: false, satisfied: false });
  });

  it('lists releases and rollouts newest first with outcome, actor, start and end, a page at a time', async () => {
    const first = (await get('/v1/applications/web/history?limit=2')).body;
    expect(first.items.map((e: { rolloutId: string }) => e.rolloutId)).toEqual([ids.rollback, ids.failed]);
    expect(first.items[1]).toMatchObject({ kind: 'rollout', rolloutKind: 'upgrade', version: '1.2.0', fromVersion: '1.1.0', outcome: 'Failed', actor: 'ci-web' });
    expect(first.items[1].endedAt).not.toBeNull();
    const rest = (await get(`/v1/applications/web/history?limit=50&cursor=${first.nextCursor}`)).body;
    expect(rest.nextCursor).toBeNull();
    expect(rest.items.map((e: { kind: string; version: string; outcome: string }) => `${e.kind} ${e.version} ${e.outcome}`)).toEqual([
      'rollout 1.1.0 Succeeded', 'rollout 1.0.0 Succeeded', 'release 1.2.0 registered', 'release 1.1.0 registered', 'release 1.0.0 registered',
    ]);
  });

  it('keeps an audit trail filtered by actor, application, cluster, environment, action, outcome and time', async () => {
    const byApp = (await get('/v1/audit?application=web&limit=200')).body.items as Record<string, unknown>[];
    expect(byApp.find((e) => e.action === 'RolloutRequested' && e.target === `rollout/${ids.failed}`)).toMatchObject({
      actor: 'ci-web', source: 'api', outcome: 'accepted', environment: 'prod', clusters: ['a-1', 'a-2'],
    });
    expect(byApp.find((e) => e.target === `rollout/${ids.failed}` && e.action === 'RolloutFailed')).toMatchObject({ outcome: 'failed', source: 'worker' });
    const promoted = (await get('/v1/audit?action=RolloutPromoted')).body.items;
    expect(promoted).toEqual([expect.objectContaining({ actor: 'rm-web', target: `rollout/${ids.upgrade}` })]);
    expect((await get('/v1/audit?outcome=failed')).body.items).toHaveLength(1);
    expect((await get('/v1/audit?actor=ci-web&action=RolloutRequested')).body.items).toHaveLength(3);
    const onCluster = (await get('/v1/audit?cluster=a-2')).body.items as { action: string }[];
    expect(onCluster.map((e) => e.action)).toEqual(expect.arrayContaining(['ClusterRegistered', 'RolloutRequested', 'RolloutGateFailed']));
    expect((await get('/v1/audit?environment=prod&action=EnvironmentUpdated')).body.items).toHaveLength(1);
    expect((await get('/v1/audit?from=2999-01-01T00:00:00Z')).body.items).toEqual([]);
    expect((await get('/v1/audit?to=2000-01-01T00:00:00Z')).body.items).toEqual([]);
    // Pages follow each other without gaps or repeats.
    const all = (await get('/v1/audit?limit=200')).body.items as { position: number }[];
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { position: number }[]; nextCursor: string | null } = (await get(`/v1/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`)).body;
      seen.push(...page.items.map((e) => e.position));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.position));
  });

  it('exports the audit trail as NDJSON and CSV', async () => {
    const ndjson = await get('/v1/audit?application=web&format=ndjson');
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = ndjson.text.trim().split('\n').map((l) => JSON.parse(l) as { application: string });
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((l) => l.application === 'web')).toBe(true);
    const csv = await get('/v1/audit?application=web&format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = csv.text.trim().split('\r\n');
    expect(rows[0]).toBe('position,at,actor,source,correlationId,causationId,action,outcome,target,application,clusters,environment,reason,eventId');
    expect(rows).toHaveLength(lines.length + 1);
    await get('/v1/audit?format=xml', 400);
  });

  it('offers no way to change or delete the audit trail, and the log refuses it too', async () => {
    const document = (await circle.http().get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const auditPaths = Object.entries(document.paths).filter(([path]) => path.startsWith('/v1/audit'));
    expect(auditPaths.length).toBeGreaterThan(0);
    for (const [, operations] of auditPaths) expect(Object.keys(operations)).toEqual(['get']);
    for (const method of ['put', 'patch', 'delete'] as const) {
      const response = await circle.http()[method]('/v1/audit').auth(circle.admin, { type: 'bearer' }).send({});
      expect([404, 405]).toContain(response.status);
    }
    await expect(circle.db.pool.query(`UPDATE events SET type = type WHERE global_position = 1`)).rejects.toThrow();
    await expect(circle.db.pool.query(`DELETE FROM events WHERE global_position = 1`)).rejects.toThrow();
  });
});
