import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import { PageQuery, ReadQuery, type Page } from '../common/pagination.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { RegisterReleaseRequest, RegisteredRelease, ReleasePage, ReleaseView } from './release.dto.js';
import { RegisterRelease, type ReleaseResult } from './releases.commands.js';
import { GetRelease, ListReleases } from './releases.queries.js';

@ApiTags('releases')
@Controller('v1/applications/:application/releases')
export class ReleasesHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  // Deployer, not release-manager: registering a build is what CI does after every
  // merge; deciding where it runs is the guarded part.
  @Post()
  @HttpCode(201)
  @RequireRole('deployer')
  @ApiOperation({
    summary: 'Register a release (an immutable version of the application)',
    description: 'The same version with the same content again is a retry and answers 200; different content is 409 RELEASE_ALREADY_EXISTS.',
  })
  @ApiCreatedResponse({ type: RegisteredRelease, description: 'Registered now' })
  @ApiOkResponse({ type: RegisteredRelease, description: 'Already registered with exactly this content' })
  @ApiCommand()
  @ApiProblems(404)
  async register(
    @Param('application') application: string,
    @Body() body: RegisterReleaseRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReleaseResult> {
    const images = body.images.map((i) => ({
      name: i.name,
      repository: i.repository,
      ...(i.tag !== undefined ? { tag: i.tag } : {}),
      ...(i.digest !== undefined ? { digest: i.digest } : {}),
    }));
    const { created, release } = await this.commands.execute(
      new RegisterRelease(
        {
          application,
          version: body.version,
          images,
          ...(body.gitCommit !== undefined ? { gitCommit: body.gitCommit } : {}),
          ...(body.notes !== undefined ? { notes: body.notes } : {}),
        },
        ctx,
      ),
    );
    if (!created) void reply.status(200);
    describeWrite(reply, release.position, `/v1/applications/${release.application}/releases/${release.version}`);
    return release;
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List the releases of an application, newest first' })
  @ApiOkResponse({ type: ReleasePage })
  @ApiProblems(400, 404, 503)
  list(@Param('application') application: string, @Query() query: PageQuery): Promise<Page<ReleaseView>> {
    return this.queries.execute(
      new ListReleases(application, { limit: query.limit ?? 50, cursor: query.cursor, position: query.position }),
    );
  }

  @Get(':version')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get one release' })
  @ApiOkResponse({ type: ReleaseView })
  @ApiProblems(400, 404, 503)
  get(
    @Param('application') application: string,
    @Param('version') version: string,
    @Query() query: ReadQuery,
  ): Promise<ReleaseView> {
    return this.queries.execute(new GetRelease(application, version, query.position));
  }
}
