import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventHandler, StoredEvent } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import type { KafkaTransport } from '#infra/transport/kafka-transport.js';
import { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/processes.js';
import { createTestTransport } from '../support/transport/test-transports.js';

/** Lag and readiness as the Kafka adapter reports them, on the Kafka-protocol test broker. */
describe('Kafka transport diagnostics', () => {
  let db: TestDatabase;
  let broker: KafkaTestBroker;
  let transport: KafkaTransport;
  let close: () => Promise<void>;
  const held: { open: boolean; release: () => void } = { open: true, release: () => {} };
  const handler: EventHandler = {
    name: 'diag-gated',
    async handle(event: StoredEvent) {
      if (held.open || !event.streamId.startsWith('slow-')) return;
      await new Promise<void>((resolve) => (held.release = resolve));
    },
  };
  const append = (stream: string) =>
    new PostgresEventStore(db.pool).append(stream, [{ event: { type: 'Noted', data: {} }, metadata: { actor: 't', source: 'system', correlationId: stream } }], 'any');

  beforeAll(async () => {
    db = await createTestDatabase();
    broker = new KafkaTestBroker({ defaultPartitions: 3 });
    await broker.start();
    transport = createTestTransport({ kind: 'kafka', pool: db.pool, partitions: 3, brokers: broker.brokers, topic: 'diag.events', sessionTimeoutMs: 2000 }) as KafkaTransport;
    await transport.start();
    close = (await transport.subscribe(handler)).close;
  });
  afterAll(async () => {
    held.open = true;
    held.release();
    await close?.();
    await transport?.stop();
    await broker?.stop();
    await db?.drop();
  });

  it('is connected and a member once the consumer joined its group', async () => {
    await eventually(async () => (transport.membership().up ? true : undefined), 20_000, 'joined');
    expect(transport.connection()).toEqual({ up: true, detail: '1 consumer(s) connected to Kafka' });
    expect(transport.membership().detail).toBe('diag-gated: member, holding 3 partitions');
  });

  it('reports lag on the partition of a stuck handler from the committed offsets, and 0 once it caught up', async () => {
    held.open = false;
    for (const stream of ['slow-1', 'slow-1', 'slow-1']) await append(stream);
    const lagging = await eventually(async () => {
      const lag = (await transport.lag()).filter((l) => l.events > 0);
      return lag.length === 1 && lag[0]!.events === 3 ? lag[0] : undefined;
    }, 20_000, 'three events behind on one partition');
    expect(lagging.group).toBe('diag-gated');
    held.open = true;
    held.release();
    await eventually(async () => ((await transport.lag()).every((l) => l.events === 0) ? true : undefined), 20_000, 'lag 0');
    expect((await transport.lag()).map((l) => l.partition).sort()).toEqual([0, 1, 2]);
  });

  it('stops being a member when the broker goes away, and is one again when it is back', async () => {
    await broker.stop();
    const lost = await eventually(async () => (transport.membership().up ? undefined : transport.membership()), 20_000, 'membership lost');
    expect(lost.detail).toMatch(/^diag-gated: no heartbeat acknowledged for \d+ ms \(session timeout 2000 ms\)$/);
    await broker.start();
    await eventually(async () => (transport.membership().up && transport.connection().up ? true : undefined), 30_000, 'member again');
  });
});
