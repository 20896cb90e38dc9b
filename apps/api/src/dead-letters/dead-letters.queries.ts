import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { PG_POOL } from '#infra/nest/tokens.js';
import type { DeadLetterRow as StoredDeadLetter } from '#infra/transport/dead-letters.repository.js';
import { decodeCursor, toPage, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import type { DeadLetterView, ReplayStatus } from './dead-letter.dto.js';
import { deadLetterLinks, isDeadLetterId } from './dead-letter.events.js';

interface DeadLetterRow extends StoredDeadLetter {
  /** failed_at in microseconds: a JS Date would round it to milliseconds and a cursor built from it would skip rows. */
  failed_us: string;
  replay_id: string | null;
  replay_requested_at: Date | null;
  replay_requested_by: string | null;
  replay_outcome: 'succeeded' | 'failed' | null;
  replay_error: string | null;
  replay_completed_at: Date | null;
}

/**
 * Pending first: the transport sets replayed_at as soon as the handler succeeded, a moment
 * before the worker records the outcome, and the answer must not say succeeded while
 * lastReplay is still open. Otherwise the transport's replayed_at is the truth for
 * success: it also covers replays made outside the API, and the transport clears it when
 * the event is dead-lettered again, in which case the last successful replay no longer
 * counts and the status is back to none.
 */
function replayStatus(r: DeadLetterRow): ReplayStatus {
  if (r.replay_id && r.replay_outcome === null) return 'pending';
  if (r.replayed_at) return 'succeeded';
  if (r.replay_outcome === 'failed') return 'failed';
  return 'none';
}

export const deadLetterView = (r: DeadLetterRow): DeadLetterView => ({
  id: r.id,
  handler: r.handler,
  eventId: r.event_id,
  eventType: r.event_type,
  streamId: r.stream_id,
  streamVersion: r.stream_version,
  globalPosition: Number(r.global_position),
  attempts: r.attempts,
  error: r.error,
  failedAt: r.failed_at.toISOString(),
  replayedAt: r.replayed_at?.toISOString() ?? null,
  replayStatus: replayStatus(r),
  lastReplay: r.replay_id
    ? {
        id: r.replay_id,
        requestedAt: r.replay_requested_at!.toISOString(),
        requestedBy: r.replay_requested_by!,
        outcome: r.replay_outcome,
        error: r.replay_error,
        completedAt: r.replay_completed_at?.toISOString() ?? null,
      }
    : null,
  links: deadLetterLinks(r.id),
});

// Each dead letter with its latest replay request; $n placeholders are filled by the callers.
const SELECT_DEAD_LETTERS = `
  SELECT d.*, (extract(epoch FROM d.failed_at) * 1000000)::bigint AS failed_us,
         r.id AS replay_id, r.requested_at AS replay_requested_at, r.requested_by AS replay_requested_by,
         r.outcome AS replay_outcome, r.error AS replay_error, r.completed_at AS replay_completed_at
  FROM dead_letters d
  LEFT JOIN LATERAL (
    SELECT * FROM dead_letter_replays WHERE dead_letter_id = d.id ORDER BY requested_at DESC, id DESC LIMIT 1
  ) r ON true`;

export class ListDeadLetters extends Query<Page<DeadLetterView>> {
  constructor(
    readonly filter: { handler?: string },
    readonly page: { limit: number; cursor?: string },
  ) {
    super();
  }
}

export class GetDeadLetter extends Query<DeadLetterView> {
  constructor(readonly id: string) {
    super();
  }
}

const cursorInvalid = () => new ApiError(400, 'CURSOR_INVALID', 'cursor is not one this API returned');

// dead_letters and dead_letter_replays are written synchronously (no projection), so
// there is no log position to wait for.
@QueryHandler(ListDeadLetters)
export class ListDeadLettersHandler implements IQueryHandler<ListDeadLetters> {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async execute({ filter, page }: ListDeadLetters): Promise<Page<DeadLetterView>> {
    // Newest first by (failed_at, id): failed_at alone is not unique across a batch.
    const after = decodeCursor(page.cursor, ['string', 'string']);
    if (after && (typeof after[0] !== 'string' || !/^\d+$/.test(after[0]) || typeof after[1] !== 'string' || !isDeadLetterId(after[1]))) {
      throw cursorInvalid();
    }
    const { rows } = await this.pool.query<DeadLetterRow>(
      `${SELECT_DEAD_LETTERS}
       WHERE ($1::text IS NULL OR d.handler = $1)
         AND ($2::bigint IS NULL OR ((extract(epoch FROM d.failed_at) * 1000000)::bigint, d.id) < ($2::bigint, $3::uuid))
       ORDER BY d.failed_at DESC, d.id DESC LIMIT $4`,
      [filter.handler ?? null, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, deadLetterView, (r) => [r.failed_us, r.id]);
  }
}

@QueryHandler(GetDeadLetter)
export class GetDeadLetterHandler implements IQueryHandler<GetDeadLetter> {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async execute({ id }: GetDeadLetter): Promise<DeadLetterView> {
    const { rows } = isDeadLetterId(id) ? await this.pool.query<DeadLetterRow>(`${SELECT_DEAD_LETTERS} WHERE d.id = $1`, [id]) : { rows: [] };
    if (!rows[0]) throw deadLetterNotFound(id);
    return deadLetterView(rows[0]);
  }
}

export const deadLetterNotFound = (id: string) => new ApiError(404, 'DEAD_LETTER_NOT_FOUND', `dead letter ${id} does not exist`);

export const deadLetterQueryHandlers = [ListDeadLettersHandler, GetDeadLetterHandler];
