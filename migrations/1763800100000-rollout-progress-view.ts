import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where a rollout is, per wave and cluster, for GET /v1/rollouts/{id}. */
export class RolloutProgressView1763800100000 implements MigrationInterface {
  name = 'RolloutProgressView1763800100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE rm_rollouts
      ADD COLUMN request jsonb,
      ADD COLUMN current_wave integer NOT NULL DEFAULT 0,
      ADD COLUMN current_step text,
      ADD COLUMN clusters jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE rm_rollouts DROP COLUMN request, DROP COLUMN current_wave, DROP COLUMN current_step, DROP COLUMN clusters`);
  }
}
