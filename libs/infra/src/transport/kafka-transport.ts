import { Kafka, logLevel, type Admin, type Consumer, type logCreator } from 'kafkajs';
import type pg from 'pg';
import type { DeadLetter, EventHandler, EventStore, EventTransport, Subscription } from '#domain';
import { PostgresEventStore } from '../event-store/postgres-event-store.js';
import type { Logger } from '../logging/logger.js';
import { DeadLettersRepository } from './dead-letters.repository.js';
import { HandlerDispatcher, replayDeadLetter } from './handler-dispatcher.js';
import { fromKafkaMessage } from './kafka-event-codec.js';
import { KafkaRelay } from './kafka-relay.js';
import { LogNotifications } from './log-notifications.js';
import type { CommonTransportOptions } from './transport-options.js';
import type { PartitionLag, TransportCheck, TransportDiagnostics } from './transport-diagnostics.js';

export interface KafkaTransportOptions extends CommonTransportOptions {
  brokers: string[];
  clientId?: string;
  topic?: string;
  /** Used when the topic is created at start-up; an existing topic keeps its own. */
  partitions?: number;
  replicationFactor?: number;
  pool: pg.Pool;
  store?: EventStore;
  /** Whether this process competes to run the relay (default true; exactly one wins). */
  relay?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /**
   * How long a fetch parks on an idle partition. Heartbeats queue behind fetches on the
   * same connection, so keep it well under the session timeout.
   */
  maxWaitTimeMs?: number;
  /** How often a process that is not the relay checks whether the relay's lock is free. */
  standbyRetryMs?: number;
}

/** kafkajs' own log lines (rebalances, reconnects) go through the service logger at warn and above. */
function kafkaLogCreator(logger: Logger | undefined): logCreator {
  return () => ({ level, log }) => {
    if (!logger) return;
    const { message, ...extra } = log;
    if (level === logLevel.ERROR) logger.error({ kafka: extra }, message);
    else if (level === logLevel.WARN) logger.warn({ kafka: extra }, message);
  };
}

/**
 * Kafka adapter: the relay publishes the log to one topic keyed by stream id; each
 * handler is a consumer group, so Kafka spreads partitions over the workers and moves a
 * dead worker's partitions to the others after its session times out.
 */
/** What a consumer's events said last; readiness reads it. */
interface ConsumerHealth {
  connected: boolean;
  /** Local time of the last group join or heartbeat; 0 before the first join. */
  lastSeenAt: number;
  crashed: string | null;
}

export class KafkaTransport implements EventTransport, TransportDiagnostics {
  readonly kafka: Kafka;
  readonly topic: string;
  private readonly store: EventStore;
  private readonly deadLetterStore: DeadLettersRepository;
  private readonly notifications: LogNotifications;
  private readonly relay: KafkaRelay | null;
  private readonly handlers = new Map<string, EventHandler>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly assignments = new Map<string, number[]>();
  private readonly consumerHealth = new Map<string, ConsumerHealth>();
  private admin: Promise<Admin> | null = null;
  private topicReady: Promise<void> | null = null;

  constructor(private readonly options: KafkaTransportOptions) {
    this.topic = options.topic ?? 'circle.events';
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'circle',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(options.logger?.child({ component: 'kafkajs' })),
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 10 },
    });
    this.store = options.store ?? new PostgresEventStore(options.pool);
    this.deadLetterStore = new DeadLettersRepository(options.pool);
    this.notifications = new LogNotifications(options.pool, options.logger);
    this.relay =
      options.relay === false
        ? null
        : new KafkaRelay({
            kafka: this.kafka,
            pool: options.pool,
            store: this.store,
            notifications: this.notifications,
            topic: this.topic,
            batchSize: options.batchSize ?? 500,
            pollIntervalMs: options.pollIntervalMs ?? 1000,
            standbyRetryMs: options.standbyRetryMs ?? 2000,
            logger: options.logger,
          });
  }

  /** Creates the topic if missing, then starts competing for the relay. */
  async start(): Promise<void> {
    await this.ensureTopic();
    if (this.relay) {
      await this.notifications.start();
      this.relay.start();
    }
  }

  /** True while this process is the one relaying the log (tests and diagnostics). */
  get isRelayLeader(): boolean {
    return this.relay?.isLeader ?? false;
  }

  async subscribe(handler: EventHandler): Promise<Subscription> {
    if (this.handlers.has(handler.name)) throw new Error(`handler ${handler.name} is already subscribed`);
    await this.ensureTopic();
    const logger = this.options.logger?.child({ handler: handler.name, transport: 'kafka' });
    const dispatcher = new HandlerDispatcher(handler, this.deadLetterStore, this.options.retry, logger, this.options.metrics);
    const consumer = this.kafka.consumer({
      groupId: handler.name,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 500,
      allowAutoTopicCreation: false,
    });
    const health: ConsumerHealth = { connected: false, lastSeenAt: 0, crashed: null };
    this.consumerHealth.set(handler.name, health);
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignments.set(handler.name, [...(payload.memberAssignment[this.topic] ?? [])].sort((a, b) => a - b));
      Object.assign(health, { connected: true, lastSeenAt: Date.now(), crashed: null });
    });
    consumer.on(consumer.events.HEARTBEAT, () => {
      health.lastSeenAt = Date.now();
    });
    consumer.on(consumer.events.CONNECT, () => {
      health.connected = true;
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      health.connected = false;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      Object.assign(health, { connected: false, crashed: payload.error.message });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    this.handlers.set(handler.name, handler);
    this.consumers.set(handler.name, consumer);
    await consumer.run({
      // Partitions run side by side, so one retrying partition does not hold up the rest.
      partitionsConsumedConcurrently: this.options.partitions ?? 12,
      eachMessage: async ({ message, heartbeat }) => {
        await dispatcher.deliver(fromKafkaMessage(message), heartbeat);
      },
    });
    return {
      close: async () => {
        // kafkajs' disconnect stops fetching, waits for the running handlers, commits the
        // resolved offsets and leaves the group.
        await consumer.disconnect();
        this.handlers.delete(handler.name);
        this.consumers.delete(handler.name);
        this.assignments.delete(handler.name);
        this.consumerHealth.delete(handler.name);
      },
    };
  }

  /** Partitions one handler's consumer holds after its last rebalance (tests and diagnostics). */
  assignedPartitions(handler: string): number[] {
    return this.assignments.get(handler) ?? [];
  }

  /** High watermark minus the group's committed offset, for the partitions this process's consumers hold. */
  async lag(): Promise<PartitionLag[]> {
    const groups = [...this.assignments].filter(([, partitions]) => partitions.length > 0);
    if (groups.length === 0) return [];
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = null;
      throw error;
    });
    const admin = await this.admin;
    const ends = new Map((await admin.fetchTopicOffsets(this.topic)).map((p) => [p.partition, { high: Number(p.high), low: Number(p.low) }]));
    const lags: PartitionLag[] = [];
    for (const [group, partitions] of groups) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [this.topic] });
      const offsets = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      for (const partition of partitions) {
        const end = ends.get(partition);
        if (!end) continue;
        // -1: nothing committed yet, so the group starts from the beginning of the partition.
        const offset = offsets.get(partition) ?? -1;
        lags.push({ group, partition, events: Math.max(0, end.high - (offset < 0 ? end.low : offset)) });
      }
    }
    return lags;
  }

  connection(): TransportCheck {
    const down = [...this.consumerHealth].filter(([, h]) => !h.connected);
    if (down.length === 0) return { up: true, detail: `${this.consumerHealth.size} consumer(s) connected to Kafka` };
    return { up: false, detail: down.map(([group, h]) => `${group}: ${h.crashed ? `consumer crashed (${h.crashed})` : 'not connected to Kafka'}`).join('; ') };
  }

  membership(): TransportCheck {
    const limit = this.options.sessionTimeoutMs ?? 30_000;
    const now = Date.now();
    const groups = [...this.consumerHealth].map(([group, h]) => {
      if (h.lastSeenAt === 0) return { group, live: false, detail: 'has not joined its group yet' };
      const silent = now - h.lastSeenAt;
      if (silent > limit) return { group, live: false, detail: `no heartbeat acknowledged for ${silent} ms (session timeout ${limit} ms)` };
      return { group, live: true, detail: `member, holding ${this.assignments.get(group)?.length ?? 0} partitions` };
    });
    return {
      up: groups.every((g) => g.live),
      detail: groups.length === 0 ? 'no consumer group subscribed' : groups.map((g) => `${g.group}: ${g.detail}`).join('; '),
    };
  }

  deadLetters(handler?: string): Promise<DeadLetter[]> {
    return this.deadLetterStore.list(handler);
  }

  replayDeadLetter(id: string): Promise<void> {
    return replayDeadLetter(id, this.deadLetterStore, this.store, this.handlers);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((c) => c.disconnect().catch(() => undefined)));
    this.consumers.clear();
    this.handlers.clear();
    this.consumerHealth.clear();
    const admin = this.admin;
    this.admin = null;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
    await this.relay?.stop();
    await this.notifications.stop();
  }

  private ensureTopic(): Promise<void> {
    this.topicReady ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: this.topic,
              numPartitions: this.options.partitions ?? 12,
              replicationFactor: this.options.replicationFactor ?? 1,
            },
          ],
        });
      } finally {
        await admin.disconnect();
      }
    })().catch((error: unknown) => {
      this.topicReady = null;
      throw new Error(`could not create Kafka topic ${this.topic}: ${(error as Error).message}`, { cause: error });
    });
    return this.topicReady;
  }
}
