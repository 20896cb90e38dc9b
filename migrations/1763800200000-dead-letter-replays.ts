import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replay requests for dead letters. The API may run in a process where no handler is
 * subscribed (CIRCLE_ROLE=api), so it only records the request here; a worker that has
 * the handler subscribed claims it and writes the outcome back.
 *
 * A table rather than columns on dead_letters: the worker keeps its claimed row locked
 * (FOR UPDATE SKIP LOCKED) for the whole replay, and the transport's own markReplayed
 * updates the dead_letters row meanwhile; locking that row instead would make the
 * worker wait on itself. It also keeps every attempt, failed ones included.
 */
export class DeadLetterReplays1763800200000 implements MigrationInterface {
  name = 'DeadLetterReplays1763800200000';

  async up(db: QueryRunner): Promise<void> {
    // outcome is NULL while the request is pending.
    await db.query(`
      CREATE TABLE dead_letter_replays (
        id uuid PRIMARY KEY,
        dead_letter_id uuid NOT NULL REFERENCES dead_letters (id) ON DELETE CASCADE,
        requested_at timestamptz NOT NULL,
        requested_by text NOT NULL,
        position bigint NOT NULL DEFAULT 0,
        outcome text CHECK (outcome IN ('succeeded', 'failed')),
        error text,
        completed_at timestamptz,
        CONSTRAINT dead_letter_replays_outcome_complete CHECK ((outcome IS NULL) = (completed_at IS NULL))
      )`);
    // At most one pending request per dead letter: a second POST while one waits joins it.
    await db.query('CREATE UNIQUE INDEX dead_letter_replays_pending_key ON dead_letter_replays (dead_letter_id) WHERE outcome IS NULL');
    await db.query('CREATE INDEX dead_letter_replays_latest_idx ON dead_letter_replays (dead_letter_id, requested_at DESC)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE dead_letter_replays');
  }
}
