/**
 * The API's fixed cost per request: an authenticated trivial GET through the whole stack
 * (Fastify, Nest guards and pipes, bearer-token check, one read-model query, problem
 * handling, security headers) against a bare node:http server answering the same JSON,
 * both in processes of their own, from the same autocannon load in this process with the
 * same number of connections.
 *
 *   npm run bench:http
 *   HTTP_CONNECTIONS=100 HTTP_SECONDS=20 CPU_PROF=1 npm run bench:http
 *
 * Target (issue 10): API req/s ≥ 0.6 × the bare server's.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createPool } from '#infra/postgres/pool.js';
import { startBenchCircle } from './support/circle.js';
import { summarizeCpuProfile, type CpuSummary } from './support/cpu-profile.js';
import { non2xx, runLoad, type LoadResult } from './support/load.js';
import { freePort, startBenchPostgres } from './support/postgres.js';
import { env, printTable, verdict, writeResults } from './support/report.js';
import { projectionsCaughtUp, seedCatalog } from './support/seed.js';
import { round } from './support/stats.js';

const CONNECTIONS = env('HTTP_CONNECTIONS', 50);
const SECONDS = env('HTTP_SECONDS', 10);
const WARMUP_SECONDS = env('WARMUP_SECONDS', 3);
const CPU_PROF = process.env['CPU_PROF'] === '1';
const TARGET = { ratio: 0.6 };
const PATH = '/v1/applications/shop';

async function startBareServer(body: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/bench/support/bare-server.js', String(port), body], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  if (!chunk.toString().startsWith('listening')) throw new Error(`bare server: ${chunk.toString()}`);
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function main(): Promise<void> {
  const runDir = join('bench/results', `http-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const postgres = await startBenchPostgres();
  let bare: LoadResult;
  let api: LoadResult;
  let apiPeakRssMb: number;
  let profile: CpuSummary | null = null;
  try {
    const db = await postgres.freshDatabase();
    const pool = createPool({ databaseUrl: db.url, max: 2 });
    const store = new PostgresEventStore(pool);
    await seedCatalog(store, pool, { applications: ['shop'] });
    const circle = await startBenchCircle({ databaseUrl: db.url, logDir: runDir, ...(CPU_PROF ? { cpuProfileDir: runDir } : {}) });
    try {
      await projectionsCaughtUp(store, pool);
      // The read model holds what the GET needs; the worker would only idle from here on.
      await circle.worker?.stop();
      const viewer = await circle.token('viewer');
      const headers = { authorization: `Bearer ${viewer}` };
      const answer = await fetch(`${circle.url}${PATH}`, { headers });
      if (answer.status !== 200) throw new Error(`GET ${PATH}: ${answer.status} ${await answer.text()}`);
      const server = await startBareServer(await answer.text());
      try {
        const get = (url: string, seconds: number) => runLoad({ url, connections: CONNECTIONS, seconds, request: { path: PATH, headers } });
        await get(server.url, WARMUP_SECONDS);
        await get(circle.url, WARMUP_SECONDS);
        bare = await get(server.url, SECONDS);
        api = await get(circle.url, SECONDS);
      } finally {
        await server.stop();
      }
      apiPeakRssMb = circle.api.peakRssMb();
    } finally {
      await circle.stop();
      await pool.end();
    }
    if (CPU_PROF) profile = summarizeCpuProfile(join(runDir, 'api.cpuprofile'));
    await db.drop();
  } finally {
    await postgres.stop();
  }

  const ratio = api.okPerSecond / bare.okPerSecond;
  process.stdout.write(`\nTrivial authenticated GET ${PATH}, ${CONNECTIONS} connections, ${SECONDS} s each\n\n`);
  printTable(
    ['server', 'req/s (2xx)', 'p50 ms', 'p99 ms', 'non-2xx'],
    [
      ['bare node:http, same JSON', bare.okPerSecond, bare.latency.p50, bare.latency.p99, non2xx(bare)],
      ['circle API (viewer token)', api.okPerSecond, api.latency.p50, api.latency.p99, non2xx(api)],
    ],
  );
  printTable(['target', 'wanted', 'measured', ''], [['API req/s ÷ bare node:http req/s', `≥ ${TARGET.ratio}`, round(ratio, 2), verdict(ratio >= TARGET.ratio)]]);
  process.stdout.write(`API peak resident set: ${apiPeakRssMb} MB\n`);
  if (profile) {
    process.stdout.write(`\nCPU profile ${profile.file} (busy ${profile.totalMs} ms, idle ${profile.idleMs} ms): shares of busy time\n\n`);
    printTable(['package', 'self ms', 'share'], profile.packages.map((x) => [x.name, x.selfMs, `${(x.share * 100).toFixed(1)} %`]));
    printTable(['function', 'self ms', 'share'], profile.functions.map((x) => [x.frame, x.selfMs, `${(x.share * 100).toFixed(1)} %`]));
  }
  const path = writeResults('http', {
    settings: { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, path: PATH },
    target: TARGET,
    bare,
    api,
    ratio,
    apiPeakRssMb,
    ...(profile ? { cpuProfile: profile } : {}),
  });
  process.stdout.write(`results: ${path}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
