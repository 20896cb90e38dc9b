import pg from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';

// Any constant works; it only has to be the same in every process of one deployment.
const MIGRATION_LOCK = 0x63697263; // "circ"

/**
 * Runs pending TypeORM migrations. Several processes (API, workers) may start at once;
 * a session advisory lock on a separate connection makes them take turns, so each
 * migration runs exactly once and the others find nothing left to do.
 */
export async function runMigrations(
  databaseUrl: string,
  migrations: ReadonlyArray<new () => MigrationInterface>,
): Promise<string[]> {
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const dataSource = new DataSource({
      type: 'postgres',
      url: databaseUrl,
      migrations: [...migrations],
      migrationsTableName: 'schema_migrations',
      migrationsTransactionMode: 'each',
      logging: false,
    });
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations();
      return applied.map((m) => m.name);
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    throw new Error(`database migration failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await lock.end();
  }
}
