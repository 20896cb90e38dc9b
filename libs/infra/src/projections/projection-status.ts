import type pg from 'pg';

export class ProjectionLagError extends Error {
  readonly code = 'READ_MODEL_BEHIND';

  constructor(
    readonly wanted: number,
    readonly reached: number,
  ) {
    super(`read models reached log position ${reached}, not ${wanted}, in time; retry shortly`);
    this.name = 'ProjectionLagError';
  }
}

/**
 * Read-your-writes for clients: a command answers with the log position it produced,
 * and a read that passes that position waits (bounded) until every projection has
 * applied it, so a CI script can deploy and then read without sleeping.
 */
export class ProjectionStatus {
  constructor(
    private readonly pool: pg.Pool,
    private readonly projectionNames: readonly string[],
  ) {}

  /** The position every projection has reached (the slowest one's). */
  async position(): Promise<number> {
    const { rows } = await this.pool.query<{ name: string; position: string }>(
      'SELECT name, position FROM projection_checkpoints WHERE name = ANY($1)',
      [this.projectionNames],
    );
    if (rows.length < this.projectionNames.length) return 0;
    return Math.min(...rows.map((r) => Number(r.position)));
  }

  async waitFor(position: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let reached = await this.position();
    while (reached < position) {
      if (Date.now() >= deadline) throw new ProjectionLagError(position, reached);
      await new Promise((r) => setTimeout(r, 15));
      reached = await this.position();
    }
  }
}
