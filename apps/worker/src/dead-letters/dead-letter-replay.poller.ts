import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type pg from 'pg';
import type { Clock, EventHandler, EventStore, EventTransport } from '#domain';
import type { Logger } from '#infra/logging/logger.js';
import { CLOCK, EVENT_HANDLERS, EVENT_STORE, EVENT_TRANSPORT, LOGGER, PG_POOL } from '#infra/nest/tokens.js';
import { describeError } from '#infra/transport/dead-letters.repository.js';

/** How often pending replay requests are looked for; an operator waits about this long. */
const POLL_MS = 500;
/** Replays done per tick at most, so that shutdown is never kept waiting behind a long queue. */
const PER_TICK = 20;

// Same stream as the API's DeadLetterReplayRequested (apps/api/src/dead-letters/dead-letter.events.ts);
// apps do not import each other, so the name is repeated here.
const deadLetterStreamId = (id: string): string => `dead-letter-${id}`;

type ReplayOutcomeEvent =
  | { type: 'DeadLetterReplaySucceeded'; data: { deadLetterId: string; replayId: string; completedAt: string } }
  | { type: 'DeadLetterReplayFailed'; data: { deadLetterId: string; replayId: string; error: string; completedAt: string } };

interface ClaimedReplay {
  id: string;
  dead_letter_id: string;
}

/**
 * Carries out the replay requests the API records (POST /v1/dead-letters/{id}/replay).
 * `EventTransport.replayDeadLetter` works only where the handler is subscribed, so each
 * worker takes only requests for its own handlers. The claimed row stays locked
 * (FOR UPDATE SKIP LOCKED) in a transaction for the whole replay: two workers never
 * replay the same request, and one that dies mid-way releases it to the next (handlers
 * are idempotent, so a replay repeated after a crash is harmless).
 */
@Injectable()
export class DeadLetterReplayPoller implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<number> | null = null;
  private stopping = false;
  private handlers: string[] = [];

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    // The handler list is private to TransportModule; it is looked up rather than
    // exported so that the transport's module stays as it is.
    this.handlers = this.moduleRef.get<readonly EventHandler[]>(EVENT_HANDLERS, { strict: false }).map((h) => h.name);
    this.timer = setInterval(() => void this.tick(), POLL_MS);
  }

  // onModuleDestroy runs before any beforeApplicationShutdown, so a replay in flight
  // finishes while its handler is still subscribed.
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** Replays pending requests for this worker's handlers; resolves with how many it replayed (exposed for tests). */
  tick(): Promise<number> {
    this.ticking ??= this.drain().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async drain(): Promise<number> {
    let done = 0;
    try {
      while (!this.stopping && done < PER_TICK && (await this.replayNext())) done += 1;
    } catch (error) {
      this.logger.warn({ err: error }, 'dead letter replay poll failed');
    }
    return done;
  }

  /** Claims one pending request and replays it; false when there was none. */
  private async replayNext(): Promise<boolean> {
    if (this.handlers.length === 0) return false;
    // Almost always there is nothing to do: one plain query then, no transaction.
    const { rows: waiting } = await this.pool.query(
      `SELECT 1 FROM dead_letter_replays r JOIN dead_letters d ON d.id = r.dead_letter_id
       WHERE r.outcome IS NULL AND d.handler = ANY($1::text[]) LIMIT 1`,
      [this.handlers],
    );
    if (waiting.length === 0) return false;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<ClaimedReplay>(
        `SELECT r.id, r.dead_letter_id
         FROM dead_letter_replays r JOIN dead_letters d ON d.id = r.dead_letter_id
         WHERE r.outcome IS NULL AND d.handler = ANY($1::text[])
         ORDER BY r.requested_at, r.id
         LIMIT 1
         FOR UPDATE OF r SKIP LOCKED`,
        [this.handlers],
      );
      const claimed = rows[0];
      if (!claimed) {
        await client.query('COMMIT');
        return false;
      }
      let error: string | null = null;
      try {
        await this.transport.replayDeadLetter(claimed.dead_letter_id);
      } catch (failure) {
        error = describeError(failure);
      }
      await this.recordOutcome(client, claimed, error);
      await client.query('COMMIT');
      this.logger.info({ deadLetterId: claimed.dead_letter_id, replayId: claimed.id, outcome: error ? 'failed' : 'succeeded' }, 'dead letter replayed');
      return true;
    } catch (error) {
      // The request stays pending and is tried again on a later tick.
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Writes the outcome to the request row and, for the audit trail, to the dead letter's stream. */
  private async recordOutcome(client: pg.PoolClient, claimed: ClaimedReplay, error: string | null): Promise<void> {
    const completedAt = this.clock.now();
    const streamId = deadLetterStreamId(claimed.dead_letter_id);
    // The request event (its id is the replay id) carries the operator's correlation id.
    const request = (await this.store.readStream(streamId)).find((e) => e.eventId === claimed.id);
    const base = { deadLetterId: claimed.dead_letter_id, replayId: claimed.id, completedAt: completedAt.toISOString() };
    const outcome: ReplayOutcomeEvent = error === null ? { type: 'DeadLetterReplaySucceeded', data: base } : { type: 'DeadLetterReplayFailed', data: { ...base, error } };
    await this.store.append(
      streamId,
      [
        {
          event: outcome,
          metadata: { actor: 'circle-worker', source: 'worker', correlationId: request?.metadata.correlationId ?? claimed.id, causationId: claimed.id },
        },
      ],
      'any',
    );
    await client.query('UPDATE dead_letter_replays SET outcome = $2, error = $3, completed_at = $4 WHERE id = $1', [
      claimed.id,
      error === null ? 'succeeded' : 'failed',
      error,
      completedAt,
    ]);
  }
}
