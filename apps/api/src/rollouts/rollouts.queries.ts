import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, toPage, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import type { RolloutView } from './rollout.dto.js';

interface RolloutRow {
  id: string;
  application: string;
  kind: string;
  version: string;
  from_version: string | null;
  environment: string | null;
  phase: string;
  message: string;
  strategy: Record<string, unknown>;
  waves: string[][];
  skipped_clusters: string[];
  required_approvals: number;
  approvers: string[];
  requested_by: string;
  reason: string | null;
  requested_at: Date;
  updated_at: Date;
  ended_at: Date | null;
  position: string;
  current_wave: number;
  current_step: string | null;
  clusters: Record<string, { wave: number; step: string | null; status: string; reason?: string }>;
}

const view = (r: RolloutRow): RolloutView => ({
  id: r.id,
  application: r.application,
  kind: r.kind,
  version: r.version,
  fromVersion: r.from_version,
  environment: r.environment,
  phase: r.phase,
  message: r.message,
  strategy: r.strategy,
  waves: r.waves,
  skippedClusters: r.skipped_clusters,
  requiredApprovals: r.required_approvals,
  approvers: r.approvers,
  requestedBy: r.requested_by,
  reason: r.reason,
  requestedAt: r.requested_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  endedAt: r.ended_at?.toISOString() ?? null,
  currentWave: r.current_wave,
  totalWaves: r.waves.length,
  currentStep: r.current_step,
  clusters: Object.entries(r.clusters)
    .map(([name, c]) => ({ name, ...c }))
    .sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name)),
  links: rolloutLinks(r.id),
});

export const rolloutLinks = (id: string) => ({ self: `/v1/rollouts/${id}`, events: `/v1/rollouts/${id}/events`, wait: `/v1/rollouts/${id}/wait` });

export class ListRollouts extends Query<Page<RolloutView>> {
  constructor(
    readonly filter: { application?: string; phase?: string },
    readonly page: { limit: number; cursor?: string; position?: number },
  ) {
    super();
  }
}

export class GetRollout extends Query<RolloutView> {
  constructor(
    readonly id: string,
    readonly position?: number,
  ) {
    super();
  }
}

@QueryHandler(ListRollouts)
export class ListRolloutsHandler implements IQueryHandler<ListRollouts> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ filter, page }: ListRollouts): Promise<Page<RolloutView>> {
    await this.readModels.caughtUp(page.position);
    const before = decodeCursor(page.cursor, ['integer'])?.[0] ?? Number.MAX_SAFE_INTEGER;
    const { rows } = await this.readModels.pool.query<RolloutRow>(
      `SELECT * FROM rm_rollouts
       WHERE position < $1 AND ($2::text IS NULL OR application = $2) AND ($3::text IS NULL OR phase = $3)
       ORDER BY position DESC LIMIT $4`,
      [before, filter.application ?? null, filter.phase ?? null, page.limit + 1],
    );
    return toPage(rows, page.limit, view, (r) => [Number(r.position)]);
  }
}

@QueryHandler(GetRollout)
export class GetRolloutHandler implements IQueryHandler<GetRollout> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ id, position }: GetRollout): Promise<RolloutView> {
    await this.readModels.caughtUp(position);
    const { rows } = await this.readModels.pool.query<RolloutRow>('SELECT * FROM rm_rollouts WHERE id = $1', [id]);
    if (!rows[0]) throw new ApiError(404, 'ROLLOUT_NOT_FOUND', `rollout ${id} does not exist`);
    return view(rows[0]);
  }
}

export const rolloutQueryHandlers = [ListRolloutsHandler, GetRolloutHandler];
