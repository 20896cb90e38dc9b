import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, toPage, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import type { ApplicationView } from './application.dto.js';

interface ApplicationRow {
  name: string;
  team: string;
  description: string;
  dependencies: ApplicationView['dependencies'];
  created_at: Date;
  updated_at: Date;
}

const view = (r: ApplicationRow): ApplicationView => ({
  name: r.name,
  team: r.team,
  description: r.description,
  dependencies: r.dependencies,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export class ListApplications extends Query<Page<ApplicationView>> {
  constructor(readonly page: { limit: number; cursor?: string; position?: number }) {
    super();
  }
}

export class GetApplication extends Query<ApplicationView> {
  constructor(
    readonly name: string,
    readonly position?: number,
  ) {
    super();
  }
}

@QueryHandler(ListApplications)
export class ListApplicationsHandler implements IQueryHandler<ListApplications> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ page }: ListApplications): Promise<Page<ApplicationView>> {
    await this.readModels.caughtUp(page.position);
    const after = decodeCursor(page.cursor, ['string'])?.[0] ?? '';
    const { rows } = await this.readModels.pool.query<ApplicationRow>(
      'SELECT * FROM rm_applications WHERE name > $1 ORDER BY name LIMIT $2',
      [after, page.limit + 1],
    );
    return toPage(rows, page.limit, view, (r) => [r.name]);
  }
}

@QueryHandler(GetApplication)
export class GetApplicationHandler implements IQueryHandler<GetApplication> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ name, position }: GetApplication): Promise<ApplicationView> {
    await this.readModels.caughtUp(position);
    const { rows } = await this.readModels.pool.query<ApplicationRow>('SELECT * FROM rm_applications WHERE name = $1', [name]);
    if (!rows[0]) throw new ApiError(404, 'APPLICATION_NOT_FOUND', `application '${name}' does not exist`);
    return view(rows[0]);
  }
}

export const applicationQueryHandlers = [ListApplicationsHandler, GetApplicationHandler];
