import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConcurrencyError, type EventMetadata, type NewEvent } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const meta: EventMetadata = { actor: 'ci-token', source: 'api', correlationId: 'corr-1', causationId: 'req-1' };
const ev = (type: string, data: Record<string, unknown> = {}): NewEvent => ({ event: { type, data }, metadata: meta });

describe('PostgresEventStore', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const fixedNow = new Date('2026-11-22T03:00:00.000Z');

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool, { now: () => fixedNow });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('appends to a new stream and reads it back with versions, metadata and recorded time', async () => {
    const result = await store.append('app-a', [ev('Created', { name: 'a' }), ev('Renamed', { name: 'b' })], 'no_stream');
    expect(result.streamVersion).toBe(2);
    const events = await store.readStream('app-a');
    expect(events.map((e) => [e.streamVersion, e.type, e.data])).toEqual([
      [1, 'Created', { name: 'a' }],
      [2, 'Renamed', { name: 'b' }],
    ]);
    expect(events[1]!.globalPosition).toBe(result.globalPosition);
    expect(events[0]!.metadata).toEqual(meta);
    expect(events[0]!.recordedAt.toISOString()).toBe(fixedNow.toISOString());
    expect(await store.readStream('app-a', 1)).toHaveLength(1);
  });

  it('rejects an append whose expected version is stale, and writes nothing', async () => {
    await store.append('app-b', [ev('Created')], 'no_stream');
    await expect(store.append('app-b', [ev('Again')], 'no_stream')).rejects.toBeInstanceOf(ConcurrencyError);
    const conflict = await store.append('app-b', [ev('Late')], 0).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 'CONCURRENCY_CONFLICT', streamId: 'app-b', expectedVersion: 0, actualVersion: 1 });
    await expect(store.append('app-b', [ev('Ahead')], 5)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream('app-b')).map((e) => e.type)).toEqual(['Created']);
    await store.append('app-b', [ev('Next')], 1);
    await store.append('app-b', [ev('Whatever')], 'any');
    expect((await store.readStream('app-b')).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
  });

  it('appends to several streams atomically: one conflict writes none of them', async () => {
    await store.append('multi-1', [ev('Created')], 'no_stream');
    const head = await store.headPosition();
    await expect(
      store.appendMany([
        { streamId: 'multi-2', expectedVersion: 'no_stream', events: [ev('Created')] },
        { streamId: 'multi-1', expectedVersion: 'no_stream', events: [ev('Claimed')] },
      ]),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await store.readStream('multi-2')).toEqual([]);
    expect(await store.headPosition()).toBe(head);
    const results = await store.appendMany([
      { streamId: 'multi-2', expectedVersion: 'no_stream', events: [ev('Created')] },
      { streamId: 'multi-1', expectedVersion: 1, events: [ev('Claimed')] },
    ]);
    expect(results.map((r) => r.streamVersion)).toEqual([1, 2]);
    expect(results[1]!.globalPosition).toBe(results[0]!.globalPosition + 1);
  });

  it('refuses to append an event id twice', async () => {
    const eventId = '6f1c1f55-7a39-4d2e-9d0e-3b7a0f4f7c11';
    await store.append('dup-1', [{ ...ev('Created'), eventId }], 'no_stream');
    await expect(store.append('dup-2', [{ ...ev('Created'), eventId }], 'no_stream')).rejects.toThrow(/already appended/);
    expect(await store.readStream('dup-2')).toEqual([]);
  });

  it('reads the whole log in pages by position', async () => {
    const head = await store.headPosition();
    for (let i = 0; i < 5; i += 1) await store.append(`page-${i}`, [ev('Created', { i })], 'no_stream');
    const first = await store.readAll(head, 3);
    const rest = await store.readAll(first[first.length - 1]!.globalPosition, 100);
    expect([...first, ...rest].map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    expect(await store.headPosition()).toBe(rest[rest.length - 1]!.globalPosition);
  });

  it('keeps history immutable: the database refuses UPDATE, DELETE and TRUNCATE on events', async () => {
    await store.append('immutable', [ev('Created')], 'no_stream');
    await expect(db.pool.query(`UPDATE events SET type = 'Forged' WHERE stream_id = 'immutable'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query(`DELETE FROM events WHERE stream_id = 'immutable'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query('TRUNCATE events')).rejects.toThrow(/append-only/);
    expect((await store.readStream('immutable')).map((e) => e.type)).toEqual(['Created']);
  });
});
