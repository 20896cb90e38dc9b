import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { eventually } from '../support/processes.js';

/** Moves the clock past pauses and bakes while the simulator makes workloads ready. */
async function drive(circle: CircleHarness, id: string, final: string[], stepMs = 31_000): Promise<string> {
  for (let i = 0; i < 400; i += 1) {
    const response = await circle.http().get(`/v1/rollouts/${id}`).auth(circle.admin, { type: 'bearer' });
    if (final.includes(response.body.phase)) return response.body.phase as string;
    circle.clock.advance(stepMs);
    await circle.tick();
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`rollout ${id} did not reach ${final.join('/')}`);
}

describe('canary rollout across clusters, in waves', () => {
  let circle: CircleHarness;
  let ci: string;
  const clusters = ['stg-1', 'stg-2', 'stg-3', 'stg-4', 'stg-5'];

  const deployment = (cluster: string, name: string) =>
    circle.fleet.cluster(cluster).getObject('deployments', 'shop', name) as
      | { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } }
      | undefined;

  beforeAll(async () => {
    circle = await startCircle();
    ci = await circle.token('deployer', 'ci');
    await circle
      .http()
      .post('/v1/environments')
      .auth(circle.admin, { type: 'bearer' })
      .send({ name: 'staging', rank: 1, policy: { wavePlan: { waves: ['1', '2', 'rest'], maxParallel: 2, bakeSeconds: 60, onFailure: 'rollback' } } })
      .expect(201);
    for (const name of clusters) await circle.addCluster(name, 'staging');
    await circle.http().post('/v1/applications').auth(circle.admin, { type: 'bearer' }).send({ name: 'shop', team: 'web' }).expect(201);
    for (const version of ['1.0.0', '1.1.0']) {
      await circle
        .http()
        .post('/v1/applications/shop/releases')
        .auth(ci, { type: 'bearer' })
        .send({ version, images: [{ name: 'web', repository: 'registry.example.com/shop', tag: version }] })
        .expect(201);
    }
  });
  afterAll(async () => {
    await circle.close();
  });

  it('installs a first version on every cluster', async () => {
    const { body } = await circle.http().post('/v1/rollouts').auth(ci, { type: 'bearer' }).send({ kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'staging' }).expect(202);
    expect(body.waves).toEqual([['stg-1'], ['stg-2', 'stg-3'], ['stg-4', 'stg-5']]);
    expect(await drive(circle, body.rolloutId, ['Succeeded', 'Failed', 'Aborted'])).toBe('Succeeded');
    for (const cluster of clusters) {
      expect(deployment(cluster, 'shop-stable')?.spec.template.spec.containers[0]?.image).toBe('registry.example.com/shop:1.0.0');
    }
  });

  it('upgrades with a canary in 3 waves; ends with the new version stable everywhere and no canary left', async () => {
    const { body } = await circle
      .http()
      .post('/v1/rollouts')
      .auth(ci, { type: 'bearer' })
      .send({
        kind: 'upgrade',
        application: 'shop',
        version: '1.1.0',
        environment: 'staging',
        strategy: { canary: { replicas: 4, steps: [{ setWeight: 25 }, { pause: { seconds: 30 } }, { setWeight: 50 }, { setWeight: 100 }] } },
      })
      .expect(202);
    expect(await drive(circle, body.rolloutId, ['Succeeded', 'Failed', 'Aborted'])).toBe('Succeeded');
    for (const cluster of clusters) {
      const stable = deployment(cluster, 'shop-stable');
      expect(stable?.spec.template.spec.containers[0]?.image).toBe('registry.example.com/shop:1.1.0');
      expect(stable?.spec.replicas).toBe(4);
      expect(deployment(cluster, 'shop-canary')).toBeUndefined();
    }
    // And circle's own answer agrees: 1.1.0 serves all traffic on every staging cluster.
    const head = (await circle.db.pool.query<{ p: string }>('SELECT max(global_position) AS p FROM events')).rows[0]!.p;
    const live = await circle.http().get(`/v1/applications/shop/live?environment=staging&position=${head}`).auth(ci, { type: 'bearer' }).expect(200);
    expect(live.body.environments[0]).toMatchObject({ environment: 'staging', status: 'live', version: '1.1.0' });
    const events = await circle.db.pool.query<{ type: string; data: { wave?: number; cluster?: string } }>(
      `SELECT type, data FROM events WHERE stream_id = $1 ORDER BY stream_version`,
      [`rollout-${body.rolloutId}`],
    );
    // Waves in order: no cluster of wave n starts before wave n-1 completed its last stage.
    const starts = events.rows.filter((e) => e.type === 'ClusterActionStarted').map((e) => e.data.wave);
    expect(starts).toEqual([...starts].sort());
    expect(events.rows.at(-1)?.type).toBe('RolloutSucceeded');
    // The clusters are free again for the next rollout.
    await eventually(async () => {
      const last = await circle.db.pool.query<{ type: string }>(
        `SELECT type FROM events WHERE stream_id = 'application-shop' ORDER BY stream_version DESC LIMIT 1`,
      );
      return last.rows[0]?.type === 'ApplicationClustersReleased' ? true : undefined;
    }, 10_000, 'the claim to be released');
  });
});
