import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import { PageQuery, ReadQuery, type Page } from '../common/pagination.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import {
  ApplicationPage,
  ApplicationView,
  CreateApplicationRequest,
  DeclareDependenciesRequest,
  UpdateApplicationRequest,
} from './application.dto.js';
import { CreateApplication, DeclareDependencies, UpdateApplication, type ApplicationResult } from './applications.commands.js';
import { GetApplication, ListApplications } from './applications.queries.js';

@ApiTags('applications')
@Controller('v1/applications')
export class ApplicationsHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Create an application' })
  @ApiCreatedResponse({ type: ApplicationView })
  @ApiCommand()
  async create(
    @Body() body: CreateApplicationRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApplicationResult> {
    const result = await this.commands.execute(
      new CreateApplication({ name: body.name, team: body.team, description: body.description ?? '' }, ctx),
    );
    describeWrite(reply, result.position, `/v1/applications/${result.name}`);
    return result;
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List applications by name' })
  @ApiOkResponse({ type: ApplicationPage })
  @ApiProblems(400, 503)
  list(@Query() query: PageQuery): Promise<Page<ApplicationView>> {
    return this.queries.execute(new ListApplications({ limit: query.limit ?? 50, cursor: query.cursor, position: query.position }));
  }

  @Get(':name')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get an application' })
  @ApiOkResponse({ type: ApplicationView })
  @ApiProblems(400, 404, 503)
  get(@Param('name') name: string, @Query() query: ReadQuery): Promise<ApplicationView> {
    return this.queries.execute(new GetApplication(name, query.position));
  }

  @Patch(':name')
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Change the owning team or description' })
  @ApiOkResponse({ type: ApplicationView })
  @ApiCommand()
  @ApiProblems(404)
  async update(
    @Param('name') name: string,
    @Body() body: UpdateApplicationRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApplicationResult> {
    const result = await this.commands.execute(new UpdateApplication(name, body, ctx));
    describeWrite(reply, result.position);
    return result;
  }

  @Put(':name/dependencies')
  @RequireRole('release-manager')
  @ApiOperation({ summary: 'Declare the applications this one depends on (replaces the set)' })
  @ApiOkResponse({ type: ApplicationView })
  @ApiCommand()
  @ApiProblems(404)
  async declareDependencies(
    @Param('name') name: string,
    @Body() body: DeclareDependenciesRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApplicationResult> {
    const dependencies = body.dependencies.map((d) => ({ application: d.application, range: d.range }));
    const result = await this.commands.execute(new DeclareDependencies(name, dependencies, ctx));
    describeWrite(reply, result.position);
    return result;
  }
}
