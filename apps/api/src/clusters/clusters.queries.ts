import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { ClusterConnection } from '#domain';
import { decodeCursor, toPage, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import type { ClusterView } from './cluster.dto.js';

interface ClusterRow {
  name: string;
  environment: string;
  region: string;
  labels: Record<string, string>;
  connection: ClusterConnection;
  status: 'active' | 'cordoned';
  cordon_reason: string | null;
  registered_at: Date;
  updated_at: Date;
}

// The read model keeps the whole connection (the worker needs the secret id or path);
// the API shows only its kind.
const view = (r: ClusterRow): ClusterView => ({
  name: r.name,
  environment: r.environment,
  region: r.region,
  labels: r.labels,
  connection: { kind: r.connection.kind },
  status: r.status,
  cordonReason: r.cordon_reason,
  registeredAt: r.registered_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** "tier=gold,zone=a" → {tier: "gold", zone: "a"}; the DTO has already checked the shape. */
export function parseSelector(selector: string | undefined): Record<string, string> {
  if (!selector) return {};
  return Object.fromEntries(
    selector.split(',').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export class ListClusters extends Query<Page<ClusterView>> {
  constructor(
    readonly filter: { environment?: string; selector: Record<string, string> },
    readonly page: { limit: number; cursor?: string; position?: number },
  ) {
    super();
  }
}

export class GetCluster extends Query<ClusterView> {
  constructor(
    readonly name: string,
    readonly position?: number,
  ) {
    super();
  }
}

@QueryHandler(ListClusters)
export class ListClustersHandler implements IQueryHandler<ListClusters> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ filter, page }: ListClusters): Promise<Page<ClusterView>> {
    await this.readModels.caughtUp(page.position);
    const after = decodeCursor(page.cursor, ['string'])?.[0] ?? '';
    // `@>` is containment, which the GIN index on labels serves: every selector pair present.
    const { rows } = await this.readModels.pool.query<ClusterRow>(
      `SELECT * FROM rm_clusters
       WHERE name > $1 AND ($2::text IS NULL OR environment = $2) AND labels @> $3::jsonb
       ORDER BY name LIMIT $4`,
      [after, filter.environment ?? null, JSON.stringify(filter.selector), page.limit + 1],
    );
    return toPage(rows, page.limit, view, (r) => [r.name]);
  }
}

@QueryHandler(GetCluster)
export class GetClusterHandler implements IQueryHandler<GetCluster> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ name, position }: GetCluster): Promise<ClusterView> {
    await this.readModels.caughtUp(position);
    const { rows } = await this.readModels.pool.query<ClusterRow>('SELECT * FROM rm_clusters WHERE name = $1', [name]);
    if (!rows[0]) throw new ApiError(404, 'CLUSTER_NOT_FOUND', `cluster '${name}' is not registered`);
    return view(rows[0]);
  }
}

export const clusterQueryHandlers = [ListClustersHandler, GetClusterHandler];
