import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Consumer, ConsumerConfig, Kafka, Producer } from 'kafkajs';
import type { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { disconnectAll, kafkaFor, recordOf, startBroker, waitFor, type Received } from './helpers.js';

/** Short timings so failover happens in seconds; the broker's minimum session timeout is 1 s. */
const SESSION_TIMEOUT_MS = 3000;
const groupTimings: Partial<ConsumerConfig> = {
  sessionTimeout: SESSION_TIMEOUT_MS,
  rebalanceTimeout: 6000,
  heartbeatInterval: 300,
  // A fetch parks this long on an idle partition; it must stay well under the session timeout
  // because the heartbeat queues behind it on the same connection, as it would against Kafka.
  maxWaitTimeInMs: 250,
};

describe('Kafka test broker: consumer groups with kafkajs', () => {
  let broker: KafkaTestBroker;
  let kafka: Kafka;
  let producer: Producer;
  let consumers: Consumer[] = [];

  beforeAll(async () => {
    broker = await startBroker();
    kafka = kafkaFor(broker);
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    await disconnectAll(consumers);
    consumers = [];
  });

  afterAll(async () => {
    await producer.disconnect();
    await broker.stop();
  });

  function consumer(groupId: string): Consumer {
    const c = kafka.consumer({ groupId, ...groupTimings });
    consumers.push(c);
    return c;
  }

  it('splits 6 partitions over 3 members and moves a stalled member’s partitions to the others', async () => {
    const topic = 'orders';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    await admin.disconnect();

    const received: Received[] = [];
    const assignment = new Map<string, number[]>();
    let stalled: string | null = null;
    let releaseStall = (): void => undefined;
    const stallGate = new Promise<void>((resolve) => (releaseStall = resolve));

    const names = ['a', 'b', 'c'];
    for (const name of names) {
      const c = consumer('order-workers');
      c.on(c.events.GROUP_JOIN, ({ payload }) => assignment.set(name, payload.memberAssignment[topic] ?? []));
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async (p) => {
          // The stalled member blocks inside its handler: kafkajs heartbeats only between
          // messages, so this is a consumer that stops heart-beating without closing anything.
          if (stalled === name) await stallGate;
          received.push(recordOf(name, p));
        },
      });
    }

    const split = (): boolean => {
      const all = names.flatMap((n) => assignment.get(n) ?? []);
      return names.every((n) => assignment.get(n)?.length === 2) && new Set(all).size === 6;
    };
    await waitFor('3 members holding 2 partitions each', () => split() && broker.describeGroup('order-workers').state === 'Stable');
    // Produce only once the group is settled, so each message goes to its partition's final owner.
    await producer.send({ topic, messages: Array.from({ length: 60 }, (_, i) => ({ key: `stream-${i % 30}`, value: `m${i}` })) });
    expect(broker.topics().find((t) => t.name === topic)!.partitions.every((p) => p.highWatermark > 0)).toBe(true);
    await waitFor('all 60 messages', () => new Set(received.map((r) => r.value)).size === 60);
    for (const r of received) expect(assignment.get(r.consumer)).toContain(r.partition);
    for (const n of names) expect(received.some((r) => r.consumer === n)).toBe(true);

    // Stall "c", then give it something to choke on.
    stalled = 'c';
    const orphaned = assignment.get('c')!;
    const stalledAt = Date.now();
    await producer.send({ topic, messages: [0, 1, 2, 3, 4, 5].flatMap((partition) => [{ partition, value: `after-${partition}` }]) });

    await waitFor(
      'the survivors to take over the stalled member’s partitions',
      () => ['a', 'b'].every((n) => assignment.get(n)?.length === 3) && broker.describeGroup('order-workers').members.length === 2,
      SESSION_TIMEOUT_MS * 3,
    );
    const failoverMs = Date.now() - stalledAt;
    // Session expiry (3 s) plus one rejoin round; a broker that ignored sessions would never get here.
    expect(failoverMs).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 500);
    expect(failoverMs).toBeLessThan(SESSION_TIMEOUT_MS * 2);
    await waitFor('post-stall messages on the orphaned partitions', () =>
      orphaned.every((p) => received.some((r) => r.value === `after-${p}` && r.consumer !== 'c')),
    );
    releaseStall();
  });

  it('resumes a restarted consumer from its committed offset', async () => {
    const topic = 'resume';
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `first-${i}` })) });

    const first: Received[] = [];
    const c1 = consumer('resumers');
    await c1.connect();
    await c1.subscribe({ topic, fromBeginning: true });
    await c1.run({ eachMessage: async (p) => void first.push(recordOf('c1', p)) });
    await waitFor('first 10 messages', () => first.length === 10);
    await waitFor('offset 10 committed', () => broker.committedOffsets('resumers')[topic]?.[0] === 10);
    await c1.disconnect();

    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `second-${i}` })) });
    const second: Received[] = [];
    const c2 = consumer('resumers');
    await c2.connect();
    // fromBeginning only applies without a committed offset; the commit must win.
    await c2.subscribe({ topic, fromBeginning: true });
    await c2.run({ eachMessage: async (p) => void second.push(recordOf('c2', p)) });
    await waitFor('5 new messages', () => second.length >= 5);
    const admin = kafka.admin();
    await admin.connect();
    const { groups } = await admin.describeGroups(['resumers']);
    await admin.disconnect();
    expect(groups[0]).toMatchObject({ groupId: 'resumers', state: 'Stable', protocolType: 'consumer' });
    expect(groups[0]!.members).toHaveLength(1);
    expect(groups[0]!.members[0]!.memberAssignment.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.map((r) => r.offset)).toEqual([10, 11, 12, 13, 14]);
    expect(second.map((r) => r.value)).toEqual(['second-0', 'second-1', 'second-2', 'second-3', 'second-4']);
  });

  it('honours fromBeginning for new groups and seek for running consumers', async () => {
    const topic = 'replay';
    await producer.send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ value: `old-${i}` })) });

    const latest: Received[] = [];
    const tail = consumer('tail-only');
    await tail.connect();
    await tail.subscribe({ topic, fromBeginning: false });
    // The tail position is resolved on the first fetch; produce before that and it would be skipped.
    let fetched = false;
    tail.on(tail.events.FETCH, () => (fetched = true));
    await tail.run({ eachMessage: async (p) => void latest.push(recordOf('tail', p)) });
    await waitFor('tail consumer fetching', () => fetched);

    const all: Received[] = [];
    const replay = consumer('replayer');
    await replay.connect();
    await replay.subscribe({ topic, fromBeginning: true });
    await replay.run({ eachMessage: async (p) => void all.push(recordOf('replay', p)) });
    await waitFor('all 8 old messages from the beginning', () => all.length === 8);

    await producer.send({ topic, messages: [{ value: 'new-0' }] });
    await waitFor('the new message at the tail', () => latest.length === 1 && all.length === 9);
    expect(latest[0]!.value).toBe('new-0');

    replay.seek({ topic, partition: 0, offset: '3' });
    await waitFor('replay from offset 3 after seek', () => all.length === 9 + 6);
    expect(all.slice(9).map((r) => r.offset)).toEqual([3, 4, 5, 6, 7, 8]);
  });
});
