import { auditProjection } from './audit.projection.js';
import { placementsProjection } from './placements.projection.js';

/** The read models that answer release managers' questions: where, live, soak, audit. */
export const insightProjections = [placementsProjection, auditProjection];
