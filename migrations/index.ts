import { EventStore1763780000000 } from './1763780000000-event-store.js';
import { CatalogReadModels1763780100000 } from './1763780100000-catalog-read-models.js';
import { ApiAccess1763780200000 } from './1763780200000-api-access.js';
import { EventTransport1763790000000 } from './1763790000000-event-transport.js';
import { RolloutEngine1763800000000 } from './1763800000000-rollout-engine.js';
import { RolloutProgressView1763800100000 } from './1763800100000-rollout-progress-view.js';
import { DeadLetterReplays1763800200000 } from './1763800200000-dead-letter-replays.js';
import { InsightReadModels1763800300000 } from './1763800300000-insight-read-models.js';
import { AuditTargetIndex1763800500000 } from './1763800500000-audit-target-index.js';
import { Webhooks1763800600000 } from './1763800600000-webhooks.js';
import { EventsByType1763800700000 } from './1763800700000-events-by-type.js';

// TypeORM under ESM cannot load migrations by glob, so they are listed here in order.
export const migrations = [EventStore1763780000000, CatalogReadModels1763780100000, ApiAccess1763780200000, EventTransport1763790000000, RolloutEngine1763800000000, RolloutProgressView1763800100000, DeadLetterReplays1763800200000, InsightReadModels1763800300000, AuditTargetIndex1763800500000, Webhooks1763800600000, EventsByType1763800700000];
