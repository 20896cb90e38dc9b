import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, toPage } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import type { PlacementPage, PlacementView } from './insight.dto.js';

interface PlacementRow {
  application: string;
  cluster: string;
  environment: string;
  track: string;
  version: string;
  traffic_percent: string;
  replicas: number;
  health: string | null;
  since: Date;
  rollout_id: string;
}

const view = (r: PlacementRow): PlacementView => ({
  application: r.application,
  cluster: r.cluster,
  environment: r.environment,
  track: r.track,
  version: r.version,
  trafficPercent: Number(r.traffic_percent),
  replicasDesired: r.replicas,
  health: r.health,
  since: r.since.toISOString(),
  rolloutId: r.rollout_id,
});

interface PageArgs {
  limit: number;
  cursor?: string;
  position?: number;
}

export async function requireApplication(readModels: ReadModels, name: string): Promise<void> {
  const { rows } = await readModels.pool.query('SELECT 1 FROM rm_applications WHERE name = $1', [name]);
  if (rows.length === 0) throw new ApiError(404, 'APPLICATION_NOT_FOUND', `application '${name}' does not exist`);
}

export class GetApplicationPlacements extends Query<PlacementPage> {
  constructor(
    readonly application: string,
    readonly at: string | undefined,
    readonly page: PageArgs,
  ) {
    super();
  }
}

export class GetClusterPlacements extends Query<PlacementPage> {
  constructor(
    readonly cluster: string,
    readonly page: PageArgs,
  ) {
    super();
  }
}

@QueryHandler(GetApplicationPlacements)
export class GetApplicationPlacementsHandler implements IQueryHandler<GetApplicationPlacements> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ application, at, page }: GetApplicationPlacements): Promise<PlacementPage> {
    await this.readModels.caughtUp(page.position);
    await requireApplication(this.readModels, application);
    const [afterCluster, afterTrack] = decodeCursor(page.cursor, ['string', 'string']) ?? ['', ''];
    // A past moment is answered from the stretches of history that cover it, so a
    // placement that has since moved on still shows as it was then.
    const { rows } =
      at === undefined
        ? await this.readModels.pool.query<PlacementRow>(
            `SELECT application, cluster, environment, track, version, traffic_percent, replicas, health, since, rollout_id
             FROM ri_placements WHERE application = $1 AND (cluster, track) > ($2, $3) ORDER BY cluster, track LIMIT $4`,
            [application, afterCluster, afterTrack, page.limit + 1],
          )
        : await this.readModels.pool.query<PlacementRow>(
            `SELECT application, cluster, environment, track, version, traffic_percent, replicas, NULL AS health,
               valid_from AS since, rollout_id
             FROM ri_placement_history
             WHERE application = $1 AND valid_from <= $5 AND (valid_to IS NULL OR valid_to > $5) AND (cluster, track) > ($2, $3)
             ORDER BY cluster, track LIMIT $4`,
            [application, afterCluster, afterTrack, page.limit + 1, at],
          );
    return { ...toPage(rows, page.limit, view, (r) => [r.cluster, r.track]), at: at === undefined ? null : new Date(at).toISOString() };
  }
}

@QueryHandler(GetClusterPlacements)
export class GetClusterPlacementsHandler implements IQueryHandler<GetClusterPlacements> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ cluster, page }: GetClusterPlacements): Promise<PlacementPage> {
    await this.readModels.caughtUp(page.position);
    const known = await this.readModels.pool.query('SELECT 1 FROM rm_clusters WHERE name = $1', [cluster]);
    if (known.rows.length === 0) throw new ApiError(404, 'CLUSTER_NOT_FOUND', `cluster '${cluster}' does not exist`);
    const [afterApp, afterTrack] = decodeCursor(page.cursor, ['string', 'string']) ?? ['', ''];
    const { rows } = await this.readModels.pool.query<PlacementRow>(
      `SELECT application, cluster, environment, track, version, traffic_percent, replicas, health, since, rollout_id
       FROM ri_placements WHERE cluster = $1 AND (application, track) > ($2, $3) ORDER BY application, track LIMIT $4`,
      [cluster, afterApp, afterTrack, page.limit + 1],
    );
    return { ...toPage(rows, page.limit, view, (r) => [r.application, r.track]), at: null };
  }
}

export const placementQueryHandlers = [GetApplicationPlacementsHandler, GetClusterPlacementsHandler];
