import type pg from 'pg';
import type { StoredEvent } from '#domain';
import type { Projection } from '../projection.js';

/**
 * Wraps a projection so each event is applied at most once, even when the checkpoint is
 * moved back (a rebuild of another projection, a restored backup): the highest applied
 * position sits in ri_applied, written in the same transaction as the rows. Needed here
 * because placement history and soak clocks append and close rows — replaying "canary
 * 20 %" over a later "finalize" would otherwise reopen a stretch of history.
 */
export function appliedOnce(projection: Projection): Projection {
  return {
    name: projection.name,
    eventTypes: projection.eventTypes,
    async apply(event: StoredEvent, tx: pg.PoolClient): Promise<void> {
      const { rows } = await tx.query<{ position: string }>('SELECT position FROM ri_applied WHERE name = $1 FOR UPDATE', [projection.name]);
      if (rows[0] && Number(rows[0].position) >= event.globalPosition) return;
      await projection.apply(event, tx);
      await tx.query(
        `INSERT INTO ri_applied (name, position) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position`,
        [projection.name, event.globalPosition],
      );
    },
  };
}
