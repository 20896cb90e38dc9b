import type pg from 'pg';
import type { RolloutRequest, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';
import { auditEntry, COMMAND_EVENT_TYPES, OUTCOME_EVENT_TYPES, type RolloutScope } from './audit-entry.js';

/**
 * The audit trail: one row per command-caused event and per rollout outcome, keyed by
 * log position (so a replay writes nothing new). Rows are only ever inserted; no route
 * changes them, and the log they come from refuses UPDATE and DELETE.
 */
export const auditProjection: Projection = {
  name: 'insights.audit',
  eventTypes: [...COMMAND_EVENT_TYPES, ...OUTCOME_EVENT_TYPES],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    let scope: RolloutScope | null = null;
    if (stored.type === 'RolloutRequested') {
      const request = stored.data as RolloutRequest;
      scope = { application: request.application, environment: request.environment, clusters: request.waves.flat() };
    } else if (stored.type.startsWith('Rollout')) {
      // The request's row, written by this projection earlier in the log, says where the rollout ran.
      const { rows } = await tx.query<{ application: string; environment: string | null; clusters: string[] }>(
        `SELECT application, environment, clusters FROM ri_audit WHERE target = $1 AND action = 'RolloutRequested' LIMIT 1`,
        [`rollout/${String((stored.data as { rolloutId: string }).rolloutId)}`],
      );
      scope = rows[0] ?? null;
    }
    const entry = auditEntry(stored, scope);
    const m = stored.metadata;
    await tx.query(
      `INSERT INTO ri_audit (position, event_id, at, actor, source, correlation_id, causation_id, action, outcome,
         application, clusters, environment, target, reason, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (position) DO NOTHING`,
      [
        stored.globalPosition, stored.eventId, stored.recordedAt, m.actor, m.source, m.correlationId, m.causationId ?? null,
        entry.action, entry.outcome, entry.application, entry.clusters, entry.environment, entry.target, entry.reason,
        JSON.stringify(stored.data),
      ],
    );
  },
};
