import type pg from 'pg';
import type { RolloutEvent, RolloutRequest, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';
import { evolveView, initialView, type RolloutView } from './rollout-view.js';

interface Row {
  request: RolloutRequest;
  phase: string;
  message: string;
  approvers: string[];
  updated_at: Date;
  ended_at: Date | null;
  current_wave: number;
  current_step: string | null;
  clusters: RolloutView['clusters'];
}

export const rolloutsProjection: Projection = {
  name: 'catalog.rollouts',
  eventTypes: [
    'RolloutRequested', 'RolloutApprovalGiven', 'RolloutApproved', 'RolloutPaused', 'RolloutResumed', 'RolloutPromoted',
    'RolloutAbortRequested', 'RolloutGateFailed', 'RolloutSucceeded', 'RolloutAborted', 'RolloutFailed',
    'RolloutStageStarted', 'ClusterActionStarted', 'ClusterActionSucceeded', 'ClusterActionFailed', 'AnalysisMeasured',
    'ClusterRestoreStarted', 'ClusterRestored', 'ClusterRestoreFailed',
  ],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    const event = stored as unknown as RolloutEvent;
    if (event.type === 'RolloutRequested') {
      const { requestedAt, ...request } = event.data;
      const view = initialView(request, requestedAt);
      await tx.query(
        `INSERT INTO rm_rollouts (id, application, kind, version, from_version, environment, phase, strategy, waves,
           skipped_clusters, required_approvals, requested_by, reason, message, requested_at, updated_at, position,
           request, current_wave, current_step, clusters)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, 0, NULL, $18)
         ON CONFLICT (id) DO NOTHING`,
        [
          request.rolloutId, request.application, request.kind, request.version, request.currentVersion, request.environment,
          view.phase, JSON.stringify(request.strategy), JSON.stringify(request.waves), JSON.stringify(request.skippedClusters),
          request.requiredApprovals, request.requestedBy, request.reason, view.message, requestedAt, stored.globalPosition,
          JSON.stringify(request), JSON.stringify(view.clusters),
        ],
      );
      return;
    }
    const { rows } = await tx.query<Row>(
      `SELECT request, phase, message, approvers, updated_at, ended_at, current_wave, current_step, clusters
       FROM rm_rollouts WHERE id = $1 FOR UPDATE`,
      [event.data.rolloutId],
    );
    const row = rows[0];
    if (!row) return;
    const view = evolveView(
      {
        phase: row.phase,
        message: row.message,
        approvers: row.approvers,
        updatedAt: row.updated_at.toISOString(),
        endedAt: row.ended_at?.toISOString() ?? null,
        currentWave: row.current_wave,
        currentStep: row.current_step,
        clusters: row.clusters,
      },
      row.request,
      event,
    );
    await tx.query(
      `UPDATE rm_rollouts SET phase = $2, message = $3, approvers = $4, updated_at = $5, ended_at = $6,
         current_wave = $7, current_step = $8, clusters = $9 WHERE id = $1`,
      [
        event.data.rolloutId, view.phase, view.message, JSON.stringify(view.approvers), view.updatedAt, view.endedAt,
        view.currentWave, view.currentStep, JSON.stringify(view.clusters),
      ],
    );
  },
};
