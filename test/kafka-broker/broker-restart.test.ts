import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Consumer, Producer } from 'kafkajs';
import type { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { disconnectAll, kafkaFor, recordOf, startBroker, waitFor, type Received } from './helpers.js';

describe('Kafka test broker: restart under load', () => {
  let broker: KafkaTestBroker;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    broker = await startBroker();
    broker.createTopic('events', 3);
  });

  afterAll(async () => {
    await disconnectAll(consumers);
    await producer?.disconnect();
    await broker.stop();
  });

  it('loses no acknowledged or committed message when the broker restarts mid-stream', async () => {
    const kafka = kafkaFor(broker);
    producer = kafka.producer();
    await producer.connect();

    const received: Received[] = [];
    for (const name of ['w1', 'w2']) {
      const c = kafka.consumer({ groupId: 'relay', sessionTimeout: 4000, rebalanceTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 250 });
      consumers.push(c);
      await c.connect();
      await c.subscribe({ topic: 'events', fromBeginning: true });
      await c.run({ eachMessage: async (p) => void received.push(recordOf(name, p)) });
    }

    const acknowledged: string[] = [];
    const sendChunk = async (chunk: number): Promise<void> => {
      const values = Array.from({ length: 10 }, (_, i) => `e-${chunk}-${i}`);
      await producer.send({ topic: 'events', messages: values.map((value) => ({ key: `stream-${chunk % 7}`, value })) });
      acknowledged.push(...values);
    };

    for (let chunk = 0; chunk < 10; chunk++) await sendChunk(chunk);
    await waitFor('first 100 messages consumed', () => new Set(received.map((r) => r.value)).size === 100);
    await waitFor('first 100 offsets committed', () => committedTotal(broker) === 100);
    const committedBefore = broker.committedOffsets('relay');
    const portBefore = broker.port;

    await broker.stop();
    expect(broker.connectionCount).toBe(0);
    // Producing while the broker is down must wait and retry, not drop the batch.
    const duringOutage = sendChunk(10);
    await new Promise((r) => setTimeout(r, 500));
    await broker.start();
    expect(broker.port).toBe(portBefore);
    expect(broker.committedOffsets('relay')).toEqual(committedBefore);
    await duringOutage;

    for (let chunk = 11; chunk < 20; chunk++) await sendChunk(chunk);
    await waitFor('all 200 acknowledged messages consumed', () => new Set(received.map((r) => r.value)).size === 200, 20_000);
    expect(new Set(received.map((r) => r.value))).toEqual(new Set(acknowledged));
    const stored = broker.topics().find((t) => t.name === 'events')!.partitions.reduce((n, p) => n + p.highWatermark, 0);
    await waitFor('every stored offset committed', () => committedTotal(broker) === stored);
  });
});

function committedTotal(broker: KafkaTestBroker): number {
  return Object.values(broker.committedOffsets('relay')['events'] ?? {}).reduce((n, o) => n + o, 0);
}
