import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { deployment, drive, imageOf, rollout, seedFleet, service, startRollout, type Fixture } from './fixtures.js';

const BLUE_GREEN = { blueGreen: { replicas: 2, scaleDownDelaySeconds: 30 } };

describe('blue-green rollout', () => {
  let circle: CircleHarness;
  let f: Fixture;
  const clusters = ['bg-1', 'bg-2'];
  const activeTrack = (cluster: string) => service(circle, cluster, 'api', 'api-active')?.spec.selector['circle.dev/track'];

  beforeAll(async () => {
    circle = await startCircle();
    f = await seedFleet(circle, { environment: 'prod', clusters, application: 'api', versions: ['1.0.0', '1.1.0', '1.2.0'] });
  });
  afterAll(async () => {
    await circle.close();
  });

  it('installs, then upgrades behind the preview Service and switches only on a manual promote', async () => {
    const install = await startRollout(circle, f.deployer, { kind: 'deploy', application: 'api', version: '1.0.0', environment: 'prod', strategy: BLUE_GREEN });
    expect((await drive(circle, install)).phase).toBe('Succeeded');
    for (const c of clusters) expect(activeTrack(c)).toBe('blue');

    for (const [version, from, to] of [['1.1.0', 'blue', 'green'], ['1.2.0', 'green', 'blue']] as const) {
      const id = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'api', version, environment: 'prod', strategy: BLUE_GREEN });
      const waiting = await drive(circle, id, { until: (r) => r.currentStep === 'pause until promoted' && r.message.includes('pause until promoted') });
      // The new colour runs behind preview; production traffic still goes to the old one.
      for (const c of clusters) {
        expect(imageOf(deployment(circle, c, 'api', `api-${to}`))).toBe(`registry.example.com/api:${version}`);
        expect(service(circle, c, 'api', 'api-preview')?.spec.selector['circle.dev/track']).toBe(to);
        expect(activeTrack(c)).toBe(from);
      }
      expect(waiting.phase).toBe('Progressing');
      // No amount of waiting promotes it.
      circle.clock.advance(24 * 3600 * 1000);
      await circle.tick();
      expect((await rollout(circle, id)).currentStep).toBe('pause until promoted');

      await circle.http().post(`/v1/rollouts/${id}/promote`).auth(f.manager, { type: 'bearer' }).send({}).expect(202);
      // Old colour still warm during the scale-down delay...
      const delayed = await drive(circle, id, { until: (r) => typeof r.currentStep === 'string' && r.currentStep.startsWith('scale-down delay') });
      expect(delayed.phase).toBe('Progressing');
      for (const c of clusters) {
        expect(activeTrack(c)).toBe(to);
        expect(deployment(circle, c, 'api', `api-${from}`)).toBeDefined();
      }
      // ...and gone after it.
      expect((await drive(circle, id, { stepMs: 31_000 })).phase).toBe('Succeeded');
      for (const c of clusters) expect(deployment(circle, c, 'api', `api-${from}`)).toBeUndefined();
    }
  });

  it('rolls back two versions, to 1.0.0, through the same strategy', async () => {
    const id = await startRollout(circle, f.deployer, {
      kind: 'rollback',
      application: 'api',
      version: '1.0.0',
      environment: 'prod',
      reason: 'regression in 1.1 and 1.2',
      strategy: { blueGreen: { replicas: 2, scaleDownDelaySeconds: 0, autoPromotionSeconds: 0 } },
    });
    const done = await drive(circle, id, { stepMs: 1000 });
    expect(done).toMatchObject({ phase: 'Succeeded', kind: 'rollback', fromVersion: '1.2.0', version: '1.0.0' });
    for (const c of clusters) {
      const track = activeTrack(c)!;
      expect(imageOf(deployment(circle, c, 'api', `api-${track}`))).toBe('registry.example.com/api:1.0.0');
    }
  });
});
