import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import { ReadQuery, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import {
  ClusterCommandResult,
  ClusterPage,
  ClusterView,
  CordonClusterRequest,
  ListClustersQuery,
  RegisterClusterRequest,
  RemoveClusterQuery,
  UpdateClusterLabelsRequest,
} from './cluster.dto.js';
import { ChangeCluster, RegisterCluster, type ClusterResult, type ClusterSource } from './clusters.commands.js';
import { GetCluster, ListClusters, parseSelector } from './clusters.queries.js';

/**
 * Uncordon takes no options. class-validator cannot validate a class without rules, so
 * an empty DTO is refused outright; this keeps the "unknown fields are errors" rule.
 */
function rejectAnyField(body: unknown): void {
  if (body === undefined || body === null) return;
  const fields = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : ['(body)'];
  if (fields.length === 0) return;
  throw new ApiError(400, 'VALIDATION_FAILED', `${fields.length} field${fields.length === 1 ? '' : 's'} failed validation`, {
    errors: fields.map((field) => ({ field, message: 'unknown field' })),
  });
}

@ApiTags('clusters')
@Controller('v1/clusters')
export class ClustersHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Register a cluster',
    description:
      'Give exactly one of kubeconfig (stored as a secret, never returned) or kubeconfigRef. ' +
      'The same registration again answers 200; a different one for a registered name is 409 CLUSTER_ALREADY_EXISTS.',
  })
  @ApiCreatedResponse({ type: ClusterCommandResult, description: 'Registered now' })
  @ApiOkResponse({ type: ClusterCommandResult, description: 'Already registered exactly so' })
  @ApiCommand()
  async register(
    @Body() body: RegisterClusterRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClusterResult> {
    const source: ClusterSource =
      body.kubeconfig !== undefined && body.kubeconfig !== null
        ? { kind: 'inline', kubeconfig: body.kubeconfig }
        : body.kubeconfigRef!.file !== undefined
          ? { kind: 'file', path: body.kubeconfigRef!.file }
          : { kind: 'env', variable: body.kubeconfigRef!.env! };
    const { created, cluster } = await this.commands.execute(
      new RegisterCluster(
        { name: body.name, environment: body.environment, region: body.region, labels: body.labels ?? {}, source },
        ctx,
      ),
    );
    if (!created) void reply.status(200);
    describeWrite(reply, cluster.position, `/v1/clusters/${cluster.name}`);
    return cluster;
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List clusters by name, optionally of one environment and matching a label selector' })
  @ApiOkResponse({ type: ClusterPage })
  @ApiProblems(400, 503)
  list(@Query() query: ListClustersQuery): Promise<Page<ClusterView>> {
    return this.queries.execute(
      new ListClusters(
        { environment: query.environment, selector: parseSelector(query.selector) },
        { limit: query.limit ?? 50, cursor: query.cursor, position: query.position },
      ),
    );
  }

  @Get(':name')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get a cluster (its connection only as a kind)' })
  @ApiOkResponse({ type: ClusterView })
  @ApiProblems(400, 404, 503)
  get(@Param('name') name: string, @Query() query: ReadQuery): Promise<ClusterView> {
    return this.queries.execute(new GetCluster(name, query.position));
  }

  @Put(':name/labels')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Replace the labels of a cluster' })
  @ApiOkResponse({ type: ClusterCommandResult })
  @ApiCommand()
  @ApiProblems(404)
  async updateLabels(
    @Param('name') name: string,
    @Body() body: UpdateClusterLabelsRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClusterResult> {
    return this.change(reply, new ChangeCluster(name, { type: 'UpdateClusterLabels', labels: body.labels }, ctx));
  }

  @Post(':name/cordon')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Cordon a cluster: new rollouts leave it out until it is uncordoned' })
  @ApiOkResponse({ type: ClusterCommandResult })
  @ApiCommand()
  @ApiProblems(404)
  async cordon(
    @Param('name') name: string,
    @Body() body: CordonClusterRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClusterResult> {
    return this.change(reply, new ChangeCluster(name, { type: 'CordonCluster', ...(body.reason ? { reason: body.reason } : {}) }, ctx));
  }

  @Post(':name/uncordon')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({ summary: 'Uncordon a cluster' })
  @ApiOkResponse({ type: ClusterCommandResult })
  @ApiCommand()
  @ApiProblems(404)
  async uncordon(
    @Param('name') name: string,
    @Body() body: unknown,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClusterResult> {
    rejectAnyField(body);
    return this.change(reply, new ChangeCluster(name, { type: 'UncordonCluster' }, ctx));
  }

  // 200 with a body rather than 204: the caller needs the log position to read its
  // write (the cluster gone from lists), and the header alone is easy to miss.
  @Delete(':name')
  @HttpCode(200)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Remove a cluster',
    description: 'Answers 200 with status "removed" and the log position. The cluster leaves lists; its history stays in the log, and the name may be registered again.',
  })
  @ApiOkResponse({ type: ClusterCommandResult })
  @ApiBearerAuth()
  @ApiProblems(400, 403, 404, 409)
  async remove(
    @Param('name') name: string,
    @Query() query: RemoveClusterQuery,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClusterResult> {
    return this.change(reply, new ChangeCluster(name, { type: 'RemoveCluster', ...(query.reason ? { reason: query.reason } : {}) }, ctx));
  }

  private async change(reply: FastifyReply, command: ChangeCluster): Promise<ClusterResult> {
    const result = await this.commands.execute(command);
    describeWrite(reply, result.position);
    return result;
  }
}
