import { Controller, Get, Inject, Param, type OnApplicationShutdown } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type pg from 'pg';
import type { ClusterGateway, ClusterReachability } from '#domain';
import { SECRET_CIPHER, type SecretCipher } from '#infra/crypto/secret-cipher.js';
import { ClusterDirectory } from '#infra/clusters/cluster-directory.js';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { InstrumentedClusterGateway } from '#infra/metrics/instrumented-cluster-gateway.js';
import { METRICS, PG_POOL } from '#infra/nest/tokens.js';
import { ApiProblems } from '../common/openapi.decorators.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';

export class ClusterReachabilityView {
  @ApiProperty({ example: 'prod-eu-1' }) cluster!: string;
  @ApiProperty() reachable!: boolean;
  @ApiProperty({ enum: ['closed', 'open', 'half-open', 'isolated'], description: 'State of the circuit breaker in front of the cluster.' }) circuit!: string;
  @ApiProperty({ type: Number, nullable: true, example: 12.5 }) latencyMs!: number | null;
  @ApiProperty({ type: String, nullable: true, example: 'v1.32.0' }) serverVersion!: string | null;
  @ApiProperty({ format: 'date-time' }) checkedAt!: string;
  @ApiProperty({ type: String, nullable: true, example: 'CLUSTER_UNREACHABLE' }) errorCode!: string | null;
}

export class FleetReachabilityView {
  @ApiProperty({ example: 4 }) clusters!: number;
  @ApiProperty({ example: 3 }) reachable!: number;
  @ApiProperty({ type: [ClusterReachabilityView] }) items!: ClusterReachabilityView[];
}

/**
 * Can circle reach its clusters right now? Each cluster is asked once (its version
 * endpoint) with the gateway's timeout, all at once, so one dead cluster costs its
 * timeout and no more.
 */
@ApiTags('clusters')
@Controller('v1/cluster-health')
export class ClusterHealthHttpController implements OnApplicationShutdown {
  private readonly gateway: ClusterGateway & { close?: () => Promise<void> };
  private readonly directory: ClusterDirectory;

  constructor(
    @Inject(PG_POOL) pool: pg.Pool,
    @Inject(ReadModels) private readonly readModels: ReadModels,
    @Inject(SECRET_CIPHER) cipher: SecretCipher,
    @Inject(METRICS) metrics: CircleMetrics,
  ) {
    this.gateway = new InstrumentedClusterGateway(new KubernetesClusterGateway(), metrics);
    this.directory = new ClusterDirectory(pool, cipher);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.gateway.close?.();
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Reachability of every registered cluster' })
  @ApiOkResponse({ type: FleetReachabilityView })
  @ApiProblems(403)
  async all(): Promise<FleetReachabilityView> {
    const { rows } = await this.readModels.pool.query<{ name: string }>('SELECT name FROM rm_clusters ORDER BY name');
    const items = await Promise.all(rows.map((r) => this.ping(r.name)));
    return { clusters: items.length, reachable: items.filter((i) => i.reachable).length, items };
  }

  @Get(':name')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Reachability of one cluster' })
  @ApiOkResponse({ type: ClusterReachabilityView })
  @ApiProblems(403, 404)
  async one(@Param('name') name: string): Promise<ClusterReachabilityView> {
    const { rowCount } = await this.readModels.pool.query('SELECT 1 FROM rm_clusters WHERE name = $1', [name]);
    if (!rowCount) throw new ApiError(404, 'CLUSTER_NOT_FOUND', `cluster '${name}' is not registered`);
    return this.ping(name);
  }

  private async ping(name: string): Promise<ClusterReachability> {
    try {
      return await this.gateway.ping(await this.directory.ref(name));
    } catch (error) {
      // The kubeconfig itself could not be had (missing file, unset variable).
      return { cluster: name, reachable: false, circuit: 'closed', latencyMs: null, serverVersion: null, checkedAt: new Date().toISOString(), errorCode: (error as { code?: string }).code === 'CLUSTER_CONNECTION_UNAVAILABLE' ? 'CLUSTER_INVALID_KUBECONFIG' : 'CLUSTER_REQUEST_FAILED' };
    }
  }
}
