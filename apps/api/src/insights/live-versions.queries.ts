import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ReadModels } from '../common/read-models.js';
import type { LiveBreakdownView, LiveVersionsView } from './insight.dto.js';
import { requireApplication } from './placements.queries.js';

export class GetLiveVersions extends Query<LiveVersionsView> {
  constructor(
    readonly application: string,
    readonly environment: string | undefined,
    readonly position?: number,
  ) {
    super();
  }
}

@QueryHandler(GetLiveVersions)
export class GetLiveVersionsHandler implements IQueryHandler<GetLiveVersions> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ application, environment, position }: GetLiveVersions): Promise<LiveVersionsView> {
    await this.readModels.caughtUp(position);
    await requireApplication(this.readModels, application);
    const { rows } = await this.readModels.pool.query<{ environment: string; version: string | null; since: Date; breakdown: LiveBreakdownView[] }>(
      `SELECT environment, version, since, breakdown FROM ri_live_versions
       WHERE application = $1 AND ($2::text IS NULL OR environment = $2) ORDER BY environment`,
      [application, environment ?? null],
    );
    return {
      application,
      environments: rows.map((r) => ({
        environment: r.environment,
        status: r.version === null ? 'mixed' : 'live',
        version: r.version,
        since: r.since.toISOString(),
        breakdown: r.breakdown,
      })),
    };
  }
}
