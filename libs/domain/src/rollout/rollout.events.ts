import type { RolloutRequest } from './rollout.commands.js';

export type RolloutEvent =
  | { type: 'RolloutRequested'; data: RolloutRequest & { requestedAt: string } }
  | { type: 'RolloutApprovalGiven'; data: { rolloutId: string; actor: string; comment: string | null; at: string } }
  | { type: 'RolloutApproved'; data: { rolloutId: string; approvers: string[]; at: string } }
  | { type: 'RolloutPaused'; data: { rolloutId: string; actor: string; reason: string | null; at: string } }
  | { type: 'RolloutResumed'; data: { rolloutId: string; actor: string; at: string } }
  | { type: 'RolloutPromoted'; data: { rolloutId: string; actor: string; full: boolean; at: string } }
  | {
      type: 'RolloutAbortRequested';
      data: { rolloutId: string; actor: string; reason: string; supersededBy: string | null; at: string };
    }
  | { type: 'RolloutGateFailed'; data: { rolloutId: string; reason: string; cluster: string | null; at: string } }
  | { type: 'RolloutSucceeded'; data: { rolloutId: string; at: string } }
  | { type: 'RolloutAborted'; data: { rolloutId: string; reason: string; at: string } }
  | { type: 'RolloutFailed'; data: { rolloutId: string; reason: string; at: string } }
  // What the engine did, step by step; `wave` and `stage` index the program of
  // engine/rollout-program.ts, so a worker that takes over knows exactly where to go on.
  | { type: 'RolloutStageStarted'; data: StageRef & { until: string | null; at: string } }
  | { type: 'ClusterActionStarted'; data: StageRef & { cluster: string; deadline: string; at: string } }
  | { type: 'ClusterActionApplied'; data: StageRef & { cluster: string; note: Record<string, string>; at: string } }
  | { type: 'ClusterActionSucceeded'; data: StageRef & { cluster: string; at: string } }
  | { type: 'ClusterActionFailed'; data: StageRef & { cluster: string; reason: string; at: string } }
  | {
      type: 'AnalysisMeasured';
      data: StageRef & { check: string; outcome: MeasurementOutcome; detail: string; at: string };
    }
  | { type: 'RolloutStageCompleted'; data: StageRef & { how: StageCompletion; at: string } }
  | { type: 'ClusterRestoreStarted'; data: { rolloutId: string; cluster: string; deadline: string; at: string } }
  | { type: 'ClusterRestoreApplied'; data: { rolloutId: string; cluster: string; at: string } }
  | { type: 'ClusterRestored'; data: { rolloutId: string; cluster: string; at: string } }
  | { type: 'ClusterRestoreFailed'; data: { rolloutId: string; cluster: string; reason: string; at: string } };

export interface StageRef {
  rolloutId: string;
  wave: number;
  stage: number;
}

/** pass: 200-202; fail: any other answer; error: no answer (refused, timed out). */
export type MeasurementOutcome = 'pass' | 'fail' | 'error';

/** done: its work finished; elapsed: its time ran out; promoted/skipped: a person moved on. */
export type StageCompletion = 'done' | 'elapsed' | 'promoted' | 'skipped';

export const rolloutStreamId = (rolloutId: string): string => `rollout-${rolloutId}`;
