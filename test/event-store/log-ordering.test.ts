import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConcurrencyError, type StoredEvent } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * A log follower as every reader in circle works: remember the last position seen and
 * ask for what comes after it. Such a reader is only correct if no event can commit at
 * a position below one it has already read.
 */
async function follow(readAll: (after: number) => Promise<{ globalPosition: number; eventId: string }[]>, until: () => boolean) {
  const seen: { globalPosition: number; eventId: string }[] = [];
  let checkpoint = 0;
  for (;;) {
    const done = until();
    const batch = await readAll(checkpoint);
    seen.push(...batch);
    if (batch.length > 0) checkpoint = batch[batch.length - 1]!.globalPosition;
    else if (done) return seen;
  }
}

/** Waits until some session is queued on an advisory lock: the append is parked, not done. */
async function waitForBlockedLockRequest(db: TestDatabase): Promise<void> {
  for (;;) {
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
    );
    if (rows[0]!.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('reading the log while many writers append', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('shows a reader every event exactly once, in an order consistent with each stream', async () => {
    const appenders = 24;
    const appendsEach = 40;
    const streams = 12;
    const appended = new Set<string>();
    let running = appenders;

    // Writers race on a few shared streams (so optimistic concurrency conflicts happen)
    // and append 1-3 events per transaction, on a pool wide enough that many
    // transactions are in flight at once.
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < appendsEach; i += 1) {
        const streamId = `stream-${(w * 7 + i) % streams}`;
        for (;;) {
          const current = await store.readStream(streamId);
          const version = current.length;
          const count = 1 + ((w + i) % 3);
          const events = Array.from({ length: count }, (_, k) => ({
            event: { type: 'Tick', data: { writer: w, i, k } },
            metadata: { actor: `writer-${w}`, source: 'system' as const, correlationId: `${w}-${i}` },
          }));
          try {
            await store.append(streamId, events, version === 0 ? 'no_stream' : version);
            const written = await store.readStream(streamId, version);
            written.slice(0, count).forEach((e) => appended.add(e.eventId));
            break;
          } catch (error) {
            if (!(error instanceof ConcurrencyError)) throw error;
          }
        }
      }
      running -= 1;
    };

    const reader = follow((after) => store.readAll(after, 50), () => running === 0);
    await Promise.all(Array.from({ length: appenders }, (_, w) => writer(w)));
    const seen = (await reader) as StoredEvent[];

    const ids = seen.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length); // nothing twice
    expect(new Set(ids)).toEqual(appended); // nothing missed, nothing foreign
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!.globalPosition).toBeGreaterThan(seen[i - 1]!.globalPosition);
    const lastVersion = new Map<string, number>();
    for (const event of seen) {
      // Each stream's versions arrive as 1, 2, 3, ... with no gap and no going back.
      expect(event.streamVersion).toBe((lastVersion.get(event.streamId) ?? 0) + 1);
      lastVersion.set(event.streamId, event.streamVersion);
    }
  });

  it('would lose an event without the append lock: a control that shows the test above can fail', async () => {
    // Two raw transactions on the same table, bypassing the store: A takes a position
    // first but commits last. The follower reads B's later position, moves past A's,
    // and never sees A. This is the trap the store's lock closes.
    const before = await store.headPosition();
    const a = await db.pool.connect();
    const b = await db.pool.connect();
    const insert = `INSERT INTO events (event_id, stream_id, stream_version, type, data, metadata, recorded_at)
                    VALUES (gen_random_uuid(), $1, 1, 'Raw', '{}', '{"actor":"x","source":"system","correlationId":"c"}', now())`;
    try {
      await a.query('BEGIN');
      await a.query(insert, ['raw-a']);
      await b.query('BEGIN');
      await b.query(insert, ['raw-b']);
      await b.query('COMMIT');
      const firstRead = await store.readAll(before, 100);
      await a.query('COMMIT');
      const secondRead = await store.readAll(firstRead[firstRead.length - 1]!.globalPosition, 100);
      const seen = [...firstRead, ...secondRead].map((e) => e.streamId);
      expect(seen).toEqual(['raw-b']);
      expect((await store.readAll(before, 100)).map((e) => e.streamId)).toEqual(['raw-a', 'raw-b']);
    } finally {
      a.release();
      b.release();
    }
  });

  it('makes a later append wait while an earlier one is still in flight', async () => {
    // Hold the append lock as a slow appender would; a second append must not become
    // visible before the first has committed, so a follower cannot skip past it.
    const head = await store.headPosition();
    const slow = await db.pool.connect();
    try {
      await slow.query('BEGIN');
      await slow.query('SELECT pg_advisory_xact_lock($1)', [0x6c6f6721]);
      const fast = store.append('fast', [{ event: { type: 'Fast', data: {} }, metadata: { actor: 'x', source: 'system', correlationId: 'c' } }], 'no_stream');
      await waitForBlockedLockRequest(db);
      expect(await store.readAll(head, 10)).toEqual([]);
      await slow.query('COMMIT');
      await fast;
      expect((await store.readAll(head, 10)).map((e) => e.type)).toEqual(['Fast']);
    } finally {
      slow.release();
    }
  });
});
