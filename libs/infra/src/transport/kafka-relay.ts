import type { Kafka, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type pg from 'pg';
import type { EventStore } from '#domain';
import type { Logger } from '../logging/logger.js';
import { toKafkaMessage } from './kafka-event-codec.js';
import type { LogNotifications } from './log-notifications.js';
import { WakeUp } from './wake-up.js';

export interface KafkaRelayOptions {
  kafka: Kafka;
  pool: pg.Pool;
  store: EventStore;
  notifications: LogNotifications;
  topic: string;
  batchSize: number;
  pollIntervalMs: number;
  /** How often a standby process tries to become the relay. */
  standbyRetryMs: number;
  logger?: Logger;
}

/** Session advisory lock key per topic: one relay per topic across all processes. */
function relayLockKey(topic: string): number {
  let hash = 0x72656c61; // "rela"
  for (const char of topic) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/**
 * Publishes the event log to the topic, in log order, at least once. Exactly one process
 * relays at a time: the one holding a session advisory lock, which Postgres drops with
 * the connection if that process dies, so a standby takes over within `standbyRetryMs`.
 * The checkpoint moves only after the broker acknowledged a batch (acks = all), and it is
 * written on the lock's own connection, so a relay that lost its lock cannot write it.
 * A crash between the two republishes the batch: duplicates, never gaps.
 */
export class KafkaRelay {
  private running: Promise<void> | null = null;
  private stopping = false;
  private readonly wake = new WakeUp();
  private producer: Producer | null = null;
  private unlisten: (() => void) | null = null;
  private leader = false;

  constructor(private readonly options: KafkaRelayOptions) {}

  /** True while this process holds the relay lock. */
  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.unlisten = this.options.notifications.onAppend(() => this.wake.wake());
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.wake();
    await this.running;
    this.running = null;
    this.unlisten?.();
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = null;
  }

  private async loop(): Promise<void> {
    const log = this.options.logger?.child({ component: 'kafka-relay', topic: this.options.topic });
    while (!this.stopping) {
      let client: pg.PoolClient | null = null;
      try {
        client = await this.options.pool.connect();
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [relayLockKey(this.options.topic)]);
        if (!rows[0]!.locked) {
          client.release();
          client = null;
          await this.wake.wait(this.options.standbyRetryMs);
          continue;
        }
        this.leader = true;
        log?.info('relay started on this process');
        await this.pump(client);
      } catch (error) {
        log?.warn({ err: error }, 'relay interrupted; retrying');
        // The connection may hold the lock in an unknown state: discard it rather than reuse it.
        client?.release(error as Error);
        client = null;
        if (!this.stopping) await new Promise((r) => setTimeout(r, this.options.pollIntervalMs));
      } finally {
        this.leader = false;
        if (client) {
          await client.query('SELECT pg_advisory_unlock($1)', [relayLockKey(this.options.topic)]).catch(() => undefined);
          client.release();
        }
      }
    }
  }

  private async pump(lockClient: pg.PoolClient): Promise<void> {
    const { topic, store, batchSize, pollIntervalMs } = this.options;
    await lockClient.query('INSERT INTO relay_checkpoint (relay, position) VALUES ($1, 0) ON CONFLICT DO NOTHING', [topic]);
    const { rows } = await lockClient.query<{ position: string }>('SELECT position FROM relay_checkpoint WHERE relay = $1', [topic]);
    let position = Number(rows[0]!.position);
    this.producer ??= this.options.kafka.producer({
      // One request in flight per broker keeps each partition's records in log order
      // across retries; the idempotent producer would also do it, but needs InitProducerId.
      maxInFlightRequests: 1,
      idempotent: false,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    while (!this.stopping) {
      const events = await store.readAll(position, batchSize);
      if (events.length === 0) {
        await this.wake.wait(pollIntervalMs);
        continue;
      }
      await this.producer.send({ topic, acks: -1, messages: events.map(toKafkaMessage) });
      position = events[events.length - 1]!.globalPosition;
      await lockClient.query('UPDATE relay_checkpoint SET position = $2 WHERE relay = $1', [topic, position]);
    }
  }
}
