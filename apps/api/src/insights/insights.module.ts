import { Module } from '@nestjs/common';
import { AuditHttpController } from './audit.http.controller.js';
import { auditQueryHandlers } from './audit.queries.js';
import { GetApplicationHistoryHandler } from './history.queries.js';
import { InsightsHttpController } from './insights.http.controller.js';
import { GetLiveVersionsHandler } from './live-versions.queries.js';
import { placementQueryHandlers } from './placements.queries.js';
import { GetSoakHandler } from './soak.queries.js';

/** Read-only answers from the insight read models: placements, live versions, soak, history, audit. */
@Module({
  controllers: [InsightsHttpController, AuditHttpController],
  providers: [...placementQueryHandlers, GetLiveVersionsHandler, GetApplicationHistoryHandler, GetSoakHandler, ...auditQueryHandlers],
})
export class InsightsModule {}
