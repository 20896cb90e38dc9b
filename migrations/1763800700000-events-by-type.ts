import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * "Where in the log did the last event of these types land?" Deploys ask it to wait
 * for the read models only as far as the last change to what they read (environments,
 * clusters, finished rollouts), not to the head of a log that every other deploy keeps
 * moving.
 */
export class EventsByType1763800700000 implements MigrationInterface {
  name = 'EventsByType1763800700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX events_by_type ON events (type, global_position)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX events_by_type');
  }
}
