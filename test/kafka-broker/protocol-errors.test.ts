import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import type { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { Reader } from '../support/kafka-broker/protocol/reader.js';
import { Writer } from '../support/kafka-broker/protocol/writer.js';
import { kafkaFor, startBroker, waitFor } from './helpers.js';

/** A bare TCP client, to send what no well-behaved Kafka client would. */
class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: ((frame: Buffer) => void)[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        this.waiting.shift()?.(this.buffered.subarray(4, 4 + size));
        this.buffered = this.buffered.subarray(4 + size);
      }
    });
    socket.on('close', () => (this.closed = true));
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends a v1 request header plus body; resolves with the response after its correlation id. */
  request(apiKey: number, version: number, correlationId: number, body = new Writer()): Promise<Reader> {
    const frame = new Writer().int16(apiKey).int16(version).int32(correlationId).string('raw').raw(body.toBuffer()).toBuffer();
    this.sendRaw(Buffer.concat([new Writer().int32(frame.length).toBuffer(), frame]));
    return new Promise((resolve) => {
      this.waiting.push((response) => {
        const r = new Reader(response);
        expect(r.int32()).toBe(correlationId);
        resolve(r);
      });
    });
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('Kafka test broker: unsupported and malformed requests', () => {
  let broker: KafkaTestBroker;
  const warnings: string[] = [];

  beforeAll(async () => {
    broker = await startBroker({ logger: { info: () => undefined, warn: (m) => warnings.push(m) } });
  });

  afterAll(async () => {
    await broker.stop();
  });

  it('answers an unknown api key and an unsupported version with UNSUPPORTED_VERSION and keeps the connection', async () => {
    const client = await RawClient.open(broker.port);
    try {
      // 57 is UpdateFeatures, a controller API this broker does not implement.
      expect((await client.request(57, 0, 1)).int16()).toBe(35);
      expect((await client.request(3, 99, 2)).int16()).toBe(35);

      // KIP-511: an ApiVersions version from the future gets the v0 layout with our ranges.
      const future = await client.request(18, 9, 3);
      expect(future.int16()).toBe(35);
      const ranges = future.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
      expect(ranges.find((a) => a.key === 18)).toEqual({ key: 18, min: 0, max: 3 });

      const ok = await client.request(18, 0, 4);
      expect(ok.int16()).toBe(0);
      const keys = ok.array((r) => {
        const key = r.int16();
        r.int16();
        r.int16();
        return key;
      });
      expect(keys).toEqual(expect.arrayContaining([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20]));
      expect(client.closed).toBe(false);
    } finally {
      client.close();
    }
  });

  it('closes only the connection that sent a malformed frame, and logs it', async () => {
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    try {
      const negative = await RawClient.open(broker.port);
      negative.sendRaw(new Writer().int32(-5).toBuffer());
      await waitFor('connection with a negative frame size closed', () => negative.closed, 5000);

      // Metadata v1 claiming 1000 topic names but carrying none.
      const truncated = await RawClient.open(broker.port);
      const frame = new Writer().int16(3).int16(1).int32(7).string('raw').int32(1000).toBuffer();
      truncated.sendRaw(Buffer.concat([new Writer().int32(frame.length).toBuffer(), frame]));
      await waitFor('connection with a truncated body closed', () => truncated.closed, 5000);

      expect(warnings.filter((w) => w.includes('malformed frame'))).toHaveLength(2);
      // Everybody else carries on.
      await admin.createTopics({ topics: [{ topic: 'still-fine', numPartitions: 2 }] });
      expect(await admin.listTopics()).toContain('still-fine');
    } finally {
      await admin.disconnect();
    }
  });
});
