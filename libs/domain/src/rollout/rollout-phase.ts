/**
 * AwaitingApproval → Progressing ⇄ Paused → Succeeded
 *                        │            │
 *                        └── Aborting ┘ (abort or failed gate: clusters go back)
 *                               ├→ Aborted (a person or a superseding rollout asked)
 *                               └→ Failed  (a health gate failed)
 */
export type RolloutPhase = 'AwaitingApproval' | 'Progressing' | 'Paused' | 'Aborting' | 'Succeeded' | 'Aborted' | 'Failed';

export const FINAL_PHASES: readonly RolloutPhase[] = ['Succeeded', 'Aborted', 'Failed'];
