import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Git webhooks. Rules and secrets are mutable configuration (secrets must be rotatable
 * and never enter the immutable log), so they live in tables; their changes are also
 * told in the log for the audit trail. Deliveries are keyed by the provider's delivery
 * id, which is what makes a redelivered webhook a no-op.
 */
export class Webhooks1763800600000 implements MigrationInterface {
  name = 'Webhooks1763800600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE webhook_rules (
        id text PRIMARY KEY,
        repository text NOT NULL,
        provider text NOT NULL,
        application text NOT NULL,
        spec jsonb NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await db.query('CREATE INDEX webhook_rules_repository ON webhook_rules (repository)');
    // GitHub and the generic receiver need the secret itself (HMAC), so it is encrypted
    // (AES-256-GCM); GitLab sends the token in clear, so a SHA-256 hash suffices there.
    await db.query(`
      CREATE TABLE webhook_secrets (
        repository text PRIMARY KEY,
        current_encrypted text NOT NULL,
        current_hash text NOT NULL,
        previous_encrypted text,
        previous_hash text,
        previous_valid_until timestamptz,
        rotated_at timestamptz NOT NULL
      )`);
    await db.query(`
      CREATE TABLE webhook_deliveries (
        provider text NOT NULL,
        delivery_id text NOT NULL,
        event text NOT NULL,
        repository text,
        commit_sha text,
        ref text,
        outcome jsonb,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (provider, delivery_id)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE webhook_deliveries');
    await db.query('DROP TABLE webhook_secrets');
    await db.query('DROP TABLE webhook_rules');
  }
}
