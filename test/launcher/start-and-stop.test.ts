import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freePort } from '../support/global-setup.js';
import { eventually, startCircle, type StartedProcess } from '../support/processes.js';

/** PIDs of postgres processes serving the given data directory. */
function postgresProcessesFor(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dataDir}`]).toString().trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function healthy(port: number): Promise<{ status: string; info: Record<string, { status: string }> } | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return response.status === 200 ? ((await response.json()) as never) : undefined;
}

const ADMIN = `circle_start_test_${'z'.repeat(32)}`;

describe('npm start on a machine with no database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'circle-start-'));
  // mkdtemp makes the folder private to root; as root, PostgreSQL runs as the postgres
  // user and must be able to reach its data directory inside it.
  chmodSync(dataDir, 0o755);
  let running: StartedProcess | null = null;

  afterAll(() => {
    running?.child.kill('SIGKILL');
    for (const pid of postgresProcessesFor(dataDir)) process.kill(Number(pid), 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'serves /health on an embedded PostgreSQL, stops cleanly on %s and keeps its data for the next start',
    async (signal) => {
      const port = await freePort();
      const pgPort = await freePort();
      const env = { PORT: String(port), CIRCLE_DATA_DIR: dataDir, CIRCLE_EMBEDDED_PG_PORT: String(pgPort), CIRCLE_ADMIN_TOKEN: ADMIN };

      running = startCircle(env);
      const health = await eventually(() => healthy(port), 60_000, 'GET /health').catch((error: Error) => {
        throw new Error(`${error.message}\n--- circle output ---\n${running?.output()}`);
      });
      expect(health.status).toBe('ok');
      expect(health.info.database!.status).toBe('up');
      // The worker runs in this process: readiness covers its transport and group membership,
      // and the API's /metrics carries the worker's series (one registry per process).
      expect(health.info.transport!.status).toBe('up');
      expect(health.info.membership!.status).toBe('up');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^circle_transport_lag_events\{group="rollout-process",partition="0"\} \d+$/m);
      expect(metrics).toMatch(/^circle_rollouts\{phase="Progressing"\} \d+$/m);
      expect(postgresProcessesFor(join(dataDir, 'pgdata'))).toHaveLength(1);
      // With no cluster of its own, circle brings simulated ones, registered in their environments.
      const clusters = await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/v1/clusters`, { headers: { authorization: `Bearer ${ADMIN}` } });
        const body = (await response.json()) as { items: { name: string; environment: string }[] };
        return body.items.length === 4 ? body.items : undefined;
      }, 30_000, 'simulated clusters in the catalog');
      expect(clusters.map((c) => `${c.environment}/${c.name}`).sort()).toEqual(['dev/dev-1', 'prod/prod-eu-1', 'prod/prod-us-1', 'staging/staging-1']);

      // Leave a mark in the database to find after the restart.
      const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/circle` });
      await client.connect();
      await client.query('CREATE TABLE IF NOT EXISTS marks (signal text)');
      await client.query('INSERT INTO marks VALUES ($1)', [signal]);
      await client.end();

      running.child.kill(signal);
      expect(await running.exited).toBe(0);
      expect(running.output()).toContain('"msg":"stopped"');
      expect(postgresProcessesFor(join(dataDir, 'pgdata'))).toEqual([]);

      running = startCircle(env);
      await eventually(() => healthy(port), 60_000, 'GET /health after restart');
      const again = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/circle` });
      await again.connect();
      const { rows } = await again.query<{ signal: string }>('SELECT signal FROM marks');
      await again.end();
      expect(rows.map((r) => r.signal)).toContain(signal);
      // Migrations already applied are not applied again.
      expect(running.output()).not.toContain('database migrated');

      running.child.kill('SIGTERM');
      expect(await running.exited).toBe(0);
      running = null;
    },
    120_000,
  );

  it('refuses to start with a bad setting and says which', async () => {
    const started = startCircle({ PORT: 'eighty', CIRCLE_DATA_DIR: dataDir });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/PORT: PORT must be an integer number/);
  });
});
