import { randomBytes } from 'node:crypto';
import { expect, it } from '@jest/globals';
import { HEADERS } from '#infra/transport/kafka-event-codec.js';
import { partitionOf } from '#infra/transport/partitioning.js';
import { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { eventually } from '../support/processes.js';
import { transportContract } from './transport-contract.js';

/**
 * The contract on Kafka: on the in-process Kafka-protocol test broker, or on a real Kafka
 * when KAFKA_BROKERS is set (a topic of its own per run; Kafka's minimum session timeout
 * is 6 s, so failover is given that).
 */
const realBrokers = process.env['KAFKA_BROKERS']?.split(',').filter(Boolean);
const topic = `circle.events.test-${randomBytes(3).toString('hex')}`;
const partitions = 6;
const sessionTimeoutMs = realBrokers ? 6000 : 3000;
let broker: KafkaTestBroker | null = null;
const brokers = (): string[] => realBrokers ?? broker!.brokers;

transportContract(
  {
    kind: 'kafka',
    partitions,
    async beforeAll() {
      if (realBrokers) return;
      broker = new KafkaTestBroker({ defaultPartitions: partitions });
      await broker.start();
    },
    async afterAll() {
      await broker?.stop();
    },
    settings: () => ({ brokers: brokers(), topic, sessionTimeoutMs }),
    childEnv: () => ({ KAFKA_BROKERS: brokers().join(','), KAFKA_TOPIC: topic, SESSION_TIMEOUT_MS: String(sessionTimeoutMs) }),
    async redeliver(db) {
      // The relay publishes the whole log again: every record lands in the topic a second
      // time, after the group's committed offsets, as after a relay crash before its checkpoint.
      await db.pool.query('UPDATE relay_checkpoint SET position = 0 WHERE relay = $1', [topic]);
    },
  },
  (ctx) => {
    it('relays each event keyed by stream id with type, id and correlation headers, on the partition the Postgres log uses', async () => {
      if (!broker) return; // reads records straight from the test broker
      const { run, append, store } = ctx();
      const t = await ctx().transport();
      const streams = Array.from({ length: 8 }, (_, i) => `relayed-${run}-${i}`);
      await append(streams, 2);
      const head = await store.headPosition();
      await eventually(
        async () => ((await ctx().db.pool.query<{ position: string }>('SELECT position FROM relay_checkpoint WHERE relay = $1', [topic])).rows[0]?.position === String(head) ? true : undefined),
        15_000,
        'the relay checkpoint reaching the head of the log',
      );
      for (const streamId of streams) {
        const events = await store.readStream(streamId);
        const records = broker.records(topic, partitionOf(streamId, partitions)).filter((r) => r.key?.toString() === streamId);
        expect(records.map((r) => JSON.parse(r.value!.toString()).streamVersion)).toEqual([1, 2]);
        const headers = Object.fromEntries(Object.entries(records[0]!.headers).map(([k, v]) => [k, v?.toString()]));
        expect(headers).toEqual({
          [HEADERS.eventType]: 'TestHappened',
          [HEADERS.eventId]: events[0]!.eventId,
          [HEADERS.correlationId]: `corr-${streamId}`,
        });
      }
      expect(broker.topics().find((x) => x.name === topic)?.partitions).toHaveLength(partitions);
      await t.stop();
    });
  },
);
