import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credentials and request bookkeeping of the API. These are not domain facts, so they
 * live in plain tables rather than the event log: token secrets must be revocable and
 * unreadable, kubeconfigs must never enter the immutable log, and idempotency records
 * expire.
 */
export class ApiAccess1763780200000 implements MigrationInterface {
  name = 'ApiAccess1763780200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_tokens (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('viewer', 'deployer', 'release-manager', 'admin')),
        environments jsonb NOT NULL DEFAULT '[]',
        secret_hash text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz
      )`);
    await db.query(`
      CREATE TABLE idempotency_keys (
        token_id text NOT NULL,
        key text NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        request_hash text NOT NULL,
        status integer,
        response jsonb,
        headers jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (token_id, key)
      )`);
    await db.query('CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)');
    await db.query(`
      CREATE TABLE cluster_secrets (
        id text PRIMARY KEY,
        cluster text NOT NULL,
        kubeconfig text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE cluster_secrets');
    await db.query('DROP TABLE idempotency_keys');
    await db.query('DROP TABLE api_tokens');
  }
}
