/**
 * What can go wrong with the pods of an image. Faults are matched on the image of
 * a pod when the simulated controller creates it, so a release is "bad" from its
 * first pod on, on every cluster or just the ones named.
 */
export type PodFault =
  /** Pods start but never pass readiness: the rollout stalls, then exceeds its progress deadline. */
  | { readonly kind: 'never-ready' }
  /** Pods become ready, then crash `afterMs` later and never recover (CrashLoopBackOff). */
  | { readonly kind: 'crash'; readonly afterMs: number }
  /** Pods take `readyAfterMs` instead of the cluster's msPerReplica to become ready. */
  | { readonly kind: 'slow-start'; readonly readyAfterMs: number };

export interface ImageFaultRule {
  readonly id: number;
  /** Exact image (`registry/app:1.2.3`), `*`-glob (`registry/app:2.*`) or RegExp. */
  readonly image: string | RegExp;
  readonly fault: PodFault;
  /** Cluster names the rule is limited to; undefined means every cluster of the fleet. */
  readonly clusters?: readonly string[];
}

export function imageMatches(pattern: string | RegExp, image: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(image);
  if (!pattern.includes('*')) return pattern === image;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(image);
}

export function findPodFault(rules: readonly ImageFaultRule[], cluster: string, image: string): PodFault | undefined {
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if ((!r.clusters || r.clusters.includes(cluster)) && imageMatches(r.image, image)) return r.fault;
  }
  return undefined;
}
