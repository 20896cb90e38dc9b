import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import { PageQuery, ReadQuery, type Page } from '../common/pagination.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import {
  DefineEnvironmentRequest,
  EnvironmentCommandResult,
  EnvironmentPage,
  EnvironmentView,
  UpdateEnvironmentRequest,
} from './environment.dto.js';
import { DefineEnvironment, UpdateEnvironment } from './environments.commands.js';
import { GetEnvironment, ListEnvironments } from './environments.queries.js';

@ApiTags('environments')
@Controller('v1/environments')
export class EnvironmentsHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Define an environment and its promotion policy',
    description: 'Omitted policy fields take defaults (no soak, no approvals, all clusters, one wave of "rest"). The same definition again answers 200.',
  })
  @ApiCreatedResponse({ type: EnvironmentCommandResult, description: 'Defined now' })
  @ApiOkResponse({ type: EnvironmentCommandResult, description: 'Already defined exactly so' })
  @ApiCommand()
  async define(
    @Body() body: DefineEnvironmentRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EnvironmentCommandResult> {
    const { created, environment } = await this.commands.execute(
      new DefineEnvironment({ name: body.name, rank: body.rank, description: body.description ?? '', policy: body.policy }, ctx),
    );
    if (!created) void reply.status(200);
    describeWrite(reply, environment.position, `/v1/environments/${environment.name}`);
    return environment;
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List environments in promotion order (rank, then name)' })
  @ApiOkResponse({ type: EnvironmentPage })
  @ApiProblems(400, 503)
  list(@Query() query: PageQuery): Promise<Page<EnvironmentView>> {
    return this.queries.execute(new ListEnvironments({ limit: query.limit ?? 50, cursor: query.cursor, position: query.position }));
  }

  @Get(':name')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get an environment' })
  @ApiOkResponse({ type: EnvironmentView })
  @ApiProblems(400, 404, 503)
  get(@Param('name') name: string, @Query() query: ReadQuery): Promise<EnvironmentView> {
    return this.queries.execute(new GetEnvironment(name, query.position));
  }

  @Patch(':name')
  @RequireRole('admin')
  @ApiOperation({ summary: 'Change rank, description or policy fields' })
  @ApiOkResponse({ type: EnvironmentCommandResult })
  @ApiCommand()
  @ApiProblems(404)
  async update(
    @Param('name') name: string,
    @Body() body: UpdateEnvironmentRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EnvironmentCommandResult> {
    const result = await this.commands.execute(new UpdateEnvironment(name, body, ctx));
    describeWrite(reply, result.position);
    return result;
  }
}
