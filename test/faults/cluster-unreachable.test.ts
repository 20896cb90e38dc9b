import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { deployment, drive, imageOf, seedFleet, type Fixture } from '../engine/fixtures.js';

const MINUTE_MS = 60_000;
const image = (version: string) => `registry.example.com/far:${version}`;

/**
 * One cluster of a three-cluster wave stops answering (a network black hole: connections
 * accepted, never answered) for a minute of the offset clock. Its progress deadline is 30 s,
 * so circle must keep retrying it, let the other clusters of the wave get on, and then
 * fail the wave as the environment's policy says.
 */
describe('a cluster unreachable for a minute in the middle of a wave', () => {
  let circle: CircleHarness;
  let f: Fixture;
  const clusters = ['near-1', 'near-2', 'far-1'];
  const imageOn = (cluster: string) => imageOf(deployment(circle, cluster, 'far', 'far-stable'));
  const requestsTo = (cluster: string) => circle.fleet.cluster(cluster).stats.requests;
  /** Starts a rollout and waits until the read models know it (they may lag on a busy machine). */
  const startRollout = async (body: object): Promise<string> => {
    const response = await circle.http().post('/v1/rollouts').auth(f.deployer, { type: 'bearer' }).send(body);
    expect(response.status).toBe(202);
    await circle.waitForRollout(response.body.rolloutId as string, () => true);
    return response.body.rolloutId as string;
  };

  beforeAll(async () => {
    circle = await startCircle({
      // Short per-attempt timeouts, so a black-holed call costs the test 200 ms, not 10 s;
      // a breaker that lets a trial through soon, so each engine retry reaches the cluster.
      gateway: { resilience: { requestTimeoutMs: 200, retries: 1, initialBackoffMs: 10, maxBackoffMs: 20, breakAfterFailures: 3, halfOpenAfterMs: 100 } },
    });
    f = await seedFleet(circle, { environment: 'prod', clusters, waves: ['rest'], maxParallel: 3, onFailure: 'rollback', application: 'far', versions: ['1.0.0', '1.1.0'] });
    const install = await startRollout({ kind: 'deploy', application: 'far', version: '1.0.0', environment: 'prod' });
    expect((await drive(circle, install, { stepMs: 5_000 })).phase).toBe('Succeeded');
  }, 60_000);

  afterAll(async () => {
    await circle?.close();
  });

  it('lets the other clusters reach the new version, retries the dead one until its deadline, then fails the wave and rolls back', async () => {
    await circle.fleet.cluster('far-1').makeUnreachable({ mode: 'hang' });
    const outageStarted = circle.clock.now().getTime();
    const requestsBefore = requestsTo('far-1');
    const id = await startRollout({
      kind: 'upgrade', application: 'far', version: '1.1.0', environment: 'prod',
      strategy: { canary: { replicas: 2, progressDeadlineSeconds: 30, steps: [{ setWeight: 100 }] } },
    });

    // The live clusters are not held up by the dead one.
    const progressing = await drive(circle, id, { stepMs: 1_000, until: () => imageOn('near-1') === image('1.1.0') && imageOn('near-2') === image('1.1.0') });
    expect(progressing.phase).toBe('Progressing');
    expect(imageOn('far-1')).toBe(image('1.0.0'));

    const failed = await drive(circle, id, { stepMs: 2_000 });
    expect(failed.phase).toBe('Failed');
    // Retried, not given up on at the first timeout: each engine retry reached the cluster.
    expect(requestsTo('far-1') - requestsBefore).toBeGreaterThanOrEqual(5);

    const events = await rolloutEvents(circle, id);
    const started = events.find((e) => e.type === 'ClusterActionStarted' && e.data.cluster === 'far-1')!;
    const failures = events.filter((e) => e.type === 'ClusterActionFailed');
    expect(failures.map((e) => e.data.cluster)).toEqual(['far-1']);
    expect(String(failures[0]!.data.reason)).toMatch(/^CLUSTER_/);
    // Given up at its progress deadline, not before, and while the cluster was still away.
    const failedAt = Date.parse(String(failures[0]!.data.at));
    expect(failedAt - Date.parse(String(started.data.at))).toBeGreaterThanOrEqual(30_000);
    expect(failedAt - outageStarted).toBeLessThan(MINUTE_MS);
    expect(events.filter((e) => e.type === 'ClusterActionSucceeded').map((e) => e.data.cluster).sort()).toEqual(['near-1', 'near-2']);
    expect(events.at(-1)?.type).toBe('RolloutFailed');
    // Policy "rollback": the clusters the wave touched run the previous version again.
    expect(imageOn('near-1')).toBe(image('1.0.0'));
    expect(imageOn('near-2')).toBe(image('1.0.0'));
    // Its call may have landed before the silence, so the dead cluster is tried too; that
    // cannot succeed while it is away, and the rollout says so instead of waiting forever.
    expect(events.filter((e) => e.type === 'ClusterRestored').map((e) => e.data.cluster).sort()).toEqual(['near-1', 'near-2']);
    expect(events.filter((e) => e.type === 'ClusterRestoreFailed').map((e) => e.data.cluster)).toEqual(['far-1']);

    // The outage ends; the cluster answers again and still runs what it ran before.
    await circle.fleet.cluster('far-1').restore();
    expect(imageOn('far-1')).toBe(image('1.0.0'));
  }, 60_000);
});

async function rolloutEvents(circle: CircleHarness, id: string) {
  const { rows } = await circle.db.pool.query<{ type: string; data: Record<string, unknown> }>(
    'SELECT type, data FROM events WHERE stream_id = $1 ORDER BY stream_version',
    [`rollout-${id}`],
  );
  return rows;
}
