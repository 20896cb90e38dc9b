import type { WavePlan } from './wave-plan.js';

export interface PromotionPolicy {
  /** How long a version must have served all traffic, healthy, in the previous stage. */
  requiredSoakSeconds: number;
  /** Approvals from release managers other than the requester before a rollout here starts. */
  requiredApprovals: number;
  /** Clusters of this environment that rollouts target by default (all when empty). */
  clusterSelector: Record<string, string>;
  wavePlan: WavePlan;
}

export interface EnvironmentDefinition {
  name: string;
  /** Position in the promotion order: dev (1) → staging (2) → prod (3). */
  rank: number;
  description: string;
  policy: PromotionPolicy;
}

export type EnvironmentCommand =
  | { type: 'DefineEnvironment'; data: EnvironmentDefinition & { now: Date } }
  | { type: 'UpdateEnvironment'; data: Partial<Omit<EnvironmentDefinition, 'name'>> & { name: string; now: Date } };
