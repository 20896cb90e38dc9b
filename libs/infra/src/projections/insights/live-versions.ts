import type pg from 'pg';

export interface LiveBreakdownEntry {
  cluster: string;
  track: string;
  version: string;
  trafficPercent: number;
}

/**
 * Recomputes which version of the application is live in the environment after one of
 * its placements changed, and moves the soak clocks when that changes: a version is
 * live when it serves 100 % of the traffic on every cluster of the environment that
 * runs the application; anything else is "mixed" (version null) with the breakdown.
 */
export async function refreshLiveVersion(tx: pg.PoolClient, application: string, environment: string, at: string, position: number): Promise<void> {
  const { rows } = await tx.query<{ cluster: string; track: string; version: string; traffic_percent: string }>(
    `SELECT cluster, track, version, traffic_percent FROM ri_placements WHERE application = $1 AND environment = $2 ORDER BY cluster, track`,
    [application, environment],
  );
  const previous = (
    await tx.query<{ version: string | null }>('SELECT version FROM ri_live_versions WHERE application = $1 AND environment = $2', [application, environment])
  ).rows[0];
  const clusters = [...new Set(rows.map((r) => r.cluster))];
  const fullyServed = clusters.map((c) => rows.find((r) => r.cluster === c && Number(r.traffic_percent) === 100)?.version ?? null);
  const version = fullyServed.length > 0 && fullyServed.every((v) => v !== null && v === fullyServed[0]) ? fullyServed[0]! : null;
  const breakdown: LiveBreakdownEntry[] = rows
    .filter((r) => Number(r.traffic_percent) > 0)
    .map((r) => ({ cluster: r.cluster, track: r.track, version: r.version, trafficPercent: Number(r.traffic_percent) }));

  if (clusters.length === 0) {
    await tx.query('DELETE FROM ri_live_versions WHERE application = $1 AND environment = $2', [application, environment]);
  } else {
    await tx.query(
      `INSERT INTO ri_live_versions (application, environment, version, breakdown, since, position) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (application, environment) DO UPDATE SET version = $3, breakdown = $4, position = $6,
         since = CASE WHEN ri_live_versions.version IS NOT DISTINCT FROM $3 THEN ri_live_versions.since ELSE $5 END`,
      [application, environment, version, JSON.stringify(breakdown), at, position],
    );
  }

  const before = previous?.version ?? null;
  if (before === version) return;
  // The soak clock counts uninterrupted time live: leaving "live" stops it for good.
  if (before !== null) {
    await tx.query(
      `UPDATE ri_soak SET live_since = NULL, clock_started_at = NULL, position = $4 WHERE application = $1 AND environment = $2 AND version = $3`,
      [application, environment, before, position],
    );
  }
  if (version !== null) {
    await tx.query(
      `INSERT INTO ri_soak (application, environment, version, live_since, clock_started_at, position) VALUES ($1, $2, $3, $4, $4, $5)
       ON CONFLICT (application, environment, version) DO UPDATE SET live_since = $4, clock_started_at = $4, position = $5`,
      [application, environment, version, at, position],
    );
  }
}

/**
 * A rollback, an abort or a failed health check in the environment: whatever is live
 * there starts its soak over, and every version of the application remembers why.
 */
export async function resetSoak(tx: pg.PoolClient, application: string, environment: string, at: string, reason: string, position: number): Promise<void> {
  await tx.query(
    `UPDATE ri_soak SET clock_started_at = CASE WHEN live_since IS NULL THEN NULL ELSE $3::timestamptz END,
       last_reset_at = $3, last_reset_reason = $4, position = $5
     WHERE application = $1 AND environment = $2`,
    [application, environment, at, reason, position],
  );
}
