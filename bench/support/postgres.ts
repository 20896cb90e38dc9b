import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EmbeddedPostgres } from '#infra/postgres/embedded-postgres.js';
import { runMigrations } from '#infra/postgres/migrate.js';
import { migrations } from '../../migrations/index.js';

export interface BenchDatabase {
  /** Connection URL of a migrated database of its own. */
  url: string;
  drop(): Promise<void>;
}

export interface BenchPostgres {
  /** URL of the server's maintenance database (a superuser on the embedded server). */
  serverUrl: string;
  /** A new database on the server; migrated unless told otherwise. */
  freshDatabase(options?: { migrate?: boolean }): Promise<BenchDatabase>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * The PostgreSQL a benchmark measures against: DATABASE_URL when set, else an embedded
 * PostgreSQL 17 (the `npm start` default) in a throw-away data directory.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  let embedded: EmbeddedPostgres | null = null;
  let dir: string | null = null;
  let serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    dir = mkdtempSync(join(tmpdir(), 'circle-bench-'));
    // As root, PostgreSQL runs as the `postgres` user, which must reach its data directory.
    chmodSync(dir, 0o755);
    embedded = new EmbeddedPostgres({ dataDir: join(dir, 'pgdata'), port: await freePort() });
    await embedded.start();
    serverUrl = embedded.url;
  }
  const admin = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  };
  return {
    serverUrl,
    async freshDatabase({ migrate = true } = {}) {
      const name = `circle_bench_${randomBytes(4).toString('hex')}`;
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      if (migrate) await runMigrations(url.toString(), migrations);
      return {
        url: url.toString(),
        drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
      };
    },
    async stop() {
      await embedded?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
