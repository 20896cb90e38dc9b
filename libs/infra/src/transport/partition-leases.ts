import type pg from 'pg';

/**
 * Lease bookkeeping for one consumer group on the Postgres log. Every time check uses the
 * database clock (now()), so workers with skewed clocks still agree on who holds what.
 */
export class PartitionLeases {
  constructor(
    private readonly pool: pg.Pool,
    private readonly group: string,
    private readonly partitions: number,
    private readonly member: string,
    private readonly leaseMs: number,
  ) {}

  /** Creates the group's lease and checkpoint rows (a new group starts at the beginning of the log). */
  async ensureGroup(): Promise<void> {
    await this.pool.query(
      `INSERT INTO transport_leases (group_name, partition) SELECT $1, g FROM generate_series(0, $2 - 1) g ON CONFLICT DO NOTHING`,
      [this.group, this.partitions],
    );
    await this.pool.query(
      `INSERT INTO transport_checkpoints (group_name, partition) SELECT $1, g FROM generate_series(0, $2 - 1) g ON CONFLICT DO NOTHING`,
      [this.group, this.partitions],
    );
  }

  /**
   * Announces this member as alive and returns how many partitions it should hold: the
   * live members sorted by id, the first `N mod M` of them taking one more than the rest
   * (12 partitions, 5 members: 3, 3, 2, 2, 2).
   */
  async heartbeat(): Promise<number> {
    await this.pool.query(
      `INSERT INTO transport_members (group_name, member, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (group_name, member) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [this.group, this.member, this.leaseMs],
    );
    await this.pool.query(`DELETE FROM transport_members WHERE group_name = $1 AND expires_at < now()`, [this.group]);
    const { rows } = await this.pool.query<{ member: string }>(
      `SELECT member FROM transport_members WHERE group_name = $1 AND expires_at > now() ORDER BY member`,
      [this.group],
    );
    const members = rows.map((r) => r.member);
    const index = Math.max(0, members.indexOf(this.member));
    const count = Math.max(1, members.length);
    return Math.floor(this.partitions / count) + (index < this.partitions % count ? 1 : 0);
  }

  /** Extends the leases this member still holds; a lease that lapsed is not revived (someone may have it). */
  async renew(): Promise<number[]> {
    const { rows } = await this.pool.query<{ partition: number }>(
      `UPDATE transport_leases SET expires_at = now() + $3 * interval '1 millisecond'
       WHERE group_name = $1 AND owner = $2 AND expires_at > now() RETURNING partition`,
      [this.group, this.member, this.leaseMs],
    );
    return rows.map((r) => r.partition).sort((a, b) => a - b);
  }

  /** Takes up to `count` partitions that are free or whose holder's lease lapsed. */
  async claim(count: number): Promise<{ partition: number; position: number }[]> {
    if (count <= 0) return [];
    const { rows } = await this.pool.query<{ partition: number; position: string }>(
      `WITH taken AS (
         UPDATE transport_leases SET owner = $2, expires_at = now() + $3 * interval '1 millisecond'
         WHERE group_name = $1 AND partition IN (
           SELECT partition FROM transport_leases
           WHERE group_name = $1 AND (owner IS NULL OR expires_at <= now())
           ORDER BY partition LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING partition)
       SELECT t.partition, c.position FROM taken t
       JOIN transport_checkpoints c ON c.group_name = $1 AND c.partition = t.partition`,
      [this.group, this.member, this.leaseMs, count],
    );
    return rows.map((r) => ({ partition: r.partition, position: Number(r.position) }));
  }

  /**
   * Moves checkpoints forward, but only for partitions whose lease this member still
   * holds: a worker that lost its lease cannot drag back or skip the new holder's progress.
   */
  async commit(positions: ReadonlyMap<number, number>): Promise<number[]> {
    if (positions.size === 0) return [];
    const { rows } = await this.pool.query<{ partition: number }>(
      `UPDATE transport_checkpoints c SET position = v.position
       FROM unnest($3::int[], $4::bigint[]) AS v(partition, position), transport_leases l
       WHERE c.group_name = $1 AND c.partition = v.partition AND c.position < v.position
         AND l.group_name = $1 AND l.partition = v.partition AND l.owner = $2 AND l.expires_at > now()
       RETURNING c.partition`,
      [this.group, this.member, [...positions.keys()], [...positions.values()]],
    );
    return rows.map((r) => r.partition);
  }

  async release(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    await this.pool.query(
      `UPDATE transport_leases SET owner = NULL, expires_at = '-infinity'
       WHERE group_name = $1 AND owner = $2 AND partition = ANY($3::int[])`,
      [this.group, this.member, partitions],
    );
  }

  async leave(): Promise<void> {
    await this.pool.query(`DELETE FROM transport_members WHERE group_name = $1 AND member = $2`, [this.group, this.member]);
  }
}
