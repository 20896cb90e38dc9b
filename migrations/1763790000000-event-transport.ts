import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * State of the event transport: Postgres-log checkpoints and partition leases per consumer
 * group, the Kafka relay's checkpoint, and dead letters (shared by both adapters, since
 * every deployment has Postgres and one table is easier to list and replay from).
 */
export class EventTransport1763790000000 implements MigrationInterface {
  name = 'EventTransport1763790000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE transport_checkpoints (
        group_name text NOT NULL,
        partition integer NOT NULL,
        position bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (group_name, partition)
      )`);
    // owner is NULL for a released partition; a lease past expires_at is free to take.
    await db.query(`
      CREATE TABLE transport_leases (
        group_name text NOT NULL,
        partition integer NOT NULL,
        owner text,
        expires_at timestamptz NOT NULL DEFAULT '-infinity',
        PRIMARY KEY (group_name, partition)
      )`);
    // Live members of a group (also those holding no partition yet), so that each one can
    // compute its fair share and a newcomer gets partitions given up by the others.
    await db.query(`
      CREATE TABLE transport_members (
        group_name text NOT NULL,
        member text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (group_name, member)
      )`);
    await db.query(`
      CREATE TABLE relay_checkpoint (
        relay text PRIMARY KEY,
        position bigint NOT NULL
      )`);
    await db.query(`
      CREATE TABLE dead_letters (
        id uuid PRIMARY KEY,
        handler text NOT NULL,
        event_id uuid NOT NULL,
        stream_id text NOT NULL,
        stream_version integer NOT NULL,
        global_position bigint NOT NULL,
        event_type text NOT NULL,
        attempts integer NOT NULL,
        error text NOT NULL,
        failed_at timestamptz NOT NULL,
        replayed_at timestamptz,
        CONSTRAINT dead_letters_handler_event_key UNIQUE (handler, event_id)
      )`);
    await db.query('CREATE INDEX dead_letters_failed_at_idx ON dead_letters (failed_at DESC)');
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE dead_letters');
    await db.query('DROP TABLE relay_checkpoint');
    await db.query('DROP TABLE transport_members');
    await db.query('DROP TABLE transport_leases');
    await db.query('DROP TABLE transport_checkpoints');
  }
}
