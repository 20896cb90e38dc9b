import type { ClusterRef } from '#domain/ports/cluster-gateway.port.js';
import type { WorkloadSpec } from '#domain/ports/cluster-gateway.port.js';
import type { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value read. */
export async function waitFor<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 5_000, everyMs = 15): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await read();
  }
  return last;
}

export function clusterRef(fleet: SimulatedFleet, name: string): ClusterRef {
  return { name, kubeconfig: fleet.kubeconfig(name) };
}

export function workload(overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    application: 'checkout',
    namespace: 'shop',
    track: 'stable',
    version: '1.0.0',
    image: 'registry.example/checkout:1.0.0',
    replicas: 3,
    ports: [{ name: 'http', containerPort: 8080 }],
    rolloutId: 'r-0001',
    revision: 1,
    ...overrides,
  };
}
