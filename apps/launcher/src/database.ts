import { join, resolve } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '#infra/postgres/embedded-postgres.js';
import type { CircleConfig } from '#infra/config/circle-config.js';
import type { Logger } from '#infra/logging/logger.js';

export interface ResolvedDatabase {
  url: string;
  embedded: EmbeddedPostgres | null;
}

const EMBEDDED_DATABASE = 'circle';

/**
 * DATABASE_URL when given; otherwise a real PostgreSQL embedded under CIRCLE_DATA_DIR,
 * created on first start and reused (with its data) on the next.
 */
export async function resolveDatabase(config: CircleConfig, logger: Logger): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, embedded: null };
  const dataDir = resolve(join(config.CIRCLE_DATA_DIR, 'pgdata'));
  const log = logger.child({ component: 'embedded-postgres' });
  const embedded = new EmbeddedPostgres({
    dataDir,
    port: config.CIRCLE_EMBEDDED_PG_PORT,
    onLog: (line) => log.debug(line),
  });
  log.info({ dataDir, port: config.CIRCLE_EMBEDDED_PG_PORT }, 'starting embedded PostgreSQL');
  await embedded.start();
  const admin = new pg.Client({ connectionString: embedded.url });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(embedded.url);
  url.pathname = `/${EMBEDDED_DATABASE}`;
  return { url: url.toString(), embedded };
}
