/** Where a Deployment's rollout stands, judged the way `kubectl rollout status` does. */
export type WorkloadProgress = 'progressing' | 'complete' | 'failed';

/** The Deployment fields the verdict depends on (a subset of the port's WorkloadStatus). */
export interface WorkloadProgressInput {
  readonly generation: number;
  readonly observedGeneration: number;
  readonly desiredReplicas: number;
  readonly replicas: number;
  readonly updatedReplicas: number;
  readonly availableReplicas: number;
  readonly conditions: readonly { readonly type: string; readonly status: string; readonly reason?: string }[];
}

/**
 * Complete means: the controller has seen the latest spec (observedGeneration ≥
 * generation), every desired replica runs the new template (updated = desired), no
 * old pod is left (replicas = updated) and all of them are available. Failed means
 * the controller gave up: condition Progressing=False with reason
 * ProgressDeadlineExceeded. Anything else is still progressing.
 *
 * Example: desired 4, replicas 5, updated 4, available 4 — one old pod is still
 * terminating, so the rollout is progressing, not complete.
 */
export function workloadProgress(status: WorkloadProgressInput): WorkloadProgress {
  const progressing = status.conditions.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') return 'failed';
  if (status.observedGeneration < status.generation) return 'progressing';
  if (status.updatedReplicas < status.desiredReplicas) return 'progressing';
  if (status.replicas > status.updatedReplicas) return 'progressing';
  if (status.availableReplicas < status.updatedReplicas) return 'progressing';
  return 'complete';
}
