import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { runMigrations } from '#infra/postgres/migrate.js';
import { createPool } from '#infra/postgres/pool.js';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.CIRCLE_TEST_DATABASE_URL;
  if (!url) throw new Error('CIRCLE_TEST_DATABASE_URL is not set: run tests through jest (global setup starts the database)');
  return url;
}

/** A fresh, migrated database of its own for one test file, so files can run in parallel. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `circle_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  if (options.migrate !== false) await runMigrations(url.toString(), migrations);
  const pool = createPool({ databaseUrl: url.toString(), max: 30 });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
