import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { PromotionPolicy } from '#domain';
import { decodeCursor, toPage, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import type { EnvironmentView } from './environment.dto.js';
import { policyView } from './policy.mapping.js';

interface EnvironmentRow {
  name: string;
  rank: number;
  description: string;
  policy: PromotionPolicy;
  defined_at: Date;
  updated_at: Date;
}

const view = (r: EnvironmentRow): EnvironmentView => ({
  name: r.name,
  rank: r.rank,
  description: r.description,
  policy: policyView(r.policy),
  definedAt: r.defined_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export class ListEnvironments extends Query<Page<EnvironmentView>> {
  constructor(readonly page: { limit: number; cursor?: string; position?: number }) {
    super();
  }
}

export class GetEnvironment extends Query<EnvironmentView> {
  constructor(
    readonly name: string,
    readonly position?: number,
  ) {
    super();
  }
}

@QueryHandler(ListEnvironments)
export class ListEnvironmentsHandler implements IQueryHandler<ListEnvironments> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ page }: ListEnvironments): Promise<Page<EnvironmentView>> {
    await this.readModels.caughtUp(page.position);
    // Promotion order: rank, and name among equal ranks so pages are stable.
    const [rank, name] = decodeCursor(page.cursor, ['int32', 'string']) ?? [-1, ''];
    const { rows } = await this.readModels.pool.query<EnvironmentRow>(
      'SELECT * FROM rm_environments WHERE (rank, name) > ($1::int, $2::text) ORDER BY rank, name LIMIT $3',
      [rank, name, page.limit + 1],
    );
    return toPage(rows, page.limit, view, (r) => [r.rank, r.name]);
  }
}

@QueryHandler(GetEnvironment)
export class GetEnvironmentHandler implements IQueryHandler<GetEnvironment> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ name, position }: GetEnvironment): Promise<EnvironmentView> {
    await this.readModels.caughtUp(position);
    const { rows } = await this.readModels.pool.query<EnvironmentRow>('SELECT * FROM rm_environments WHERE name = $1', [name]);
    if (!rows[0]) throw new ApiError(404, 'ENVIRONMENT_NOT_FOUND', `environment '${name}' does not exist`);
    return view(rows[0]);
  }
}

export const environmentQueryHandlers = [ListEnvironmentsHandler, GetEnvironmentHandler];
