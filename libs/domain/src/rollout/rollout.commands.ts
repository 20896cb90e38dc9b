import type { Strategy } from './strategy.js';

export type RolloutKind = 'deploy' | 'upgrade' | 'rollback';

export interface RolloutRequest {
  rolloutId: string;
  kind: RolloutKind;
  application: string;
  version: string;
  /** The version live on the targets when the rollout was asked for; null for a first deploy. */
  currentVersion: string | null;
  environment: string | null;
  strategy: Strategy;
  /** Targets in rollout order, already split into waves by the environment's plan. */
  waves: string[][];
  /** Cordoned clusters the selector matched but the rollout leaves alone. */
  skippedClusters: string[];
  maxParallel: number;
  bakeSeconds: number;
  onFailure: 'rollback' | 'pause';
  requiredApprovals: number;
  requestedBy: string;
  reason: string | null;
  /**
   * Set when a release manager let the rollout past a promotion gate it did not meet
   * (say, too little soak in the previous environment): who, why, and what was missing.
   */
  promotionOverride?: { by: string; reason: string; missing: string };
}

export type RolloutCommand =
  | { type: 'RequestRollout'; data: RolloutRequest & { now: Date } }
  | { type: 'ApproveRollout'; data: { rolloutId: string; actor: string; comment: string | null; now: Date } }
  | { type: 'PauseRollout'; data: { rolloutId: string; actor: string; reason: string | null; now: Date } }
  | { type: 'ResumeRollout'; data: { rolloutId: string; actor: string; now: Date } }
  | { type: 'PromoteRollout'; data: { rolloutId: string; actor: string; full: boolean; now: Date } }
  | {
      type: 'AbortRollout';
      data: { rolloutId: string; actor: string; reason: string; supersededBy: string | null; now: Date };
    }
  /** From the engine: a health gate or analysis failed; roll back automatically. */
  | { type: 'FailRollout'; data: { rolloutId: string; reason: string; cluster: string | null; now: Date } }
  /** From the engine: every wave is done. */
  | { type: 'CompleteRollout'; data: { rolloutId: string; now: Date } }
  /** From the engine: an abort or failure finished returning clusters to the old version. */
  | { type: 'FinishRollback'; data: { rolloutId: string; now: Date } }
  | EngineCommand;

/** What the engine reports as it works; stale reports (for a stage already left) change nothing. */
export type EngineCommand =
  | { type: 'StartStage'; data: StageAt & { until: Date | null } }
  | { type: 'StartClusterAction'; data: StageAt & { cluster: string; deadline: Date } }
  | { type: 'RecordClusterApplied'; data: StageAt & { cluster: string; note: Record<string, string> } }
  | { type: 'RecordClusterReady'; data: StageAt & { cluster: string } }
  | { type: 'RecordClusterFailure'; data: StageAt & { cluster: string; reason: string } }
  | { type: 'RecordMeasurement'; data: StageAt & { outcome: 'pass' | 'fail' | 'error'; detail: string } }
  | { type: 'CompleteStage'; data: StageAt & { how: 'done' | 'elapsed' | 'promoted' | 'skipped' } }
  | { type: 'StartClusterRestore'; data: { rolloutId: string; cluster: string; deadline: Date; now: Date } }
  | { type: 'RecordRestoreApplied'; data: { rolloutId: string; cluster: string; now: Date } }
  | { type: 'RecordClusterRestored'; data: { rolloutId: string; cluster: string; now: Date } }
  | { type: 'RecordRestoreFailure'; data: { rolloutId: string; cluster: string; reason: string; now: Date } };

export interface StageAt {
  rolloutId: string;
  wave: number;
  stage: number;
  now: Date;
}
