import type pg from 'pg';
import type { EventHandler, StoredEvent } from '#domain';

/** Tables the recording handler writes its visible effects to; created per test database. */
export async function createEffectTables(pool: pg.Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS test_stream_state (handler text, stream_id text, version integer NOT NULL, PRIMARY KEY (handler, stream_id));
    CREATE TABLE IF NOT EXISTS test_effects (seq bigserial, handler text NOT NULL, event_id uuid NOT NULL, stream_id text NOT NULL,
      stream_version integer NOT NULL, worker text NOT NULL, UNIQUE (handler, event_id));
    CREATE TABLE IF NOT EXISTS test_calls (seq bigserial, handler text NOT NULL, event_id uuid NOT NULL, stream_id text NOT NULL,
      stream_version integer NOT NULL, worker text NOT NULL);
    CREATE TABLE IF NOT EXISTS test_gaps (handler text NOT NULL, stream_id text NOT NULL, expected integer NOT NULL, got integer NOT NULL);
  `);
}

export interface RecordingHandlerOptions {
  name: string;
  pool: pg.Pool;
  /** Recorded with every call and effect, so a test can tell which consumer handled what. */
  worker: string;
  /** Runs before the effect on every attempt; throw to fail it. */
  beforeEffect?: (event: StoredEvent, attempt: number) => void | Promise<void>;
  /** Slows each call down, so a crash lands in the middle of the work. */
  delayMs?: number;
}

/**
 * An idempotent handler as the port asks for: it remembers the last stream version it
 * applied per stream, in the same transaction as its effect, so a redelivered event
 * changes nothing. An event that arrives out of order is recorded in test_gaps.
 */
export class RecordingHandler implements EventHandler {
  readonly name: string;
  /** Every call in arrival order (this process only). */
  readonly calls: StoredEvent[] = [];
  private readonly attempts = new Map<string, number>();

  constructor(private readonly options: RecordingHandlerOptions) {
    this.name = options.name;
  }

  async handle(event: StoredEvent): Promise<void> {
    const attempt = (this.attempts.get(event.eventId) ?? 0) + 1;
    this.attempts.set(event.eventId, attempt);
    this.calls.push(event);
    const { pool, worker } = this.options;
    await pool.query(
      'INSERT INTO test_calls (handler, event_id, stream_id, stream_version, worker) VALUES ($1, $2, $3, $4, $5)',
      [this.name, event.eventId, event.streamId, event.streamVersion, worker],
    );
    if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
    await this.options.beforeEffect?.(event, attempt);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        'INSERT INTO test_stream_state (handler, stream_id, version) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING',
        [this.name, event.streamId],
      );
      const { rows } = await client.query<{ version: number }>(
        'SELECT version FROM test_stream_state WHERE handler = $1 AND stream_id = $2 FOR UPDATE',
        [this.name, event.streamId],
      );
      const applied = rows[0]!.version;
      if (event.streamVersion > applied) {
        if (event.streamVersion !== applied + 1) {
          await client.query('INSERT INTO test_gaps (handler, stream_id, expected, got) VALUES ($1, $2, $3, $4)', [
            this.name,
            event.streamId,
            applied + 1,
            event.streamVersion,
          ]);
        }
        await client.query('UPDATE test_stream_state SET version = $3 WHERE handler = $1 AND stream_id = $2', [
          this.name,
          event.streamId,
          event.streamVersion,
        ]);
        await client.query(
          'INSERT INTO test_effects (handler, event_id, stream_id, stream_version, worker) VALUES ($1, $2, $3, $4, $5)',
          [this.name, event.eventId, event.streamId, event.streamVersion, worker],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
