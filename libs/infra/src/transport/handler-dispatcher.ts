import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { PermanentHandlerError, type EventHandler, type EventStore, type StoredEvent } from '#domain';
import { withLogContext } from '../logging/log-context.js';
import type { Logger } from '../logging/logger.js';
import type { CircleMetrics } from '../metrics/circle-metrics.js';
import type { DeadLettersRepository } from './dead-letters.repository.js';
import { defaultRetry, type RetryOptions } from './transport-options.js';

/** How many streams' last delivered versions a dispatcher remembers (oldest forgotten first). */
const REMEMBERED_STREAMS = 50_000;

/**
 * Delivers events to one handler with the semantics both adapters share: type filter,
 * skipping redeliveries it has already seen (by stream version), retries with
 * exponential backoff, and dead-lettering once the attempts are spent, after which the
 * stream moves on.
 */
export class HandlerDispatcher {
  private readonly policy: RetryPolicy;
  private readonly retry: RetryOptions;
  /** Stream id → highest version delivered (or dead-lettered) by this process. */
  private readonly delivered = new Map<string, number>();

  constructor(
    readonly handler: EventHandler,
    private readonly deadLetters: DeadLettersRepository,
    retryOptions: Partial<RetryOptions> = {},
    private readonly logger?: Logger,
    private readonly metrics?: CircleMetrics,
  ) {
    this.retry = { ...defaultRetry, ...retryOptions };
    this.policy = retry(
      handleWhen((error) => !(error instanceof PermanentHandlerError)),
      {
        maxAttempts: Math.max(0, this.retry.maxAttempts - 1),
        backoff: new ExponentialBackoff({ initialDelay: this.retry.initialDelayMs, maxDelay: this.retry.maxDelayMs }),
      },
    );
  }

  /**
   * Resolves once the event is handled, filtered out, known as a duplicate or
   * dead-lettered; the caller may then move its checkpoint past it. Rejects only when the
   * dead letter could not be written: the event must then be delivered again.
   * `betweenAttempts` runs before each retry (Kafka: heartbeat so a slow retry keeps the session).
   */
  async deliver(event: StoredEvent, betweenAttempts?: () => Promise<void>): Promise<void> {
    const wanted = this.handler.eventTypes;
    if (wanted && wanted.length > 0 && !wanted.includes(event.type)) return;
    // Stream versions only grow along the log, so a version at or below one already
    // delivered here is a redelivery (a relay retry, a partition handed back).
    const last = this.delivered.get(event.streamId);
    if (last !== undefined && event.streamVersion <= last) return;

    // Lines the handler writes carry the correlation id of the command that caused the event.
    const context = { correlationId: event.metadata.correlationId, eventId: event.eventId, handler: this.handler.name };
    await withLogContext(context, () => this.deliverWithRetries(event, betweenAttempts));
    this.remember(event);
  }

  private async deliverWithRetries(event: StoredEvent, betweenAttempts?: () => Promise<void>): Promise<void> {
    let attempts = 0;
    try {
      await this.policy.execute(async () => {
        if (attempts > 0 && betweenAttempts) await betweenAttempts();
        attempts += 1;
        await this.attempt(event);
      });
    } catch (error) {
      this.logger?.warn({ streamId: event.streamId, attempts, err: error }, 'event dead-lettered');
      await this.deadLetters.record(this.handler.name, event, attempts, error);
      this.metrics?.deadLettered.inc({ group: this.handler.name });
    }
  }

  private async attempt(event: StoredEvent): Promise<void> {
    const group = this.handler.name;
    const started = performance.now();
    try {
      await this.handler.handle(event);
      this.metrics?.handlerDuration.observe({ group, outcome: 'ok' }, (performance.now() - started) / 1000);
    } catch (error) {
      this.metrics?.handlerDuration.observe({ group, outcome: 'error' }, (performance.now() - started) / 1000);
      this.metrics?.handlerFailures.inc({ group, event_type: event.type });
      throw error;
    }
  }

  /** Forgets what was delivered, e.g. when partitions move, so nothing stale is skipped by mistake. */
  forget(): void {
    this.delivered.clear();
  }

  private remember(event: StoredEvent): void {
    this.delivered.delete(event.streamId);
    this.delivered.set(event.streamId, event.streamVersion);
    if (this.delivered.size > REMEMBERED_STREAMS) {
      this.delivered.delete(this.delivered.keys().next().value!);
    }
  }
}

/**
 * Replays one dead letter through its handler, once and without retries: the person
 * replaying sees the error straight away. Shared by both adapters.
 */
export async function replayDeadLetter(
  id: string,
  deadLetters: DeadLettersRepository,
  store: EventStore,
  handlers: ReadonlyMap<string, EventHandler>,
): Promise<void> {
  const letter = await deadLetters.get(id);
  if (!letter) throw new Error(`no dead letter ${id}`);
  const handler = handlers.get(letter.handler);
  if (!handler) throw new Error(`handler ${letter.handler} of dead letter ${id} is not subscribed in this process`);
  const [event] = await store.readStream(letter.streamId, letter.streamVersion - 1);
  if (!event || event.eventId !== letter.eventId) throw new Error(`event ${letter.eventId} of dead letter ${id} is not in the log`);
  await handler.handle(event);
  await deadLetters.markReplayed(id);
}
