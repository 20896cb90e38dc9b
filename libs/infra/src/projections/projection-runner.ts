import type pg from 'pg';
import type { EventStore } from '#domain';
import type { Logger } from '../logging/logger.js';
import { inTransaction } from '../postgres/pool.js';
import type { Projection } from './projection.js';

export interface ProjectionRunnerOptions {
  batchSize?: number;
  /** Poll interval when no notification arrives (the fallback path). */
  pollMs?: number;
  logger?: Logger;
}

// Only one worker may project at a time (projections need the log's total order);
// the others wait on this session lock and take over when its holder's connection dies.
const PROJECTION_LOCK = 0x70726f6a; // "proj"
export const EVENTS_CHANNEL = 'circle_events';

/**
 * Projections read the Postgres log directly rather than through the transport: the
 * log is their source of truth with a total order, and their checkpoint can sit in the
 * same transaction as their rows — which a Kafka offset cannot.
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private stopped = false;
  private wake: (() => void) | null = null;
  /** An append was notified since the current pass began; the pass may have missed it. */
  private notified = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly projections: readonly Projection[],
    options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 250;
    this.logger = options.logger;
  }

  private readonly logger: Logger | undefined;

  start(): void {
    this.loop ??= this.run().catch((error: unknown) => {
      this.logger?.error({ err: error }, 'projection runner stopped on an error');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * Applies everything up to the current head once; tests and rebuilds use it directly.
   * Rejects with the first projection's failure, after every other projection has caught up.
   */
  async catchUp(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      let read: number;
      try {
        read = await this.stepAll();
      } catch (error) {
        // One projection refusing an event must not hold the others back: each goes on
        // alone, and the one that fails keeps failing (and retrying) by itself.
        this.logger?.warn({ err: error }, 'shared projection batch failed; projecting one by one');
        let failure: unknown = null;
        for (const projection of this.projections) {
          try {
            while (!this.stopped && (await this.step(projection)) > 0);
          } catch (alone) {
            failure ??= alone;
          }
        }
        if (failure !== null) throw failure;
        return;
      }
      if (read === 0) return;
    }
  }

  /**
   * One transaction for every projection: read the log once from the slowest checkpoint,
   * give each projection the events past its own, move all checkpoints, commit once.
   * Per projection and batch this saves five round trips and a commit, which is what
   * let the read models fall seconds behind a busy log.
   */
  private async stepAll(): Promise<number> {
    const names = this.projections.map((p) => p.name);
    const checkpoints = await this.checkpoints(this.pool, names);
    const from = Math.min(...names.map((name) => checkpoints.get(name) ?? 0));
    const events = await this.store.readAll(from, this.batchSize);
    if (events.length === 0) return 0;
    const last = events[events.length - 1]!.globalPosition;
    await inTransaction(this.pool, async (tx) => {
      // Row locks make a second runner (during a lock hand-over) wait, then see that the
      // checkpoints moved, instead of applying the same events again.
      const locked = await this.checkpoints(tx, names, { lock: true });
      if (names.some((name) => (locked.get(name) ?? 0) !== (checkpoints.get(name) ?? 0))) return;
      for (const event of events) {
        for (const projection of this.projections) {
          if (event.globalPosition > (checkpoints.get(projection.name) ?? 0) && projection.eventTypes.includes(event.type)) {
            await projection.apply(event, tx);
          }
        }
      }
      await tx.query(
        `INSERT INTO projection_checkpoints (name, position, updated_at)
         SELECT name, greatest(position, $2), now() FROM unnest($1::text[], $3::bigint[]) AS c(name, position)
         ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
        [names, last, names.map((name) => checkpoints.get(name) ?? 0)],
      );
    });
    return events.length;
  }

  /** Checkpoints by name; `lock` takes their row locks (in name order, so two runners cannot deadlock). */
  private async checkpoints(db: pg.Pool | pg.PoolClient, names: readonly string[], options: { lock?: boolean } = {}): Promise<Map<string, number>> {
    const { rows } = await db.query<{ name: string; position: string }>(
      `SELECT name, position FROM projection_checkpoints WHERE name = ANY($1)${options.lock ? ' ORDER BY name FOR UPDATE' : ''}`,
      [names],
    );
    return new Map(rows.map((r) => [r.name, Number(r.position)]));
  }


  private async run(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await this.acquireLock(client);
      if (this.stopped) return;
      client.on('notification', () => {
        this.notified = true;
        this.wake?.();
      });
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      this.logger?.info({ projections: this.projections.map((p) => p.name) }, 'projecting');
      while (!this.stopped) {
        this.notified = false;
        try {
          await this.catchUp();
        } catch (error) {
          this.logger?.error({ err: error }, 'projection batch failed; retrying');
        }
        // A notification (or stop()) that arrived during the pass found no sleep to end:
        // the events it announced may have committed after an earlier projection had
        // finished its turn, so go again now rather than a whole poll interval later.
        if (!this.notified && !this.stopped) await this.sleep();
      }
    } finally {
      await client.query(`UNLISTEN ${EVENTS_CHANNEL}`).catch(() => undefined);
      await client.query('SELECT pg_advisory_unlock($1)', [PROJECTION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  private async acquireLock(client: pg.PoolClient): Promise<void> {
    while (!this.stopped) {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [PROJECTION_LOCK]);
      if (rows[0]?.ok) return;
      await this.sleep(1000);
    }
  }

  private sleep(ms = this.pollMs): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** One transaction: apply up to batchSize events, move the checkpoint; returns events read. */
  private async step(projection: Projection): Promise<number> {
    const { rows } = await this.pool.query<{ position: string }>(
      'SELECT position FROM projection_checkpoints WHERE name = $1',
      [projection.name],
    );
    const checkpoint = Number(rows[0]?.position ?? 0);
    const events = await this.store.readAll(checkpoint, this.batchSize);
    if (events.length === 0) return 0;
    const last = events[events.length - 1]!.globalPosition;
    await inTransaction(this.pool, async (tx) => {
      // The row lock makes a second runner (say, during a lock hand-over) wait and then
      // see that the checkpoint moved, instead of applying the same events again.
      const locked = await tx.query<{ position: string }>(
        'SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE',
        [projection.name],
      );
      if (locked.rows.length > 0 && Number(locked.rows[0]!.position) !== checkpoint) return;
      for (const event of events) {
        if (projection.eventTypes.includes(event.type)) await projection.apply(event, tx);
      }
      await tx.query(
        `INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
        [projection.name, last],
      );
    });
    return events.length;
  }
}
