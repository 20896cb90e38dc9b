import type pg from 'pg';
import type { ClusterEvent, RolloutEvent, RolloutRequest, StoredEvent } from '#domain';
import type { Projection } from '../projection.js';
import { appliedOnce } from './applied-guard.js';
import { refreshLiveVersion, resetSoak } from './live-versions.js';
import { placementAfterRestore, placementAfterStage, type ClusterNote, type TrackPlacement } from './placement-rules.js';

type Health = 'healthy' | 'progressing' | 'degraded';

interface RolloutRow {
  request: RolloutRequest;
  notes: Record<string, ClusterNote>;
}

interface PlacementRow {
  track: string;
  version: string;
  traffic_percent: string;
  replicas: number;
  rollout_id: string;
}

async function rolloutOf(tx: pg.PoolClient, rolloutId: string): Promise<RolloutRow | undefined> {
  return (await tx.query<RolloutRow>('SELECT request, notes FROM ri_rollouts WHERE id = $1', [rolloutId])).rows[0];
}

async function environmentOf(tx: pg.PoolClient, cluster: string, request: RolloutRequest): Promise<string> {
  const { rows } = await tx.query<{ environment: string }>('SELECT environment FROM ri_clusters WHERE name = $1', [cluster]);
  return rows[0]?.environment ?? request.environment ?? 'unknown';
}

async function setHealth(tx: pg.PoolClient, rollout: RolloutRow | undefined, cluster: string, health: Health): Promise<void> {
  if (!rollout) return;
  await tx.query('UPDATE ri_placements SET health = $3 WHERE application = $1 AND cluster = $2', [rollout.request.application, cluster, health]);
}

/**
 * Replaces the tracks of one application on one cluster: unchanged tracks keep their
 * `since`, changed ones close their history stretch and open a new one.
 */
async function place(
  tx: pg.PoolClient,
  stored: StoredEvent,
  at: string,
  request: RolloutRequest,
  cluster: string,
  next: TrackPlacement[],
): Promise<void> {
  const { application } = request;
  const environment = await environmentOf(tx, cluster, request);
  const current = (
    await tx.query<PlacementRow>('SELECT track, version, traffic_percent, replicas, rollout_id FROM ri_placements WHERE application = $1 AND cluster = $2', [application, cluster])
  ).rows;
  const same = (row: PlacementRow, p: TrackPlacement) =>
    row.version === p.version && Number(row.traffic_percent) === p.trafficPercent && row.replicas === p.replicas;
  for (const row of current) {
    const wanted = next.find((p) => p.track === row.track);
    if (wanted && same(row, wanted)) continue;
    await tx.query(
      `UPDATE ri_placement_history SET valid_to = $4, to_position = $5
       WHERE application = $1 AND cluster = $2 AND track = $3 AND valid_to IS NULL`,
      [application, cluster, row.track, at, stored.globalPosition],
    );
    if (!wanted) await tx.query('DELETE FROM ri_placements WHERE application = $1 AND cluster = $2 AND track = $3', [application, cluster, row.track]);
  }
  for (const p of next) {
    const row = current.find((r) => r.track === p.track);
    if (row && same(row, p)) {
      await tx.query(`UPDATE ri_placements SET health = 'healthy' WHERE application = $1 AND cluster = $2 AND track = $3`, [application, cluster, p.track]);
      continue;
    }
    await tx.query(
      `INSERT INTO ri_placements (application, cluster, track, environment, version, traffic_percent, replicas, health, since, rollout_id, position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'healthy', $8, $9, $10)
       ON CONFLICT (application, cluster, track) DO UPDATE SET environment = $4, version = $5, traffic_percent = $6, replicas = $7,
         health = 'healthy', rollout_id = $9, position = $10,
         since = CASE WHEN ri_placements.version = $5 THEN ri_placements.since ELSE $8 END`,
      [application, cluster, p.track, environment, p.version, p.trafficPercent, p.replicas, at, request.rolloutId, stored.globalPosition],
    );
    await tx.query(
      `INSERT INTO ri_placement_history (application, cluster, track, environment, version, traffic_percent, replicas, rollout_id, valid_from, from_position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
      [application, cluster, p.track, environment, p.version, p.trafficPercent, p.replicas, request.rolloutId, at, stored.globalPosition],
    );
  }
  await refreshLiveVersion(tx, application, environment, at, stored.globalPosition);
}

async function removeCluster(tx: pg.PoolClient, stored: StoredEvent, cluster: string, at: string): Promise<void> {
  const { rows } = await tx.query<{ application: string; environment: string }>(
    'SELECT DISTINCT application, environment FROM ri_placements WHERE cluster = $1',
    [cluster],
  );
  await tx.query('UPDATE ri_placement_history SET valid_to = $2, to_position = $3 WHERE cluster = $1 AND valid_to IS NULL', [cluster, at, stored.globalPosition]);
  await tx.query('DELETE FROM ri_placements WHERE cluster = $1', [cluster]);
  await tx.query('DELETE FROM ri_clusters WHERE name = $1', [cluster]);
  for (const row of rows) await refreshLiveVersion(tx, row.application, row.environment, at, stored.globalPosition);
}

/** Where each application runs, as of now and as of any past moment; live versions and soak clocks follow. */
export const placementsProjection: Projection = appliedOnce({
  name: 'insights.placements',
  eventTypes: [
    'ClusterRegistered', 'ClusterRemoved', 'RolloutRequested', 'ClusterActionApplied', 'ClusterActionStarted',
    'ClusterActionSucceeded', 'ClusterActionFailed', 'ClusterRestoreStarted', 'ClusterRestored', 'ClusterRestoreFailed',
    'RolloutGateFailed', 'RolloutAbortRequested',
  ],
  async apply(stored: StoredEvent, tx: pg.PoolClient): Promise<void> {
    const event = stored as unknown as ClusterEvent | RolloutEvent;
    switch (event.type) {
      case 'ClusterRegistered':
        await tx.query(
          'INSERT INTO ri_clusters (name, environment) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET environment = $2',
          [event.data.name, event.data.environment],
        );
        return;
      case 'ClusterRemoved':
        await removeCluster(tx, stored, event.data.name, event.data.removedAt);
        return;
      case 'RolloutRequested': {
        const { requestedAt, ...request } = event.data;
        await tx.query('INSERT INTO ri_rollouts (id, request) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [request.rolloutId, JSON.stringify(request)]);
        // Asking for a rollback says the live version is bad: its soak starts over.
        if (request.kind === 'rollback' && request.environment) {
          await resetSoak(tx, request.application, request.environment, requestedAt, `rollback ${request.rolloutId} to ${request.version}`, stored.globalPosition);
        }
        return;
      }
      case 'ClusterActionApplied':
        // Blue-green preview notes which colour is new; later stages and restores need it.
        if (Object.keys(event.data.note).length > 0) {
          await tx.query(
            `UPDATE ri_rollouts SET notes = jsonb_set(notes, ARRAY[$2::text], COALESCE(notes -> $2, '{}'::jsonb) || $3::jsonb) WHERE id = $1`,
            [event.data.rolloutId, event.data.cluster, JSON.stringify(event.data.note)],
          );
        }
        return;
      case 'ClusterActionStarted':
      case 'ClusterRestoreStarted':
        await setHealth(tx, await rolloutOf(tx, event.data.rolloutId), event.data.cluster, 'progressing');
        return;
      case 'ClusterActionFailed':
      case 'ClusterRestoreFailed':
        await setHealth(tx, await rolloutOf(tx, event.data.rolloutId), event.data.cluster, 'degraded');
        return;
      case 'ClusterActionSucceeded': {
        const rollout = await rolloutOf(tx, event.data.rolloutId);
        if (!rollout) return;
        const { cluster, wave, stage, at } = event.data;
        const next = placementAfterStage(rollout.request, wave, stage, rollout.notes[cluster] ?? {});
        if (next) await place(tx, stored, at, rollout.request, cluster, next);
        else await setHealth(tx, rollout, cluster, 'healthy');
        return;
      }
      case 'ClusterRestored': {
        const rollout = await rolloutOf(tx, event.data.rolloutId);
        if (!rollout) return;
        const { cluster, at } = event.data;
        await place(tx, stored, at, rollout.request, cluster, placementAfterRestore(rollout.request, rollout.notes[cluster] ?? {}));
        return;
      }
      case 'RolloutGateFailed':
      case 'RolloutAbortRequested': {
        const rollout = await rolloutOf(tx, event.data.rolloutId);
        if (!rollout) return;
        const { request } = rollout;
        const environment = request.environment ?? (await environmentOf(tx, request.waves[0]?.[0] ?? '', request));
        const why = event.type === 'RolloutGateFailed' ? `health gate failed in ${request.rolloutId}` : `rollout ${request.rolloutId} aborted`;
        await resetSoak(tx, request.application, environment, event.data.at, `${why}: ${event.data.reason}`, stored.globalPosition);
        return;
      }
      default:
        return;
    }
  },
});
