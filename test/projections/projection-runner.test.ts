import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StoredEvent } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import type { Projection } from '#infra/projections/projection.js';
import { ProjectionRunner } from '#infra/projections/projection-runner.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seeder } from '../support/seed.js';

describe('projection runner', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies an event appended while a later projection is still busy without waiting for the poll interval', async () => {
    const seen: string[] = [];
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const blockedOnce = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (release = r));
    const first: Projection = {
      name: 'test.first',
      eventTypes: ['ApplicationCreated'],
      async apply(event: StoredEvent) {
        seen.push((event.data as { name: string }).name);
      },
    };
    // The second projection holds the pass on the first event until told to go on.
    const second: Projection = {
      name: 'test.second',
      eventTypes: ['ApplicationCreated'],
      async apply(event: StoredEvent) {
        if ((event.data as { name: string }).name === 'one') {
          entered();
          await gate;
        }
      },
    };
    // A poll interval far longer than the test may take: only the notification can help.
    const runner = new ProjectionRunner(db.pool, store, [first, second], { pollMs: 60_000 });
    const seed = seeder(store);
    runner.start();
    try {
      await seed.application('one');
      await blockedOnce;
      // `first` has finished its turn for this pass; `two` commits (and is notified) now.
      await seed.application('two');
      await new Promise((r) => setTimeout(r, 100));
      release();
      const deadline = Date.now() + 5_000;
      while (!seen.includes('two') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual(['one', 'two']);
    } finally {
      release();
      await runner.stop();
    }
  });

  it('moves every projection in one transaction, and keeps the others going while one refuses an event', async () => {
    await db.pool.query('CREATE TABLE test_seen (position bigint PRIMARY KEY, name text NOT NULL)');
    // Writes in the runner's transaction, as a real read model does: a rolled-back batch leaves nothing.
    const healthy: Projection = {
      name: 'test.healthy',
      eventTypes: ['ApplicationCreated'],
      async apply(event: StoredEvent, tx) {
        await tx.query('INSERT INTO test_seen (position, name) VALUES ($1, $2)', [event.globalPosition, (event.data as { name: string }).name]);
      },
    };
    let refuse = true;
    const picky: Projection = {
      name: 'test.picky',
      eventTypes: ['ApplicationCreated'],
      async apply(event: StoredEvent) {
        if (refuse && (event.data as { name: string }).name === 'poison') throw new Error('cannot project poison');
      },
    };
    const seed = seeder(store);
    const runner = new ProjectionRunner(db.pool, store, [healthy, picky]);
    const checkpoint = async (name: string) =>
      Number((await db.pool.query<{ position: string }>('SELECT position FROM projection_checkpoints WHERE name = $1', [name])).rows[0]?.position ?? 0);
    const seen = async () => (await db.pool.query<{ name: string }>('SELECT name FROM test_seen ORDER BY position')).rows.map((r) => r.name);

    await seed.application('fine-1');
    await runner.catchUp();
    const head = await store.headPosition();
    // One commit carried both checkpoints: their rows share the transaction id.
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(DISTINCT xmin::text)::int AS n FROM projection_checkpoints WHERE name IN ('test.healthy', 'test.picky')`);
    expect(rows[0]!.n).toBe(1);
    expect([await checkpoint('test.healthy'), await checkpoint('test.picky')]).toEqual([head, head]);

    await seed.application('poison');
    await seed.application('fine-2');
    await expect(runner.catchUp()).rejects.toThrow('cannot project poison');
    expect((await seen()).slice(-3)).toEqual(['fine-1', 'poison', 'fine-2']);
    expect(await checkpoint('test.healthy')).toBe(await store.headPosition());
    expect(await checkpoint('test.picky')).toBe(head);

    // Once it can, the stuck projection catches up by itself; the healthy one applies nothing twice.
    refuse = false;
    await runner.catchUp();
    expect(await checkpoint('test.picky')).toBe(await store.headPosition());
    expect((await seen()).filter((n) => n === 'poison')).toHaveLength(1);
  });
});
