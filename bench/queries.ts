/**
 * Read-model queries at fleet size: 1,000 clusters × 200 applications. Each question
 * the API answers (where does APP run, what runs on CLUSTER, the live version, the
 * soak of APP@VERSION, the first audit page) is asked through the API's own query
 * handlers — the same SQL, the same round trips — and timed next to a primary-key
 * lookup on the largest read-model table, measured in the same loop (interleaved, so
 * noise hits both alike).
 *
 *   npm run bench:queries                      # RUNS=500
 *   RUNS=2000 npm run bench:queries
 *
 * Seeding: the read-model rows (`rm_*` catalog, `ri_*` insights) are inserted by
 * generated SQL (generate_series), shaped as the projections write them after each
 * application was deployed and upgraded twice everywhere: three stretches of
 * placement history per application × cluster, a canary on a tenth of prod, soak rows
 * per version and environment, and 1,000 audit rows per application (about a million
 * rows, seeded in ~10 s). Replaying the equivalent log through the projections (at
 * least 600,000 ClusterActionSucceeded events) is not what is measured here: the
 * queries only read the tables, so how the rows got there does not change the timings.
 *
 * Target: every query's p99 ≤ 5 × the primary-key lookup's p99. Results also go to
 * bench/results/queries-<time>.json.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Clock } from '#domain';
import { EmbeddedPostgres } from '#infra/postgres/embedded-postgres.js';
import { runMigrations } from '#infra/postgres/migrate.js';
import { createPool } from '#infra/postgres/pool.js';
import { ListAudit, ListAuditHandler } from '../apps/api/src/insights/audit.queries.js';
import { GetLiveVersions, GetLiveVersionsHandler } from '../apps/api/src/insights/live-versions.queries.js';
import {
  GetApplicationPlacements,
  GetApplicationPlacementsHandler,
  GetClusterPlacements,
  GetClusterPlacementsHandler,
} from '../apps/api/src/insights/placements.queries.js';
import { GetSoak, GetSoakHandler } from '../apps/api/src/insights/soak.queries.js';
import { ReadModels } from '../apps/api/src/common/read-models.js';
import { migrations } from '../migrations/index.js';

const CLUSTERS = Number(process.env['CLUSTERS'] ?? 1000);
const APPLICATIONS = Number(process.env['APPLICATIONS'] ?? 200);
const RUNS = Number(process.env['RUNS'] ?? 500);
const AUDIT_PER_APP = Number(process.env['AUDIT_PER_APP'] ?? 1000);
const TARGET = 5;
const WARMUP = 50;

// 10 % dev, 20 % staging, 70 % prod: most clusters are where the traffic is.
const ENVIRONMENTS = [
  { name: 'dev', rank: 1, share: 0.1 },
  { name: 'staging', rank: 2, share: 0.2 },
  { name: 'prod', rank: 3, share: 0.7 },
];
const T0 = Date.parse('2026-10-01T00:00:00Z');
const DAY = 86_400_000;

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const appName = (i: number) => `app-${pad(i, 3)}`;
const clusterName = (i: number) => `c-${pad(i, 4)}`;
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

async function seed(pool: import('pg').Pool): Promise<void> {
  const devEnd = Math.round(CLUSTERS * ENVIRONMENTS[0]!.share);
  const stagingEnd = devEnd + Math.round(CLUSTERS * ENVIRONMENTS[1]!.share);
  // Cluster i's environment, as one SQL expression reused by every insert below.
  const envOf = (i: string) => `CASE WHEN ${i} <= ${devEnd} THEN 'dev' WHEN ${i} <= ${stagingEnd} THEN 'staging' ELSE 'prod' END`;
  const ts = (ms: number) => `'${new Date(ms).toISOString()}'::timestamptz`;
  const statements: [string, string][] = [
    ['environments', `INSERT INTO rm_environments (name, rank, description, policy, defined_at, updated_at)
      SELECT e.name, e.rank, '', '{"requiredSoakSeconds":3600,"requiredApprovals":0,"clusterSelector":{}}'::jsonb, ${ts(T0)}, ${ts(T0)}
      FROM (VALUES ${ENVIRONMENTS.map((e) => `('${e.name}', ${e.rank})`).join(', ')}) AS e(name, rank)`],
    ['applications', `INSERT INTO rm_applications (name, team, description, created_at, updated_at)
      SELECT 'app-' || lpad(a::text, 3, '0'), 'team-' || (a % 20), '', ${ts(T0)}, ${ts(T0)} FROM generate_series(1, ${APPLICATIONS}) a`],
    ['clusters', `INSERT INTO rm_clusters (name, environment, region, labels, connection, status, registered_at, updated_at)
      SELECT 'c-' || lpad(c::text, 4, '0'), ${envOf('c')}, CASE WHEN c % 2 = 0 THEN 'eu' ELSE 'us' END, '{}'::jsonb,
        '{"kind":"env","variable":"KUBECONFIG_BENCH"}'::jsonb, 'active', ${ts(T0)}, ${ts(T0)}
      FROM generate_series(1, ${CLUSTERS}) c`],
    ['ri_clusters', `INSERT INTO ri_clusters (name, environment) SELECT name, environment FROM rm_clusters`],
    // Three stretches per application × cluster: 1.0.0, 1.1.0, then 1.2.0 still running.
    ['ri_placement_history', `INSERT INTO ri_placement_history (application, cluster, track, environment, version, traffic_percent, replicas,
        rollout_id, valid_from, valid_to, from_position, to_position)
      SELECT 'app-' || lpad(a::text, 3, '0'), 'c-' || lpad(c::text, 4, '0'), 'stable', ${envOf('c')}, '1.' || v || '.0', 100, 3,
        'r-' || a || '-' || v, ${ts(T0)} + (v * 10 + a % 7) * interval '1 day',
        CASE WHEN v < 2 THEN ${ts(T0)} + ((v + 1) * 10 + a % 7) * interval '1 day' END,
        (v * ${APPLICATIONS} + a) * ${CLUSTERS} + c, CASE WHEN v < 2 THEN ((v + 1) * ${APPLICATIONS} + a) * ${CLUSTERS} + c END
      FROM generate_series(1, ${APPLICATIONS}) a, generate_series(1, ${CLUSTERS}) c, generate_series(0, 2) v`],
    ['ri_placements', `INSERT INTO ri_placements (application, cluster, track, environment, version, traffic_percent, replicas, health, since, rollout_id, position)
      SELECT application, cluster, track, environment, version, traffic_percent, replicas, 'healthy', valid_from, rollout_id, from_position
      FROM ri_placement_history WHERE valid_to IS NULL`],
    // A canary of 1.3.0 at 25 % on a tenth of prod: those clusters are mixed.
    ['ri_placements (canaries)', `WITH canary AS (
        UPDATE ri_placements SET traffic_percent = 75 WHERE environment = 'prod' AND hashtext(application || cluster) % 10 = 0 AND track = 'stable'
        RETURNING application, cluster, environment)
      INSERT INTO ri_placements (application, cluster, track, environment, version, traffic_percent, replicas, health, since, rollout_id, position)
      SELECT application, cluster, 'canary', environment, '1.3.0', 25, 1, 'progressing', ${ts(T0 + 40 * DAY)}, 'r-canary-' || application,
        ${(3 * APPLICATIONS + APPLICATIONS) * CLUSTERS} + row_number() OVER () FROM canary`],
    ['ri_live_versions', `INSERT INTO ri_live_versions (application, environment, version, breakdown, since, position)
      SELECT application, environment,
        CASE WHEN bool_and(track = 'stable' AND traffic_percent = 100) THEN min(version) END,
        jsonb_agg(DISTINCT jsonb_build_object('version', version, 'track', track, 'trafficPercent', traffic_percent)),
        max(since), max(position)
      FROM ri_placements GROUP BY application, environment`],
    ['ri_soak', `INSERT INTO ri_soak (application, environment, version, live_since, clock_started_at, last_reset_at, last_reset_reason, position)
      SELECT 'app-' || lpad(a::text, 3, '0'), e.name, '1.' || v || '.0',
        CASE WHEN v = 2 THEN ${ts(T0)} + (20 + a % 7) * interval '1 day' END,
        CASE WHEN v = 2 THEN ${ts(T0)} + (20 + a % 7) * interval '1 day' END, NULL, NULL, a * 10 + v
      FROM generate_series(1, ${APPLICATIONS}) a, (VALUES ${ENVIRONMENTS.map((e) => `('${e.name}')`).join(', ')}) AS e(name), generate_series(0, 3) v`],
    ['ri_audit', `INSERT INTO ri_audit (position, event_id, at, actor, source, correlation_id, causation_id, action, outcome, application, clusters,
        environment, target, reason, data)
      SELECT n, gen_random_uuid(), ${ts(T0)} + n * interval '1 second', 'actor-' || (n % 50), CASE WHEN n % 3 = 0 THEN 'worker' ELSE 'api' END,
        'corr-' || (n / 4), NULL, (ARRAY['RolloutRequested','RolloutSucceeded','ReleaseCreated','RolloutPromoted'])[1 + n % 4], 'accepted',
        'app-' || lpad((1 + n % ${APPLICATIONS})::text, 3, '0'), ARRAY['c-' || lpad((1 + n % ${CLUSTERS})::text, 4, '0')],
        (ARRAY['dev','staging','prod'])[1 + n % 3], 'rollout/r-' || n, NULL, '{}'::jsonb
      FROM generate_series(1, ${APPLICATIONS * AUDIT_PER_APP}) n`],
  ];
  for (const [what, sql] of statements) {
    const started = performance.now();
    const result = await pool.query(sql);
    console.log(`  ${what.padEnd(26)} ${String(result.rowCount ?? 0).padStart(9)} rows  ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  await pool.query('VACUUM ANALYZE');
}

interface Stat {
  query: string;
  p50: number;
  p99: number;
  max: number;
  ratioP99: number | null;
  /** p50 / pk-lookup p50: less noisy on a shared machine, and shows the extra round trips (existence checks). */
  ratioP50: number | null;
  meetsTarget: boolean | null;
}

/** EXPLAIN=1: the plans of the list queries, to see which index answers each (same SQL as the handlers). */
async function explain(pool: import('pg').Pool): Promise<void> {
  const plans: [string, string, unknown[]][] = [
    ['where', `SELECT * FROM ri_placements WHERE application = $1 AND (cluster, track) > ($2, $3) ORDER BY cluster, track LIMIT 51`, ['app-007', '', '']],
    ['where ?at=', `SELECT * FROM ri_placement_history WHERE application = $1 AND valid_from <= $4 AND (valid_to IS NULL OR valid_to > $4)
      AND (cluster, track) > ($2, $3) ORDER BY cluster, track LIMIT 51`, ['app-007', '', '', new Date(T0 + 15 * DAY)]],
    ['on cluster', `SELECT * FROM ri_placements WHERE cluster = $1 AND (application, track) > ($2, $3) ORDER BY application, track LIMIT 51`, ['c-0900', '', '']],
    ['audit ?application=', `SELECT * FROM ri_audit WHERE position < $1 AND ($2::text IS NULL OR application = $2) ORDER BY position DESC LIMIT 51`, [Number.MAX_SAFE_INTEGER, 'app-007']],
  ];
  for (const [what, sql, params] of plans) {
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`, params);
    console.log(`\n${what}:\n${rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}`);
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'circle-bench-queries-'));
  chmodSync(dataDir, 0o755);
  const pgServer = new EmbeddedPostgres({ dataDir, port: await freePort() });
  const startedAll = performance.now();
  let stats: Stat[] = [];
  try {
    await pgServer.start();
    // Never DATABASE_URL: the seed writes read-model rows that no event backs.
    const url = pgServer.url;
    await runMigrations(url, migrations);
    // One connection: every query pays the same single round trip, none waits for a free client.
    const pool = createPool({ databaseUrl: url, max: 1 });
    try {
      console.log(`seeding ${CLUSTERS} clusters × ${APPLICATIONS} applications (generated SQL into the read-model tables)`);
      await seed(pool);
      if (process.env['EXPLAIN']) await explain(pool);
      const readModels = new ReadModels(pool);
      const clock: Clock = { now: () => new Date(T0 + 60 * DAY) };
      const past = new Date(T0 + 15 * DAY).toISOString();
      const apps = Array.from({ length: APPLICATIONS }, (_, i) => appName(i + 1));
      const clusters = Array.from({ length: CLUSTERS }, (_, i) => clusterName(i + 1));
      const where = new GetApplicationPlacementsHandler(readModels);
      const onCluster = new GetClusterPlacementsHandler(readModels);
      const live = new GetLiveVersionsHandler(readModels);
      const soak = new GetSoakHandler(readModels, clock);
      const audit = new ListAuditHandler(readModels);
      const page = { limit: 50 };
      const queries: [string, () => Promise<unknown>][] = [
        ['pk lookup (ri_placements)', () =>
          pool.query('SELECT * FROM ri_placements WHERE application = $1 AND cluster = $2 AND track = $3', [pick(apps), pick(clusters), 'stable'])],
        ['where does APP run', () => where.execute(new GetApplicationPlacements(pick(apps), undefined, page))],
        ['where did APP run ?at=', () => where.execute(new GetApplicationPlacements(pick(apps), past, page))],
        ['what runs on CLUSTER', () => onCluster.execute(new GetClusterPlacements(pick(clusters), page))],
        ['live version of APP in ENV', () => live.execute(new GetLiveVersions(pick(apps), 'prod'))],
        ['soak of APP@VERSION in ENV', () => soak.execute(new GetSoak(pick(apps), '1.2.0', 'prod'))],
        ['first audit page', () => audit.execute(new ListAudit({}, page))],
        ['first audit page ?application=', () => audit.execute(new ListAudit({ application: pick(apps) }, page))],
      ];
      const samples = new Map(queries.map(([name]) => [name, [] as number[]]));
      for (let run = 0; run < WARMUP + RUNS; run += 1) {
        for (const [name, fn] of queries) {
          const started = performance.now();
          await fn();
          if (run >= WARMUP) samples.get(name)!.push(performance.now() - started);
        }
      }
      const sorted = new Map([...samples].map(([name, s]) => [name, [...s].sort((a, b) => a - b)]));
      const pkP99 = percentile(sorted.get(queries[0]![0])!, 99);
      const pkP50 = percentile(sorted.get(queries[0]![0])!, 50);
      stats = [...sorted].map(([query, s], i) => {
        const p99 = percentile(s, 99);
        const ratio = i === 0 ? null : p99 / pkP99;
        const ratioP50 = i === 0 ? null : percentile(s, 50) / pkP50;
        return { query, p50: percentile(s, 50), p99, max: s[s.length - 1]!, ratioP99: ratio, ratioP50, meetsTarget: ratio === null ? null : ratio <= TARGET };
      });
    } finally {
      await pool.end();
    }
  } finally {
    await pgServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const ms = (n: number) => n.toFixed(2).padStart(8);
  console.log(`\n${RUNS} runs each (after ${WARMUP} warm-up), one connection; ratio = p99 / pk-lookup p99, target ≤ ${TARGET}`);
  console.log(`${'query'.padEnd(32)}   p50 ms   p99 ms   max ms  p50 ratio  p99 ratio`);
  for (const s of stats) {
    console.log(`${s.query.padEnd(32)} ${ms(s.p50)} ${ms(s.p99)} ${ms(s.max)}  ${s.ratioP50 === null ? '        -' : s.ratioP50.toFixed(2).padStart(9)}  ${s.ratioP99 === null ? '        -' : `${s.ratioP99.toFixed(2).padStart(9)}${s.meetsTarget ? '' : '  MISSES TARGET'}`}`);
  }
  console.log(`\ntotal ${((performance.now() - startedAll) / 1000).toFixed(0)} s`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    join('bench/results', `queries-${Date.now()}.json`),
    JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, clusters: CLUSTERS, applications: APPLICATIONS, runs: RUNS, seeding: 'generated SQL', target: TARGET, results: stats }, null, 2),
  );
}

await main();
