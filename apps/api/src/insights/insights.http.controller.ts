import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/openapi.decorators.js';
import { PageQuery } from '../common/pagination.js';
import { GetApplicationHistory } from './history.queries.js';
import { HistoryPage, LiveQuery, LiveVersionsView, PlacementPage, PlacementsQuery, SoakQuery, SoakView } from './insight.dto.js';
import { GetLiveVersions } from './live-versions.queries.js';
import { GetApplicationPlacements, GetClusterPlacements } from './placements.queries.js';
import { GetSoak } from './soak.queries.js';

/** The questions release managers ask: where, which version is live, has it soaked, what happened. */
@ApiTags('insights')
@ApiBearerAuth()
@Controller('v1')
export class InsightsHttpController {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get('applications/:application/placements')
  @ApiOperation({ summary: 'Where the application runs: per cluster and track, now or at a past moment (`at`)' })
  @ApiOkResponse({ type: PlacementPage })
  @ApiProblems(400, 404, 503)
  applicationPlacements(@Param('application') application: string, @Query() query: PlacementsQuery): Promise<PlacementPage> {
    return this.queries.execute(
      new GetApplicationPlacements(application, query.at, { limit: query.limit ?? 50, cursor: query.cursor, position: query.position }),
    );
  }

  @Get('clusters/:cluster/placements')
  @ApiOperation({ summary: 'What runs on the cluster, per application and track' })
  @ApiOkResponse({ type: PlacementPage })
  @ApiProblems(400, 404, 503)
  clusterPlacements(@Param('cluster') cluster: string, @Query() query: PageQuery): Promise<PlacementPage> {
    return this.queries.execute(new GetClusterPlacements(cluster, { limit: query.limit ?? 50, cursor: query.cursor, position: query.position }));
  }

  @Get('applications/:application/live')
  @ApiOperation({ summary: 'Which version of the application serves 100 % in each environment, or the mix' })
  @ApiOkResponse({ type: LiveVersionsView })
  @ApiProblems(400, 404, 503)
  live(@Param('application') application: string, @Query() query: LiveQuery): Promise<LiveVersionsView> {
    return this.queries.execute(new GetLiveVersions(application, query.environment, query.position));
  }

  @Get('applications/:application/history')
  @ApiOperation({ summary: 'Releases and rollouts of the application, newest first, with outcome, actor, start and end' })
  @ApiOkResponse({ type: HistoryPage })
  @ApiProblems(400, 404, 503)
  history(@Param('application') application: string, @Query() query: PageQuery): Promise<HistoryPage> {
    return this.queries.execute(new GetApplicationHistory(application, { limit: query.limit ?? 50, cursor: query.cursor, position: query.position }));
  }

  @Get('applications/:application/versions/:version/soak')
  @ApiOperation({ summary: 'How long the version has been live and healthy in the environment, and what its policy requires' })
  @ApiOkResponse({ type: SoakView })
  @ApiProblems(400, 404, 503)
  soak(@Param('application') application: string, @Param('version') version: string, @Query() query: SoakQuery): Promise<SoakView> {
    return this.queries.execute(new GetSoak(application, version, query.environment, query.position));
  }
}
