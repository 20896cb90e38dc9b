import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { CIRCLE_ANNOTATIONS, CIRCLE_LABELS } from '#domain/cluster-objects/cluster-labels.js';
import {
  baseLabels,
  isServiceRole,
  isTrack,
  podSelector,
  serviceName,
  serviceSelector,
  toLabelValue,
  workloadName,
  type Track,
} from '#domain/cluster-objects/cluster-object-names.js';
import { workloadProgress } from '#domain/cluster-objects/workload-progress.js';
import type { CircleMarks, ServiceSpec, ServiceStatus, WorkloadCondition, WorkloadSpec, WorkloadStatus } from '#domain/ports/cluster-gateway.port.js';

/**
 * The apply configuration of one track's Deployment. Everything circle cares about
 * is in it, so applying it with server-side apply is idempotent: the same spec twice
 * changes nothing and does not bump generation.
 *
 * Rollout id and revision sit in the Deployment's metadata only: putting them in the
 * pod template would restart every pod when a new rollout re-applies the same image.
 * The version does go into the pod template (as a label), since a new version is a
 * new template anyway.
 */
export function deploymentManifest(spec: WorkloadSpec): Record<string, unknown> {
  const selector = podSelector(spec.application, spec.track);
  const versionLabel = toLabelValue(spec.version);
  const env = Object.entries(spec.env ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  const container: Record<string, unknown> = {
    name: spec.application,
    image: spec.image,
    ports: spec.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })),
  };
  if (env.length) container['env'] = env;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: workloadName(spec.application, spec.track),
      namespace: spec.namespace,
      labels: {
        ...baseLabels(spec.application),
        [CIRCLE_LABELS.track]: spec.track,
        [CIRCLE_LABELS.version]: versionLabel,
        [CIRCLE_LABELS.rolloutId]: toLabelValue(spec.rolloutId),
      },
      annotations: {
        [CIRCLE_ANNOTATIONS.application]: spec.application,
        [CIRCLE_ANNOTATIONS.track]: spec.track,
        [CIRCLE_ANNOTATIONS.version]: spec.version,
        [CIRCLE_ANNOTATIONS.rolloutId]: spec.rolloutId,
        [CIRCLE_ANNOTATIONS.revision]: String(spec.revision),
      },
    },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: selector },
      ...(spec.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: spec.progressDeadlineSeconds } : {}),
      template: {
        metadata: {
          labels: { ...baseLabels(spec.application), ...selector, [CIRCLE_LABELS.version]: versionLabel },
          annotations: { [CIRCLE_ANNOTATIONS.version]: spec.version },
        },
        spec: { containers: [container] },
      },
    },
  };
}

/** The apply configuration of a Service of one role. */
export function serviceManifest(spec: ServiceSpec): Record<string, unknown> {
  const annotations: Record<string, string> = {
    [CIRCLE_ANNOTATIONS.application]: spec.application,
    [CIRCLE_ANNOTATIONS.rolloutId]: spec.rolloutId,
    [CIRCLE_ANNOTATIONS.track]: spec.targetTrack ?? '',
  };
  if (spec.version !== undefined) annotations[CIRCLE_ANNOTATIONS.version] = spec.version;
  if (spec.revision !== undefined) annotations[CIRCLE_ANNOTATIONS.revision] = String(spec.revision);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: serviceName(spec.application, spec.role),
      namespace: spec.namespace,
      labels: { ...baseLabels(spec.application), [CIRCLE_LABELS.serviceRole]: spec.role },
      annotations,
    },
    spec: {
      type: 'ClusterIP',
      selector: serviceSelector(spec.application, spec.targetTrack),
      ports: spec.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort, protocol: p.protocol ?? 'TCP' })),
    },
  };
}

function marks(labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined, fallbackTrack: Track | null): CircleMarks {
  const a = annotations ?? {};
  const l = labels ?? {};
  const track = a[CIRCLE_ANNOTATIONS.track] ?? l[CIRCLE_LABELS.track];
  const revision = a[CIRCLE_ANNOTATIONS.revision];
  return {
    application: a[CIRCLE_ANNOTATIONS.application] ?? l[CIRCLE_LABELS.application] ?? '',
    track: isTrack(track) ? track : fallbackTrack,
    version: a[CIRCLE_ANNOTATIONS.version] ?? l[CIRCLE_LABELS.version] ?? null,
    rolloutId: a[CIRCLE_ANNOTATIONS.rolloutId] ?? null,
    revision: revision !== undefined && /^\d+$/.test(revision) ? Number(revision) : null,
  };
}

function isoTime(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : undefined;
}

/** Reads a Deployment (as client-node returns it) into the port's WorkloadStatus. */
export function toWorkloadStatus(cluster: string, d: V1Deployment): WorkloadStatus {
  const status = d.status ?? {};
  const conditions: WorkloadCondition[] = (status.conditions ?? []).map((c) => {
    const out: { -readonly [K in keyof WorkloadCondition]: WorkloadCondition[K] } = {
      type: c.type,
      status: c.status === 'True' || c.status === 'False' ? c.status : 'Unknown',
    };
    if (c.reason) out.reason = c.reason;
    if (c.message) out.message = c.message;
    const updated = isoTime(c.lastUpdateTime);
    if (updated) out.lastUpdateTime = updated;
    return out;
  });
  const counts = {
    generation: d.metadata?.generation ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    desiredReplicas: d.spec?.replicas ?? 1,
    replicas: status.replicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
    conditions,
  };
  return {
    cluster,
    namespace: d.metadata?.namespace ?? '',
    name: d.metadata?.name ?? '',
    ...marks(d.metadata?.labels, d.metadata?.annotations, null),
    image: d.spec?.template?.spec?.containers?.[0]?.image ?? null,
    ...counts,
    progress: workloadProgress(counts),
    resourceVersion: d.metadata?.resourceVersion ?? '',
  };
}

/** Reads a Service into the port's ServiceStatus; the target track comes from the live selector. */
export function toServiceStatus(cluster: string, s: V1Service): ServiceStatus {
  const selector = s.spec?.selector ?? {};
  const m = marks(s.metadata?.labels, s.metadata?.annotations, null);
  const selected = selector[CIRCLE_LABELS.track];
  const role = s.metadata?.labels?.[CIRCLE_LABELS.serviceRole];
  return {
    cluster,
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    ...m,
    // The selector is the truth about where traffic goes; the annotation only says what circle meant.
    track: isTrack(selected) ? selected : null,
    role: isServiceRole(role) ? role : null,
    selector: { ...selector },
    targetTrack: isTrack(selected) ? selected : null,
    resourceVersion: s.metadata?.resourceVersion ?? '',
  };
}
