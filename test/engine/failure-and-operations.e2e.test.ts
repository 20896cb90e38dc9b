import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { deployment, drive, eventTypes, imageOf, rollout, seedFleet, startRollout, type Fixture } from './fixtures.js';

const CANARY = (deadline = 60) => ({ canary: { replicas: 2, progressDeadlineSeconds: deadline, steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }] } });

describe('rollout failures and operations', () => {
  let circle: CircleHarness;
  let f: Fixture;
  const clusters = ['w1-a', 'w2-a', 'w2-b', 'w3-a'];
  const image = (cluster: string, track = 'stable') => imageOf(deployment(circle, cluster, 'pay', `pay-${track}`));
  const post = (path: string, body: object = {}) => circle.http().post(path).auth(f.manager, { type: 'bearer' }).send(body);

  beforeAll(async () => {
    circle = await startCircle();
    f = await seedFleet(circle, {
      environment: 'prod',
      clusters,
      waves: ['1', '2', 'rest'],
      maxParallel: 2,
      application: 'pay',
      versions: ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0'],
    });
    const install = await startRollout(circle, f.deployer, { kind: 'deploy', application: 'pay', version: '1.0.0', environment: 'prod' });
    expect((await drive(circle, install)).phase).toBe('Succeeded');
  });
  afterAll(async () => {
    await circle.close();
  });

  it('aborts by itself when a release never gets ready in wave 2, and puts wave 1 back on the previous version', async () => {
    const fault = circle.fleet.injectImageFault('registry.example.com/pay:1.1.0', { kind: 'never-ready' }, { clusters: ['w2-a'] });
    try {
      const id = await startRollout(circle, f.deployer, {
        kind: 'upgrade', application: 'pay', version: '1.1.0', environment: 'prod',
        strategy: { canary: { replicas: 2, progressDeadlineSeconds: 60, steps: [{ setWeight: 50 }, { setWeight: 100 }] } },
      });
      // Wave 1 finishes on 1.1.0 before wave 2 starts.
      await drive(circle, id, { until: (r) => r.currentWave === 2 });
      expect(image('w1-a')).toBe('registry.example.com/pay:1.1.0');
      // w2-a never gets ready; past its deadline the rollout fails and rolls back.
      const failed = await drive(circle, id, { stepMs: 20_000 });
      expect(failed.phase).toBe('Failed');
      expect(failed.message).toMatch(/w2-a: not ready by its progress deadline/);
      expect(failed.clusters).toEqual(expect.arrayContaining([
        expect.objectContaining({ name: 'w1-a', status: 'restored' }),
        expect.objectContaining({ name: 'w2-a', status: 'restored' }),
        expect.objectContaining({ name: 'w3-a', status: 'pending' }),
      ]));
      for (const cluster of ['w1-a', 'w2-a', 'w2-b', 'w3-a']) {
        expect(image(cluster)).toBe('registry.example.com/pay:1.0.0');
        expect(deployment(circle, cluster, 'pay', 'pay-canary')).toBeUndefined();
      }
      const types = await eventTypes(circle, id);
      expect(types).toContain('ClusterActionFailed');
      expect(types.filter((t) => t === 'ClusterRestored').length).toBeGreaterThanOrEqual(2);
      expect(types.at(-1)).toBe('RolloutFailed');
    } finally {
      circle.fleet.removeImageFault(fault);
    }
  });

  it('pauses and resumes, and a full promote skips every remaining pause', async () => {
    const id = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'pay', version: '1.2.0', environment: 'prod', strategy: CANARY() });
    await drive(circle, id, { until: (r) => r.currentStep === 'pause until promoted' });
    await post(`/v1/rollouts/${id}/pause`, { reason: 'checking dashboards' }).expect(202);
    expect((await drive(circle, id, { phases: ['Paused'] })).message).toBe(`paused by rm-pay: checking dashboards`);
    await post(`/v1/rollouts/${id}/resume`).expect(202);
    await drive(circle, id, { phases: ['Progressing'] });
    expect((await rollout(circle, id)).currentStep).toBe('pause until promoted');
    await post(`/v1/rollouts/${id}/promote`, { full: true }).expect(202);
    expect((await drive(circle, id)).phase).toBe('Succeeded');
    const types = await eventTypes(circle, id);
    expect(types.filter((t) => t === 'RolloutStageCompleted').length).toBeGreaterThan(0);
    for (const cluster of clusters) expect(image(cluster)).toBe('registry.example.com/pay:1.2.0');
  });

  it('aborts on request: clusters touched so far go back', async () => {
    const id = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'pay', version: '1.3.0', environment: 'prod', strategy: CANARY() });
    await drive(circle, id, { until: (r) => r.currentStep === 'pause until promoted' });
    expect(image('w1-a', 'canary')).toBe('registry.example.com/pay:1.3.0');
    await post(`/v1/rollouts/${id}/abort`, { reason: 'wrong config' }).expect(202);
    const done = await drive(circle, id);
    expect(done).toMatchObject({ phase: 'Aborted', message: 'aborted: wrong config' });
    expect(deployment(circle, 'w1-a', 'pay', 'pay-canary')).toBeUndefined();
    expect(image('w1-a')).toBe('registry.example.com/pay:1.2.0');
  });

  it('supersedes a running rollout: the old one ends, the new one takes its clusters as they are', async () => {
    const first = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'pay', version: '1.3.0', environment: 'prod', strategy: CANARY() });
    await drive(circle, first, { until: (r) => r.currentStep === 'pause until promoted' });
    const refused = await circle.http().post('/v1/rollouts').auth(f.deployer, { type: 'bearer' })
      .send({ kind: 'upgrade', application: 'pay', version: '1.4.0', environment: 'prod', strategy: CANARY() });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ROLLOUT_ALREADY_ACTIVE');
    const second = await startRollout(circle, f.deployer, {
      kind: 'upgrade', application: 'pay', version: '1.4.0', environment: 'prod', supersede: true,
      strategy: { canary: { replicas: 2, steps: [{ setWeight: 50 }, { setWeight: 100 }] } },
    });
    expect((await drive(circle, first)).phase).toBe('Aborted');
    expect((await drive(circle, second)).phase).toBe('Succeeded');
    for (const cluster of clusters) {
      expect(image(cluster)).toBe('registry.example.com/pay:1.4.0');
      expect(deployment(circle, cluster, 'pay', 'pay-canary')).toBeUndefined();
    }
  });

  it('lets CI follow a rollout: /wait answers at the end, /events streams until the end', async () => {
    const id = await startRollout(circle, f.deployer, { kind: 'rollback', application: 'pay', version: '1.0.0', environment: 'prod', strategy: { canary: { replicas: 2, steps: [{ setWeight: 100 }] } } });
    const early = await circle.http().get(`/v1/rollouts/${id}/wait?timeoutSeconds=1`).auth(f.deployer, { type: 'bearer' });
    expect([200, 202]).toContain(early.status);
    const stream = circle.http().get(`/v1/rollouts/${id}/events`).auth(f.deployer, { type: 'bearer' }).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done(null, text));
    });
    const driving = drive(circle, id);
    const [streamed] = await Promise.all([stream, driving]);
    expect(streamed.headers['content-type']).toMatch(/^text\/event-stream/);
    const names = [...String(streamed.body).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(names[0]).toBe('RolloutRequested');
    expect(names.at(-1)).toBe('RolloutSucceeded');
    const waited = await circle.http().get(`/v1/rollouts/${id}/wait?timeoutSeconds=5`).auth(f.deployer, { type: 'bearer' }).expect(200);
    expect(waited.body.phase).toBe('Succeeded');
    expect((await circle.http().get('/v1/rollouts/nope/events').auth(f.deployer, { type: 'bearer' })).status).toBe(404);
    expect((await circle.http().get(`/v1/rollouts/${id}/wait?timeoutSeconds=0`).auth(f.deployer, { type: 'bearer' })).status).toBe(400);
  });
});
