import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a rollout next needs the engine's attention (a pause ends, a measurement is due,
 * a cluster should be looked at again). A row per rollout, in the database rather than
 * in a worker's memory, so a replacement worker picks up every clock a dead one owned.
 */
export class RolloutEngine1763800000000 implements MigrationInterface {
  name = 'RolloutEngine1763800000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE rollout_timers (
        rollout_id text PRIMARY KEY,
        fire_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query('CREATE INDEX rollout_timers_due ON rollout_timers (fire_at)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE rollout_timers');
  }
}
