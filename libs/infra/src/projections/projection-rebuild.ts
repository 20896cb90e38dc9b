import pg from 'pg';
import type { EventStore } from '#domain';
import type { Logger } from '../logging/logger.js';
import type { Projection } from './projection.js';
import { ProjectionRunner } from './projection-runner.js';
import { readModelProjections } from './read-model-projections.js';

/**
 * Every table the read-model projections write, as the migrations create them
 * (1763780100000-catalog-read-models, 1763800100000-rollout-progress-view,
 * 1763800300000-insight-read-models). A rebuild swaps exactly these, so a migration that
 * adds a read-model table must add it here too — or the rebuilt projections would write
 * into the live table through the search_path fallback to public.
 * `projection_checkpoints` is not in the list: it also holds other projections' rows, so
 * only the read-model projections' rows are copied over.
 */
export const READ_MODEL_TABLES = [
  'rm_applications',
  'rm_releases',
  'rm_clusters',
  'rm_environments',
  'rm_rollouts',
  'ri_applied',
  'ri_clusters',
  'ri_rollouts',
  'ri_placements',
  'ri_placement_history',
  'ri_live_versions',
  'ri_soak',
  'ri_audit',
] as const;

// Two rebuilds at once would swap each other's tables; the second is refused.
const REBUILD_LOCK = 0x72656275; // "rebu"

export class RebuildInProgressError extends Error {
  constructor() {
    super('a projection rebuild is already running');
  }
}

export interface RebuildOptions {
  projections?: readonly Projection[];
  batchSize?: number;
  logger?: Logger;
}

export interface RebuildResult {
  /** Log position the rebuilt tables reached before they went live. */
  position: number;
  /** Rows per rebuilt table at the swap. */
  tables: Record<string, number>;
  projections: string[];
  durationMs: number;
}

/**
 * Replays the whole log into fresh copies of the read-model tables and swaps them in.
 *
 * The copies live in a schema of their own; the same Projection objects fill them through
 * a pool whose search_path puts that schema before public, so the apply code is unchanged
 * (projections write unqualified names) and `events` still resolves to the public log.
 * Readers keep using the live tables meanwhile. The swap is one transaction of
 * `ALTER TABLE … SET SCHEMA`, so a reader sees the old tables or the new ones, never none.
 */
export async function rebuildProjections(pool: pg.Pool, store: EventStore, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = Date.now();
  const projections = options.projections ?? readModelProjections;
  const names = projections.map((p) => p.name);
  const suffix = `${started}_${Math.floor(Math.random() * 1e6)}`;
  const rebuild = `rebuild_${suffix}`;
  const retired = `retired_${suffix}`;
  const log = options.logger?.child({ component: 'projection-rebuild', schema: rebuild });

  const control = await pool.connect();
  let rebuildPool: pg.Pool | null = null;
  try {
    const { rows: locked } = await control.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [REBUILD_LOCK]);
    if (!locked[0]?.ok) throw new RebuildInProgressError();
    try {
      await createRebuildSchema(control, rebuild);
      rebuildPool = new pg.Pool({
        ...pool.options,
        max: 2,
        application_name: 'circle-projection-rebuild',
        options: `-c search_path=${rebuild},public`,
      });
      rebuildPool.on('error', () => undefined);
      const runner = new ProjectionRunner(rebuildPool, store, projections, { batchSize: options.batchSize ?? 1000, logger: log });

      // The long part runs without any lock: the live runner and readers carry on.
      await runner.catchUp();
      log?.info({ ms: Date.now() - started }, 'replayed the log; swapping');

      const tables = await swap(control, runner, { rebuild, retired, names });
      await control.query(`DROP SCHEMA IF EXISTS ${retired} CASCADE`);
      const { rows } = await control.query<{ position: string | null }>(
        'SELECT min(position) AS position FROM projection_checkpoints WHERE name = ANY($1)',
        [names],
      );
      const result = { position: Number(rows[0]?.position ?? 0), tables, projections: names, durationMs: Date.now() - started };
      log?.info(result, 'read models rebuilt');
      return result;
    } finally {
      await control.query(`DROP SCHEMA IF EXISTS ${rebuild} CASCADE`).catch(() => undefined);
      await control.query('SELECT pg_advisory_unlock($1)', [REBUILD_LOCK]).catch(() => undefined);
    }
  } finally {
    control.release();
    await rebuildPool?.end();
  }
}

/**
 * Empty copies of the live tables. Indexes and key constraints are recreated under their
 * live names (LIKE … INCLUDING INDEXES would invent new ones) so that after the swap a
 * later migration can still drop or alter them by the name it gave them.
 */
async function createRebuildSchema(client: pg.PoolClient, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA ${schema}`);
  for (const table of [...READ_MODEL_TABLES, 'projection_checkpoints']) {
    await client.query(`CREATE TABLE ${schema}.${table} (LIKE public.${table} INCLUDING ALL EXCLUDING INDEXES)`);
    const constraints = await client.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname`,
      [`public.${table}`],
    );
    for (const c of constraints.rows) await client.query(`ALTER TABLE ${schema}.${table} ADD CONSTRAINT ${c.name} ${c.def}`);
    const indexes = await client.query<{ def: string }>(
      `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
        WHERE i.indrelid = $1::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
        ORDER BY i.indexrelid`,
      [`public.${table}`],
    );
    for (const { def } of indexes.rows) {
      const moved = def.replace(new RegExp(` ON (ONLY )?(public\\.)?${table} `), ` ON $1${schema}.${table} `);
      if (moved === def) throw new Error(`cannot retarget index definition: ${def}`);
      await client.query(moved);
    }
  }
}

/**
 * Moves the rebuilt tables into public in one transaction.
 *
 * The live runner cannot be paused through its advisory lock — it holds that lock for
 * its whole life, not per batch. What it does take per batch is the row lock on its
 * checkpoint (`SELECT … FOR UPDATE`, first statement of every batch transaction). Holding
 * those rows therefore waits for a batch in flight to commit and keeps the next one from
 * starting; while they are held the rebuild catches up to the head once more, so the
 * copied checkpoints match the swapped-in rows exactly. A live batch that waited re-reads
 * the checkpoint, sees that it moved, and skips (the runner's own hand-over rule).
 */
async function swap(
  client: pg.PoolClient,
  runner: ProjectionRunner,
  { rebuild, retired, names }: { rebuild: string; retired: string; names: string[] },
): Promise<Record<string, number>> {
  // A projection that never ran has no row to lock; position 0 means the same as none.
  await client.query(
    `INSERT INTO public.projection_checkpoints (name, position) SELECT unnest($1::text[]), 0 ON CONFLICT (name) DO NOTHING`,
    [names],
  );
  await client.query('BEGIN');
  try {
    await client.query('SELECT name FROM public.projection_checkpoints WHERE name = ANY($1) ORDER BY name FOR UPDATE', [names]);
    await runner.catchUp();
    await client.query(`CREATE SCHEMA ${retired}`);
    const tables: Record<string, number> = {};
    for (const table of READ_MODEL_TABLES) {
      await client.query(`ALTER TABLE public.${table} SET SCHEMA ${retired}`);
      await client.query(`ALTER TABLE ${rebuild}.${table} SET SCHEMA public`);
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM public.${table}`);
      tables[table] = Number(rows[0]!.n);
    }
    await client.query(
      `INSERT INTO public.projection_checkpoints (name, position, updated_at)
       SELECT name, position, now() FROM ${rebuild}.projection_checkpoints WHERE name = ANY($1)
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [names],
    );
    await client.query('COMMIT');
    return tables;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
