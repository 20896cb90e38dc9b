import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { CIRCLE_ANNOTATIONS, CIRCLE_LABELS } from '#domain/cluster-objects/cluster-labels.js';
import { ClusterGatewayError, type ClusterRef, type WorkloadWatchEvent } from '#domain/ports/cluster-gateway.port.js';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';
import { clusterRef, waitFor, workload } from './k8s-test-helpers.js';

/**
 * The Kubernetes adapter against the cluster simulator over real HTTP: what the
 * rollout engine does to one cluster, step by step.
 */
describe('KubernetesClusterGateway against the cluster simulator', () => {
  const fleet = new SimulatedFleet({ msPerReplica: 10, bookmarkIntervalMs: 100, progressDeadlineMs: 400 });
  const gateway = new KubernetesClusterGateway({ resilience: { requestTimeoutMs: 2_000, retries: 2, initialBackoffMs: 10, maxBackoffMs: 50 } });
  let alpha: ClusterRef;

  beforeAll(async () => {
    await fleet.addCluster('alpha');
    await fleet.start();
    alpha = clusterRef(fleet, 'alpha');
    await gateway.ensureNamespace(alpha, 'shop');
  });

  afterAll(async () => {
    await gateway.close();
    await fleet.stop();
  });

  it('ensures a namespace idempotently and labels the ones it creates', async () => {
    await gateway.ensureNamespace(alpha, 'payments');
    const rv = fleet.cluster('alpha').getObject('namespaces', null, 'payments')!.metadata.resourceVersion;
    await gateway.ensureNamespace(alpha, 'payments');
    const ns = fleet.cluster('alpha').getObject('namespaces', null, 'payments')!;
    expect(ns.metadata.labels).toMatchObject({ [CIRCLE_LABELS.managedBy]: 'circle' });
    expect(ns.metadata.resourceVersion).toBe(rv);
    // An existing namespace is left alone (not claimed).
    await gateway.ensureNamespace(alpha, 'default');
    expect(fleet.cluster('alpha').getObject('namespaces', null, 'default')!.metadata.labels?.[CIRCLE_LABELS.managedBy]).toBeUndefined();
  });

  it('applies a track, tags it, and reports status until the rollout completes', async () => {
    const spec = workload({ application: 'cart', replicas: 4, version: '2.1.0+build.7', rolloutId: 'r-cart-1' });
    const applied = await gateway.applyWorkload(alpha, spec);
    expect(applied).toMatchObject({ name: 'cart-stable', namespace: 'shop', generation: 1, desiredReplicas: 4, application: 'cart', track: 'stable', version: '2.1.0+build.7', rolloutId: 'r-cart-1', revision: 1 });

    const seen = new Set<string>();
    const done = await waitFor(
      () => gateway.readWorkloadStatus(alpha, { application: 'cart', namespace: 'shop', track: 'stable' }),
      (s) => {
        seen.add(`${s!.updatedReplicas}/${s!.availableReplicas}`);
        return s!.progress === 'complete';
      },
    );
    expect(done).toMatchObject({ observedGeneration: 1, replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4, image: spec.image });
    expect(seen.size).toBeGreaterThan(1); // it moved through intermediate states
    expect(done!.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);

    const live = fleet.cluster('alpha').getObject('deployments', 'shop', 'cart-stable')!;
    expect(live.metadata.labels).toMatchObject({
      [CIRCLE_LABELS.managedBy]: 'circle',
      [CIRCLE_LABELS.application]: 'cart',
      [CIRCLE_LABELS.track]: 'stable',
      [CIRCLE_LABELS.version]: '2.1.0_build.7',
    });
    expect(live.metadata.annotations).toMatchObject({ [CIRCLE_ANNOTATIONS.version]: '2.1.0+build.7', [CIRCLE_ANNOTATIONS.rolloutId]: 'r-cart-1', [CIRCLE_ANNOTATIONS.revision]: '1' });
  });

  it('is idempotent: the same spec twice bumps neither generation nor resourceVersion', async () => {
    const spec = workload({ application: 'search', replicas: 2 });
    await gateway.applyWorkload(alpha, spec);
    const settled = await waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.progress === 'complete');
    const again = await gateway.applyWorkload(alpha, spec);
    expect(again.generation).toBe(settled!.generation);
    expect(again.resourceVersion).toBe(settled!.resourceVersion);

    // A new rollout id / revision on the same version is metadata only: no new generation, no pod restart.
    const relabelled = await gateway.applyWorkload(alpha, { ...spec, rolloutId: 'r-0002', revision: 2 });
    expect(relabelled.generation).toBe(settled!.generation);
    expect(relabelled.rolloutId).toBe('r-0002');
    expect(relabelled.progress).toBe('complete');

    // A new version is a new pod template: generation moves, and the rollout runs again.
    const upgraded = await gateway.applyWorkload(alpha, { ...spec, version: '1.1.0', image: 'registry.example/search:1.1.0', rolloutId: 'r-0003', revision: 3 });
    expect(upgraded.generation).toBe(settled!.generation + 1);
    const done = await waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.progress === 'complete' && s!.observedGeneration === upgraded.generation);
    expect(done).toMatchObject({ image: 'registry.example/search:1.1.0', version: '1.1.0', updatedReplicas: 2, replicas: 2 });
  });

  it('scales a track and retries its read-modify-write on a 409 Conflict', async () => {
    const spec = workload({ application: 'pricing', replicas: 1 });
    await gateway.applyWorkload(alpha, spec);
    // Let the simulated controller finish first: its status writes would be further,
    // genuine conflicts and make the count below depend on machine load.
    await waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.progress === 'complete');
    const sim = fleet.cluster('alpha');
    const before = sim.stats.byStatus[409] ?? 0;
    sim.failRequests({ status: 409, count: 2, methods: ['PUT'] });
    const scaled = await gateway.scaleWorkload(alpha, spec, 3);
    expect(scaled.desiredReplicas).toBe(3);
    expect(sim.stats.byStatus[409]! - before).toBe(2);
    await waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.availableReplicas === 3 && s!.progress === 'complete');

    // Same value again: no write at all.
    const rv = sim.getObject('deployments', 'shop', 'pricing-stable')!.metadata.resourceVersion;
    await gateway.scaleWorkload(alpha, spec, 3);
    expect(sim.getObject('deployments', 'shop', 'pricing-stable')!.metadata.resourceVersion).toBe(rv);

    // Conflicts that never stop surface as CLUSTER_CONFLICT.
    sim.failRequests({ status: 409, count: 50, methods: ['PUT'] });
    const err = await gateway.scaleWorkload(alpha, spec, 0).catch((e: unknown) => e);
    await sim.clearFaults();
    expect(err).toBeInstanceOf(ClusterGatewayError);
    expect((err as ClusterGatewayError).code).toBe('CLUSTER_CONFLICT');
    expect((err as ClusterGatewayError).message).toContain('cluster "alpha": scaleWorkload failed');
  });

  it('survives real concurrent writers: the simulator answers a stale resourceVersion with 409', async () => {
    const spec = workload({ application: 'ledger', replicas: 1 });
    await gateway.applyWorkload(alpha, spec);
    const kc = new KubeConfig();
    kc.loadFromString(alpha.kubeconfig);
    const apps = kc.makeApiClient(AppsV1Api);
    const stale = await apps.readNamespacedDeployment({ name: 'ledger-stable', namespace: 'shop' });
    await gateway.scaleWorkload(alpha, spec, 2);
    stale.spec!.replicas = 5;
    const conflict = (await apps.replaceNamespacedDeployment({ name: 'ledger-stable', namespace: 'shop', body: stale }).then(
      () => ({ code: 200, body: '{}' }),
      (e: unknown) => e as { code: number; body: string },
    ));
    expect(conflict.code).toBe(409);
    expect(JSON.parse(conflict.body)).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });

    // Two gateways scaling the same Deployment at once: both succeed, one wins.
    const other = new KubernetesClusterGateway();
    const results = await Promise.all([2, 3, 4, 5].map((n, i) => (i % 2 ? other : gateway).scaleWorkload(alpha, spec, n)));
    expect(results).toHaveLength(4);
    const final = await gateway.readWorkloadStatus(alpha, spec);
    expect([2, 3, 4, 5]).toContain(final!.desiredReplicas);
  });

  it('applies Services and switches their selector between tracks (blue-green)', async () => {
    const app = 'profile';
    await gateway.applyWorkload(alpha, workload({ application: app, track: 'blue', replicas: 1 }));
    await gateway.applyWorkload(alpha, workload({ application: app, track: 'green', replicas: 1, version: '1.1.0', image: 'registry.example/profile:1.1.0' }));
    const ports = [{ name: 'http', port: 80, targetPort: 8080 }];
    const active = await gateway.applyService(alpha, { application: app, namespace: 'shop', role: 'active', targetTrack: 'blue', ports, rolloutId: 'r-1' });
    await gateway.applyService(alpha, { application: app, namespace: 'shop', role: 'preview', targetTrack: 'green', ports, rolloutId: 'r-1' });
    expect(active).toMatchObject({ name: 'profile-active', role: 'active', targetTrack: 'blue', selector: { [CIRCLE_LABELS.application]: app, [CIRCLE_LABELS.track]: 'blue' } });

    const promoted = await gateway.switchServiceTrack(alpha, { application: app, namespace: 'shop', role: 'active' }, 'green', 'r-1');
    expect(promoted.targetTrack).toBe('green');
    expect(fleet.cluster('alpha').getObject('services', 'shop', 'profile-active')!.spec.selector[CIRCLE_LABELS.track]).toBe('green');
    const again = await gateway.switchServiceTrack(alpha, { application: app, namespace: 'shop', role: 'active' }, 'green', 'r-1');
    expect(again.resourceVersion).toBe(promoted.resourceVersion);

    // A Service over every track (replica-ratio canary traffic).
    const main = await gateway.switchServiceTrack(alpha, { application: app, namespace: 'shop', role: 'active' }, null, 'r-2');
    expect(main.selector).toEqual({ [CIRCLE_LABELS.application]: app });

    const missing = await gateway.switchServiceTrack(alpha, { application: app, namespace: 'shop', role: 'canary' }, 'green', 'r-1').catch((e: unknown) => e);
    expect((missing as ClusterGatewayError).code).toBe('CLUSTER_NOT_FOUND');
  });

  it('lists only what circle manages, by label selector, across namespaces', async () => {
    await gateway.ensureNamespace(alpha, 'inventory');
    await gateway.applyWorkload(alpha, workload({ application: 'stock', namespace: 'inventory', track: 'stable' }));
    await gateway.applyWorkload(alpha, workload({ application: 'stock', namespace: 'inventory', track: 'canary', replicas: 1, version: '1.1.0', image: 'registry.example/stock:1.1.0' }));
    await gateway.applyService(alpha, { application: 'stock', namespace: 'inventory', role: 'main', targetTrack: null, ports: [{ port: 80, targetPort: 8080 }], rolloutId: 'r-9' });
    // Someone else's Deployment in the same namespace.
    const kc = new KubeConfig();
    kc.loadFromString(alpha.kubeconfig);
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'inventory',
      body: {
        metadata: { name: 'foreign', labels: { app: 'foreign' } },
        spec: { selector: { matchLabels: { app: 'foreign' } }, template: { metadata: { labels: { app: 'foreign' } }, spec: { containers: [{ name: 'x', image: 'x:1' }] } } },
      },
    });

    const stock = await gateway.listManagedObjects(alpha, { application: 'stock' });
    expect(stock.map((o) => `${o.kind}:${o.namespace}/${o.name}`).sort()).toEqual(['Deployment:inventory/stock-canary', 'Deployment:inventory/stock-stable', 'Service:inventory/stock']);
    const canary = stock.find((o) => o.name === 'stock-canary')!;
    expect(canary).toMatchObject({ kind: 'Deployment', cluster: 'alpha', track: 'canary', version: '1.1.0', rolloutId: 'r-0001' });

    const everything = await gateway.listManagedObjects(alpha);
    expect(everything.some((o) => o.name === 'foreign')).toBe(false);
    expect(new Set(everything.map((o) => o.namespace))).toEqual(new Set(['shop', 'inventory']));
    const inShop = await gateway.listManagedObjects(alpha, { namespace: 'shop' });
    expect(inShop.every((o) => o.namespace === 'shop')).toBe(true);
  });

  it('deletes tracks and Services idempotently', async () => {
    const spec = workload({ application: 'doomed', replicas: 1 });
    await gateway.applyWorkload(alpha, spec);
    await gateway.applyService(alpha, { application: 'doomed', namespace: 'shop', role: 'stable', targetTrack: 'stable', ports: [{ port: 80, targetPort: 8080 }], rolloutId: 'r-1' });
    await gateway.deleteWorkload(alpha, spec);
    await gateway.deleteWorkload(alpha, spec);
    await gateway.deleteService(alpha, { application: 'doomed', namespace: 'shop', role: 'stable' });
    await gateway.deleteService(alpha, { application: 'doomed', namespace: 'shop', role: 'stable' });
    expect(await gateway.readWorkloadStatus(alpha, spec)).toBeNull();
    expect(await gateway.listManagedObjects(alpha, { application: 'doomed' })).toEqual([]);
  });

  it('watches workloads: initial state, progress, deletion, and resumes after the API drops', async () => {
    const events: WorkloadWatchEvent[] = [];
    const spec = workload({ application: 'notify', replicas: 2 });
    await gateway.applyWorkload(alpha, spec);
    const sub = await gateway.watchWorkloads(alpha, { application: 'notify' }, (e) => events.push(e));
    try {
      expect(events[0]).toMatchObject({ type: 'upsert', status: { name: 'notify-stable' } });
      await waitFor(() => events, (es) => es.some((e) => e.type === 'upsert' && e.status.progress === 'complete'));

      // Drop every connection for a moment: the watch must come back by itself.
      const opened = fleet.cluster('alpha').stats.watchesOpened;
      await fleet.cluster('alpha').makeUnreachable({ forMs: 150 });
      await waitFor(() => fleet.cluster('alpha').stats.watchesOpened, (n) => n > opened, 5_000);
      await gateway.scaleWorkload(alpha, spec, 3);
      await waitFor(() => events, (es) => es.some((e) => e.type === 'upsert' && e.status.desiredReplicas === 3 && e.status.progress === 'complete'));

      await gateway.deleteWorkload(alpha, spec);
      await waitFor(() => events, (es) => es.some((e) => e.type === 'deleted' && e.status.name === 'notify-stable'));
      // Only circle's objects of that application came through.
      expect(events.every((e) => e.status.application === 'notify')).toBe(true);
    } finally {
      await sub.stop();
    }
    await waitFor(() => fleet.cluster('alpha').openWatches, (n) => n === 0);
  });

  it('rejects kubeconfigs that would run programs, and never echoes kubeconfig content', async () => {
    const evil = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: ["-c", "echo SECRET-TOKEN-123"]}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;
    const err = (await gateway.readWorkloadStatus({ name: 'evil', kubeconfig: evil }, { application: 'a', namespace: 'n', track: 'stable' }).catch((e: unknown) => e)) as ClusterGatewayError;
    expect(err.code).toBe('CLUSTER_INVALID_KUBECONFIG');
    expect(err.message).not.toContain('SECRET');

    const garbage = await gateway.ping({ name: 'broken', kubeconfig: 'token: hunter2: : [' });
    expect(garbage).toMatchObject({ reachable: false, errorCode: 'CLUSTER_INVALID_KUBECONFIG' });

    const token = fleet.cluster('alpha').token;
    const wrongToken: ClusterRef = { name: 'alpha-bad', kubeconfig: alpha.kubeconfig.replace(token, 'not-the-token') };
    const denied = (await gateway.readWorkloadStatus(wrongToken, workload()).catch((e: unknown) => e)) as ClusterGatewayError;
    expect(denied.code).toBe('CLUSTER_UNAUTHORIZED');
    expect(denied.message).not.toContain('not-the-token');
  });
});
