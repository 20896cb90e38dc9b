import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { EventHandler, EventTransport, StoredEvent } from '#domain';
import { loadConfig } from '#infra/config/circle-config.js';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createLogger } from '#infra/logging/logger.js';
import { EVENT_TRANSPORT } from '#infra/nest/tokens.js';
import { PostgresLogTransport } from '#infra/transport/postgres-log-transport.js';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { eventually, startCircle } from '../support/processes.js';

const run = randomBytes(3).toString('hex');
const seen: StoredEvent[] = [];

@Injectable()
class CollectingHandler implements EventHandler {
  readonly name = `wiring-${run}`;
  async handle(event: StoredEvent): Promise<void> {
    seen.push(event);
  }
}

const newEvent = (n: number) => ({
  event: { type: 'WiringChecked', data: { n } },
  metadata: { actor: 'wiring-test', source: 'system' as const, correlationId: `wiring-${run}` },
});

describe('worker wiring of the event transport', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('runs registered handlers on the Postgres log when KAFKA_BROKERS is unset, and leaves the group on close', async () => {
    const config = loadConfig({ TRANSPORT_PARTITIONS: '4', TRANSPORT_LEASE_MS: '2000' });
    const app = await createWorkerApp({
      pool: db.pool,
      ownsPool: false,
      transport: config,
      extraHandlers: [CollectingHandler],
      logger: createLogger({ level: 'silent' }),
    });
    expect(app.get<EventTransport>(EVENT_TRANSPORT)).toBeInstanceOf(PostgresLogTransport);
    await store.append(`wiring-${run}-a`, [newEvent(1), newEvent(2)], 'no_stream');
    await eventually(async () => (seen.length === 2 ? true : undefined), 10_000, 'the handler receiving both events');
    expect(seen.map((e) => e.streamVersion)).toEqual([1, 2]);
    const { rows: held } = await db.pool.query('SELECT partition FROM transport_leases WHERE group_name = $1 AND owner IS NOT NULL', [`wiring-${run}`]);
    expect(held).toHaveLength(4);

    await app.close();
    const { rows: after } = await db.pool.query('SELECT partition FROM transport_leases WHERE group_name = $1 AND owner IS NOT NULL', [`wiring-${run}`]);
    expect(after).toEqual([]);
  });

  it('relays the log to Kafka when the launcher starts with KAFKA_BROKERS, and stops cleanly on SIGTERM', async () => {
    const broker = new KafkaTestBroker({ autoCreateTopics: false });
    await broker.start();
    const topic = `circle.events.wiring-${run}`;
    const circle = startCircle({
      CIRCLE_ROLE: 'worker',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_PARTITIONS: '3',
    });
    try {
      await eventually(async () => (circle.output().includes('"transport":"kafka"') ? true : undefined), 30_000, 'the worker starting on Kafka');
      await eventually(async () => (broker.topics().some((t) => t.name === topic) ? true : undefined), 10_000, 'the topic created');
      expect(broker.topics().find((t) => t.name === topic)!.partitions).toHaveLength(3);
      await store.append(`wiring-${run}-kafka`, [newEvent(1)], 'no_stream');
      const head = await store.headPosition();
      const relayed = () => [0, 1, 2].flatMap((p) => broker.records(topic, p)).map((r) => JSON.parse(r.value!.toString()) as StoredEvent);
      await eventually(async () => (relayed().some((e) => e.globalPosition === head) ? true : undefined), 15_000, 'the relay publishing the event');
      // The whole log was relayed, in order, from the start.
      expect(relayed().map((e) => e.globalPosition).sort((a, b) => a - b)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
      circle.child.kill('SIGTERM');
      expect(await circle.exited).toBe(0);
    } finally {
      circle.child.kill('SIGKILL');
      await broker.stop();
    }
  }, 60_000);
});
