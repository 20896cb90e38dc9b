/**
 * Command ingest through the API: accepted deploys per second (bearer auth, DTO
 * validation, promotion gate, target resolution, decide, append) against what the same
 * PostgreSQL commits with pgbench, one event-shaped row per transaction, at the same
 * client counts, measured in the same run. While the deploys run, it also measures how
 * far the read-model projections (in the worker) trail the log, and the API's peak
 * resident memory.
 *
 *   npm run bench:ingest
 *   INGEST_CLIENTS=32 INGEST_SECONDS=20 CPU_PROF=1 npm run bench:ingest
 *
 * circle runs as deployed: an API process and a worker process (compiled launcher,
 * CIRCLE_ROLE=api / worker) on an embedded PostgreSQL; autocannon drives the API from
 * this process. Every request is a deploy that the API accepts: APPLICATIONS applications
 * with a release each, ENVIRONMENTS environments of one cluster each, and each request
 * deploys a pair (application, environment) no request used before (a second deploy of
 * one application onto the same cluster would be a 409). The environments require one
 * approval, so the accepted rollouts wait in AwaitingApproval and the worker does no
 * cluster work: the API's path is the same as for any deploy, and the worker's load is
 * the log (projections, rollout process) alone.
 *
 * Targets (issue 10): at 32 clients ≥ 0.5 × pgbench's commits/s with p99 ≤ 50 ms;
 * projection lag p99 < 200 ms; API resident set ≤ 256 MB.
 */
import { join } from 'node:path';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createPool } from '#infra/postgres/pool.js';
import { startBenchCircle } from './support/circle.js';
import { summarizeCpuProfile, type CpuSummary } from './support/cpu-profile.js';
import { non2xx, runLoad, type LoadResult } from './support/load.js';
import { pgbenchInserts, type PgbenchResult } from './support/pgbench.js';
import { startBenchPostgres } from './support/postgres.js';
import { ProjectionLagSampler, type ProjectionLag } from './support/projection-lag.js';
import { env, printTable, verdict, writeResults } from './support/report.js';
import { benchPolicy, projectionsCaughtUp, seedCatalog } from './support/seed.js';
import { round } from './support/stats.js';

const CLIENTS = (process.env['INGEST_CLIENTS'] ?? '8,32').split(',').map(Number);
const SECONDS = env('INGEST_SECONDS', 10);
const WARMUP_SECONDS = env('WARMUP_SECONDS', 3);
const APPLICATIONS = env('APPLICATIONS', 1000);
const ENVIRONMENTS = env('ENVIRONMENTS', 20);
const CPU_PROF = process.env['CPU_PROF'] === '1';
const TARGET = { ratioAt32: 0.5, p99Ms: 50, lagP99Ms: 200, apiRssMb: 256 };

interface Row {
  clients: number;
  pgbench: PgbenchResult;
  api: LoadResult;
  ratio: number;
  projectionLag: ProjectionLag;
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join('bench/results', `ingest-${stamp}`);
  const postgres = await startBenchPostgres();
  const rows: Row[] = [];
  let memory: { apiPeakRssMb: number; workerPeakRssMb: number } | null = null;
  const profiles: CpuSummary[] = [];
  try {
    const db = await postgres.freshDatabase();
    const baselineDb = await postgres.freshDatabase({ migrate: false });
    const pool = createPool({ databaseUrl: db.url, max: 4 });
    const store = new PostgresEventStore(pool);
    const environments = Array.from({ length: ENVIRONMENTS }, (_, i) => `ingest-${String(i).padStart(2, '0')}`);
    const applications = Array.from({ length: APPLICATIONS }, (_, i) => `app-${String(i).padStart(5, '0')}`);
    await seedCatalog(store, pool, {
      // All rank 0: no environment is "the one before" another, so no promotion gate.
      environments: environments.map((name) => ({ name, rank: 0, policy: benchPolicy(1) })),
      clusters: environments.map((environment) => ({ name: `${environment}-c1`, environment })),
      applications,
    });

    const circle = await startBenchCircle({ databaseUrl: db.url, logDir: runDir, ...(CPU_PROF ? { cpuProfileDir: runDir } : {}) });
    try {
      await projectionsCaughtUp(store, pool);
      const deployer = await circle.token('deployer');
      // Pair i: application i mod A into environment ⌊i / A⌋, so neighbouring requests
      // touch different application streams, as independent CI jobs would.
      let next = 0;
      const capacity = APPLICATIONS * ENVIRONMENTS;
      const deploy = () => {
        const i = next++ % capacity;
        return JSON.stringify({ kind: 'deploy', application: applications[i % APPLICATIONS], version: '1.0.0', environment: environments[Math.floor(i / APPLICATIONS)], reason: 'bench' });
      };
      const load = (connections: number, seconds: number) =>
        runLoad({ url: circle.url, connections, seconds, request: { method: 'POST', path: '/v1/rollouts', headers: { authorization: `Bearer ${deployer}` }, body: deploy } });

      const warm = await load(8, WARMUP_SECONDS);
      if (warm.ok === 0) throw new Error(`warm-up: no deploy accepted: ${JSON.stringify(warm.statuses)}\n${circle.api.log().slice(-2000)}`);
      // pgbench inserts the very event data and metadata the API just wrote.
      const { rows: sample } = await pool.query<{ data: unknown; metadata: unknown }>(
        `SELECT data, metadata FROM events WHERE type = 'RolloutRequested' ORDER BY global_position DESC LIMIT 1`,
      );

      for (const clients of CLIENTS) {
        const baseline = await pgbenchInserts({ url: baselineDb.url, clients, seconds: SECONDS, data: sample[0]!.data, metadata: sample[0]!.metadata });
        await projectionsCaughtUp(store, pool);
        const sampler = new ProjectionLagSampler(db.url);
        await sampler.start();
        const api = await load(clients, SECONDS);
        const projectionLag = await sampler.stop();
        rows.push({ clients, pgbench: baseline, api, ratio: api.okPerSecond / baseline.commitsPerSecond, projectionLag });
        if (next > capacity) process.stderr.write(`warning: ${next} deploys for ${capacity} (application, environment) pairs; raise APPLICATIONS\n`);
      }
      memory = { apiPeakRssMb: circle.api.peakRssMb(), workerPeakRssMb: circle.worker!.peakRssMb() };
    } finally {
      await circle.stop();
      await pool.end();
    }
    if (CPU_PROF) {
      for (const name of ['api', 'worker']) profiles.push(summarizeCpuProfile(join(runDir, `${name}.cpuprofile`)));
    }
    await baselineDb.drop();
    await db.drop();
  } finally {
    await postgres.stop();
  }

  process.stdout.write(`\nIngest: accepted deploys through the API vs pgbench single-row inserts, ${SECONDS} s per run\n\n`);
  printTable(
    ['clients', 'pgbench commits/s', 'pgbench p50 ms', 'pgbench p99 ms', 'API deploys/s (2xx)', 'ratio', 'API p50 ms', 'API p99 ms', 'non-2xx', 'projection lag p50 ms', 'lag p99 ms'],
    rows.map((r) => [r.clients, r.pgbench.commitsPerSecond, r.pgbench.latency.p50, r.pgbench.latency.p99, r.api.okPerSecond, r.ratio, r.api.latency.p50, r.api.latency.p99, non2xx(r.api), r.projectionLag.lag.p50, r.projectionLag.lag.p99]),
  );
  const at32 = rows.find((r) => r.clients === 32);
  const worstLag = Math.max(...rows.map((r) => r.projectionLag.lag.p99));
  const targets = [
    ...(at32
      ? [
          ['deploys/s ÷ pgbench commits/s at 32 clients', `≥ ${TARGET.ratioAt32}`, round(at32.ratio, 2), verdict(at32.ratio >= TARGET.ratioAt32)],
          ['API p99 at 32 clients', `≤ ${TARGET.p99Ms} ms`, round(at32.api.latency.p99), verdict(at32.api.latency.p99 <= TARGET.p99Ms)],
        ]
      : []),
    ['projection lag p99 (worst run)', `< ${TARGET.lagP99Ms} ms`, round(worstLag), verdict(worstLag < TARGET.lagP99Ms)],
    ['API peak resident set', `≤ ${TARGET.apiRssMb} MB`, memory?.apiPeakRssMb, verdict((memory?.apiPeakRssMb ?? Infinity) <= TARGET.apiRssMb)],
  ] as const;
  printTable(['target', 'wanted', 'measured', ''], targets);
  process.stdout.write(`worker peak resident set: ${memory?.workerPeakRssMb} MB; statuses per run: ${rows.map((r) => `${r.clients}: ${JSON.stringify(r.api.statuses)}`).join('; ')}\n`);
  for (const p of profiles) {
    process.stdout.write(`\nCPU profile ${p.file} (busy ${p.totalMs} ms, idle ${p.idleMs} ms): self time by package, shares of busy time\n\n`);
    printTable(['package', 'self ms', 'share'], p.packages.map((x) => [x.name, x.selfMs, `${(x.share * 100).toFixed(1)} %`]));
    printTable(['function', 'self ms', 'share'], p.functions.map((x) => [x.frame, x.selfMs, `${(x.share * 100).toFixed(1)} %`]));
  }
  const path = writeResults('ingest', {
    settings: { clients: CLIENTS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, applications: APPLICATIONS, environments: ENVIRONMENTS },
    target: TARGET,
    runs: rows,
    memory,
    ...(profiles.length > 0 ? { cpuProfiles: profiles } : {}),
  });
  process.stdout.write(`results: ${path}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
