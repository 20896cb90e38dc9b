import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models that answer "what runs where, which version is live, has it soaked, who
 * changed what": placements (current and as of any past moment), live versions, soak
 * clocks and the audit trail. Everything here is rebuilt from the log.
 */
export class InsightReadModels1763800300000 implements MigrationInterface {
  name = 'InsightReadModels1763800300000';

  async up(db: QueryRunner): Promise<void> {
    // Highest log position each insight projection has applied, moved in the same
    // transaction as its rows: a replayed event (position <= this) changes nothing.
    await db.query(`CREATE TABLE ri_applied (name text PRIMARY KEY, position bigint NOT NULL)`);
    // The projection's own copy of cluster → environment and of rollout requests, so it
    // never reads another projection's tables (they may be at another position).
    await db.query(`CREATE TABLE ri_clusters (name text PRIMARY KEY, environment text NOT NULL)`);
    await db.query(`CREATE TABLE ri_rollouts (
      id text PRIMARY KEY, request jsonb NOT NULL, notes jsonb NOT NULL DEFAULT '{}')`);
    await db.query(`CREATE TABLE ri_placements (
      application text NOT NULL, cluster text NOT NULL, track text NOT NULL, environment text NOT NULL,
      version text NOT NULL, traffic_percent numeric(5,2) NOT NULL, replicas integer NOT NULL,
      health text NOT NULL, since timestamptz NOT NULL, rollout_id text NOT NULL, position bigint NOT NULL,
      PRIMARY KEY (application, cluster, track))`);
    await db.query(`CREATE INDEX ri_placements_cluster ON ri_placements (cluster, application)`);
    await db.query(`CREATE INDEX ri_placements_env ON ri_placements (application, environment)`);
    // One row per stretch of time a track ran a version with a traffic share;
    // valid_to is null while it still does. "Where did APP run at T" reads it.
    await db.query(`CREATE TABLE ri_placement_history (
      application text NOT NULL, cluster text NOT NULL, track text NOT NULL, environment text NOT NULL,
      version text NOT NULL, traffic_percent numeric(5,2) NOT NULL, replicas integer NOT NULL,
      rollout_id text NOT NULL, valid_from timestamptz NOT NULL, valid_to timestamptz,
      from_position bigint NOT NULL, to_position bigint,
      PRIMARY KEY (application, cluster, track, from_position))`);
    await db.query(`CREATE INDEX ri_placement_history_at ON ri_placement_history (application, valid_from)`);
    await db.query(`CREATE TABLE ri_live_versions (
      application text NOT NULL, environment text NOT NULL, version text, breakdown jsonb NOT NULL,
      since timestamptz NOT NULL, position bigint NOT NULL, PRIMARY KEY (application, environment))`);
    await db.query(`CREATE TABLE ri_soak (
      application text NOT NULL, environment text NOT NULL, version text NOT NULL,
      live_since timestamptz, clock_started_at timestamptz, last_reset_at timestamptz, last_reset_reason text,
      position bigint NOT NULL, PRIMARY KEY (application, environment, version))`);
    await db.query(`CREATE TABLE ri_audit (
      position bigint PRIMARY KEY, event_id uuid NOT NULL, at timestamptz NOT NULL, actor text NOT NULL,
      source text NOT NULL, correlation_id text NOT NULL, causation_id text, action text NOT NULL,
      outcome text NOT NULL, application text, clusters text[] NOT NULL DEFAULT '{}', environment text, target text NOT NULL,
      reason text, data jsonb NOT NULL)`);
    await db.query(`CREATE INDEX ri_audit_actor ON ri_audit (actor, position)`);
    await db.query(`CREATE INDEX ri_audit_application ON ri_audit (application, position)`);
    await db.query(`CREATE INDEX ri_audit_clusters ON ri_audit USING gin (clusters)`);
    await db.query(`CREATE INDEX ri_audit_environment ON ri_audit (environment, position)`);
    await db.query(`CREATE INDEX ri_audit_at ON ri_audit (at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE ri_audit, ri_soak, ri_live_versions, ri_placement_history, ri_placements, ri_rollouts, ri_clusters, ri_applied`);
  }
}
