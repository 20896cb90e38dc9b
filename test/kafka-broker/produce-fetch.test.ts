import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CompressionTypes, type Admin, type Producer } from 'kafkajs';
import type { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { kafkaFor, recordOf, startBroker, waitFor, type Received } from './helpers.js';

describe('Kafka test broker: produce and fetch with kafkajs', () => {
  let broker: KafkaTestBroker;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startBroker({ defaultPartitions: 2 });
    const kafka = kafkaFor(broker);
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await broker.stop();
  });

  it('creates topics, lists them, and rejects a duplicate', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'created', numPartitions: 6 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'created', numPartitions: 6 }] })).toBe(false);
    expect(await admin.listTopics()).toContain('created');
    const meta = await admin.fetchTopicMetadata({ topics: ['created'] });
    expect(meta.topics[0]!.partitions).toHaveLength(6);
    await admin.deleteTopics({ topics: ['created'] });
    expect(broker.topics().map((t) => t.name)).not.toContain('created');
  });

  it('assigns offsets per partition and keeps high watermark and timestamps', async () => {
    await admin.createTopics({ topics: [{ topic: 'offsets', numPartitions: 3 }] });
    const t0 = Date.now() - 60_000;
    const first = await producer.send({
      topic: 'offsets',
      messages: [0, 1, 2].map((i) => ({ partition: 1, value: `v${i}`, timestamp: String(t0 + i) })),
    });
    expect(first[0]).toMatchObject({ partition: 1, baseOffset: '0', errorCode: 0 });
    const second = await producer.send({ topic: 'offsets', messages: [{ partition: 1, value: 'v3' }] });
    expect(second[0]!.baseOffset).toBe('3');

    const offsets = await admin.fetchTopicOffsets('offsets');
    expect(offsets.find((o) => o.partition === 1)).toMatchObject({ low: '0', high: '4', offset: '4' });
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: '0', high: '0' });
    const p1 = broker.topics().find((t) => t.name === 'offsets')!.partitions[1]!;
    expect(p1).toEqual({ partition: 1, logStartOffset: 0, highWatermark: 4 });
    expect(broker.records('offsets', 1).slice(0, 3).map((r) => r.timestamp)).toEqual([t0, t0 + 1, t0 + 2]);

    const byTime = await admin.fetchTopicOffsetsByTimestamp('offsets', t0 + 1);
    expect(byTime.find((o) => o.partition === 1)!.offset).toBe('1');
  });

  it('round-trips gzip batches, keys, headers and timestamps to a consumer', async () => {
    const ts = Date.now() - 5_000;
    await producer.send({
      topic: 'gzip',
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: `value-${i}`, timestamp: String(ts + i), headers: { n: String(i) } })),
    });
    expect(broker.records('gzip', 0).length + broker.records('gzip', 1).length).toBe(50);

    const consumer = kafkaFor(broker).consumer({ groupId: 'gzip-reader', maxWaitTimeInMs: 200 });
    const got: Received[] = [];
    const headers: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'gzip', fromBeginning: true });
    await consumer.run({
      eachMessage: async (p) => {
        got.push(recordOf('c', p));
        headers.push(p.message.headers?.['n']?.toString() ?? '');
      },
    });
    try {
      await waitFor('50 gzip messages', () => got.length >= 50);
    } finally {
      await consumer.disconnect();
    }
    const p0 = got.filter((r) => r.partition === 0);
    const values = got.map((r) => r.value).sort();
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => `value-${i}`).sort());
    expect(p0.length + got.filter((r) => r.partition === 1).length).toBe(50);
    const sample = got.find((r) => r.value === 'value-7')!;
    expect(sample.timestamp).toBe(ts + 7);
    expect(sample.key).toBe('k2');
    expect(headers).toContain('7');
  });

  it('accepts acks=0 and acks=-1 produces', async () => {
    await producer.send({ topic: 'acks', acks: 0, messages: [{ value: 'fire-and-forget' }] });
    await producer.send({ topic: 'acks', acks: -1, messages: [{ value: 'all' }] });
    await waitFor('both acks messages stored', () => (broker.topics().find((t) => t.name === 'acks')?.partitions.reduce((n, p) => n + p.highWatermark, 0) ?? 0) === 2);
  });

  it('parks an idle fetch for maxWaitTime and answers as soon as data arrives', async () => {
    broker.createTopic('idle', 1);
    const consumer = kafkaFor(broker).consumer({ groupId: 'idler', maxWaitTimeInMs: 1000 });
    const got: number[] = [];
    let fetches = 0;
    consumer.on(consumer.events.FETCH, () => fetches++);
    await consumer.connect();
    await consumer.subscribe({ topic: 'idle', fromBeginning: true });
    await consumer.run({ eachMessage: async () => void got.push(Date.now()) });
    try {
      await waitFor('first fetch', () => fetches > 0);
      const before = broker.requestCount('Fetch');
      await new Promise((r) => setTimeout(r, 1500));
      // A spinning consumer would issue hundreds of fetches in 1.5 s; a parked one two at most.
      expect(broker.requestCount('Fetch') - before).toBeLessThanOrEqual(3);

      const sentAt = Date.now();
      await producer.send({ topic: 'idle', messages: [{ value: 'wake up' }] });
      await waitFor('the parked fetch to deliver', () => got.length === 1);
      expect(got[0]! - sentAt).toBeLessThan(500);
    } finally {
      await consumer.disconnect();
    }
  });

  it('auto-creates topics only when allowed', async () => {
    const strict = await startBroker({ autoCreateTopics: false });
    const p = kafkaFor(strict).producer({ retry: { retries: 1, initialRetryTime: 50 } });
    await p.connect();
    try {
      await expect(p.send({ topic: 'nope', messages: [{ value: 'x' }] })).rejects.toThrow(/does not host this topic-partition|not found|unknown/i);
      expect(strict.topics()).toEqual([]);
      strict.createTopic('exists', 2);
      await p.send({ topic: 'exists', messages: [{ value: 'x' }] });
    } finally {
      await p.disconnect();
      await strict.stop();
    }
  });

  it('delivers a batch larger than the consumer’s per-partition fetch limit (KIP-74)', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    await producer.send({ topic: 'big', messages: [{ value: big }, { value: 'small' }] });
    const consumer = kafkaFor(broker).consumer({ groupId: 'big-reader', maxWaitTimeInMs: 200, maxBytesPerPartition: 1024 * 1024 });
    const sizes: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'big', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void sizes.push(message.value?.length ?? 0) });
    try {
      await waitFor('both messages', () => sizes.length >= 2);
    } finally {
      await consumer.disconnect();
    }
    expect(sizes.sort((a, b) => a - b)).toEqual([5, big.length]);
  });
});
