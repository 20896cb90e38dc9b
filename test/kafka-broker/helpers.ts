import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { KafkaTestBroker, type KafkaTestBrokerOptions } from '../support/kafka-broker/broker.js';
import type { BrokerLogger } from '../support/kafka-broker/logger.js';

/** Set KAFKA_BROKER_LOG=1 to see the broker's connection and rebalance lines while debugging. */
const debugLogger: BrokerLogger | undefined = process.env['KAFKA_BROKER_LOG']
  ? { info: (m) => process.stderr.write(`[broker] ${m}\n`), warn: (m) => process.stderr.write(`[broker] WARN ${m}\n`) }
  : undefined;

export async function startBroker(options: KafkaTestBrokerOptions = {}): Promise<KafkaTestBroker> {
  const broker = new KafkaTestBroker({ logger: debugLogger, ...options });
  await broker.start();
  return broker;
}

export function kafkaFor(broker: KafkaTestBroker, clientId = 'circle-test'): Kafka {
  return new Kafka({
    clientId,
    brokers: broker.brokers,
    logLevel: process.env['KAFKA_BROKER_LOG'] ? logLevel.WARN : logLevel.NOTHING,
    // Restart tests take the broker away for a moment; retry quickly rather than back off for long.
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 30 },
  });
}

export interface Received {
  consumer: string;
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

export function recordOf(consumer: string, { topic, partition, message }: EachMessagePayload): Received {
  return {
    consumer,
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key?.toString() ?? null,
    value: message.value?.toString() ?? null,
    timestamp: Number(message.timestamp),
  };
}

/** Polls until `check` holds; the failure names what was awaited so a timeout explains itself. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function disconnectAll(consumers: Consumer[]): Promise<void> {
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
}
