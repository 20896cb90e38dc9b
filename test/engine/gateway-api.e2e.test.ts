import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { deployment, drive, imageOf, rollout, seedFleet, startRollout, type Fixture } from './fixtures.js';

type SimRoute = {
  metadata: { annotations: Record<string, string> };
  spec: { parentRefs: { name: string; namespace?: string }[]; rules: { backendRefs: { name: string; weight: number }[] }[] };
};

const STRATEGY = { canary: { replicas: 5, trafficRouting: 'gatewayApi', steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }] } };

/**
 * Canary traffic by Gateway API HTTPRoute weights on clusters labelled for it, and
 * the replica ratio on a cluster without the label, in the same rollout.
 */
describe('canary through Gateway API HTTPRoute weights', () => {
  let circle: CircleHarness;
  let f: Fixture;
  const routed = ['gw-a', 'gw-b'];
  const all = [...routed, 'plain-a'];

  const route = (cluster: string) => circle.fleet.cluster(cluster).getObject('httproutes', 'web', 'web') as SimRoute | undefined;
  const weights = (cluster: string) => Object.fromEntries(route(cluster)!.spec.rules[0]!.backendRefs.map((b) => [b.name, b.weight]));
  const image = (cluster: string, track = 'stable') => imageOf(deployment(circle, cluster, 'web', `web-${track}`));
  const replicas = (cluster: string, track: string) => deployment(circle, cluster, 'web', `web-${track}`)?.spec.replicas;
  /**
   * What happened on a cluster since `rv`, in order: route weight changes ("route 100/0")
   * and the canary's deletion, to check traffic leaves the canary before it goes.
   */
  const history = (cluster: string, rv: string) =>
    circle.fleet
      .cluster(cluster)
      .store.eventsSince(Number(rv))
      .flatMap((e) => {
        if (e.resource === 'httproutes') {
          const [stable, canary] = (e.object as unknown as SimRoute).spec.rules[0]!.backendRefs.map((b) => b.weight);
          return [`route ${stable}/${canary}`];
        }
        return e.resource === 'deployments' && e.type === 'DELETED' && e.object.metadata.name === 'web-canary' ? ['canary deleted'] : [];
      });
  const post = (path: string, body: object = {}) => circle.http().post(path).auth(f.manager, { type: 'bearer' }).send(body);

  beforeAll(async () => {
    circle = await startCircle();
    f = await seedFleet(circle, { environment: 'prod', clusters: [], application: 'web', versions: ['1.0.0', '1.1.0', '1.2.0'] });
    await circle.addCluster('gw-a', 'prod', { 'circle.dev/gateway': 'public' });
    await circle.addCluster('gw-b', 'prod', { 'circle.dev/gateway': 'public', 'circle.dev/gateway-namespace': 'infra' });
    await circle.addCluster('plain-a', 'prod');
  });
  afterAll(async () => {
    await circle.close();
  });

  it('a first deploy creates the route with all traffic to stable, on labelled clusters only', async () => {
    const id = await startRollout(circle, f.deployer, { kind: 'deploy', application: 'web', version: '1.0.0', environment: 'prod', strategy: STRATEGY });
    expect((await drive(circle, id)).phase).toBe('Succeeded');
    for (const cluster of routed) expect(weights(cluster)).toEqual({ 'web-stable': 100, 'web-canary': 0 });
    expect(route('gw-a')!.spec.parentRefs).toEqual([expect.objectContaining({ name: 'public' })]);
    expect(route('gw-a')!.spec.parentRefs[0]!.namespace).toBeUndefined();
    expect(route('gw-b')!.spec.parentRefs).toEqual([expect.objectContaining({ name: 'public', namespace: 'infra' })]);
    expect(route('plain-a')).toBeUndefined();
    for (const cluster of all) expect(image(cluster)).toBe('registry.example.com/web:1.0.0');
  });

  it('sets the weights to exactly 80/20 at setWeight 20, then all to stable and no canary after success', async () => {
    const id = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'web', version: '1.1.0', environment: 'prod', strategy: STRATEGY });
    await drive(circle, id, { until: (r) => r.currentStep === 'pause until promoted' });
    for (const cluster of routed) {
      expect(weights(cluster)).toEqual({ 'web-stable': 80, 'web-canary': 20 });
      expect(route(cluster)!.metadata.annotations['circle.dev/rollout-id']).toBe(id);
    }
    // Every cluster runs the replica split (capacity follows the traffic); the one
    // without the label has nothing else: its traffic follows the replicas.
    for (const cluster of all) {
      expect({ cluster, canary: replicas(cluster, 'canary'), stable: replicas(cluster, 'stable') }).toEqual({ cluster, canary: 1, stable: 4 });
      expect(image(cluster, 'canary')).toBe('registry.example.com/web:1.1.0');
    }
    expect(route('plain-a')).toBeUndefined();
    const paused = Object.fromEntries(routed.map((c) => [c, circle.fleet.cluster(c).store.resourceVersion]));

    await post(`/v1/rollouts/${id}/promote`).expect(202);
    expect((await drive(circle, id)).phase).toBe('Succeeded');
    for (const cluster of routed) {
      expect(weights(cluster)).toEqual({ 'web-stable': 100, 'web-canary': 0 });
      expect(history(cluster, paused[cluster]!)).toEqual(['route 100/0', 'canary deleted']);
    }
    for (const cluster of all) {
      expect(image(cluster)).toBe('registry.example.com/web:1.1.0');
      expect(replicas(cluster, 'stable')).toBe(5);
      expect(deployment(circle, cluster, 'web', 'web-canary')).toBeUndefined();
    }
    expect(route('plain-a')).toBeUndefined();
  });

  it('an abort mid-way puts all traffic back on stable and the previous version', async () => {
    const id = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'web', version: '1.2.0', environment: 'prod', strategy: STRATEGY });
    await drive(circle, id, { until: (r) => r.currentStep === 'pause until promoted' });
    for (const cluster of routed) expect(weights(cluster)).toEqual({ 'web-stable': 80, 'web-canary': 20 });
    const paused = Object.fromEntries(routed.map((c) => [c, circle.fleet.cluster(c).store.resourceVersion]));
    await post(`/v1/rollouts/${id}/abort`, { reason: 'error budget' }).expect(202);
    expect(await drive(circle, id)).toMatchObject({ phase: 'Aborted', message: 'aborted: error budget' });
    for (const cluster of routed) {
      expect(weights(cluster)).toEqual({ 'web-stable': 100, 'web-canary': 0 });
      expect(history(cluster, paused[cluster]!)).toEqual(['route 100/0', 'canary deleted']);
    }
    for (const cluster of all) {
      expect(image(cluster)).toBe('registry.example.com/web:1.1.0');
      expect(replicas(cluster, 'stable')).toBe(5);
      expect(deployment(circle, cluster, 'web', 'web-canary')).toBeUndefined();
    }
    expect(route('plain-a')).toBeUndefined();
    expect((await rollout(circle, id)).clusters).toEqual(expect.arrayContaining(all.map((name) => expect.objectContaining({ name, status: 'restored' }))));
  });
});
