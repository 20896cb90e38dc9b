import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { DeadLetter, StoredEvent } from '#domain';

/** A row of dead_letters as stored; the API's views read the same columns. */
export interface DeadLetterRow {
  id: string;
  handler: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  global_position: string;
  event_type: string;
  attempts: number;
  error: string;
  failed_at: Date;
  replayed_at: Date | null;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    handler: row.handler,
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: Number(row.global_position),
    eventType: row.event_type,
    attempts: row.attempts,
    error: row.error,
    failedAt: row.failed_at,
    replayedAt: row.replayed_at,
  };
}

/** Describes an error with its cause chain, so a dead letter says why without a debugger. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' <- caused by: ');
}

/**
 * Dead letters of both adapters live in Postgres: every deployment has it, and one table
 * is simpler to list and replay from than a dead-letter topic per handler.
 */
export class DeadLettersRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Records (or, for an event dead-lettered again after a redelivery, refreshes) a dead letter. */
  async record(handler: string, event: StoredEvent, attempts: number, error: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO dead_letters (id, handler, event_id, stream_id, stream_version, global_position, event_type, attempts, error, failed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (handler, event_id) DO UPDATE
         SET attempts = dead_letters.attempts + EXCLUDED.attempts, error = EXCLUDED.error,
             failed_at = EXCLUDED.failed_at, replayed_at = NULL`,
      [randomUUID(), handler, event.eventId, event.streamId, event.streamVersion, event.globalPosition, event.type, attempts, describeError(error)],
    );
  }

  async list(handler?: string): Promise<DeadLetter[]> {
    const { rows } = await this.pool.query<DeadLetterRow>(
      `SELECT * FROM dead_letters WHERE $1::text IS NULL OR handler = $1 ORDER BY failed_at DESC, global_position DESC`,
      [handler ?? null],
    );
    return rows.map(toDeadLetter);
  }

  async get(id: string): Promise<DeadLetter | null> {
    const { rows } = await this.pool.query<DeadLetterRow>('SELECT * FROM dead_letters WHERE id = $1', [id]);
    return rows[0] ? toDeadLetter(rows[0]) : null;
  }

  async markReplayed(id: string): Promise<void> {
    await this.pool.query('UPDATE dead_letters SET replayed_at = now() WHERE id = $1', [id]);
  }
}
