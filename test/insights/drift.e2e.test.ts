import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { drive, seedFleet, startRollout, type Fixture } from '../engine/fixtures.js';

/**
 * Drift: after a deploy the clusters agree with the placements read model; a
 * Deployment changed behind circle's back (scaled, or given another version) shows up
 * as a difference, and a cluster that cannot be read is reported unreachable.
 */
describe('GET /v1/applications/{app}/drift', () => {
  let circle: CircleHarness;
  let f: Fixture;
  let viewer: string;
  // Someone with kubectl: the same gateway, but not circle's worker, so no event is written.
  const outsider = new KubernetesClusterGateway({ resilience: { retries: 0 } });
  const ref = (name: string) => ({ name, kubeconfig: circle.fleet.kubeconfig(name) });
  const drift = async (query = '', status = 200) => {
    const head = (await circle.db.pool.query<{ p: string }>('SELECT coalesce(max(global_position), 0) AS p FROM events')).rows[0]!.p;
    return circle.http().get(`/v1/applications/web/drift?position=${head}${query}`).auth(viewer, { type: 'bearer' }).expect(status);
  };

  beforeAll(async () => {
    circle = await startCircle();
    f = await seedFleet(circle, { environment: 'prod', clusters: ['d-1', 'd-2', 'd-3'], application: 'web', versions: ['1.0.0', '2.0.0'] });
    viewer = await circle.token('viewer', 'dashboard');
    const id = await startRollout(circle, f.deployer, { kind: 'deploy', application: 'web', version: '1.0.0', environment: 'prod' });
    expect((await drive(circle, id)).phase).toBe('Succeeded');
  }, 60_000);
  afterAll(async () => {
    await outsider.close?.();
    await circle.close();
  });

  it('after a deploy every cluster is in sync', async () => {
    const body = (await drift()).body;
    expect(body.application).toBe('web');
    expect(body.clusters).toEqual(['d-1', 'd-2', 'd-3'].map((cluster) => ({ cluster, status: 'in-sync', differences: [], error: null })));
  });

  it('reports a Deployment scaled or re-versioned behind circle\'s back', async () => {
    const stable = (await outsider.listManagedObjects(ref('d-2'), { application: 'web' })).find((o) => o.kind === 'Deployment' && o.track === 'stable')!;
    expect(stable).toMatchObject({ version: '1.0.0', desiredReplicas: 3 });
    await outsider.scaleWorkload(ref('d-2'), { application: 'web', namespace: stable.namespace, track: 'stable' }, 5);
    // A hand-made canary of another version on d-3, which circle never placed.
    await outsider.applyWorkload(ref('d-3'), {
      application: 'web', namespace: stable.namespace, track: 'canary', version: '2.0.0', image: 'registry.example.com/web:2.0.0',
      replicas: 1, ports: [{ containerPort: 8080 }], rolloutId: 'by-hand', revision: 1,
    });
    const body = (await drift()).body;
    expect(body.clusters).toEqual([
      { cluster: 'd-1', status: 'in-sync', differences: [], error: null },
      { cluster: 'd-2', status: 'drifted', differences: [{ track: 'stable', field: 'replicas', expected: 3, actual: 5 }], error: null },
      {
        cluster: 'd-3', status: 'drifted', error: null,
        differences: [
          { track: 'canary', field: 'version', expected: null, actual: '2.0.0' },
          { track: 'canary', field: 'replicas', expected: null, actual: 1 },
        ],
      },
    ]);
    // One cluster only.
    expect((await drift('&cluster=d-2')).body.clusters).toEqual([body.clusters[1]]);
  });

  it('reports a cluster it cannot read as unreachable, the others as they are', async () => {
    await circle.fleet.cluster('d-1').makeUnreachable({ mode: 'refuse' });
    const body = (await drift()).body;
    expect(body.clusters.map((c: { cluster: string; status: string }) => `${c.cluster} ${c.status}`)).toEqual(['d-1 unreachable', 'd-2 drifted', 'd-3 drifted']);
    expect(body.clusters[0]).toMatchObject({ differences: [], error: expect.stringMatching(/^CLUSTER_/) });
  });

  it('404 for an unknown application or cluster, 401 without a token', async () => {
    await circle.http().get('/v1/applications/nope/drift').auth(viewer, { type: 'bearer' }).expect(404);
    await drift('&cluster=nope', 404);
    await circle.http().get('/v1/applications/web/drift').expect(401);
  });
});
