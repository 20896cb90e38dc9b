import { Inject, type OnApplicationShutdown } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { ClusterGatewayError, type Clock, type ClusterGateway, type ManagedObject } from '#domain';
import { SECRET_CIPHER, type SecretCipher } from '#infra/crypto/secret-cipher.js';
import { ClusterDirectory } from '#infra/clusters/cluster-directory.js';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { InstrumentedClusterGateway } from '#infra/metrics/instrumented-cluster-gateway.js';
import { CLOCK, METRICS, PG_POOL } from '#infra/nest/tokens.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import { requireApplication } from '../insights/placements.queries.js';
import type { ClusterDriftView, DriftDifferenceView, DriftView } from './drift.dto.js';

export class GetDrift extends Query<DriftView> {
  constructor(
    readonly application: string,
    readonly cluster: string | undefined,
    readonly position?: number,
  ) {
    super();
  }
}

/** One track of one cluster: what it runs and how many replicas it asks for. */
export interface TrackState {
  version: string | null;
  replicas: number;
}

/**
 * Compares per track what the read model expects with what the cluster reports. A
 * track on one side only differs in both fields (the other side is null), so a
 * Deployment deleted or created behind circle's back shows up as well.
 */
export function compareTracks(expected: ReadonlyMap<string, TrackState>, actual: ReadonlyMap<string, TrackState>): DriftDifferenceView[] {
  const tracks = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  const differences: DriftDifferenceView[] = [];
  for (const track of tracks) {
    const want = expected.get(track);
    const have = actual.get(track);
    if ((want?.version ?? null) !== (have?.version ?? null)) {
      differences.push({ track, field: 'version', expected: want?.version ?? null, actual: have?.version ?? null });
    }
    if ((want?.replicas ?? null) !== (have?.replicas ?? null)) {
      differences.push({ track, field: 'replicas', expected: want?.replicas ?? null, actual: have?.replicas ?? null });
    }
  }
  return differences;
}

/** Clusters asked at the same time: enough to hide latency, few enough not to open a socket per cluster of a big fleet. */
const PARALLEL_CLUSTERS = 16;

@QueryHandler(GetDrift)
export class GetDriftHandler implements IQueryHandler<GetDrift>, OnApplicationShutdown {
  // A read answers within seconds: one retry, short timeout (the worker's gateway keeps
  // the patient defaults for the rollout process).
  private readonly gateway: ClusterGateway & { close?: () => Promise<void> };
  private readonly directory: ClusterDirectory;

  constructor(
    @Inject(ReadModels) private readonly readModels: ReadModels,
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SECRET_CIPHER) cipher: SecretCipher,
    @Inject(METRICS) metrics: CircleMetrics,
  ) {
    this.gateway = new InstrumentedClusterGateway(
      new KubernetesClusterGateway({ resilience: { retries: 1, requestTimeoutMs: 5_000, initialBackoffMs: 100 } }),
      metrics,
    );
    this.directory = new ClusterDirectory(pool, cipher);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.gateway.close?.();
  }

  async execute({ application, cluster, position }: GetDrift): Promise<DriftView> {
    await this.readModels.caughtUp(position);
    await requireApplication(this.readModels, application);
    if (cluster !== undefined) {
      const known = await this.readModels.pool.query('SELECT 1 FROM rm_clusters WHERE name = $1', [cluster]);
      if (known.rows.length === 0) throw new ApiError(404, 'CLUSTER_NOT_FOUND', `cluster '${cluster}' does not exist`);
    }
    const placements = await this.readModels.pool.query<{ cluster: string; track: string; version: string; replicas: number }>(
      `SELECT cluster, track, version, replicas FROM ri_placements WHERE application = $1 AND ($2::text IS NULL OR cluster = $2)`,
      [application, cluster ?? null],
    );
    const expected = new Map<string, Map<string, TrackState>>();
    for (const p of placements.rows) {
      if (!expected.has(p.cluster)) expected.set(p.cluster, new Map());
      expected.get(p.cluster)!.set(p.track, { version: p.version, replicas: p.replicas });
    }
    // Every registered cluster is asked, not only those with placements: objects of the
    // application on a cluster the read model knows nothing of are drift too.
    const registered = cluster !== undefined
      ? [cluster]
      : (await this.readModels.pool.query<{ name: string }>('SELECT name FROM rm_clusters ORDER BY name')).rows.map((r) => r.name);
    const names = [...new Set([...registered, ...expected.keys()])].sort();
    const checkedAt = this.clock.now().toISOString();
    const results = await mapLimited(names, PARALLEL_CLUSTERS, (name) => this.check(application, name, expected.get(name) ?? new Map()));
    // A cluster that neither runs the application by the read model nor reports any of
    // its objects has nothing to say, unless it was asked for by name; an unreachable
    // one without placements cannot be judged and would only repeat the fleet's health.
    const clusters = results.filter((r, i) => cluster !== undefined || expected.has(names[i]!) || (r.status !== 'unreachable' && r.reported));
    return { application, checkedAt, clusters: clusters.map(({ reported: _reported, ...view }) => view) };
  }

  private async check(application: string, cluster: string, expected: ReadonlyMap<string, TrackState>): Promise<ClusterDriftView & { reported: boolean }> {
    let objects: ManagedObject[];
    try {
      objects = await this.gateway.listManagedObjects(await this.directory.ref(cluster), { application });
    } catch (error) {
      const code = error instanceof ClusterGatewayError ? error.code : ((error as { code?: string }).code ?? 'CLUSTER_REQUEST_FAILED');
      return { cluster, status: 'unreachable', differences: [], error: code, reported: false };
    }
    const actual = new Map<string, TrackState>();
    for (const o of objects) {
      // Only Deployments carry a version and replicas; objects circle did not mark with
      // a track are not circle's workloads of this application.
      if (o.kind !== 'Deployment' || o.application !== application || o.track === null) continue;
      actual.set(o.track, { version: o.version, replicas: o.desiredReplicas });
    }
    const differences = compareTracks(expected, actual);
    return { cluster, status: differences.length === 0 ? 'in-sync' : 'drifted', differences, error: null, reported: actual.size > 0 };
  }
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const driftQueryHandlers = [GetDriftHandler];
