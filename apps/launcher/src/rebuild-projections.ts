import { migrations } from '../../../migrations/index.js';
import { loadConfig } from '#infra/config/circle-config.js';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createLogger } from '#infra/logging/logger.js';
import { runMigrations } from '#infra/postgres/migrate.js';
import { createPool } from '#infra/postgres/pool.js';
import { rebuildProjections } from '#infra/projections/projection-rebuild.js';
import { resolveDatabase } from './database.js';

/**
 * `npm run projections:rebuild`: replays the whole log into fresh read-model tables and
 * swaps them in while the API and worker keep running (against DATABASE_URL), or on the
 * embedded PostgreSQL when circle is stopped. Prints the outcome as one JSON line.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const database = await resolveDatabase(config, logger);
  try {
    // The copies are made LIKE the live tables, so those must be at the current schema.
    await runMigrations(database.url, migrations);
    const pool = createPool({ databaseUrl: database.url, max: 4, applicationName: 'circle-rebuild' });
    try {
      const result = await rebuildProjections(pool, new PostgresEventStore(pool), { logger });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await pool.end();
    }
  } finally {
    await database.embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`projection rebuild failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
