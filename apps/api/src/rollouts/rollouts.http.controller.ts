import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { assertLabels } from '#domain';
import { RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import { ReadQuery, type Page } from '../common/pagination.js';
import { ApiError } from '../common/problem.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import {
  AbortRequest,
  ApproveRequest,
  ListRolloutsQuery,
  PauseRequest,
  PromoteRequest,
  RolloutAccepted,
  RolloutPage,
  RolloutView,
  StartRolloutRequest,
} from './rollout.dto.js';
import {
  OperateRollout,
  StartRollout,
  type RolloutAcceptedResult,
  type RolloutOperation,
  type RolloutOperationResult,
} from './rollouts.commands.js';
import { GetRollout, ListRollouts } from './rollouts.queries.js';
import { RetryRollout } from './retry-rollout.command.js';
import { toStrategy } from './strategy.dto.js';

class RolloutOperationAccepted {
  @ApiProperty() rolloutId!: string;
  @ApiProperty({ enum: ['AwaitingApproval', 'Progressing', 'Paused', 'Aborting', 'Succeeded', 'Aborted', 'Failed'] }) phase!: string;
  @ApiProperty({ example: 1042 }) position!: number;
}

function stringRecord(value: Record<string, unknown> | null | undefined, field: string): Record<string, string> | undefined {
  // @IsOptional lets an explicit null through: no selector.
  if (value === undefined || value === null) return undefined;
  const bad = Object.entries(value).filter(([, v]) => typeof v !== 'string');
  if (bad.length > 0) {
    throw new ApiError(400, 'VALIDATION_FAILED', 'label values must be strings', {
      errors: bad.map(([k]) => ({ field: `${field}.${k}`, message: 'must be a string' })),
    });
  }
  assertLabels(value as Record<string, string>);
  return value as Record<string, string>;
}

@ApiTags('rollouts')
@Controller('v1/rollouts')
export class RolloutsHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Post()
  @HttpCode(202)
  @RequireRole('deployer')
  @ApiOperation({
    summary: 'Deploy, upgrade or roll back an application',
    description:
      'Accepted at once with a rollout id; follow it at links.self. Rules that can be checked now (unknown release, cordoned ' +
      'cluster, a rollout already active on those clusters) are rejected now.',
  })
  @ApiAcceptedResponse({ type: RolloutAccepted })
  @ApiCommand()
  async start(
    @Body() body: StartRolloutRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RolloutAcceptedResult> {
    const result = await this.commands.execute(
      new StartRollout(
        {
          kind: body.kind,
          application: body.application,
          version: body.version,
          environment: body.environment,
          clusters: body.clusters,
          selector: stringRecord(body.selector, 'selector'),
          strategy: toStrategy(body.strategy),
          reason: body.reason,
          supersede: body.supersede ?? false,
          ...(body.override ? { override: { reason: body.override.reason } } : {}),
        },
        ctx,
      ),
    );
    describeWrite(reply, result.position, result.links.self);
    return result;
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List rollouts, newest first' })
  @ApiOkResponse({ type: RolloutPage })
  @ApiProblems(400, 503)
  list(@Query() query: ListRolloutsQuery): Promise<Page<RolloutView>> {
    return this.queries.execute(
      new ListRollouts(
        { application: query.application, phase: query.phase },
        { limit: query.limit ?? 50, cursor: query.cursor, position: query.position },
      ),
    );
  }

  @Get(':id')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get a rollout: phase, waves and a human message' })
  @ApiOkResponse({ type: RolloutView })
  @ApiProblems(400, 404, 503)
  get(@Param('id') id: string, @Query() query: ReadQuery): Promise<RolloutView> {
    return this.queries.execute(new GetRollout(id, query.position));
  }

  @Post(':id/promote')
  @HttpCode(202)
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Go to the next step, or with full=true skip all remaining steps' })
  @ApiAcceptedResponse({ type: RolloutOperationAccepted })
  @ApiCommand()
  @ApiProblems(404)
  promote(@Param('id') id: string, @Body() body: PromoteRequest, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.operate(id, { type: 'promote', full: body.full ?? false }, ctx, reply);
  }

  @Post(':id/pause')
  @HttpCode(202)
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Hold the rollout where it is' })
  @ApiAcceptedResponse({ type: RolloutOperationAccepted })
  @ApiCommand()
  @ApiProblems(404)
  pause(@Param('id') id: string, @Body() body: PauseRequest, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.operate(id, { type: 'pause', reason: body.reason ?? null }, ctx, reply);
  }

  @Post(':id/resume')
  @HttpCode(202)
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Continue a paused rollout' })
  @ApiAcceptedResponse({ type: RolloutOperationAccepted })
  @ApiCommand()
  @ApiProblems(404)
  resume(@Param('id') id: string, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.operate(id, { type: 'resume' }, ctx, reply);
  }

  @Post(':id/abort')
  @HttpCode(202)
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Stop and return every touched cluster to the previous version' })
  @ApiAcceptedResponse({ type: RolloutOperationAccepted })
  @ApiCommand()
  @ApiProblems(404)
  abort(@Param('id') id: string, @Body() body: AbortRequest, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.operate(id, { type: 'abort', reason: body.reason }, ctx, reply);
  }

  @Post(':id/approve')
  @HttpCode(202)
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Approve a rollout waiting for approvals (not by its requester)' })
  @ApiAcceptedResponse({ type: RolloutOperationAccepted })
  @ApiCommand()
  @ApiProblems(404)
  approve(@Param('id') id: string, @Body() body: ApproveRequest, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.operate(id, { type: 'approve', comment: body.comment ?? null }, ctx, reply);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @RequireRole('deployer')
  @ApiOperation({ summary: 'Start a Failed or Aborted rollout again, as a new rollout on the same clusters' })
  @ApiAcceptedResponse({ type: RolloutAccepted })
  @ApiCommand()
  @ApiProblems(404)
  async retry(@Param('id') id: string, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<RolloutAcceptedResult> {
    const result = await this.commands.execute(new RetryRollout(id, ctx));
    describeWrite(reply, result.position, result.links.self);
    return result;
  }

  private async operate(id: string, operation: RolloutOperation, ctx: RequestContext, reply: FastifyReply): Promise<RolloutOperationResult> {
    const result = await this.commands.execute(new OperateRollout(id, operation, ctx));
    describeWrite(reply, result.position, `/v1/rollouts/${id}`);
    return result;
  }
}
