import type pg from 'pg';

/** Durable wake-up times per rollout; see migrations/1763800000000-rollout-engine.ts. */
export class RolloutTimers {
  /** `claimMs`: how long a claimed timer stays claimed; a worker that dies holding it loses it after this. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly claimMs = 30_000,
  ) {}

  /** Sets the rollout's next wake-up, replacing any later one (an earlier one wins). */
  async wakeAt(rolloutId: string, at: Date): Promise<void> {
    await this.pool.query(
      `INSERT INTO rollout_timers (rollout_id, fire_at) VALUES ($1, $2)
       ON CONFLICT (rollout_id) DO UPDATE SET fire_at = EXCLUDED.fire_at, updated_at = now()`,
      [rolloutId, at],
    );
  }

  async clear(rolloutId: string): Promise<void> {
    await this.pool.query('DELETE FROM rollout_timers WHERE rollout_id = $1', [rolloutId]);
  }

  /**
   * Claims due timers by pushing them a lease into the future, so that two workers do not
   * fire the same one and a worker that dies mid-way leaves it to fire again.
   */
  async claimDue(now: Date, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ rollout_id: string }>(
      `UPDATE rollout_timers SET fire_at = $2, updated_at = now()
       WHERE rollout_id IN (SELECT rollout_id FROM rollout_timers WHERE fire_at <= $1 ORDER BY fire_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING rollout_id`,
      [now, new Date(now.getTime() + this.claimMs), limit],
    );
    return rows.map((r) => r.rollout_id);
  }
}
