import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import type { Clock } from '#domain';
import { CLOCK, PG_POOL } from '#infra/nest/tokens.js';
import { CommandExecutor } from '../common/command-executor.js';
import { ApiError } from '../common/problem.js';
import { eventMetadata, type RequestContext } from '../common/request-context.js';
import type { DeadLetterReplayAccepted } from './dead-letter.dto.js';
import { deadLetterLinks, deadLetterStreamId, isDeadLetterId, type DeadLetterEvent } from './dead-letter.events.js';
import { deadLetterNotFound } from './dead-letters.queries.js';

export class RequestDeadLetterReplay extends Command<DeadLetterReplayAccepted> {
  constructor(
    readonly id: string,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

interface LetterRow {
  id: string;
  handler: string;
  event_id: string;
  event_type: string;
  stream_id: string;
  stream_version: number;
  replayed_at: Date | null;
  pending_id: string | null;
  pending_position: string | null;
}

const accepted = (deadLetterId: string, replayId: string, position: number): DeadLetterReplayAccepted => ({
  deadLetterId,
  replayId,
  replayStatus: 'pending',
  position,
  links: deadLetterLinks(deadLetterId),
});

/**
 * Only records the request: the API may run where the handler is not subscribed
 * (CIRCLE_ROLE=api), so a worker that has it picks the request up and replays it.
 */
@CommandHandler(RequestDeadLetterReplay)
export class RequestDeadLetterReplayHandler implements ICommandHandler<RequestDeadLetterReplay> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ id, ctx }: RequestDeadLetterReplay): Promise<DeadLetterReplayAccepted> {
    if (!isDeadLetterId(id)) throw deadLetterNotFound(id);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const letter = await this.load(client, id);
      if (!letter) throw deadLetterNotFound(id);
      // A request already waiting (or running) will do what this one asks; answering with
      // it keeps a double click from replaying the event twice. Checked before replayed_at,
      // which the transport sets a moment before the worker closes the request.
      if (letter.pending_id) {
        await client.query('COMMIT');
        return accepted(id, letter.pending_id, Number(letter.pending_position));
      }
      if (letter.replayed_at) {
        throw new ApiError(409, 'DEAD_LETTER_ALREADY_REPLAYED', `dead letter ${id} was already replayed successfully`, {
          replayedAt: letter.replayed_at.toISOString(),
        });
      }

      const replayId = randomUUID();
      const now = this.clock.now();
      // The row stays uncommitted until the audit event is in the log, so no worker can
      // claim a replay the log does not tell about; a concurrent request for the same
      // dead letter waits here on the pending-key index and then finds ours.
      const inserted = await client.query(
        `INSERT INTO dead_letter_replays (id, dead_letter_id, requested_at, requested_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (dead_letter_id) WHERE outcome IS NULL DO NOTHING`,
        [replayId, id, now, ctx.principal.name],
      );
      if (inserted.rowCount === 0) {
        const winner = await this.load(client, id);
        await client.query('COMMIT');
        if (winner?.pending_id) return accepted(id, winner.pending_id, Number(winner.pending_position));
        // The concurrent request was replayed between its commit and our look: rare, and
        // asking again gives a straight answer (409 if it succeeded, a new request if not).
        throw new ApiError(409, 'CONCURRENCY_CONFLICT', `dead letter ${id} was replayed while this request was made; read it again and retry`);
      }
      const requested: DeadLetterEvent = {
        type: 'DeadLetterReplayRequested',
        data: {
          deadLetterId: id,
          replayId,
          handler: letter.handler,
          eventId: letter.event_id,
          eventType: letter.event_type,
          streamId: letter.stream_id,
          streamVersion: letter.stream_version,
          requestedAt: now.toISOString(),
        },
      };
      // The replay id doubles as the event id: the worker names it as the cause of the outcome.
      const { globalPosition } = await this.commands.store.append(
        deadLetterStreamId(id),
        [{ eventId: replayId, event: requested, metadata: eventMetadata(ctx) }],
        'any',
      );
      await client.query('UPDATE dead_letter_replays SET position = $2 WHERE id = $1', [replayId, globalPosition]);
      await client.query('COMMIT');
      return accepted(id, replayId, globalPosition);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async load(client: pg.PoolClient, id: string): Promise<LetterRow | null> {
    const { rows } = await client.query<LetterRow>(
      `SELECT d.id, d.handler, d.event_id, d.event_type, d.stream_id, d.stream_version, d.replayed_at,
              r.id AS pending_id, r.position AS pending_position
       FROM dead_letters d LEFT JOIN dead_letter_replays r ON r.dead_letter_id = d.id AND r.outcome IS NULL
       WHERE d.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }
}

export const deadLetterCommandHandlers = [RequestDeadLetterReplayHandler];
