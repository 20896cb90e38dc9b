import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConcurrencyError, type EventMetadata, type NewEvent } from '#domain';
import { EventDataRefusedError, PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
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

  describe('group commit of concurrent appends', () => {
    // Rows written by one transaction share its xmin: how many transactions carried a set of streams.
    const transactionsFor = async (prefix: string): Promise<number> => {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(DISTINCT xmin::text)::int AS n FROM events WHERE stream_id LIKE $1`,
        [`${prefix}%`],
      );
      return rows[0]!.n;
    };

    it('commits many concurrent callers in far fewer transactions, each keeping its own versions and positions', async () => {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => store.append(`gc-${i}`, [ev('Created', { i }), ev('Renamed', { i })], 'no_stream')),
      );
      expect(results.every((r) => r.streamVersion === 2)).toBe(true);
      for (const [i, result] of results.entries()) {
        const events = await store.readStream(`gc-${i}`);
        expect(events.map((e) => [e.type, e.data])).toEqual([
          ['Created', { i }],
          ['Renamed', { i }],
        ]);
        expect(events[1]!.globalPosition).toBe(result.globalPosition);
        expect(events[0]!.globalPosition).toBe(result.globalPosition - 1);
      }
      expect(await transactionsFor('gc-')).toBeLessThan(30);
    });

    it('lets exactly one of many racing callers with the same expected version win; the rest fail alone', async () => {
      await store.append('race', [ev('Created')], 'no_stream');
      const outcomes = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) => store.append('race', [ev('Claimed', { by: i })], 1)),
        ...Array.from({ length: 20 }, (_, i) => store.append(`race-other-${i}`, [ev('Created')], 'no_stream')),
      ]);
      const claims = outcomes.slice(0, 20);
      expect(claims.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(claims.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason instanceof ConcurrencyError)).toBe(true);
      expect(outcomes.slice(20).every((o) => o.status === 'fulfilled')).toBe(true);
      expect((await store.readStream('race')).map((e) => e.type)).toEqual(['Created', 'Claimed']);
    });

    it('sees the appends queued before it: a caller expecting the version another caller in the same batch creates succeeds', async () => {
      const [first, second] = await Promise.all([
        store.append('chain', [ev('Created')], 'no_stream'),
        store.append('chain', [ev('Renamed')], 1),
        store.append('chain-blocker', [ev('Created')], 'no_stream'),
      ]);
      expect([first.streamVersion, second.streamVersion]).toEqual([1, 2]);
      expect(second.globalPosition).toBeGreaterThan(first.globalPosition);
    });

    it('fails only the caller whose data Postgres refuses; the others in the batch commit', async () => {
      const eventId = '0b0e6a4e-8a51-4c55-9f4e-7d6f1d1f2a01';
      await store.append('bad-owner', [{ ...ev('Created'), eventId }], 'no_stream');
      const outcomes = await Promise.allSettled([
        store.append('bad-before', [ev('Created')], 'no_stream'),
        ...Array.from({ length: 10 }, (_, i) => store.append(`bad-ok-${i}`, [ev('Created')], 'no_stream')),
        store.append('bad-reused-id', [{ ...ev('Created'), eventId }], 'no_stream'),
      ]);
      expect(outcomes.at(-1)).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/already appended/) }) });
      expect(outcomes.slice(0, -1).every((o) => o.status === 'fulfilled')).toBe(true);
      expect(await store.readStream('bad-reused-id')).toEqual([]);
      expect(await store.readStream('bad-ok-9')).toHaveLength(1);
    });
  });

  it('finds the position of the newest event of some types, or 0 when there is none', async () => {
    await store.append('lp-1', [ev('LpAlpha'), ev('LpBeta')], 'no_stream');
    const { globalPosition } = await store.append('lp-2', [ev('LpAlpha')], 'no_stream');
    await store.append('lp-3', [ev('LpGamma')], 'no_stream');
    expect(await store.lastPositionOf(['LpAlpha', 'LpBeta'])).toBe(globalPosition);
    expect(await store.lastPositionOf(['LpBeta'])).toBe(globalPosition - 1);
    expect(await store.lastPositionOf(['LpNever'])).toBe(0);
    expect(await store.lastPositionOf([])).toBe(0);
  });

  it('refuses a value Postgres cannot store with EventDataRefusedError, writing nothing', async () => {
    const head = await store.headPosition();
    const refused = await store.append('nul-1', [ev('Created', { name: 'a\u0000b' })], 'no_stream').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EventDataRefusedError);
    expect(refused).toMatchObject({ code: 'EVENT_DATA_REFUSED' });
    expect(await store.headPosition()).toBe(head);
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
