import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import { PatchStrategy, setHeaderOptions, type ConfigurationOptions, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import type { RequestContext } from '@kubernetes/client-node';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import { CIRCLE_ANNOTATIONS, CIRCLE_LABELS, MANAGED_BY_CIRCLE_SELECTOR } from '#domain/cluster-objects/cluster-labels.js';
import { serviceName, serviceSelector, workloadName, type Track } from '#domain/cluster-objects/cluster-object-names.js';
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
  type TrafficRouteRef,
  type TrafficRouteStatus,
  type TrafficWeights,
  type WatchSubscription,
  type WorkloadRef,
  type WorkloadSpec,
  type WorkloadStatus,
  type WorkloadWatchEvent,
} from '#domain/ports/cluster-gateway.port.js';
import { toClusterError } from './cluster-errors.js';
import { ClusterResilience, DEFAULT_RESILIENCE, httpStatusOf, type ResilienceOptions } from './cluster-resilience.js';
import { KubeClientFactory, type KubeClientFactoryOptions, type KubeClients } from './kube-client-factory.js';
import { deploymentManifest, serviceManifest, toServiceStatus, toWorkloadStatus } from './kubernetes-manifests.js';
import { HTTP_ROUTE, httpRouteManifest, httpRouteName, toTrafficRouteStatus } from './traffic-route-manifest.js';

export interface KubernetesClusterGatewayOptions extends KubeClientFactoryOptions {
  /** Server-side apply field manager (default `circle`). */
  readonly fieldManager?: string;
  readonly resilience?: Partial<ResilienceOptions>;
  /** Read-modify-write attempts on 409 Conflict before giving up with CLUSTER_CONFLICT. */
  readonly conflictAttempts?: number;
  /** Longest pause between watch reconnects. */
  readonly maxWatchBackoffMs?: number;
  /** A watch that shows no sign of life (event or bookmark) for this long is reconnected (default 5 min). */
  readonly watchIdleTimeoutMs?: number;
}

interface Connection {
  clients: KubeClients;
  resilience: ClusterResilience;
  last: ClusterReachability | null;
}

/**
 * Middleware that hands the timeout policy's AbortSignal to the HTTP request, so a
 * timed-out attempt really ends its socket instead of lingering (client-node's
 * generated clients take per-call middleware only in their Observable shape).
 */
function withSignal(signal: AbortSignal, base?: ConfigurationOptions): ConfigurationOptions {
  const middleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal);
      return of(ctx);
    },
    post: <T>(response: T) => of(response),
  };
  return { ...base, middleware: [...(base?.middleware ?? []), middleware], middlewareMergeStrategy: 'append' };
}

const APPLY = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

/**
 * ClusterGateway on @kubernetes/client-node. One set of clients and one resilience
 * stack (retry → circuit breaker → timeout, see ClusterResilience) per cluster, so
 * a dead cluster fails fast without slowing calls to the others.
 */
export class KubernetesClusterGateway implements ClusterGateway {
  private readonly factory: KubeClientFactory;
  private readonly connections = new Map<string, Connection>();
  private readonly resilience: ResilienceOptions;
  private readonly fieldManager: string;
  private readonly conflictAttempts: number;
  private readonly watches = new Set<WatchSubscription>();

  constructor(private readonly options: KubernetesClusterGatewayOptions = {}) {
    this.factory = new KubeClientFactory(options);
    this.resilience = { ...DEFAULT_RESILIENCE, ...options.resilience };
    this.fieldManager = options.fieldManager ?? 'circle';
    this.conflictAttempts = options.conflictAttempts ?? 5;
  }

  async ensureNamespace(cluster: ClusterRef, namespace: string): Promise<void> {
    // Read first: an existing namespace is left exactly as it is (circle does not
    // claim namespaces it did not create); create only when missing.
    const found = await this.call(cluster, 'ensureNamespace', (c, o) => c.core.readNamespace({ name: namespace }, withSignal(o)), { notFoundAsNull: true });
    if (found) return;
    try {
      await this.call(cluster, 'ensureNamespace', (c, o) =>
        c.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [CIRCLE_LABELS.managedBy]: 'circle' } } } }, withSignal(o)),
      );
    } catch (e) {
      if (e instanceof ClusterGatewayError && e.httpStatus === 409) return; // created concurrently
      throw e;
    }
  }

  async applyWorkload(cluster: ClusterRef, spec: WorkloadSpec): Promise<WorkloadStatus> {
    const manifest = deploymentManifest(spec);
    const name = workloadName(spec.application, spec.track);
    const applied = await this.call(cluster, 'applyWorkload', (c, o) =>
      c.apps.patchNamespacedDeployment({ name, namespace: spec.namespace, body: manifest, fieldManager: this.fieldManager, force: true }, withSignal(o, APPLY)),
    );
    return toWorkloadStatus(cluster.name, applied!);
  }

  async applyService(cluster: ClusterRef, spec: ServiceSpec): Promise<ServiceStatus> {
    const manifest = serviceManifest(spec);
    const name = serviceName(spec.application, spec.role);
    const applied = await this.call(cluster, 'applyService', (c, o) =>
      c.core.patchNamespacedService({ name, namespace: spec.namespace, body: manifest, fieldManager: this.fieldManager, force: true }, withSignal(o, APPLY)),
    );
    return toServiceStatus(cluster.name, applied!);
  }

  async readWorkloadStatus(cluster: ClusterRef, ref: WorkloadRef): Promise<WorkloadStatus | null> {
    const d = await this.call(cluster, 'readWorkloadStatus', (c, o) => c.apps.readNamespacedDeployment({ name: workloadName(ref.application, ref.track), namespace: ref.namespace }, withSignal(o)), {
      notFoundAsNull: true,
    });
    return d ? toWorkloadStatus(cluster.name, d) : null;
  }

  async scaleWorkload(cluster: ClusterRef, ref: WorkloadRef, replicas: number): Promise<WorkloadStatus> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ClusterGatewayError('CLUSTER_INVALID_REQUEST', cluster.name, 'scaleWorkload', `replicas must be a non-negative integer, got ${replicas}`);
    }
    const name = workloadName(ref.application, ref.track);
    const updated = await this.readModifyWrite<V1Deployment>(
      cluster,
      'scaleWorkload',
      (c, o) => c.apps.readNamespacedDeployment({ name, namespace: ref.namespace }, withSignal(o)),
      (d) => {
        if (d.spec?.replicas === replicas) return null;
        d.spec!.replicas = replicas;
        return d;
      },
      (c, d, o) => c.apps.replaceNamespacedDeployment({ name, namespace: ref.namespace, body: d }, withSignal(o)),
    );
    return toWorkloadStatus(cluster.name, updated);
  }

  async switchServiceTrack(cluster: ClusterRef, ref: ServiceRef, targetTrack: Track | null, rolloutId: string): Promise<ServiceStatus> {
    const name = serviceName(ref.application, ref.role);
    const selector = serviceSelector(ref.application, targetTrack);
    const updated = await this.readModifyWrite<V1Service>(
      cluster,
      'switchServiceTrack',
      (c, o) => c.core.readNamespacedService({ name, namespace: ref.namespace }, withSignal(o)),
      (s) => {
        const annotations = s.metadata!.annotations ?? {};
        const same =
          JSON.stringify(sorted(s.spec?.selector ?? {})) === JSON.stringify(sorted(selector)) &&
          annotations[CIRCLE_ANNOTATIONS.track] === (targetTrack ?? '') &&
          annotations[CIRCLE_ANNOTATIONS.rolloutId] === rolloutId;
        if (same) return null;
        s.spec!.selector = selector;
        s.metadata!.annotations = { ...annotations, [CIRCLE_ANNOTATIONS.track]: targetTrack ?? '', [CIRCLE_ANNOTATIONS.rolloutId]: rolloutId };
        return s;
      },
      (c, s, o) => c.core.replaceNamespacedService({ name, namespace: ref.namespace, body: s }, withSignal(o)),
    );
    return toServiceStatus(cluster.name, updated);
  }

  async deleteWorkload(cluster: ClusterRef, ref: WorkloadRef): Promise<void> {
    await this.call(
      cluster,
      'deleteWorkload',
      (c, o) => c.apps.deleteNamespacedDeployment({ name: workloadName(ref.application, ref.track), namespace: ref.namespace, propagationPolicy: 'Background' }, withSignal(o)),
      { notFoundAsNull: true },
    );
  }

  async deleteService(cluster: ClusterRef, ref: ServiceRef): Promise<void> {
    await this.call(cluster, 'deleteService', (c, o) => c.core.deleteNamespacedService({ name: serviceName(ref.application, ref.role), namespace: ref.namespace }, withSignal(o)), {
      notFoundAsNull: true,
    });
  }

  async setTrafficWeights(cluster: ClusterRef, ref: TrafficRouteRef, weights: TrafficWeights, parentRef: GatewayParentRef): Promise<TrafficRouteStatus> {
    const valid = (w: number) => Number.isInteger(w) && w >= 0 && w <= 1_000_000;
    if (!valid(weights.stable) || !valid(weights.canary) || weights.stable + weights.canary === 0) {
      // Both at 0 would make the Gateway answer 500 to every request: never what a rollout means.
      throw new ClusterGatewayError('CLUSTER_INVALID_REQUEST', cluster.name, 'setTrafficWeights', `weights must be integers 0-1000000, not both 0; got ${weights.stable}/${weights.canary}`);
    }
    if (!parentRef.name) throw new ClusterGatewayError('CLUSTER_INVALID_REQUEST', cluster.name, 'setTrafficWeights', 'the Gateway (parentRef.name) is required');
    const body = httpRouteManifest(ref, weights, parentRef);
    const applied = await this.call(cluster, 'setTrafficWeights', (c, o) =>
      c.custom.patchNamespacedCustomObject(
        { ...HTTP_ROUTE, namespace: ref.namespace, name: httpRouteName(ref.application), body, fieldManager: this.fieldManager, force: true },
        withSignal(o, APPLY),
      ),
    );
    return toTrafficRouteStatus(cluster.name, ref.application, applied);
  }

  async deleteTrafficRoute(cluster: ClusterRef, ref: { readonly application: string; readonly namespace: string }): Promise<void> {
    // 404 also comes back when the cluster has no Gateway API at all: nothing to delete either way.
    await this.call(
      cluster,
      'deleteTrafficRoute',
      (c, o) => c.custom.deleteNamespacedCustomObject({ ...HTTP_ROUTE, namespace: ref.namespace, name: httpRouteName(ref.application) }, withSignal(o)),
      { notFoundAsNull: true },
    );
  }

  async listManagedObjects(cluster: ClusterRef, filter: ManagedObjectFilter = {}): Promise<ManagedObject[]> {
    const labelSelector = selectorFor(filter);
    const ns = filter.namespace;
    const [deployments, services] = await Promise.all([
      this.call(cluster, 'listManagedObjects', (c, o) =>
        ns ? c.apps.listNamespacedDeployment({ namespace: ns, labelSelector }, withSignal(o)) : c.apps.listDeploymentForAllNamespaces({ labelSelector }, withSignal(o)),
      ),
      this.call(cluster, 'listManagedObjects', (c, o) =>
        ns ? c.core.listNamespacedService({ namespace: ns, labelSelector }, withSignal(o)) : c.core.listServiceForAllNamespaces({ labelSelector }, withSignal(o)),
      ),
    ]);
    return [
      ...deployments!.items.map((d): ManagedObject => ({ kind: 'Deployment', ...toWorkloadStatus(cluster.name, d) })),
      ...services!.items.map((s): ManagedObject => ({ kind: 'Service', ...toServiceStatus(cluster.name, s) })),
    ];
  }

  /**
   * List, then watch from the list's resourceVersion with bookmarks. A dropped watch
   * resumes from the last resourceVersion seen (events or bookmarks), after a backoff;
   * a 410 Expired means history moved on, so it lists again (the listing is replayed
   * as upserts, which consumers handle idempotently anyway).
   */
  async watchWorkloads(cluster: ClusterRef, filter: ManagedObjectFilter, onEvent: (event: WorkloadWatchEvent) => void): Promise<WatchSubscription> {
    const path = filter.namespace ? `/apis/apps/v1/namespaces/${encodeURIComponent(filter.namespace)}/deployments` : '/apis/apps/v1/deployments';
    const labelSelector = selectorFor(filter);
    let stopped = false;
    let resourceVersion: string | null = null;
    let controller: AbortController | null = null;
    let timer: NodeJS.Timeout | null = null;
    const backoffFactory = new ExponentialBackoff({ initialDelay: 100, maxDelay: this.options.maxWatchBackoffMs ?? 10_000 });
    let backoff: IBackoff<unknown> | undefined;

    const relist = async () => {
      const list = await this.call(cluster, 'watchWorkloads', (c, o) =>
        filter.namespace ? c.apps.listNamespacedDeployment({ namespace: filter.namespace, labelSelector }, withSignal(o)) : c.apps.listDeploymentForAllNamespaces({ labelSelector }, withSignal(o)),
      );
      if (stopped) return;
      for (const d of list!.items) onEvent({ type: 'upsert', status: toWorkloadStatus(cluster.name, d) });
      resourceVersion = list!.metadata?.resourceVersion ?? null;
    };

    const scheduleRestart = () => {
      if (stopped) return;
      backoff = backoff ? backoff.next(undefined) : backoffFactory.next();
      timer = setTimeout(() => void start(), backoff.duration);
      timer.unref();
    };

    const start = async (): Promise<void> => {
      if (stopped) return;
      try {
        if (resourceVersion === null) await relist();
      } catch {
        scheduleRestart();
        return;
      }
      if (stopped) return;
      const { clients } = this.connection(cluster);
      let expired = false;
      let finished = false;
      let attemptController: AbortController | null = null;
      const current = () => !stopped && !finished;
      const finish = (expiredNow: boolean) => {
        if (finished) return;
        finished = true;
        if (idle) clearTimeout(idle);
        attemptController?.abort();
        if (controller === attemptController) controller = null;
        if (stopped) return;
        if (expiredNow) resourceVersion = null;
        scheduleRestart();
      };
      // A black-holed connection delivers nothing and never errors (client-node's
      // Watch has no timeout, not even for the response headers): without a sign of
      // life (event or bookmark) for idleMs, give up on this attempt and reconnect.
      // The server also ends every watch after timeoutSeconds, spread like client-go.
      const idleMs = this.options.watchIdleTimeoutMs ?? 5 * 60_000;
      let idle: NodeJS.Timeout | null = null;
      const alive = () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => finish(false), idleMs);
        idle.unref();
      };
      alive();
      try {
        attemptController = await clients.watch.watch(
          path,
          { labelSelector, allowWatchBookmarks: true, resourceVersion: resourceVersion ?? undefined, timeoutSeconds: 300 + Math.floor(Math.random() * 300) },
          (type: string, obj: V1Deployment & { code?: number }) => {
            if (!current()) return;
            alive();
            if (type === 'ERROR') {
              if ((obj as { code?: number }).code === 410) expired = true;
              return;
            }
            resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
            backoff = undefined;
            if (type === 'BOOKMARK') return;
            const status = toWorkloadStatus(cluster.name, obj);
            onEvent(type === 'DELETED' ? { type: 'deleted', status } : { type: 'upsert', status });
          },
          (err: unknown) => finish(expired || httpStatusOf(err) === 410),
        );
      } catch {
        finish(false);
        return;
      }
      // The attempt was given up (idle, stop) while the request was still pending.
      if (!current()) attemptController.abort();
      else controller = attemptController;
    };

    await relist().catch((e: unknown) => {
      throw toClusterError(e, cluster.name, 'watchWorkloads', this.resilience.requestTimeoutMs);
    });
    void start();
    const subscription: WatchSubscription = {
      stop: async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        controller?.abort();
        this.watches.delete(subscription);
      },
    };
    this.watches.add(subscription);
    return subscription;
  }

  async ping(cluster: ClusterRef): Promise<ClusterReachability> {
    const started = performance.now();
    let connection: Connection;
    try {
      connection = this.connection(cluster);
    } catch (e) {
      const err = toClusterError(e, cluster.name, 'ping', this.resilience.requestTimeoutMs);
      return { cluster: cluster.name, reachable: false, circuit: 'closed', latencyMs: null, serverVersion: null, checkedAt: new Date().toISOString(), errorCode: err.code };
    }
    let result: ClusterReachability;
    try {
      const info = await connection.resilience.executeOnce((signal) => connection.clients.version.getCode(withSignal(signal)));
      result = {
        cluster: cluster.name,
        reachable: true,
        circuit: connection.resilience.circuit,
        latencyMs: Math.round(performance.now() - started),
        serverVersion: info.gitVersion ?? null,
        checkedAt: new Date().toISOString(),
        errorCode: null,
      };
    } catch (e) {
      const err = toClusterError(e, cluster.name, 'ping', this.resilience.requestTimeoutMs);
      result = { cluster: cluster.name, reachable: false, circuit: connection.resilience.circuit, latencyMs: null, serverVersion: null, checkedAt: new Date().toISOString(), errorCode: err.code };
    }
    connection.last = result;
    return result;
  }

  /**
   * What the adapter knows about every cluster it has talked to, without a network
   * call: the circuit state now, and the outcome of the last call or ping. For a
   * health endpoint.
   */
  reachability(): ClusterReachability[] {
    return [...this.connections.entries()].map(([name, c]) => ({
      ...(c.last ?? { cluster: name, reachable: true, latencyMs: null, serverVersion: null, checkedAt: new Date().toISOString(), errorCode: null }),
      circuit: c.resilience.circuit,
    }));
  }

  /** Stops every watch this gateway started (for shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => w.stop()));
  }

  // ---- internals --------------------------------------------------------------------

  private connection(cluster: ClusterRef): Connection {
    const existing = this.connections.get(cluster.name);
    if (existing && !this.factory.changed(cluster)) return existing;
    const clients = this.factory.clientsFor(cluster);
    // A new kubeconfig (rotated token, moved server) starts with a fresh circuit.
    const connection: Connection = { clients, resilience: new ClusterResilience(this.resilience), last: null };
    this.connections.set(cluster.name, connection);
    return connection;
  }

  private record(connection: Connection, cluster: string, error: ClusterGatewayError | null): void {
    if (error && error.code !== 'CLUSTER_UNREACHABLE' && error.code !== 'CLUSTER_CIRCUIT_OPEN' && error.code !== 'CLUSTER_REQUEST_FAILED') return;
    connection.last = {
      cluster,
      reachable: error === null,
      circuit: connection.resilience.circuit,
      latencyMs: connection.last?.latencyMs ?? null,
      serverVersion: connection.last?.serverVersion ?? null,
      checkedAt: new Date().toISOString(),
      errorCode: error?.code ?? null,
    };
  }

  /** One API call through the cluster's resilience stack, errors wrapped with context. */
  private async call<T>(
    cluster: ClusterRef,
    operation: string,
    fn: (clients: KubeClients, signal: AbortSignal) => Promise<T>,
    opts: { notFoundAsNull?: boolean } = {},
  ): Promise<T | null> {
    const connection = this.connection(cluster);
    try {
      const result = await connection.resilience.execute((signal) => fn(connection.clients, signal));
      this.record(connection, cluster.name, null);
      return result;
    } catch (e) {
      if (opts.notFoundAsNull && httpStatusOf(e) === 404) {
        this.record(connection, cluster.name, null);
        return null;
      }
      const err = toClusterError(e, cluster.name, operation, this.resilience.requestTimeoutMs);
      this.record(connection, cluster.name, err);
      throw err;
    }
  }

  /**
   * Optimistic concurrency: read, change, replace with the read resourceVersion; on
   * 409 Conflict someone wrote in between, so read again and redo the change.
   * `change` returns null when the object already is as wanted (no write at all).
   */
  private async readModifyWrite<T extends V1Deployment | V1Service>(
    cluster: ClusterRef,
    operation: string,
    read: (c: KubeClients, signal: AbortSignal) => Promise<T>,
    change: (current: T) => T | null,
    write: (c: KubeClients, next: T, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.call(cluster, operation, read);
      const next = change(current!);
      if (next === null) return current!;
      try {
        return (await this.call(cluster, operation, (c, s) => write(c, next, s)))!;
      } catch (e) {
        const conflict = e instanceof ClusterGatewayError && e.code === 'CLUSTER_CONFLICT';
        if (!conflict || attempt >= this.conflictAttempts) throw e;
      }
    }
  }
}

function selectorFor(filter: ManagedObjectFilter): string {
  return filter.application ? `${MANAGED_BY_CIRCLE_SELECTOR},${CIRCLE_LABELS.application}=${filter.application}` : MANAGED_BY_CIRCLE_SELECTOR;
}

function sorted(map: Record<string, string>): [string, string][] {
  return Object.entries(map).sort(([a], [b]) => a.localeCompare(b));
}
