import {
  ClusterGatewayError,
  type ClusterGateway,
  type ClusterReachability,
  type ClusterRef,
  type GatewayParentRef,
  type ManagedObject,
  type ManagedObjectFilter,
  type ServiceRef,
  type ServiceSpec,
  type ServiceStatus,
  type Track,
  type TrafficRouteRef,
  type TrafficRouteStatus,
  type TrafficWeights,
  type WatchSubscription,
  type WorkloadRef,
  type WorkloadSpec,
  type WorkloadStatus,
  type WorkloadWatchEvent,
} from '#domain';
import type { CircleMetrics } from './circle-metrics.js';

/**
 * Times every cluster gateway call and counts its failures per cluster, around any
 * gateway (the Kubernetes adapter, or a test's). The reason of a failure is the
 * gateway's stable error code (CLUSTER_UNREACHABLE, CLUSTER_CIRCUIT_OPEN...), so an
 * alert can tell a cluster that is down from one that refuses circle's requests.
 */
export class InstrumentedClusterGateway implements ClusterGateway {
  constructor(
    private readonly inner: ClusterGateway,
    private readonly metrics: CircleMetrics,
  ) {}

  ensureNamespace(cluster: ClusterRef, namespace: string): Promise<void> {
    return this.timed(cluster, 'ensureNamespace', () => this.inner.ensureNamespace(cluster, namespace));
  }
  applyWorkload(cluster: ClusterRef, spec: WorkloadSpec): Promise<WorkloadStatus> {
    return this.timed(cluster, 'applyWorkload', () => this.inner.applyWorkload(cluster, spec));
  }
  applyService(cluster: ClusterRef, spec: ServiceSpec): Promise<ServiceStatus> {
    return this.timed(cluster, 'applyService', () => this.inner.applyService(cluster, spec));
  }
  readWorkloadStatus(cluster: ClusterRef, ref: WorkloadRef): Promise<WorkloadStatus | null> {
    return this.timed(cluster, 'readWorkloadStatus', () => this.inner.readWorkloadStatus(cluster, ref));
  }
  scaleWorkload(cluster: ClusterRef, ref: WorkloadRef, replicas: number): Promise<WorkloadStatus> {
    return this.timed(cluster, 'scaleWorkload', () => this.inner.scaleWorkload(cluster, ref, replicas));
  }
  switchServiceTrack(cluster: ClusterRef, ref: ServiceRef, targetTrack: Track | null, rolloutId: string): Promise<ServiceStatus> {
    return this.timed(cluster, 'switchServiceTrack', () => this.inner.switchServiceTrack(cluster, ref, targetTrack, rolloutId));
  }
  deleteWorkload(cluster: ClusterRef, ref: WorkloadRef): Promise<void> {
    return this.timed(cluster, 'deleteWorkload', () => this.inner.deleteWorkload(cluster, ref));
  }
  deleteService(cluster: ClusterRef, ref: ServiceRef): Promise<void> {
    return this.timed(cluster, 'deleteService', () => this.inner.deleteService(cluster, ref));
  }
  listManagedObjects(cluster: ClusterRef, filter?: ManagedObjectFilter): Promise<ManagedObject[]> {
    return this.timed(cluster, 'listManagedObjects', () => this.inner.listManagedObjects(cluster, filter));
  }
  watchWorkloads(cluster: ClusterRef, filter: ManagedObjectFilter, onEvent: (event: WorkloadWatchEvent) => void): Promise<WatchSubscription> {
    // Only opening the watch is a call; the stream that follows is not timed.
    return this.timed(cluster, 'watchWorkloads', () => this.inner.watchWorkloads(cluster, filter, onEvent));
  }
  setTrafficWeights(cluster: ClusterRef, ref: TrafficRouteRef, weights: TrafficWeights, parentRef: GatewayParentRef): Promise<TrafficRouteStatus> {
    return this.timed(cluster, 'setTrafficWeights', () => this.inner.setTrafficWeights(cluster, ref, weights, parentRef));
  }
  deleteTrafficRoute(cluster: ClusterRef, ref: { readonly application: string; readonly namespace: string }): Promise<void> {
    return this.timed(cluster, 'deleteTrafficRoute', () => this.inner.deleteTrafficRoute(cluster, ref));
  }

  async ping(cluster: ClusterRef): Promise<ClusterReachability> {
    // ping never throws: an unreachable cluster is an answer, and counts as a failed call.
    const started = performance.now();
    const result = await this.inner.ping(cluster);
    this.observe(cluster.name, 'ping', started, result.reachable ? null : (result.errorCode ?? 'CLUSTER_UNREACHABLE'));
    return result;
  }

  /** Stops what the wrapped gateway keeps open (its HTTP agents), when it has anything to stop. */
  async close(): Promise<void> {
    await (this.inner as { close?: () => Promise<void> }).close?.();
  }

  private async timed<T>(cluster: ClusterRef, operation: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await call();
      this.observe(cluster.name, operation, started, null);
      return result;
    } catch (error) {
      this.observe(cluster.name, operation, started, error instanceof ClusterGatewayError ? error.code : 'UNEXPECTED');
      throw error;
    }
  }

  private observe(cluster: string, operation: string, started: number, failure: string | null): void {
    const seconds = (performance.now() - started) / 1000;
    this.metrics.clusterCallDuration.observe({ cluster, operation, outcome: failure === null ? 'ok' : 'error' }, seconds);
    if (failure !== null) this.metrics.clusterCallErrors.inc({ cluster, operation, reason: failure });
  }
}
