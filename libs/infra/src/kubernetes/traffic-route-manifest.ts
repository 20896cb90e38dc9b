import { CIRCLE_ANNOTATIONS, CIRCLE_LABELS } from '#domain/cluster-objects/cluster-labels.js';
import { baseLabels, serviceName, toLabelValue } from '#domain/cluster-objects/cluster-object-names.js';
import type { GatewayParentRef, TrafficRouteRef, TrafficRouteStatus, TrafficWeights } from '#domain/ports/cluster-gateway.port.js';

/** Where HTTPRoutes live in the API (the Gateway API's v1 CRD). */
export const HTTP_ROUTE = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' } as const;

/**
 * The HTTPRoute of an application carries its bare name, like the `main` Service:
 * one route per application, whatever the rollout.
 */
export function httpRouteName(application: string): string {
  return application;
}

/**
 * The apply configuration of an application's HTTPRoute: one rule whose two
 * backendRefs (the `stable` and `canary` Services) split traffic by weight. Both
 * backends are always listed, a weight of 0 included, so every apply names the same
 * fields and server-side apply never leaves a dropped backend behind.
 */
export function httpRouteManifest(ref: TrafficRouteRef, weights: TrafficWeights, parentRef: GatewayParentRef): Record<string, unknown> {
  const backend = (role: 'stable' | 'canary', weight: number) => ({ kind: 'Service', name: serviceName(ref.application, role), port: ref.servicePort, weight });
  return {
    apiVersion: `${HTTP_ROUTE.group}/${HTTP_ROUTE.version}`,
    kind: 'HTTPRoute',
    metadata: {
      name: httpRouteName(ref.application),
      namespace: ref.namespace,
      labels: { ...baseLabels(ref.application), [CIRCLE_LABELS.rolloutId]: toLabelValue(ref.rolloutId) },
      annotations: { [CIRCLE_ANNOTATIONS.application]: ref.application, [CIRCLE_ANNOTATIONS.rolloutId]: ref.rolloutId },
    },
    spec: {
      parentRefs: [{ name: parentRef.name, ...(parentRef.namespace ? { namespace: parentRef.namespace } : {}) }],
      rules: [{ backendRefs: [backend('stable', weights.stable), backend('canary', weights.canary)] }],
    },
  };
}

interface HttpRouteObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: {
    parentRefs?: { name?: string; namespace?: string }[];
    rules?: { backendRefs?: { name?: string; weight?: number }[] }[];
  };
}

/**
 * Reads an HTTPRoute back: the weights are summed per Service over all rules, as
 * found on the cluster (an absent weight is the Gateway API default of 1).
 */
export function toTrafficRouteStatus(cluster: string, application: string, raw: unknown): TrafficRouteStatus {
  const route = (raw ?? {}) as HttpRouteObject;
  const weight = (role: 'stable' | 'canary') =>
    (route.spec?.rules ?? [])
      .flatMap((r) => r.backendRefs ?? [])
      .filter((b) => b.name === serviceName(application, role))
      .reduce((sum, b) => sum + (b.weight ?? 1), 0);
  const parent = route.spec?.parentRefs?.[0];
  return {
    cluster,
    namespace: route.metadata?.namespace ?? '',
    name: route.metadata?.name ?? '',
    weights: { stable: weight('stable'), canary: weight('canary') },
    parentRef: parent?.name ? { name: parent.name, ...(parent.namespace ? { namespace: parent.namespace } : {}) } : null,
    rolloutId: route.metadata?.annotations?.[CIRCLE_ANNOTATIONS.rolloutId] ?? null,
    resourceVersion: route.metadata?.resourceVersion ?? '',
  };
}
