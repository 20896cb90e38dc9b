import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, toPage, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import type { ReleaseView } from './release.dto.js';

interface ReleaseRow {
  application: string;
  version: string;
  images: ReleaseView['images'];
  git_commit: string | null;
  notes: string | null;
  created_by: string;
  created_at: Date;
  position: string;
}

const view = (r: ReleaseRow): ReleaseView => ({
  application: r.application,
  version: r.version,
  images: r.images,
  gitCommit: r.git_commit,
  notes: r.notes,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

export class ListReleases extends Query<Page<ReleaseView>> {
  constructor(
    readonly application: string,
    readonly page: { limit: number; cursor?: string; position?: number },
  ) {
    super();
  }
}

export class GetRelease extends Query<ReleaseView> {
  constructor(
    readonly application: string,
    readonly version: string,
    readonly position?: number,
  ) {
    super();
  }
}

async function assertApplicationExists(readModels: ReadModels, application: string): Promise<void> {
  const { rowCount } = await readModels.pool.query('SELECT 1 FROM rm_applications WHERE name = $1', [application]);
  if (!rowCount) throw new ApiError(404, 'APPLICATION_NOT_FOUND', `application '${application}' does not exist`);
}

@QueryHandler(ListReleases)
export class ListReleasesHandler implements IQueryHandler<ListReleases> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ application, page }: ListReleases): Promise<Page<ReleaseView>> {
    await this.readModels.caughtUp(page.position);
    await assertApplicationExists(this.readModels, application);
    // Newest first by log position: registration order, which semver order need not match
    // (a hotfix 1.3.1 registered after 1.4.0 is the newer news).
    const before = decodeCursor(page.cursor, ['integer'])?.[0] ?? Number.MAX_SAFE_INTEGER;
    const { rows } = await this.readModels.pool.query<ReleaseRow>(
      'SELECT * FROM rm_releases WHERE application = $1 AND position < $2 ORDER BY position DESC LIMIT $3',
      [application, before, page.limit + 1],
    );
    return toPage(rows, page.limit, view, (r) => [Number(r.position)]);
  }
}

@QueryHandler(GetRelease)
export class GetReleaseHandler implements IQueryHandler<GetRelease> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ application, version, position }: GetRelease): Promise<ReleaseView> {
    await this.readModels.caughtUp(position);
    const { rows } = await this.readModels.pool.query<ReleaseRow>(
      'SELECT * FROM rm_releases WHERE application = $1 AND version = $2',
      [application, version],
    );
    if (rows[0]) return view(rows[0]);
    await assertApplicationExists(this.readModels, application);
    throw new ApiError(404, 'RELEASE_NOT_FOUND', `release ${application}@${version} does not exist`);
  }
}

export const releaseQueryHandlers = [ListReleasesHandler, GetReleaseHandler];
