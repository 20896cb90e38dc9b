import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import type { Producer } from 'kafkajs';
import type { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { kafkaFor, recordOf, startBroker, waitFor, type Received } from './helpers.js';

/**
 * kcat (librdkafka) is an independent client: if the broker only worked with kafkajs, this suite
 * would catch it. It is installed by .ci/run; a machine without it fails here loudly instead of
 * quietly skipping the only non-kafkajs check.
 */
function requireKcat(): void {
  const probe = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `kcat is required by the Kafka test-broker suite but could not be run (${probe.error?.message ?? `exit ${probe.status}`}). ` +
        'Install it with: apt-get update && apt-get install -y kcat',
    );
  }
}

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`));
    });
    child.stdin.end(input ?? '');
  });
}

describe('Kafka test broker: kcat (librdkafka) as an independent client', () => {
  let broker: KafkaTestBroker;
  let bootstrap: string;
  let producer: Producer;

  beforeAll(async () => {
    requireKcat();
    broker = await startBroker({ defaultPartitions: 4 });
    bootstrap = broker.brokers[0]!;
    producer = kafkaFor(broker).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await broker?.stop();
  });

  it('lists metadata', async () => {
    broker.createTopic('listed', 3);
    const out = await kcat(['-L', '-b', bootstrap, '-t', 'listed']);
    expect(out).toContain('topic "listed" with 3 partitions');
    expect(out).toContain(`broker 1 at ${bootstrap}`);
  });

  it('produces keyed and gzip messages that kafkajs consumes', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `key-${i % 5}:plain-${i}`).join('\n');
    await kcat(['-P', '-b', bootstrap, '-t', 'from-kcat', '-K:'], `${lines}\n`);
    const zipped = Array.from({ length: 20 }, (_, i) => `key-${i % 5}:zipped-${i}`).join('\n');
    await kcat(['-P', '-b', bootstrap, '-t', 'from-kcat', '-K:', '-z', 'gzip'], `${zipped}\n`);
    expect(broker.topics().find((t) => t.name === 'from-kcat')!.partitions.reduce((n, p) => n + p.highWatermark, 0)).toBe(40);

    const consumer = kafkaFor(broker).consumer({ groupId: 'reads-kcat', maxWaitTimeInMs: 200 });
    const got: Received[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'from-kcat', fromBeginning: true });
    await consumer.run({ eachMessage: async (p) => void got.push(recordOf('c', p)) });
    try {
      await waitFor('40 messages produced by kcat', () => got.length >= 40);
    } finally {
      await consumer.disconnect();
    }
    // librdkafka partitions by key too: every message of one key sits in one partition.
    for (let k = 0; k < 5; k++) {
      expect(new Set(got.filter((r) => r.key === `key-${k}`).map((r) => r.partition)).size).toBe(1);
    }
    expect(got.map((r) => r.value).sort()).toEqual(
      [...Array.from({ length: 20 }, (_, i) => `plain-${i}`), ...Array.from({ length: 20 }, (_, i) => `zipped-${i}`)].sort(),
    );
  });

  it('consumes from the beginning to the end what kafkajs produced', async () => {
    await producer.send({ topic: 'to-kcat', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}` })) });
    const out = await kcat(['-C', '-b', bootstrap, '-t', 'to-kcat', '-o', 'beginning', '-e', '-q', '-f', '%p %o %k %s\n']);
    const rows = out.trim().split('\n').map((l) => l.split(' '));
    expect(rows).toHaveLength(30);
    expect(rows.map((r) => r[3]).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    for (const p of new Set(rows.map((r) => r[0]))) {
      const offsets = rows.filter((r) => r[0] === p).map((r) => Number(r[1]));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('runs a librdkafka balanced consumer group that commits its offsets', async () => {
    await producer.send({ topic: 'kcat-group', messages: Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `g${i}` })) });
    const out = await kcat(['-C', '-b', bootstrap, '-G', 'kcat-readers', 'kcat-group', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
    expect(out.trim().split('\n').sort()).toEqual(Array.from({ length: 12 }, (_, i) => `g${i}`).sort());
    const highWatermarks = Object.fromEntries(broker.topics().find((t) => t.name === 'kcat-group')!.partitions.map((p) => [p.partition, p.highWatermark]));
    const committed = broker.committedOffsets('kcat-readers')['kcat-group'] ?? {};
    for (const [p, hw] of Object.entries(highWatermarks)) if (hw > 0) expect(committed[Number(p)]).toBe(hw);
  });
});
