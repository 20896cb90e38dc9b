import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';
import { clusterRef, workload } from './k8s-test-helpers.js';

const run = promisify(execFile);
const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';

/**
 * A standard client, unchanged, against the simulator: kubectl discovers the API,
 * prints server-side tables, describes a Deployment and follows a rollout with a
 * watch. The fleet serves TLS because kubectl never sends a bearer token to an
 * http:// server.
 */
describe('kubectl against the cluster simulator', () => {
  const fleet = new SimulatedFleet({ msPerReplica: 40, tls: true });
  let dir: string;
  let kubeconfigPath: string;

  const kubectl = async (...args: string[]) => {
    // --cache-dir: discovery is cached per host:port, and ports are reused between runs.
    const { stdout } = await run(KUBECTL, ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'cache'), '--request-timeout=10s', ...args], {
      timeout: 20_000,
      env: { ...process.env, HOME: dir, KUBECONFIG: '' },
    });
    return stdout;
  };

  beforeAll(async () => {
    if (!existsSync(KUBECTL)) {
      throw new Error(`kubectl is required for this test and was not found at ${KUBECTL} (set KUBECTL=/path/to/kubectl). The machine image is expected to ship kubectl 1.32.`);
    }
    dir = await mkdtemp(join(tmpdir(), 'circle-kubectl-'));
    await fleet.addCluster('kctl');
    await fleet.start();
    kubeconfigPath = join(dir, 'kctl.yaml');
    await writeFile(kubeconfigPath, fleet.kubeconfig('kctl'), { mode: 0o600 });
  });

  afterAll(async () => {
    await fleet.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gets, describes and follows the rollout of a Deployment circle applied', async () => {
    const gateway = new KubernetesClusterGateway();
    const cluster = clusterRef(fleet, 'kctl');
    await gateway.ensureNamespace(cluster, 'shop');
    await gateway.applyWorkload(cluster, workload({ replicas: 3, version: '1.4.0' }));

    const rollout = await kubectl('-n', 'shop', 'rollout', 'status', 'deployment/checkout-stable', '--timeout=15s');
    expect(rollout).toContain('deployment "checkout-stable" successfully rolled out');

    const table = await kubectl('-n', 'shop', 'get', 'deployments');
    expect(table).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    expect(table).toMatch(/checkout-stable\s+3\/3\s+3\s+3\s+/);

    const labelled = await kubectl('get', 'deployments', '-A', '-l', 'circle.dev/application=checkout', '-o', 'jsonpath={.items[*].metadata.annotations.circle\\.dev/version}');
    expect(labelled).toBe('1.4.0');

    const described = await kubectl('-n', 'shop', 'describe', 'deployment', 'checkout-stable');
    expect(described).toMatch(/Name:\s+checkout-stable/);
    expect(described).toMatch(/Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    expect(described).toMatch(/circle\.dev\/rollout-id: r-0001/);
    expect(described).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
  });

  it('writes through kubectl too: apply (JSON, without OpenAPI validation), scale, and sees the result via client-node', async () => {
    const manifest = join(dir, 'web.json');
    await writeFile(
      manifest,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
        spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
      }),
    );
    expect(await kubectl('apply', '--validate=false', '-f', manifest)).toContain('deployment.apps/web created');
    expect(await kubectl('apply', '--validate=false', '--server-side', '-f', manifest)).toContain('deployment.apps/web serverside-applied');
    expect(await kubectl('scale', 'deployment/web', '--replicas=2')).toContain('deployment.apps/web scaled');
    expect(await kubectl('rollout', 'status', 'deployment/web', '--timeout=15s')).toContain('successfully rolled out');
    expect(fleet.cluster('kctl').getObject('deployments', 'default', 'web')!.status.availableReplicas).toBe(2);
  });
});
