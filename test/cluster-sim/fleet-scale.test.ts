import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterRef } from '#domain/ports/cluster-gateway.port.js';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';
import { waitFor, workload } from '../kubernetes/k8s-test-helpers.js';

const CLUSTERS = 200;

/** 200 simulated clusters in one process: start, kubeconfigs, a rollout on every one. */
describe(`a fleet of ${CLUSTERS} simulated clusters`, () => {
  const fleet = new SimulatedFleet({ msPerReplica: 10 });
  let dir = '';

  afterAll(async () => {
    await fleet.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts, writes one kubeconfig per cluster, and rolls out on all of them', async () => {
    const t0 = performance.now();
    for (let i = 1; i <= CLUSTERS; i++) await fleet.addCluster(`edge-${String(i).padStart(3, '0')}`);
    await fleet.start();
    const startMs = performance.now() - t0;

    dir = await mkdtemp(join(tmpdir(), 'circle-fleet-'));
    await fleet.writeKubeconfigs(dir);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(CLUSTERS);
    expect(files[0]).toBe('edge-001.yaml');
    const ports = new Set(fleet.clusters.map((c) => c.port));
    expect(ports.size).toBe(CLUSTERS);

    const gateway = new KubernetesClusterGateway();
    const refs: ClusterRef[] = await Promise.all(files.map(async (f) => ({ name: f.replace(/\.yaml$/, ''), kubeconfig: await readFile(join(dir, f), 'utf8') })));
    const t1 = performance.now();
    // In waves of 25 clusters, as a rollout would go.
    for (let i = 0; i < refs.length; i += 25) {
      await Promise.all(
        refs.slice(i, i + 25).map(async (ref) => {
          await gateway.ensureNamespace(ref, 'shop');
          await gateway.applyWorkload(ref, workload({ replicas: 2 }));
        }),
      );
    }
    const statuses = await waitFor(
      () => Promise.all(refs.map((ref) => gateway.readWorkloadStatus(ref, workload()))),
      (all) => all.every((s) => s?.progress === 'complete'),
      20_000,
      50,
    );
    const rolloutMs = performance.now() - t1;
    expect(statuses).toHaveLength(CLUSTERS);
    const pings = await Promise.all(refs.map((r) => gateway.ping(r)));
    expect(pings.every((p) => p.reachable)).toBe(true);
    // Printed for the record; the assertions above are the test.
    process.stdout.write(
      `fleet: ${CLUSTERS} clusters started in ${startMs.toFixed(0)} ms; rollout on all in ${rolloutMs.toFixed(0)} ms; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`,
    );
  });
});
