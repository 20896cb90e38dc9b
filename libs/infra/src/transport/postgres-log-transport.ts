import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { DeadLetter, EventHandler, EventStore, EventTransport, StoredEvent, Subscription } from '#domain';
import { PostgresEventStore } from '../event-store/postgres-event-store.js';
import type { Logger } from '../logging/logger.js';
import { DeadLettersRepository } from './dead-letters.repository.js';
import { HandlerDispatcher, replayDeadLetter } from './handler-dispatcher.js';
import { LogNotifications } from './log-notifications.js';
import { PartitionLeases } from './partition-leases.js';
import { partitionOf } from './partitioning.js';
import type { CommonTransportOptions } from './transport-options.js';
import type { PartitionLag, TransportCheck, TransportDiagnostics } from './transport-diagnostics.js';
import { WakeUp } from './wake-up.js';

export interface PostgresLogTransportOptions extends CommonTransportOptions {
  pool: pg.Pool;
  store?: EventStore;
  /** Partitions per consumer group; streams are spread over them as Kafka would spread keys. */
  partitions?: number;
  /** A worker that stops renewing loses its partitions this long after its last renewal. */
  leaseMs?: number;
  /** How often handled positions are written to the checkpoints (a crash redelivers at most this much). */
  commitIntervalMs?: number;
  /** The reader pauses when this many events wait in memory (a slow or retrying partition). */
  maxBufferedEvents?: number;
  /** Identifies this process in the lease tables; defaults to host, pid and a random suffix. */
  memberId?: string;
}

interface PartitionState {
  readonly partition: number;
  queue: StoredEvent[];
  head: number;
  /** Every event of this partition at or below this position is queued or handled. */
  enqueuedUpTo: number;
  /** Safe checkpoint: everything of this partition at or below it was handled. */
  doneUpTo: number;
  committed: number;
  /** Local time after which the lease may have lapsed in the database: stop handling. */
  validUntil: number;
  revoked: boolean;
  wake: WakeUp;
  running: Promise<void> | null;
}

const pending = (s: PartitionState): number => s.queue.length - s.head;

/**
 * One handler's membership in its consumer group on the Postgres log. One reader per
 * process follows global_position (safe: appends commit in position order) from the
 * lowest checkpoint among the partitions it holds and fans events out to one sequential
 * loop per partition, so a retrying partition holds up only its own streams.
 */
class PostgresLogSubscription implements Subscription {
  private readonly owned = new Map<number, PartitionState>();
  private readonly fetchWake = new WakeUp();
  private readonly leaseWake = new WakeUp();
  private closing = false;
  private loops: Promise<void>[] = [];
  private readonly unlisten: () => void;
  /** Local time of the last lease heartbeat that reached the database; 0 before the first. */
  private lastHeartbeatAt = 0;

  constructor(
    private readonly dispatcher: HandlerDispatcher,
    private readonly leases: PartitionLeases,
    private readonly store: EventStore,
    notifications: LogNotifications,
    private readonly settings: Required<Pick<PostgresLogTransportOptions, 'partitions' | 'leaseMs' | 'commitIntervalMs' | 'maxBufferedEvents' | 'batchSize' | 'pollIntervalMs'>>,
    private readonly logger?: Logger,
  ) {
    this.unlisten = notifications.onAppend(() => this.fetchWake.wake());
  }

  async start(): Promise<void> {
    await this.leases.ensureGroup();
    await this.rebalance();
    this.loops = [this.leaseLoop(), this.fetchLoop(), this.commitLoop()];
  }

  /** Partitions this member holds now (tests and diagnostics). */
  partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** Log positions between `head` and each held partition's handled position. */
  lag(head: number): { partition: number; events: number }[] {
    return [...this.owned.values()]
      .filter((s) => !s.revoked)
      .map((s) => ({ partition: s.partition, events: Math.max(0, head - s.doneUpTo) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /**
   * A member whose heartbeat has not reached the database for a whole lease is, for the
   * others, gone: they take its partitions. Holding none is fine (more workers than
   * partitions); not being heard from is not.
   */
  membership(): { live: boolean; detail: string } {
    const silentMs = Date.now() - this.lastHeartbeatAt;
    if (this.lastHeartbeatAt === 0) return { live: false, detail: 'has not joined yet' };
    if (silentMs > this.settings.leaseMs) return { live: false, detail: `no lease heartbeat reached the database for ${silentMs} ms (lease ${this.settings.leaseMs} ms)` };
    return { live: true, detail: `member, holding ${this.owned.size} of ${this.settings.partitions} partitions` };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unlisten();
    this.fetchWake.wake();
    this.leaseWake.wake();
    await Promise.all(this.loops);
    const states = [...this.owned.values()];
    for (const s of states) this.stopPartition(s);
    await Promise.all(states.map((s) => s.running));
    await this.commit(states).catch((error: unknown) => this.logger?.warn({ err: error }, 'final checkpoint commit failed'));
    await this.leases.release(states.map((s) => s.partition)).catch(() => undefined);
    await this.leases.leave().catch(() => undefined);
    this.owned.clear();
  }

  private async leaseLoop(): Promise<void> {
    const interval = Math.max(50, Math.floor(this.settings.leaseMs / 3));
    while (!this.closing) {
      await this.leaseWake.wait(interval);
      if (this.closing) return;
      await this.rebalance().catch((error: unknown) => this.logger?.warn({ err: error }, 'lease renewal failed'));
    }
  }

  private async rebalance(): Promise<void> {
    const started = Date.now();
    const target = await this.leases.heartbeat();
    // When it returned, not when it was sent: a heartbeat stuck on a lock proves nothing until it lands.
    this.lastHeartbeatAt = Date.now();
    const held = new Set(await this.leases.renew());
    for (const [partition, state] of this.owned) {
      if (held.has(partition)) state.validUntil = started + this.settings.leaseMs;
      else {
        this.logger?.warn({ partition }, 'partition lease lost');
        this.stopPartition(state);
      }
    }
    const unknown = [...held].filter((p) => !this.owned.has(p));
    if (unknown.length > 0) await this.leases.release(unknown);
    const mine = [...this.owned.keys()].sort((a, b) => b - a);
    if (mine.length > target) {
      await this.handBack(mine.slice(0, mine.length - target));
    } else if (mine.length < target && !this.closing) {
      for (const { partition, position } of await this.leases.claim(target - mine.length)) {
        const state: PartitionState = {
          partition,
          queue: [],
          head: 0,
          enqueuedUpTo: position,
          doneUpTo: position,
          committed: position,
          validUntil: started + this.settings.leaseMs,
          revoked: false,
          wake: new WakeUp(),
          running: null,
        };
        this.owned.set(partition, state);
        state.running = this.partitionLoop(state);
      }
      this.fetchWake.wake();
    }
  }

  /** Gives partitions to newcomers: finish the event in hand, commit, then free the lease. */
  private async handBack(partitions: number[]): Promise<void> {
    const states = partitions.map((p) => this.owned.get(p)!);
    for (const s of states) this.stopPartition(s);
    await Promise.all(states.map((s) => s.running));
    await this.commit(states);
    await this.leases.release(partitions);
  }

  private stopPartition(state: PartitionState): void {
    state.revoked = true;
    this.owned.delete(state.partition);
    state.wake.wake();
  }

  private async fetchLoop(): Promise<void> {
    while (!this.closing) {
      const states = [...this.owned.values()];
      const buffered = states.reduce((n, s) => n + pending(s), 0);
      if (states.length === 0 || buffered >= this.settings.maxBufferedEvents) {
        await this.fetchWake.wait(this.settings.pollIntervalMs);
        continue;
      }
      const cursor = Math.min(...states.map((s) => s.enqueuedUpTo));
      let events: StoredEvent[];
      try {
        events = await this.store.readAll(cursor, this.settings.batchSize);
      } catch (error) {
        this.logger?.warn({ err: error }, 'reading the log failed');
        await this.fetchWake.wait(this.settings.pollIntervalMs);
        continue;
      }
      if (events.length > 0) {
        const end = events[events.length - 1]!.globalPosition;
        for (const event of events) {
          const state = this.owned.get(partitionOf(event.streamId, this.settings.partitions));
          if (state && !state.revoked && event.globalPosition > state.enqueuedUpTo) state.queue.push(event);
        }
        // Also for partitions that had nothing in this range: their checkpoint may pass it.
        for (const state of states) {
          if (!state.revoked && end > state.enqueuedUpTo) {
            state.enqueuedUpTo = end;
            state.wake.wake();
          }
        }
      }
      if (events.length < this.settings.batchSize) await this.fetchWake.wait(this.settings.pollIntervalMs);
    }
  }

  private async partitionLoop(state: PartitionState): Promise<void> {
    while (!state.revoked && !this.closing) {
      if (pending(state) === 0) {
        state.queue = [];
        state.head = 0;
        state.doneUpTo = Math.max(state.doneUpTo, state.enqueuedUpTo);
        await state.wake.wait(this.settings.pollIntervalMs);
        continue;
      }
      if (Date.now() > state.validUntil) {
        // Renewals have failed for a whole lease: another worker may hold it by now.
        this.logger?.warn({ partition: state.partition }, 'lease not renewed in time; pausing the partition');
        this.stopPartition(state);
        return;
      }
      const event = state.queue[state.head]!;
      try {
        await this.dispatcher.deliver(event);
      } catch (error) {
        this.logger?.error({ err: error, eventId: event.eventId }, 'could not dead-letter an event; retrying');
        await state.wake.wait(this.settings.pollIntervalMs);
        continue;
      }
      state.head += 1;
      state.doneUpTo = event.globalPosition;
      if (pending(state) === Math.floor(this.settings.maxBufferedEvents / 2)) this.fetchWake.wake();
    }
  }

  private async commitLoop(): Promise<void> {
    while (!this.closing) {
      await new Promise((r) => setTimeout(r, this.settings.commitIntervalMs));
      if (this.closing) return;
      await this.commit([...this.owned.values()]).catch((error: unknown) =>
        this.logger?.warn({ err: error }, 'checkpoint commit failed'),
      );
    }
  }

  private async commit(states: PartitionState[]): Promise<void> {
    const moved = states.filter((s) => s.doneUpTo > s.committed);
    if (moved.length === 0) return;
    const positions = new Map(moved.map((s) => [s.partition, s.doneUpTo]));
    const written = new Set(await this.leases.commit(positions));
    for (const s of moved) if (written.has(s.partition)) s.committed = positions.get(s.partition)!;
  }
}

/**
 * The embedded transport: consumers read the events table itself. Per consumer group
 * (= handler name) the streams are spread over `partitions` partitions; workers share
 * them through leases in Postgres and keep one checkpoint per partition.
 */
export class PostgresLogTransport implements EventTransport, TransportDiagnostics {
  private readonly store: EventStore;
  private readonly deadLetterStore: DeadLettersRepository;
  private readonly notifications: LogNotifications;
  private readonly handlers = new Map<string, EventHandler>();
  private readonly subscriptions = new Map<string, PostgresLogSubscription>();
  private readonly memberId: string;

  constructor(private readonly options: PostgresLogTransportOptions) {
    this.store = options.store ?? new PostgresEventStore(options.pool);
    this.deadLetterStore = new DeadLettersRepository(options.pool);
    this.notifications = new LogNotifications(options.pool, options.logger);
    this.memberId = options.memberId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  async start(): Promise<void> {
    await this.notifications.start();
  }

  async subscribe(handler: EventHandler): Promise<Subscription> {
    if (this.handlers.has(handler.name)) throw new Error(`handler ${handler.name} is already subscribed`);
    await this.notifications.start();
    const partitions = this.options.partitions ?? 12;
    const leaseMs = this.options.leaseMs ?? 10_000;
    const logger = this.options.logger?.child({ handler: handler.name, transport: 'postgres-log' });
    const subscription = new PostgresLogSubscription(
      new HandlerDispatcher(handler, this.deadLetterStore, this.options.retry, logger, this.options.metrics),
      new PartitionLeases(this.options.pool, handler.name, partitions, this.memberId, leaseMs),
      this.store,
      this.notifications,
      {
        partitions,
        leaseMs,
        commitIntervalMs: this.options.commitIntervalMs ?? 200,
        maxBufferedEvents: this.options.maxBufferedEvents ?? 10_000,
        batchSize: this.options.batchSize ?? 500,
        pollIntervalMs: this.options.pollIntervalMs ?? 1000,
      },
      logger,
    );
    this.handlers.set(handler.name, handler);
    this.subscriptions.set(handler.name, subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.handlers.delete(handler.name);
      this.subscriptions.delete(handler.name);
      throw error;
    }
    return {
      close: async () => {
        await subscription.close();
        this.handlers.delete(handler.name);
        this.subscriptions.delete(handler.name);
      },
    };
  }

  /** Partitions one handler holds in this process (tests and diagnostics). */
  assignedPartitions(handler: string): number[] {
    return this.subscriptions.get(handler)?.partitions() ?? [];
  }

  async lag(): Promise<PartitionLag[]> {
    if (this.subscriptions.size === 0) return [];
    const head = await this.store.headPosition();
    return [...this.subscriptions].flatMap(([group, s]) => s.lag(head).map((l) => ({ group, ...l })));
  }

  connection(): TransportCheck {
    return this.notifications.listening
      ? { up: true, detail: 'LISTEN connection to PostgreSQL up' }
      : { up: false, detail: 'LISTEN connection to PostgreSQL lost; reconnecting (reading by polling meanwhile)' };
  }

  membership(): TransportCheck {
    const groups = [...this.subscriptions].map(([group, s]) => ({ group, ...s.membership() }));
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
    await Promise.all([...this.subscriptions.values()].map((s) => s.close()));
    this.subscriptions.clear();
    this.handlers.clear();
    await this.notifications.stop();
  }
}
