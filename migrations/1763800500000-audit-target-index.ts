import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit projection looks up a rollout's request row by target for every later
 * event of that rollout; without this index each lookup scans the whole audit trail,
 * and projection lag grows with history.
 */
export class AuditTargetIndex1763800500000 implements MigrationInterface {
  name = 'AuditTargetIndex1763800500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query('CREATE INDEX ri_audit_target ON ri_audit (target, action)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP INDEX ri_audit_target');
  }
}
