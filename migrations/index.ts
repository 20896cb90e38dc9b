import { EventStore1763780000000 } from './1763780000000-event-store.js';

// TypeORM under ESM cannot load migrations by glob, so they are listed here in order.
export const migrations = [EventStore1763780000000];
