import type pg from 'pg';
import type { RolloutEvent, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';

type Patch = { phase?: string; message: string; ended?: boolean; approver?: string };

/** What a person reading `GET /v1/rollouts/{id}` is told about the latest change. */
function describe(event: RolloutEvent): Patch | null {
  switch (event.type) {
    case 'RolloutRequested': {
      const n = event.data.requiredApprovals;
      return n > 0
        ? { phase: 'AwaitingApproval', message: `waiting for ${n} approval${n === 1 ? '' : 's'}` }
        : { phase: 'Progressing', message: 'rollout requested' };
    }
    case 'RolloutApprovalGiven':
      return { message: `approved by ${event.data.actor}`, approver: event.data.actor };
    case 'RolloutApproved':
      return { phase: 'Progressing', message: `approved by ${event.data.approvers.join(', ')}` };
    case 'RolloutPaused':
      return { phase: 'Paused', message: `paused by ${event.data.actor}${event.data.reason ? `: ${event.data.reason}` : ''}` };
    case 'RolloutResumed':
      return { phase: 'Progressing', message: `resumed by ${event.data.actor}` };
    case 'RolloutPromoted':
      return { phase: 'Progressing', message: `${event.data.full ? 'fully promoted' : 'promoted'} by ${event.data.actor}` };
    case 'RolloutAbortRequested':
      return { phase: 'Aborting', message: `aborting: ${event.data.reason}` };
    case 'RolloutGateFailed':
      return { phase: 'Aborting', message: `health gate failed${event.data.cluster ? ` on ${event.data.cluster}` : ''}: ${event.data.reason}` };
    case 'RolloutSucceeded':
      return { phase: 'Succeeded', message: 'rollout succeeded', ended: true };
    case 'RolloutAborted':
      return { phase: 'Aborted', message: `aborted: ${event.data.reason}`, ended: true };
    case 'RolloutFailed':
      return { phase: 'Failed', message: `failed and rolled back: ${event.data.reason}`, ended: true };
    default:
      return null;
  }
}

export const rolloutsProjection: Projection = {
  name: 'catalog.rollouts',
  eventTypes: [
    'RolloutRequested',
    'RolloutApprovalGiven',
    'RolloutApproved',
    'RolloutPaused',
    'RolloutResumed',
    'RolloutPromoted',
    'RolloutAbortRequested',
    'RolloutGateFailed',
    'RolloutSucceeded',
    'RolloutAborted',
    'RolloutFailed',
  ],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    const event = stored as unknown as RolloutEvent;
    const at = event.type === 'RolloutRequested' ? event.data.requestedAt : event.data.at;
    if (event.type === 'RolloutRequested') {
      const d = event.data;
      const patch = describe(event)!;
      await tx.query(
        `INSERT INTO rm_rollouts (id, application, kind, version, from_version, environment, phase, strategy, waves,
           skipped_clusters, required_approvals, requested_by, reason, message, requested_at, updated_at, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)
         ON CONFLICT (id) DO NOTHING`,
        [
          d.rolloutId, d.application, d.kind, d.version, d.currentVersion, d.environment, patch.phase,
          JSON.stringify(d.strategy), JSON.stringify(d.waves), JSON.stringify(d.skippedClusters),
          d.requiredApprovals, d.requestedBy, d.reason, patch.message, at, stored.globalPosition,
        ],
      );
      return;
    }
    const patch = describe(event);
    if (!patch) return;
    await tx.query(
      `UPDATE rm_rollouts SET
         phase = coalesce($2, phase),
         message = $3,
         updated_at = $4,
         ended_at = CASE WHEN $5 THEN $4::timestamptz ELSE ended_at END,
         approvers = CASE WHEN $6::text IS NOT NULL AND NOT approvers ? $6::text THEN approvers || to_jsonb($6::text) ELSE approvers END
       WHERE id = $1`,
      [event.data.rolloutId, patch.phase ?? null, patch.message, at, patch.ended === true, patch.approver ?? null],
    );
  },
};
