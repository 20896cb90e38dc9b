import type { ServiceRole, Track } from '../cluster-objects/cluster-object-names.js';
import type { WorkloadProgress } from '../cluster-objects/workload-progress.js';

export type { ServiceRole, Track } from '../cluster-objects/cluster-object-names.js';
export type { WorkloadProgress } from '../cluster-objects/workload-progress.js';

/** Injection token of the ClusterGateway port. */
export const CLUSTER_GATEWAY = Symbol.for('circle.ClusterGateway');

/**
 * A registered cluster. `kubeconfig` is secret material (tokens, client keys): it is
 * handed to the adapter and never logged, echoed or put into an error.
 */
export interface ClusterRef {
  readonly name: string;
  readonly kubeconfig: string;
}

export interface WorkloadPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: 'TCP' | 'UDP';
}

/** One track of one application, as circle wants it to run (a Deployment `<app>-<track>`). */
export interface WorkloadSpec {
  readonly application: string;
  readonly namespace: string;
  readonly track: Track;
  /** The release version (free text, e.g. `1.4.0+build.7`); exact value kept in an annotation. */
  readonly version: string;
  readonly image: string;
  readonly replicas: number;
  readonly ports: readonly WorkloadPort[];
  readonly rolloutId: string;
  /** Monotonic revision of the rollout step that produced this spec (annotation only). */
  readonly revision: number;
  readonly env?: Readonly<Record<string, string>>;
  /** Seconds without progress before the controller reports ProgressDeadlineExceeded (default 600). */
  readonly progressDeadlineSeconds?: number;
}

/** Identifies one track's Deployment. */
export interface WorkloadRef {
  readonly application: string;
  readonly namespace: string;
  readonly track: Track;
}

export interface ServicePortSpec {
  readonly name?: string;
  readonly port: number;
  readonly targetPort: number;
  readonly protocol?: 'TCP' | 'UDP';
}

/** A Service `<app>-<role>` (or `<app>` for role `main`) selecting one track, or all (null). */
export interface ServiceSpec {
  readonly application: string;
  readonly namespace: string;
  readonly role: ServiceRole;
  readonly targetTrack: Track | null;
  readonly ports: readonly ServicePortSpec[];
  readonly rolloutId: string;
  readonly version?: string;
  readonly revision?: number;
}

export interface ServiceRef {
  readonly application: string;
  readonly namespace: string;
  readonly role: ServiceRole;
}

/**
 * The HTTPRoute `<app>` of one application, whose weights split traffic between the
 * Services `<app>-stable` and `<app>-canary` (Gateway API traffic routing).
 */
export interface TrafficRouteRef {
  readonly application: string;
  readonly namespace: string;
  readonly rolloutId: string;
  /** Port of the two Services the route sends traffic to. */
  readonly servicePort: number;
}

/** Relative shares of traffic; circle uses percentages (20 / 80), the Gateway API takes any non-negative integers. */
export interface TrafficWeights {
  readonly stable: number;
  readonly canary: number;
}

/** The Gateway the route attaches to (same namespace as the route when `namespace` is absent). */
export interface GatewayParentRef {
  readonly name: string;
  readonly namespace?: string;
}

/** An HTTPRoute as the cluster reports it: the weights it really carries. */
export interface TrafficRouteStatus {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly weights: TrafficWeights;
  readonly parentRef: GatewayParentRef | null;
  readonly rolloutId: string | null;
  readonly resourceVersion: string;
}

/** What circle annotated on an object, read back from the cluster. */
export interface CircleMarks {
  readonly application: string;
  readonly track: Track | null;
  readonly version: string | null;
  readonly rolloutId: string | null;
  readonly revision: number | null;
}

export interface WorkloadCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  readonly message?: string;
  readonly lastUpdateTime?: string;
}

/** A Deployment's rollout status as the cluster reports it. */
export interface WorkloadStatus extends CircleMarks {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly image: string | null;
  readonly generation: number;
  readonly observedGeneration: number;
  readonly desiredReplicas: number;
  readonly replicas: number;
  readonly updatedReplicas: number;
  readonly readyReplicas: number;
  readonly availableReplicas: number;
  readonly conditions: readonly WorkloadCondition[];
  /** Derived from the fields above (see workloadProgress). */
  readonly progress: WorkloadProgress;
  readonly resourceVersion: string;
}

/** A Service as the cluster reports it. */
export interface ServiceStatus extends CircleMarks {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly role: ServiceRole | null;
  readonly selector: Readonly<Record<string, string>>;
  /** The track the selector points at; null when it selects every track (or is foreign). */
  readonly targetTrack: Track | null;
  readonly resourceVersion: string;
}

/** One object circle manages, for "what actually runs where" and drift checks. */
export type ManagedObject =
  | ({ readonly kind: 'Deployment' } & WorkloadStatus)
  | ({ readonly kind: 'Service' } & ServiceStatus);

export interface ManagedObjectFilter {
  readonly application?: string;
  readonly namespace?: string;
}

export type WorkloadWatchEvent =
  | { readonly type: 'upsert'; readonly status: WorkloadStatus }
  | { readonly type: 'deleted'; readonly status: WorkloadStatus };

export interface WatchSubscription {
  /** Stops the watch; no callback fires after the returned promise resolves. */
  stop(): Promise<void>;
}

export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Whether a cluster answers, and what the adapter's circuit breaker thinks of it. */
export interface ClusterReachability {
  readonly cluster: string;
  readonly reachable: boolean;
  readonly circuit: CircuitState;
  readonly latencyMs: number | null;
  readonly serverVersion: string | null;
  readonly checkedAt: string;
  readonly errorCode: ClusterErrorCode | null;
}

/**
 * Stable codes of cluster failures. The rollout process decides on these: UNREACHABLE
 * and REQUEST_FAILED are worth a later retry, CONFLICT means someone else wrote the
 * object concurrently and retries were exhausted, the others need a human.
 */
export type ClusterErrorCode =
  | 'CLUSTER_UNREACHABLE'
  | 'CLUSTER_CIRCUIT_OPEN'
  | 'CLUSTER_CONFLICT'
  | 'CLUSTER_NOT_FOUND'
  | 'CLUSTER_UNAUTHORIZED'
  | 'CLUSTER_INVALID_REQUEST'
  | 'CLUSTER_INVALID_KUBECONFIG'
  | 'CLUSTER_REQUEST_FAILED';

/**
 * A cluster operation failed. Carries the cluster name and the operation for context;
 * never kubeconfig contents or credentials.
 */
export class ClusterGatewayError extends Error {
  override readonly name = 'ClusterGatewayError';
  constructor(
    readonly code: ClusterErrorCode,
    readonly cluster: string,
    readonly operation: string,
    detail: string,
    readonly httpStatus: number | null = null,
  ) {
    super(`cluster "${cluster}": ${operation} failed (${code}): ${detail}`);
  }

  /** True when trying again later may succeed without anyone changing anything. */
  get transient(): boolean {
    return this.code === 'CLUSTER_UNREACHABLE' || this.code === 'CLUSTER_CIRCUIT_OPEN' || this.code === 'CLUSTER_REQUEST_FAILED';
  }
}

/**
 * The clusters as circle acts on them. Every method is idempotent: calling it twice
 * with the same arguments leaves the cluster as one call did (re-applying an
 * unchanged spec does not bump the Deployment's generation). Failures are thrown as
 * ClusterGatewayError.
 */
export interface ClusterGateway {
  /** Creates the namespace (labelled managed-by circle) unless it exists. */
  ensureNamespace(cluster: ClusterRef, namespace: string): Promise<void>;

  /** Applies the Deployment of one track (server-side apply) and returns its status right after. */
  applyWorkload(cluster: ClusterRef, spec: WorkloadSpec): Promise<WorkloadStatus>;

  /** Applies a Service of one role, selecting `spec.targetTrack` (or all tracks when null). */
  applyService(cluster: ClusterRef, spec: ServiceSpec): Promise<ServiceStatus>;

  /** Reads one track's rollout status; null when the Deployment does not exist. */
  readWorkloadStatus(cluster: ClusterRef, ref: WorkloadRef): Promise<WorkloadStatus | null>;

  /** Sets one track's replica count (re-reading and retrying on a concurrent write). */
  scaleWorkload(cluster: ClusterRef, ref: WorkloadRef, replicas: number): Promise<WorkloadStatus>;

  /** Points an existing Service at another track (blue-green promote, canary abort); `rolloutId` is recorded on it. */
  switchServiceTrack(cluster: ClusterRef, ref: ServiceRef, targetTrack: Track | null, rolloutId: string): Promise<ServiceStatus>;

  /** Deletes one track's Deployment; succeeds when it is already gone. */
  deleteWorkload(cluster: ClusterRef, ref: WorkloadRef): Promise<void>;

  /** Deletes a Service; succeeds when it is already gone. */
  deleteService(cluster: ClusterRef, ref: ServiceRef): Promise<void>;

  /** Lists every Deployment and Service circle manages in the cluster (all namespaces unless filtered). */
  listManagedObjects(cluster: ClusterRef, filter?: ManagedObjectFilter): Promise<ManagedObject[]>;

  /** Streams status changes of circle's Deployments until stopped; reconnects on its own after drops. */
  watchWorkloads(
    cluster: ClusterRef,
    filter: ManagedObjectFilter,
    onEvent: (event: WorkloadWatchEvent) => void,
  ): Promise<WatchSubscription>;

  /**
   * Applies the HTTPRoute `<app>` (server-side apply) attached to `parentRef`, sending
   * `weights.stable` of the traffic to `<app>-stable` and `weights.canary` to
   * `<app>-canary`. All to stable is `{ stable: 100, canary: 0 }`. Needs the Gateway
   * API CRDs on the cluster.
   */
  setTrafficWeights(cluster: ClusterRef, ref: TrafficRouteRef, weights: TrafficWeights, parentRef: GatewayParentRef): Promise<TrafficRouteStatus>;

  /** Deletes the HTTPRoute `<app>`; succeeds when it is already gone (or the cluster has no Gateway API). */
  deleteTrafficRoute(cluster: ClusterRef, ref: { readonly application: string; readonly namespace: string }): Promise<void>;

  /** Checks that the cluster answers (one attempt, bounded by the request timeout); never throws. */
  ping(cluster: ClusterRef): Promise<ClusterReachability>;
}
