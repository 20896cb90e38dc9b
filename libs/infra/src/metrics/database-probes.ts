import type pg from 'pg';
import type { RolloutPhase } from '#domain';
import type { CircleMetrics } from './circle-metrics.js';

const PHASES: readonly RolloutPhase[] = ['AwaitingApproval', 'Progressing', 'Paused', 'Aborting', 'Succeeded', 'Aborted', 'Failed'];

/**
 * Registers the gauges whose truth is in the database: rollouts by phase, dead letters
 * waiting, projection lag. A worker registers them (it is the process that moves
 * them); every phase and every known group is always reported, with 0 when empty, so
 * an alert on `> 0` has a series to look at from the start. Returns the unregister function.
 */
export function watchDatabase(metrics: CircleMetrics, pool: pg.Pool, options: { groups: readonly string[]; projections: readonly string[] }): () => void {
  const removers = [
    metrics.rollouts.addProbe(async () => {
      const { rows } = await pool.query<{ phase: string; count: string }>('SELECT phase, count(*) AS count FROM rm_rollouts GROUP BY phase');
      const counts = new Map<string, number>(PHASES.map((p) => [p, 0]));
      for (const row of rows) counts.set(row.phase, Number(row.count));
      return [...counts].map(([phase, value]) => ({ labels: { phase }, value }));
    }),
    metrics.deadLetters.addProbe(async () => {
      const { rows } = await pool.query<{ handler: string; count: string }>(
        'SELECT handler, count(*) AS count FROM dead_letters WHERE replayed_at IS NULL GROUP BY handler',
      );
      const counts = new Map<string, number>(options.groups.map((g) => [g, 0]));
      for (const row of rows) counts.set(row.handler, Number(row.count));
      return [...counts].map(([group, value]) => ({ labels: { group }, value }));
    }),
  ];
  const projectionLag = async () => {
    const { rows } = await pool.query<{ name: string; behind: string; age: string | null }>(
      `SELECT p.name,
              greatest(0, coalesce((SELECT max(global_position) FROM events), 0) - coalesce(c.position, 0)) AS behind,
              extract(epoch FROM now() - (SELECT e.recorded_at FROM events e WHERE e.global_position > coalesce(c.position, 0)
                                          ORDER BY e.global_position LIMIT 1)) AS age
       FROM unnest($1::text[]) AS p(name) LEFT JOIN projection_checkpoints c ON c.name = p.name`,
      [options.projections],
    );
    return rows.map((r) => ({ name: r.name, behind: Number(r.behind), ageSeconds: Math.max(0, Number(r.age ?? 0)) }));
  };
  removers.push(
    metrics.projectionLag.addProbe(async () => (await projectionLag()).map((r) => ({ labels: { projection: r.name }, value: r.behind }))),
    metrics.projectionLagSeconds.addProbe(async () => (await projectionLag()).map((r) => ({ labels: { projection: r.name }, value: r.ageSeconds }))),
  );
  return () => removers.forEach((remove) => remove());
}
