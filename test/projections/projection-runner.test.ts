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
});
