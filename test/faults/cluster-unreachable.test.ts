import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { deployment, drive, imageOf, seedFleet } from '../engine/fixtures.js';

const MINUTE_MS = 60_000;
const STRATEGY = { canary: { replicas: 2, progressDeadlineSeconds: 30, steps: [{ setWeight: 100 }] } };

/**
 * One cluster of a three-cluster wave stops answering (a network black hole: connections
 * accepted, never answered) for a minute of the offset clock. Its progress deadline is 30 s,
 * so circle must keep retrying it, let the other clusters of the wave get on, and then
 * fail the wave as the environment's onFailure policy says.
 */
describe('a cluster unreachable for a minute in the middle of a wave', () => {
  let circle: CircleHarness;

  beforeAll(async () => {
    circle = await startCircle({
      // Short per-attempt timeouts, so a black-holed call costs the test 200 ms, not 10 s;
      // a breaker that lets a trial through soon, so each engine retry reaches the cluster.
      gateway: { resilience: { requestTimeoutMs: 200, retries: 1, initialBackoffMs: 10, maxBackoffMs: 20, breakAfterFailures: 3, halfOpenAfterMs: 100 } },
    });
  }, 60_000);

  afterAll(async () => {
    await circle?.close();
  });

  /** An environment of two live clusters and one that will go dark, running `app` 1.0.0. */
  async function fleetOf(environment: string, app: string, onFailure: 'rollback' | 'pause') {
    const clusters = [`${app}-near-1`, `${app}-near-2`, `${app}-far`];
    const f = await seedFleet(circle, { environment, clusters, waves: ['rest'], maxParallel: 3, onFailure, application: app, versions: ['1.0.0', '1.1.0'] });
    const start = async (body: object): Promise<string> => {
      const response = await circle.http().post('/v1/rollouts').auth(f.deployer, { type: 'bearer' }).send({ application: app, environment, ...body });
      expect(response.status).toBe(202);
      // Read models may lag on a busy machine: wait until the rollout is readable.
      await circle.waitForRollout(response.body.rolloutId as string, () => true);
      return response.body.rolloutId as string;
    };
    expect((await drive(circle, await start({ kind: 'deploy', version: '1.0.0' }), { stepMs: 5_000 })).phase).toBe('Succeeded');
    const image = (cluster: string) => imageOf(deployment(circle, cluster, app, `${app}-stable`));
    return { f, clusters, start, image, far: clusters[2]!, near: clusters.slice(0, 2), target: `registry.example.com/${app}:1.1.0`, previous: `registry.example.com/${app}:1.0.0` };
  }

  const requestsTo = (cluster: string) => circle.fleet.cluster(cluster).stats.requests;

  it('lets the other clusters reach the new version, retries the dead one until its deadline, then fails the wave and rolls back', async () => {
    const { start, image, far, near, target, previous } = await fleetOf('prod', 'far', 'rollback');
    await circle.fleet.cluster(far).makeUnreachable({ mode: 'hang' });
    const outageStarted = circle.clock.now().getTime();
    const requestsBefore = requestsTo(far);
    const id = await start({ kind: 'upgrade', version: '1.1.0', strategy: STRATEGY });

    // The live clusters are not held up by the dead one.
    const progressing = await drive(circle, id, { stepMs: 1_000, until: () => near.every((c) => image(c) === target) });
    expect(progressing.phase).toBe('Progressing');
    expect(image(far)).toBe(previous);

    const failed = await drive(circle, id, { stepMs: 2_000 });
    expect(failed.phase).toBe('Failed');
    // Retried, not given up on at the first timeout: each engine retry reached the cluster.
    expect(requestsTo(far) - requestsBefore).toBeGreaterThanOrEqual(5);

    const events = await rolloutEvents(circle, id);
    const started = events.find((e) => e.type === 'ClusterActionStarted' && e.data.cluster === far)!;
    const failures = events.filter((e) => e.type === 'ClusterActionFailed');
    expect(failures.map((e) => e.data.cluster)).toEqual([far]);
    expect(String(failures[0]!.data.reason)).toMatch(/^CLUSTER_/);
    // Given up at its progress deadline, not before, and while the cluster was still away.
    const failedAt = Date.parse(String(failures[0]!.data.at));
    expect(failedAt - Date.parse(String(started.data.at))).toBeGreaterThanOrEqual(30_000);
    expect(failedAt - outageStarted).toBeLessThan(MINUTE_MS);
    expect(events.filter((e) => e.type === 'ClusterActionSucceeded').map((e) => e.data.cluster).sort()).toEqual(near);
    expect(events.at(-1)?.type).toBe('RolloutFailed');
    // Policy "rollback": the clusters the wave touched run the previous version again.
    for (const cluster of near) expect(image(cluster)).toBe(previous);
    // Its call may have landed before the silence, so the dead cluster is tried too; that
    // cannot succeed while it is away, and the rollout says so instead of waiting forever.
    expect(events.filter((e) => e.type === 'ClusterRestored').map((e) => e.data.cluster).sort()).toEqual(near);
    expect(events.filter((e) => e.type === 'ClusterRestoreFailed').map((e) => e.data.cluster)).toEqual([far]);

    // The outage ends; the cluster answers again and still runs what it ran before.
    await circle.fleet.cluster(far).restore();
    expect(image(far)).toBe(previous);
  }, 60_000);

  it('under onFailure "pause" stops the wave for a person instead, and a resume after the outage finishes the rollout', async () => {
    const { f, start, image, far, near, target, previous } = await fleetOf('stage', 'hold', 'pause');
    await circle.fleet.cluster(far).makeUnreachable({ mode: 'hang' });
    const outageStarted = circle.clock.now().getTime();
    const id = await start({ kind: 'upgrade', version: '1.1.0', strategy: STRATEGY });

    const paused = await drive(circle, id, { stepMs: 2_000, phases: ['Paused', 'Failed', 'Succeeded', 'Aborted'] });
    expect(paused.phase).toBe('Paused');
    expect(circle.clock.now().getTime() - outageStarted).toBeLessThan(MINUTE_MS);
    expect(paused.message).toContain(far);
    // Nothing is rolled back: the live clusters keep the new version while a person decides.
    for (const cluster of near) expect(image(cluster)).toBe(target);
    expect(image(far)).toBe(previous);

    // A minute after it went dark the cluster is back; a release manager resumes.
    circle.clock.advance(outageStarted + MINUTE_MS - circle.clock.now().getTime());
    await circle.fleet.cluster(far).restore();
    await circle.http().post(`/v1/rollouts/${id}/resume`).auth(f.manager, { type: 'bearer' }).send({}).expect(202);
    expect((await drive(circle, id, { stepMs: 1_000 })).phase).toBe('Succeeded');
    for (const cluster of [...near, far]) expect(image(cluster)).toBe(target);
    const events = await rolloutEvents(circle, id);
    expect(events.filter((e) => e.type === 'ClusterActionFailed').map((e) => e.data.cluster)).toEqual([far]);
    expect(events.filter((e) => e.type === 'ClusterActionSucceeded').map((e) => e.data.cluster).sort()).toEqual([...near, far].sort());
  }, 60_000);
});

async function rolloutEvents(circle: CircleHarness, id: string) {
  const { rows } = await circle.db.pool.query<{ type: string; data: Record<string, unknown> }>(
    'SELECT type, data FROM events WHERE stream_id = $1 ORDER BY stream_version',
    [`rollout-${id}`],
  );
  return rows;
}
