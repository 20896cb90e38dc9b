import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblems } from '../common/openapi.decorators.js';
import type { Page } from '../common/pagination.js';
import { CSV_CONTENT_TYPE, NDJSON_CONTENT_TYPE, toCsv, toNdjson } from './audit-export.js';
import { ExportAudit, ListAudit, type AuditFilter } from './audit.queries.js';
import { AuditPage, AuditQuery, type AuditEntryView } from './insight.dto.js';

/**
 * The audit trail is read-only by construction: this controller has no write route,
 * the rows come only from the log, and the log refuses UPDATE and DELETE.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditHttpController {
  constructor(@Inject(QueryBus) private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({ summary: 'Who did what, where, when and why, newest first; `format=ndjson|csv` exports every match' })
  @ApiOkResponse({ type: AuditPage })
  @ApiProduces('application/json', NDJSON_CONTENT_TYPE, 'text/csv')
  @ApiProblems(400, 503)
  async list(@Query() query: AuditQuery, @Res({ passthrough: true }) reply: FastifyReply): Promise<Page<AuditEntryView> | string> {
    const filter: AuditFilter = {
      actor: query.actor, application: query.application, cluster: query.cluster, environment: query.environment,
      action: query.action, outcome: query.outcome, from: query.from, to: query.to,
    };
    if (query.format === 'ndjson' || query.format === 'csv') {
      const entries: AuditEntryView[] = await this.queries.execute(new ExportAudit(filter, query.position));
      const csv = query.format === 'csv';
      void reply
        .header('content-type', csv ? CSV_CONTENT_TYPE : NDJSON_CONTENT_TYPE)
        .header('content-disposition', `attachment; filename="circle-audit.${csv ? 'csv' : 'ndjson'}"`);
      return csv ? toCsv(entries) : toNdjson(entries);
    }
    return this.queries.execute(new ListAudit(filter, { limit: query.limit ?? 50, cursor: query.cursor, position: query.position }));
  }
}
