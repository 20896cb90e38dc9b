import { catalogProjections } from './catalog/index.js';
import { insightProjections } from './insights/index.js';

/**
 * Every read model the API serves. The worker runs exactly these, and read-your-writes
 * waits for exactly these, so the two can never disagree on what "caught up" means.
 */
export const readModelProjections = [...catalogProjections, ...insightProjections];
