import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  ConcurrencyError,
  systemClock,
  type AppendResult,
  type Clock,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type StoredEvent,
  type StreamAppend,
} from '#domain';
import { inTransaction } from '../postgres/pool.js';
import { GroupCommit } from './group-commit.js';

/**
 * Serialises appends to the log. Held from just before the first insert until commit,
 * it makes commit order equal position order: a transaction that took position N has
 * committed (and become visible) before any transaction can take N + 1.
 *
 * Why: with a plain sequence, transaction A can take position 10, transaction B 11,
 * and B commit first; a reader that has already seen 11 moves its checkpoint past 10
 * and never sees A's event (the "ordering trap" in DESIGN.md). Under this lock every
 * reader can simply follow global_position with no gap detection or waiting.
 * Throughput comes from putting many events in one transaction, not from parallel commits.
 */
const LOG_APPEND_LOCK = 0x6c6f6721; // "log!"

/** LISTEN/NOTIFY channel carrying the last appended position of each committed append. */
export const LOG_NOTIFY_CHANNEL = 'circle_events';

interface EventRow {
  global_position: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

const COLUMNS = 'global_position, event_id, stream_id, stream_version, type, data, metadata, recorded_at';

function toStored(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    globalPosition: Number(row.global_position),
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}

function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return expected === actual;
}

/** Events per group-commit transaction: long enough to share a commit, short enough to keep the append lock brief. */
const MAX_EVENTS_PER_COMMIT = 2000;

type AppendOutcome = AppendResult[] | Error;

export class PostgresEventStore implements EventStore {
  private readonly commits = new GroupCommit<readonly StreamAppend[], AppendResult[]>({
    runBatch: (requests) => this.commitBatch(requests),
    maxBatch: MAX_EVENTS_PER_COMMIT,
    weight: (appends) => Math.max(1, appends.reduce((n, a) => n + a.events.length, 0)),
  });

  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: Clock = systemClock,
  ) {}

  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const [result] = await this.appendMany([{ streamId, events, expectedVersion }]);
    return result!;
  }

  /**
   * All of one call's appends commit together or not at all. Concurrent calls share a
   * transaction (group commit), each keeping its own optimistic check: a call whose
   * expected version no longer holds fails alone with a ConcurrencyError, exactly as if
   * it had run after the calls queued before it.
   */
  async appendMany(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    if (appends.length === 0) return [];
    if (new Set(appends.map((a) => a.streamId)).size !== appends.length) {
      throw new Error('appendMany takes each stream at most once');
    }
    return this.commits.submit(appends);
  }

  private async commitBatch(requests: readonly (readonly StreamAppend[])[]): Promise<AppendOutcome[]> {
    try {
      return await this.writeBatch(requests);
    } catch (error) {
      // A value Postgres refuses or a reused event id belongs to one caller: find it by
      // running each call alone, so the others still commit. A lost connection fails all.
      if (requests.length === 1 || !isDataError(error)) return requests.map(() => translate(error));
      const outcomes: AppendOutcome[] = [];
      for (const request of requests) {
        outcomes.push(await this.writeBatch([request]).then(([outcome]) => outcome!, translate));
      }
      return outcomes;
    }
  }

  private writeBatch(requests: readonly (readonly StreamAppend[])[]): Promise<AppendOutcome[]> {
    const recordedAt = this.clock.now();
    return inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOG_APPEND_LOCK]);
      const streamIds = [...new Set(requests.flatMap((appends) => appends.map((a) => a.streamId)))];
      const { rows: versions } = await client.query<{ stream_id: string; version: number }>(
        'SELECT stream_id, max(stream_version)::int AS version FROM events WHERE stream_id = ANY($1) GROUP BY stream_id',
        [streamIds],
      );
      const current = new Map(versions.map((v) => [v.stream_id, v.version]));
      const rows = { ids: [] as string[], streams: [] as string[], versions: [] as number[], types: [] as string[], data: [] as string[], metadata: [] as string[] };
      const plans: ({ streamVersion: number; lastIndex: number }[] | Error)[] = [];
      for (const appends of requests) {
        const conflict = appends
          .map((a) => ({ append: a, actual: current.get(a.streamId) ?? 0 }))
          .find(({ append, actual }) => !versionMatches(append.expectedVersion, actual));
        if (conflict) {
          plans.push(new ConcurrencyError(conflict.append.streamId, conflict.append.expectedVersion, conflict.actual));
          continue;
        }
        const ends: { streamVersion: number; lastIndex: number }[] = [];
        for (const append of appends) {
          const actual = current.get(append.streamId) ?? 0;
          append.events.forEach((e, i) => {
            rows.ids.push(e.eventId ?? randomUUID());
            rows.streams.push(append.streamId);
            rows.versions.push(actual + i + 1);
            rows.types.push(e.event.type);
            rows.data.push(JSON.stringify((e.event as { data?: unknown }).data ?? {}));
            rows.metadata.push(JSON.stringify(e.metadata));
          });
          current.set(append.streamId, actual + append.events.length);
          ends.push({ streamVersion: actual + append.events.length, lastIndex: rows.ids.length - 1 });
        }
        plans.push(ends);
      }
      if (rows.ids.length === 0) {
        const head = await this.headPositionWith(client);
        return plans.map((plan) => (plan instanceof Error ? plan : plan.map((end) => ({ streamVersion: end.streamVersion, globalPosition: head }))));
      }
      const { rows: inserted } = await client.query<{ global_position: string }>(
        // The notify rides on the insert (no extra round trip while the append lock is
        // held); Postgres delivers it at commit, so readers never wake for a rollback.
        `WITH inserted AS (
           INSERT INTO events (event_id, stream_id, stream_version, type, data, metadata, recorded_at)
           SELECT id, stream, version, type, data, metadata, $7
           FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[])
                WITH ORDINALITY AS e(id, stream, version, type, data, metadata, n)
           ORDER BY n
           RETURNING global_position),
         notified AS (SELECT pg_notify($8, max(global_position)::text) FROM inserted)
         SELECT global_position FROM inserted, notified`,
        [rows.ids, rows.streams, rows.versions, rows.types, rows.data, rows.metadata, recordedAt, LOG_NOTIFY_CHANNEL],
      );
      const positions = inserted.map((r) => Number(r.global_position)).sort((a, b) => a - b);
      return plans.map((plan) =>
        plan instanceof Error
          ? plan
          : plan.map((end) => ({
              streamVersion: end.streamVersion,
              globalPosition: end.lastIndex >= 0 ? positions[end.lastIndex]! : positions[0]! - 1,
            })),
      );
    });
  }

  async readStream(streamId: string, afterVersion = 0): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version`,
      [streamId, afterVersion],
    );
    return rows.map(toStored);
  }

  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
      [afterPosition, limit],
    );
    return rows.map(toStored);
  }

  /** Position of the newest event of any of these types; 0 when there is none. One index probe per type. */
  async lastPositionOf(types: readonly string[]): Promise<number> {
    const { rows } = await this.pool.query<{ position: string | null }>(
      `SELECT max(last.position) AS position
       FROM unnest($1::text[]) AS wanted(type),
            LATERAL (SELECT global_position AS position FROM events WHERE events.type = wanted.type ORDER BY global_position DESC LIMIT 1) last`,
      [types],
    );
    return Number(rows[0]?.position ?? 0);
  }

  async headPosition(): Promise<number> {
    return this.headPositionWith(this.pool);
  }

  private async headPositionWith(db: pg.Pool | pg.PoolClient): Promise<number> {
    const { rows } = await db.query<{ head: string | null }>('SELECT max(global_position) AS head FROM events');
    return Number(rows[0]?.head ?? 0);
  }
}

/**
 * The version check runs under the append lock, so a unique violation can only come
 * from a caller reusing an event id: report it as the conflict it is.
 */
function translate(error: unknown): Error {
  if (error instanceof ConcurrencyError) return error;
  if (isValueError(error)) return new EventDataRefusedError(error);
  const pgError = error as { code?: string; constraint?: string };
  if (pgError.code === '23505' && pgError.constraint === 'events_event_id_key') {
    return new Error('an event with this id was already appended', { cause: error });
  }
  return new Error(`event store append failed: ${(error as Error).message}`, { cause: error });
}

/**
 * Postgres refused a value in the events themselves (SQLSTATE class 22: a character it
 * cannot store, a number out of range). The caller's input caused it, so it is the
 * caller's error to fix, not circle's; the API answers it with 400. The edge checks input
 * before it gets here; this is the second line.
 */
export class EventDataRefusedError extends Error {
  readonly code = 'EVENT_DATA_REFUSED';

  constructor(cause: unknown) {
    super(`the database refused a value in the events to append: ${(cause as Error).message}`, { cause });
    this.name = 'EventDataRefusedError';
  }
}

const isValueError = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
};

/** SQLSTATE classes 22 (data exception) and 23 (integrity violation): caused by one caller's input. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
