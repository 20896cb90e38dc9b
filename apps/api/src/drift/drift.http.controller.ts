import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/openapi.decorators.js';
import { DriftQuery, DriftView } from './drift.dto.js';
import { GetDrift } from './drift.queries.js';

/** Where the clusters disagree with what circle believes runs there (viewer). */
@ApiTags('insights')
@ApiBearerAuth()
@Controller('v1/applications')
export class DriftHttpController {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get(':application/drift')
  @ApiOperation({
    summary: 'Where the cluster objects disagree with the placements read model',
    description:
      'Reads the Deployments circle manages for the application on each cluster (their annotations and `spec.replicas`) and ' +
      'compares version and desired replicas per track with the placements. A cluster is listed when the application is placed ' +
      'there or the cluster reports objects of it; `unreachable` when it could not be read.',
  })
  @ApiOkResponse({ type: DriftView })
  @ApiProblems(400, 404, 503)
  drift(@Param('application') application: string, @Query() query: DriftQuery): Promise<DriftView> {
    return this.queries.execute(new GetDrift(application, query.cluster, query.position));
  }
}
