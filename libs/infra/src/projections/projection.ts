import type pg from 'pg';
import type { StoredEvent } from '#domain';

/**
 * A read model kept in Postgres. `apply` runs inside the transaction that also moves the
 * projection's checkpoint, so an event is applied exactly once even when the worker
 * dies between two events; it must still be written as an idempotent upsert so a
 * rebuild from position 0 gives the same tables.
 */
export interface Projection {
  /** Checkpoint key; renaming it replays the whole log into the tables. */
  readonly name: string;
  /** Event types this projection reads; the runner skips the rest without a call. */
  readonly eventTypes: readonly string[];
  apply(event: StoredEvent, tx: pg.PoolClient): Promise<void>;
}
