import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { EmbeddedPostgres } from '#infra/postgres/embedded-postgres.js';
import { freePort } from '../support/global-setup.js';
import { eventually, startCircle, type StartedProcess } from '../support/processes.js';

const COMMANDS = 150;
const CLIENTS = 15;
const ADMIN = `circle_fault_admin_${'z'.repeat(32)}`;

interface Outcome {
  key: string;
  version: string;
  /** Every answer the client saw, in order: an HTTP status or 'network' for a dropped connection. */
  answers: (number | 'network')[];
}

/**
 * A real PostgreSQL of the test's own, restarted (fast shutdown, as `pg_ctl restart -m
 * fast` or a failover does) while circle, as `npm start` runs it in its own process, is
 * accepting commands. Clients behave as the API asks: on 503 (Retry-After), a dropped
 * connection or 409 IDEMPOTENCY_KEY_IN_PROGRESS they send the same request with the same
 * Idempotency-Key again.
 */
describe('PostgreSQL restarted while commands are being accepted', () => {
  let server: EmbeddedPostgres;
  let dataDir: string;
  let circleDir: string;
  let circle: StartedProcess;
  let api: string;
  let db: pg.Pool;

  beforeAll(async () => {
    // Postgres runs as the `postgres` user on a root machine: its data directory is its own.
    dataDir = mkdtempSync(join(tmpdir(), 'circle-fault-pg-'));
    circleDir = mkdtempSync(join(tmpdir(), 'circle-fault-data-'));
    server = new EmbeddedPostgres({ dataDir, port: await freePort() });
    await server.start();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE circle');
    await admin.end();
    const url = server.url.replace(/\/postgres$/, '/circle');
    db = new pg.Pool({ connectionString: url, max: 2 });
    db.on('error', () => undefined);
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    circle = startCircle({
      DATABASE_URL: url,
      PORT: String(port),
      CIRCLE_ROLE: 'all',
      CIRCLE_SIMULATED_CLUSTERS: 'off',
      CIRCLE_DATA_DIR: circleDir,
      CIRCLE_ADMIN_TOKEN: ADMIN,
      RATE_LIMIT_PER_MINUTE: '0',
      TRANSPORT_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
    });
    await eventually(async () => ((await fetch(`${api}/health`)).status === 200 ? true : undefined), 60_000, `circle to start:\n${circle.output()}`);
    const created = await post('/v1/applications', { name: 'ledger', team: 'core' }, 'create-ledger');
    expect(created.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    circle?.child.kill('SIGKILL');
    await circle?.exited;
    await db?.end();
    await server?.stop();
    for (const dir of [dataDir, circleDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (path: string, body: object, key: string): Promise<Response> =>
    fetch(`${api}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });

  /** Sends one command until it gets a definite answer, as a well-behaved client does. */
  const send = async (outcome: Outcome, deadline: number): Promise<void> => {
    const body = { version: outcome.version, images: [{ name: 'app', repository: 'registry.example.com/ledger', tag: outcome.version }] };
    while (Date.now() < deadline) {
      let status: number | 'network';
      let code: string | undefined;
      try {
        const response = await post('/v1/applications/ledger/releases', body, outcome.key);
        status = response.status;
        code = status >= 400 ? ((await response.json()) as { code?: string }).code : (await response.arrayBuffer(), undefined);
        if (status === 503) expect([code, response.headers.get('retry-after')]).toEqual(['DATABASE_UNAVAILABLE', '1']);
      } catch {
        status = 'network';
      }
      outcome.answers.push(status);
      // A 500 is not retried: it would mean circle took the outage for a bug of its own.
      const retry = status === 'network' || status === 503 || code === 'IDEMPOTENCY_KEY_IN_PROGRESS';
      if (!retry) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('keeps every acknowledged command exactly once, lets failed ones retry safely with their key, and recovers without a restart', async () => {
    const outcomes: Outcome[] = Array.from({ length: COMMANDS }, (_, i) => ({ key: `release-${i}`, version: `1.0.${i}`, answers: [] }));
    const queue = [...outcomes];
    const deadline = Date.now() + 45_000;
    const clients = Array.from({ length: CLIENTS }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await send(next, deadline);
    });

    const acknowledged = () => outcomes.filter((o) => o.answers.some((a) => typeof a === 'number' && a < 300)).length;
    await eventually(async () => (acknowledged() >= 40 ? true : undefined), 20_000, '40 commands acknowledged');
    const before = acknowledged();
    await server.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    await server.start();
    await Promise.all(clients);

    // Every client ended with a success: none was left with an error it could not retry away.
    const unfinished = outcomes.filter((o) => o.answers.at(-1) !== 201 && o.answers.at(-1) !== 200);
    expect(unfinished).toEqual([]);
    const disturbed = outcomes.filter((o) => o.answers.length > 1);
    expect(disturbed.length).toBeGreaterThan(0); // the restart did hit commands in flight
    expect(before).toBeLessThan(COMMANDS);

    // The log holds each command exactly once: acknowledged ones, and retried ones too.
    const { rows } = await db.query<{ version: string; n: number }>(
      `SELECT data->>'version' AS version, count(*)::int AS n FROM events WHERE type = 'ReleaseRegistered' GROUP BY 1`,
    );
    const logged = Object.fromEntries(rows.map((r) => [r.version, r.n]));
    expect(logged).toEqual(Object.fromEntries(outcomes.map((o) => [o.version, 1])));

    // Healthy again without a restart: a new command is accepted, and the worker (its log
    // reader and projections) sees it: the releases read model lists everything.
    expect((await post('/v1/applications/ledger/releases', { version: '2.0.0', images: [{ name: 'app', repository: 'registry.example.com/ledger', tag: '2.0.0' }] }, 'after')).status).toBe(201);
    await eventually(async () => {
      const response = await fetch(`${api}/v1/applications/ledger/releases?limit=200`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const page = (await response.json()) as { items?: unknown[] };
      return response.status === 200 && page.items?.length === COMMANDS + 1 ? true : undefined;
    }, 20_000, 'the releases read model to list every release');
    expect(circle.child.exitCode).toBeNull();

    const retried = disturbed.map((o) => o.answers.join(' → '));
    process.stdout.write(`postgres restart: ${before} acknowledged before the stop, ${disturbed.length} commands retried: ${[...new Set(retried)].join('; ')}\n`);
  }, 90_000);
});
