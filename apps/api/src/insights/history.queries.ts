import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, toPage } from '../common/pagination.js';
import { ReadModels } from '../common/read-models.js';
import type { HistoryEntryView, HistoryPage } from './insight.dto.js';
import { requireApplication } from './placements.queries.js';

interface HistoryRow {
  kind: 'release' | 'rollout';
  position: string;
  version: string;
  rollout_id: string | null;
  rollout_kind: string | null;
  environment: string | null;
  from_version: string | null;
  outcome: string;
  actor: string;
  started_at: Date;
  ended_at: Date | null;
  reason: string | null;
}

const view = (r: HistoryRow): HistoryEntryView => ({
  kind: r.kind,
  version: r.version,
  rolloutId: r.rollout_id,
  rolloutKind: r.rollout_kind,
  environment: r.environment,
  fromVersion: r.from_version,
  outcome: r.outcome,
  actor: r.actor,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at?.toISOString() ?? null,
  reason: r.reason,
});

export class GetApplicationHistory extends Query<HistoryPage> {
  constructor(
    readonly application: string,
    readonly page: { limit: number; cursor?: string; position?: number },
  ) {
    super();
  }
}

/**
 * Releases and rollouts of one application, newest first. Both catalog tables already
 * keep who, when and how it ended, so the history is their union in log order rather
 * than a third copy of the same facts.
 */
@QueryHandler(GetApplicationHistory)
export class GetApplicationHistoryHandler implements IQueryHandler<GetApplicationHistory> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ application, page }: GetApplicationHistory): Promise<HistoryPage> {
    await this.readModels.caughtUp(page.position);
    await requireApplication(this.readModels, application);
    const before = decodeCursor(page.cursor, ['integer'])?.[0] ?? Number.MAX_SAFE_INTEGER;
    const { rows } = await this.readModels.pool.query<HistoryRow>(
      `(SELECT 'release' AS kind, position, version, NULL AS rollout_id, NULL AS rollout_kind, NULL AS environment,
          NULL AS from_version, 'registered' AS outcome, created_by AS actor, created_at AS started_at, created_at AS ended_at,
          notes AS reason
        FROM rm_releases WHERE application = $1 AND position < $2 ORDER BY position DESC LIMIT $3)
       UNION ALL
       (SELECT 'rollout', position, version, id, kind, environment, from_version, phase, requested_by, requested_at, ended_at, reason
        FROM rm_rollouts WHERE application = $1 AND position < $2 ORDER BY position DESC LIMIT $3)
       ORDER BY position DESC LIMIT $3`,
      [application, before, page.limit + 1],
    );
    return toPage(rows, page.limit, view, (r) => [Number(r.position)]);
  }
}
