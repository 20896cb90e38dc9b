import type { StoredEvent } from './event-store.port.js';

/**
 * Something that reacts to events delivered by the transport (the rollout process,
 * notifiers). Delivery is at least once: a handler must be idempotent, typically by
 * remembering the stream version it last applied per stream.
 */
export interface EventHandler {
  /** Stable name; it is the consumer group, so every instance of a handler shares the work. */
  readonly name: string;
  /** Event types this handler wants; others are acknowledged without a call. Empty = all. */
  readonly eventTypes?: readonly string[];
  /**
   * Handles one event. Throwing retries it with backoff; after the configured number of
   * attempts the event goes to the dead letters and the stream moves on. Throw a
   * `PermanentHandlerError` to skip the retries.
   */
  handle(event: StoredEvent): Promise<void>;
}

export class PermanentHandlerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentHandlerError';
  }
}

export interface Subscription {
  /** Stops fetching, lets in-flight handlers finish, commits progress and leaves the group. */
  close(): Promise<void>;
}

export interface DeadLetter {
  id: string;
  handler: string;
  eventId: string;
  streamId: string;
  streamVersion: number;
  globalPosition: number;
  eventType: string;
  attempts: number;
  error: string;
  failedAt: Date;
  replayedAt: Date | null;
}

/**
 * Carries the event log to handlers, partitioned by stream id so that one stream's
 * events reach one handler instance at a time and in order. Two adapters: Kafka (a relay
 * publishes the log to a topic; workers form consumer groups) and the Postgres log
 * (workers read the events table with per-group checkpoints and partition leases).
 */
export interface EventTransport {
  /** Joins the handler's group and delivers events to it until the subscription is closed. */
  subscribe(handler: EventHandler): Promise<Subscription>;
  /** Dead letters of one handler (all when omitted), newest first. */
  deadLetters(handler?: string): Promise<DeadLetter[]>;
  /** Delivers a dead-lettered event to its handler again; resolves when handled (or throws its error). */
  replayDeadLetter(id: string): Promise<void>;
  /** Starts whatever runs in the background (the Kafka relay); idempotent. */
  start(): Promise<void>;
  /** Stops background work and closes connections after subscriptions were closed. */
  stop(): Promise<void>;
}
