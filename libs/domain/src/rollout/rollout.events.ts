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
  | { type: 'RolloutFailed'; data: { rolloutId: string; reason: string; at: string } };

export const rolloutStreamId = (rolloutId: string): string => `rollout-${rolloutId}`;
