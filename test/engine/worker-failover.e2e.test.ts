import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { eventually, startCircle as startCircleProcess, type StartedProcess } from '../support/processes.js';
import { deployment, seedFleet, startRollout, type Fixture } from './fixtures.js';

const FINAL = ['RolloutSucceeded', 'RolloutFailed', 'RolloutAborted'];

/** A worker process as `CIRCLE_ROLE=worker npm start` runs it, on the test's database. */
function spawnWorker(circle: CircleHarness): StartedProcess {
  return startCircleProcess({
    CIRCLE_ROLE: 'worker',
    DATABASE_URL: circle.db.url,
    LOG_LEVEL: 'warn',
    TRANSPORT_LEASE_MS: '1500',
    TRANSPORT_POLL_INTERVAL_MS: '50',
    ENGINE_TIMER_POLL_MS: '25',
    ENGINE_OBSERVE_INTERVAL_MS: '25',
    ENGINE_TIMER_LEASE_MS: '1500',
  });
}

async function events(circle: CircleHarness, rolloutId: string) {
  const { rows } = await circle.db.pool.query<{ type: string; data: Record<string, unknown> }>(
    'SELECT type, data FROM events WHERE stream_id = $1 ORDER BY stream_version',
    [`rollout-${rolloutId}`],
  );
  return rows;
}

/** An event without what legitimately differs between two runs (ids, times, deadlines). */
function signature(event: { type: string; data: Record<string, unknown> }): string {
  const { wave, stage, cluster, how } = event.data as Record<string, unknown>;
  return [event.type, wave, stage, cluster, how].filter((x) => x !== undefined).join(' ');
}

async function finished(circle: CircleHarness, rolloutId: string, timeoutMs = 60_000): Promise<string> {
  return eventually(async () => {
    const last = (await events(circle, rolloutId)).at(-1)?.type;
    return last && FINAL.includes(last) ? last : undefined;
  }, timeoutMs, `rollout ${rolloutId} to end`);
}

describe('a worker killed in the middle of a wave', () => {
  let circle: CircleHarness;
  let f: Fixture;
  let workers: StartedProcess[] = [];
  const clusters = ['k-1', 'k-2', 'k-3', 'k-4'];
  const canary = { canary: { replicas: 2, steps: [{ setWeight: 50 }, { setWeight: 100 }] } };

  beforeAll(async () => {
    circle = await startCircle({ worker: 'none', msPerReplica: 60 });
    workers.push(spawnWorker(circle));
    f = await seedFleet(circle, { environment: 'prod', clusters, waves: ['2', 'rest'], maxParallel: 1, application: 'steady', versions: ['1.0.0', '1.1.0'] });
    // The worker process (which also runs the projections) may take a while to start on
    // a busy machine; wait until the read models have caught up with what was seeded.
    const head = (await circle.db.pool.query<{ p: string }>('SELECT max(global_position) AS p FROM events')).rows[0]!.p;
    await eventually(async () => {
      const response = await circle.http().get(`/v1/clusters?position=${head}`).auth(circle.admin, { type: 'bearer' });
      return response.status === 200 ? true : undefined;
    }, 90_000, 'the worker process to project the seeded clusters');
    await circle.http().post('/v1/applications').auth(f.manager, { type: 'bearer' }).send({ name: 'killed', team: 'web' }).expect(201);
    for (const version of ['1.0.0', '1.1.0']) {
      await circle.http().post('/v1/applications/killed/releases').auth(f.deployer, { type: 'bearer' })
        .send({ version, images: [{ name: 'web', repository: 'registry.example.com/killed', tag: version }] }).expect(201);
    }
    for (const application of ['steady', 'killed']) {
      const id = await startRollout(circle, f.deployer, { kind: 'deploy', application, version: '1.0.0', environment: 'prod' });
      expect(await finished(circle, id)).toBe('RolloutSucceeded');
    }
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await circle.close();
  });

  it('is replaced by another that ends the rollout exactly as an undisturbed run, with no step done twice', async () => {
    const steady = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'steady', version: '1.1.0', environment: 'prod', strategy: canary });
    expect(await finished(circle, steady)).toBe('RolloutSucceeded');

    const disturbed = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'killed', version: '1.1.0', environment: 'prod', strategy: canary });
    // Wait until the first cluster of wave 1 is done and the second is under way, then kill.
    await eventually(async () => {
      const types = (await events(circle, disturbed)).map((e) => e.type);
      return types.filter((t) => t === 'ClusterActionStarted').length >= 2 ? true : undefined;
    }, 30_000, 'the rollout to be in the middle of wave 1');
    const victim = workers[0]!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const before = (await events(circle, disturbed)).length;
    expect(FINAL).not.toContain((await events(circle, disturbed)).at(-1)?.type);

    workers.push(spawnWorker(circle));
    expect(await finished(circle, disturbed)).toBe('RolloutSucceeded');
    expect((await events(circle, disturbed)).length).toBeGreaterThan(before);

    expect((await events(circle, disturbed)).map(signature)).toEqual((await events(circle, steady)).map(signature));
    for (const cluster of clusters) {
      for (const track of ['stable', 'canary']) {
        const steadyObject = deployment(circle, cluster, 'steady', `steady-${track}`) as unknown as { metadata: { generation?: number } } | undefined;
        const killedObject = deployment(circle, cluster, 'killed', `killed-${track}`) as unknown as { metadata: { generation?: number } } | undefined;
        // Same number of spec changes on every workload: no step was applied twice.
        expect(killedObject?.metadata.generation).toBe(steadyObject?.metadata.generation);
      }
      expect(deployment(circle, cluster, 'killed', 'killed-stable')?.spec.template.spec.containers[0]?.image).toBe('registry.example.com/killed:1.1.0');
    }
  }, 120_000);
});
