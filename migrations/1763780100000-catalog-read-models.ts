import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models the API lists and gets from, written only by projections in the worker,
 * plus the checkpoints that projections move in the same transaction as their rows.
 */
export class CatalogReadModels1763780100000 implements MigrationInterface {
  name = 'CatalogReadModels1763780100000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE projection_checkpoints (
        name text PRIMARY KEY,
        position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE rm_applications (
        name text PRIMARY KEY,
        team text NOT NULL,
        description text NOT NULL,
        dependencies jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE rm_releases (
        application text NOT NULL,
        version text NOT NULL,
        images jsonb NOT NULL,
        git_commit text,
        notes text,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        position bigint NOT NULL,
        PRIMARY KEY (application, version)
      )`);
    // Newest first is how people page through releases.
    await db.query('CREATE INDEX rm_releases_by_position ON rm_releases (application, position DESC)');
    await db.query(`
      CREATE TABLE rm_clusters (
        name text PRIMARY KEY,
        environment text NOT NULL,
        region text NOT NULL,
        labels jsonb NOT NULL,
        connection jsonb NOT NULL,
        status text NOT NULL,
        cordon_reason text,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await db.query('CREATE INDEX rm_clusters_by_environment ON rm_clusters (environment, name)');
    await db.query('CREATE INDEX rm_clusters_labels ON rm_clusters USING gin (labels jsonb_path_ops)');
    await db.query(`
      CREATE TABLE rm_environments (
        name text PRIMARY KEY,
        rank integer NOT NULL,
        description text NOT NULL,
        policy jsonb NOT NULL,
        defined_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE rm_rollouts (
        id text PRIMARY KEY,
        application text NOT NULL,
        kind text NOT NULL,
        version text NOT NULL,
        from_version text,
        environment text,
        phase text NOT NULL,
        strategy jsonb NOT NULL,
        waves jsonb NOT NULL,
        skipped_clusters jsonb NOT NULL,
        required_approvals integer NOT NULL,
        approvers jsonb NOT NULL DEFAULT '[]',
        requested_by text NOT NULL,
        reason text,
        message text NOT NULL,
        requested_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        ended_at timestamptz,
        position bigint NOT NULL
      )`);
    await db.query('CREATE INDEX rm_rollouts_by_application ON rm_rollouts (application, position DESC)');
    await db.query('CREATE INDEX rm_rollouts_by_position ON rm_rollouts (position DESC)');
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['rm_rollouts', 'rm_environments', 'rm_clusters', 'rm_releases', 'rm_applications', 'projection_checkpoints']) {
      await db.query(`DROP TABLE ${table}`);
    }
  }
}
