import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { decodeCursor, toPage } from '../common/pagination.js';
import { ReadModels } from '../common/read-models.js';
import type { AuditEntryView, AuditPage } from './insight.dto.js';

export interface AuditFilter {
  actor?: string;
  application?: string;
  cluster?: string;
  environment?: string;
  action?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

interface AuditRow {
  position: string;
  event_id: string;
  at: Date;
  actor: string;
  source: string;
  correlation_id: string;
  causation_id: string | null;
  action: string;
  outcome: string;
  target: string;
  application: string | null;
  clusters: string[];
  environment: string | null;
  reason: string | null;
}

export const auditView = (r: AuditRow): AuditEntryView => ({
  position: Number(r.position),
  eventId: r.event_id,
  at: r.at.toISOString(),
  actor: r.actor,
  source: r.source,
  correlationId: r.correlation_id,
  causationId: r.causation_id,
  action: r.action,
  outcome: r.outcome,
  target: r.target,
  application: r.application,
  clusters: r.clusters,
  environment: r.environment,
  reason: r.reason,
});

/** Newest first; every filter is optional and each has an index. */
async function readAudit(readModels: ReadModels, filter: AuditFilter, before: number, limit: number | null): Promise<AuditRow[]> {
  const { rows } = await readModels.pool.query<AuditRow>(
    `SELECT position, event_id, at, actor, source, correlation_id, causation_id, action, outcome, target, application, clusters,
       environment, reason
     FROM ri_audit
     WHERE position < $1
       AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR application = $3)
       AND ($4::text IS NULL OR clusters @> ARRAY[$4::text]) AND ($5::text IS NULL OR environment = $5)
       AND ($6::text IS NULL OR action = $6) AND ($7::text IS NULL OR outcome = $7)
       AND ($8::timestamptz IS NULL OR at >= $8) AND ($9::timestamptz IS NULL OR at < $9)
     ORDER BY position DESC LIMIT $10`,
    [
      before, filter.actor ?? null, filter.application ?? null, filter.cluster ?? null, filter.environment ?? null,
      filter.action ?? null, filter.outcome ?? null, filter.from ?? null, filter.to ?? null, limit,
    ],
  );
  return rows;
}

export class ListAudit extends Query<AuditPage> {
  constructor(
    readonly filter: AuditFilter,
    readonly page: { limit: number; cursor?: string; position?: number },
  ) {
    super();
  }
}

export class ExportAudit extends Query<AuditEntryView[]> {
  constructor(
    readonly filter: AuditFilter,
    readonly position?: number,
  ) {
    super();
  }
}

@QueryHandler(ListAudit)
export class ListAuditHandler implements IQueryHandler<ListAudit> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ filter, page }: ListAudit): Promise<AuditPage> {
    await this.readModels.caughtUp(page.position);
    const before = decodeCursor(page.cursor, ['integer'])?.[0] ?? Number.MAX_SAFE_INTEGER;
    const rows = await readAudit(this.readModels, filter, before, page.limit + 1);
    return toPage(rows, page.limit, auditView, (r) => [Number(r.position)]);
  }
}

@QueryHandler(ExportAudit)
export class ExportAuditHandler implements IQueryHandler<ExportAudit> {
  constructor(@Inject(ReadModels) private readonly readModels: ReadModels) {}

  async execute({ filter, position }: ExportAudit): Promise<AuditEntryView[]> {
    await this.readModels.caughtUp(position);
    return (await readAudit(this.readModels, filter, Number.MAX_SAFE_INTEGER, null)).map(auditView);
  }
}

export const auditQueryHandlers = [ListAuditHandler, ExportAuditHandler];
