import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ClusterGatewayError, type ClusterRef } from '#domain/ports/cluster-gateway.port.js';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';
import { clusterRef, waitFor, workload } from './k8s-test-helpers.js';

async function failure(p: Promise<unknown>): Promise<ClusterGatewayError> {
  const outcome = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(outcome instanceof ClusterGatewayError)) throw new Error(`expected a ClusterGatewayError, got ${String(outcome)}`);
  return outcome;
}

describe('fault injection and per-cluster resilience', () => {
  const fleet = new SimulatedFleet({ msPerReplica: 10, progressDeadlineMs: 300 });
  const gateway = new KubernetesClusterGateway({
    resilience: { requestTimeoutMs: 300, retries: 2, initialBackoffMs: 10, maxBackoffMs: 40, breakAfterFailures: 3, halfOpenAfterMs: 400 },
  });
  let alpha: ClusterRef;
  let beta: ClusterRef;

  beforeAll(async () => {
    await fleet.addCluster('alpha');
    await fleet.addCluster('beta');
    await fleet.start();
    alpha = clusterRef(fleet, 'alpha');
    beta = clusterRef(fleet, 'beta');
    await Promise.all([gateway.ensureNamespace(alpha, 'shop'), gateway.ensureNamespace(beta, 'shop')]);
  });

  afterEach(async () => {
    await fleet.clearFaults();
  });

  afterAll(async () => {
    await gateway.close();
    await fleet.stop();
  });

  it('an image that never becomes ready stalls the rollout until ProgressDeadlineExceeded', async () => {
    fleet.injectImageFault('registry.example/bad:*', { kind: 'never-ready' });
    const spec = workload({ application: 'bad', image: 'registry.example/bad:2.0.0', replicas: 3 });
    await gateway.applyWorkload(alpha, spec);
    const failed = await waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.progress === 'failed', 3_000);
    expect(failed).toMatchObject({ availableReplicas: 0, readyReplicas: 0 });
    expect(failed!.updatedReplicas).toBeLessThan(3);
    expect(failed!.conditions.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(failed!.conditions.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });

  it('a crashing image first looks healthy, then loses availability', async () => {
    fleet.injectImageFault('registry.example/flaky:1.0.0', { kind: 'crash', afterMs: 300 });
    const spec = workload({ application: 'flaky', image: 'registry.example/flaky:1.0.0', replicas: 2 });
    await gateway.applyWorkload(alpha, spec);
    await waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.availableReplicas === 2, 2_000, 5);
    const crashed = await waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.availableReplicas === 0, 2_000);
    expect(crashed!.progress).not.toBe('complete');
    expect(fleet.cluster('alpha').pods('shop', 'flaky-stable').crashed).toBe(2);
  });

  it('image faults can be limited to some clusters', async () => {
    fleet.injectImageFault('registry.example/regional:*', { kind: 'never-ready' }, { clusters: ['beta'] });
    const spec = workload({ application: 'regional', image: 'registry.example/regional:1.0.0', replicas: 2 });
    await Promise.all([gateway.applyWorkload(alpha, spec), gateway.applyWorkload(beta, spec)]);
    const [a, b] = await Promise.all([
      waitFor(() => gateway.readWorkloadStatus(alpha, spec), (s) => s!.progress !== 'progressing', 3_000),
      waitFor(() => gateway.readWorkloadStatus(beta, spec), (s) => s!.progress !== 'progressing', 3_000),
    ]);
    expect(a!.progress).toBe('complete');
    expect(b!.progress).toBe('failed');
  });

  it('retries transient 503 and 429 answers with backoff', async () => {
    // Its own gateway: the failures below would otherwise open beta's shared circuit.
    const gateway = new KubernetesClusterGateway({ resilience: { requestTimeoutMs: 300, retries: 2, initialBackoffMs: 10, maxBackoffMs: 40 } });
    const sim = fleet.cluster('beta');
    const before = { ...sim.stats.byStatus };
    sim.failRequests({ status: 503, count: 1 });
    sim.failRequests({ status: 429, count: 1, retryAfterSeconds: 0 });
    const status = await gateway.applyWorkload(beta, workload({ application: 'retry' }));
    expect(status.name).toBe('retry-stable');
    expect((sim.stats.byStatus[503] ?? 0) - (before[503] ?? 0)).toBe(1);
    expect((sim.stats.byStatus[429] ?? 0) - (before[429] ?? 0)).toBe(1);

    // More failures than retries: the error says so, with the status.
    sim.failRequests({ status: 500, count: 3 });
    const err = await failure(gateway.readWorkloadStatus(beta, workload({ application: 'retry' })));
    expect(err).toMatchObject({ code: 'CLUSTER_REQUEST_FAILED', cluster: 'beta', operation: 'readWorkloadStatus', httpStatus: 500 });
  });

  it('a slow API times out per attempt as CLUSTER_UNREACHABLE', async () => {
    const slowGateway = new KubernetesClusterGateway({ resilience: { requestTimeoutMs: 80, retries: 1, initialBackoffMs: 5, maxBackoffMs: 5 } });
    fleet.cluster('beta').setApiLatency(250);
    const started = Date.now();
    const err = await failure(slowGateway.readWorkloadStatus(beta, workload()));
    expect(err.code).toBe('CLUSTER_UNREACHABLE');
    expect(err.message).toContain('no answer within 80 ms');
    expect(Date.now() - started).toBeLessThan(1_000);
    fleet.cluster('beta').setApiLatency(0);
    await expect(slowGateway.readWorkloadStatus(beta, workload({ application: 'none' }))).resolves.toBeNull();
  });

  it('a dead cluster does not block a healthy one, and its circuit opens then recovers', async () => {
    const dead = fleet.cluster('alpha');
    await dead.makeUnreachable({ mode: 'hang' });
    const spec = workload({ application: 'isolation', replicas: 1 });

    let deadSettledAt = 0;
    const deadCall = gateway.applyWorkload(alpha, spec).then(
      () => 'ok',
      (e: unknown) => e as ClusterGatewayError,
    ).finally(() => (deadSettledAt = Date.now()));
    // While alpha's call hangs through its timeouts and retries (about 1 s), beta's
    // calls go straight through: all ten are done before alpha's call even gives up.
    for (let i = 0; i < 10; i++) await gateway.applyWorkload(beta, workload({ application: 'isolation', revision: i + 1 }));
    const healthyDoneAt = Date.now();
    const deadErr = await deadCall;
    expect(healthyDoneAt).toBeLessThan(deadSettledAt);

    expect(deadErr).toBeInstanceOf(ClusterGatewayError);
    expect(['CLUSTER_UNREACHABLE', 'CLUSTER_CIRCUIT_OPEN']).toContain((deadErr as ClusterGatewayError).code);

    // The breaker is open now: further calls fail at once instead of waiting for timeouts.
    const fastStarted = Date.now();
    const open = await failure(gateway.readWorkloadStatus(alpha, spec));
    expect(open.code).toBe('CLUSTER_CIRCUIT_OPEN');
    expect(Date.now() - fastStarted).toBeLessThan(100); // no network round trip, no timeout

    const report = gateway.reachability();
    expect(report.find((r) => r.cluster === 'alpha')).toMatchObject({ circuit: 'open', reachable: false });
    expect(report.find((r) => r.cluster === 'beta')).toMatchObject({ circuit: 'closed', reachable: true });
    const pingDead = await gateway.ping(alpha);
    expect(pingDead).toMatchObject({ cluster: 'alpha', reachable: false });

    // Back up: after halfOpenAfter one trial request closes the circuit again.
    await dead.restore();
    const recovered = await waitFor(() => gateway.ping(alpha), (p) => p.reachable && p.circuit === 'closed', 3_000, 50);
    expect(recovered.serverVersion).toMatch(/^v1\.32/);
    await expect(gateway.applyWorkload(alpha, spec)).resolves.toMatchObject({ name: 'isolation-stable' });
  });

  it('a cluster that refuses connections is CLUSTER_UNREACHABLE, and comes back on its port', async () => {
    const g = new KubernetesClusterGateway({ resilience: { requestTimeoutMs: 300, retries: 1, initialBackoffMs: 5, maxBackoffMs: 5, halfOpenAfterMs: 100 } });
    await fleet.cluster('beta').makeUnreachable({ mode: 'refuse', forMs: 200 });
    const err = await failure(g.readWorkloadStatus(beta, workload()));
    expect(err.code).toBe('CLUSTER_UNREACHABLE');
    expect(err.message).toMatch(/ECONNREFUSED/);
    await waitFor(() => g.ping(beta), (p) => p.reachable, 3_000, 50);
  });
});

describe('connections over TLS', () => {
  const fleet = new SimulatedFleet({ msPerReplica: 10, tls: true });
  const gateway = new KubernetesClusterGateway();

  beforeAll(async () => {
    await fleet.addCluster('secure');
    await fleet.start();
  });

  afterAll(async () => {
    await fleet.stop();
  });

  it('authenticates with a bearer token or a client certificate against the cluster CA', async () => {
    const byToken: ClusterRef = { name: 'secure', kubeconfig: fleet.kubeconfig('secure') };
    expect(byToken.kubeconfig).toContain('certificate-authority-data');
    expect(byToken.kubeconfig).not.toContain('insecure-skip-tls-verify');
    await gateway.ensureNamespace(byToken, 'shop');

    const byCert: ClusterRef = { name: 'secure-cert', kubeconfig: fleet.kubeconfig('secure', { auth: 'client-certificate' }) };
    expect(byCert.kubeconfig).toContain('client-certificate-data');
    expect(byCert.kubeconfig).not.toContain('token');
    const applied = await gateway.applyWorkload(byCert, workload());
    expect(applied.name).toBe('checkout-stable');
    await expect(gateway.ping(byCert)).resolves.toMatchObject({ reachable: true });

    // No credentials at all: 401.
    const anonymous: ClusterRef = { name: 'secure-anon', kubeconfig: byToken.kubeconfig.replace(/token: .*/, 'username: nobody') };
    const err = await failure(gateway.readWorkloadStatus(anonymous, workload()));
    expect(err.code).toBe('CLUSTER_UNAUTHORIZED');
  });
});
