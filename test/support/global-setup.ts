import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedPostgres as EmbeddedPostgresServer } from '../../libs/infra/src/postgres/embedded-postgres.js';

// Jest loads global setup outside its module system (no path mapping, and imports are
// not compiled), so the adapter comes from dist/; `npm test` builds first.
const compiledAdapter = '../../dist/libs/infra/src/postgres/embedded-postgres.js';

declare global {
  var __circleEmbeddedPostgres: { server: EmbeddedPostgresServer; dataDir: string } | undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * With DATABASE_URL set the suite uses that server; otherwise it starts a throw-away
 * embedded PostgreSQL, so `npm test` needs nothing set up by hand. Each test file then
 * creates its own database on the server (test/support/database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.CIRCLE_TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const { EmbeddedPostgres } = (await import(compiledAdapter)) as {
    EmbeddedPostgres: typeof EmbeddedPostgresServer;
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'circle-test-pg-'));
  const server = new EmbeddedPostgres({ dataDir, port: await freePort() });
  await server.start();
  globalThis.__circleEmbeddedPostgres = { server, dataDir };
  process.env.CIRCLE_TEST_DATABASE_URL = server.url;
}
