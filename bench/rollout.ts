/**
 * Rollout orchestration overhead: one deploy over N simulated clusters, driven by one
 * worker (transport, reconciler, cluster gateway over real HTTP), against the time the
 * simulator itself needs to make the same workloads ready when a bare script applies
 * them all at once and polls until they are ready. The simulator runs as its own
 * process (`npm run sim`), as a cluster would, so the worker's CPU is not the
 * simulator's; worker and baseline script share this process and the same fleet, so
 * the ratio is what circle's orchestration costs.
 *
 *   npm run bench:rollout                    # SIZES=50,200,1000
 *   SIZES=200 MS_PER_REPLICA=300 npm run bench:rollout
 *
 * Target: ratio ≤ 1.1 at 200 clusters; a 1,000-cluster rollout completes with the
 * worker's resident memory ≤ 512 MB. Results also go to bench/results/rollout-<time>.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applicationDecider,
  applicationStreamId,
  DEFAULT_PROGRESS_DEADLINE_SECONDS,
  environmentDecider,
  environmentStreamId,
  handleCommand,
  releaseDecider,
  releaseStreamId,
  rolloutDecider,
  rolloutStreamId,
  type EventMetadata,
} from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { loadConfig } from '#infra/config/circle-config.js';
import { createLogger } from '#infra/logging/logger.js';
import { EmbeddedPostgres } from '#infra/postgres/embedded-postgres.js';
import { runMigrations } from '#infra/postgres/migrate.js';
import { createPool } from '#infra/postgres/pool.js';
import { createWorkerApp } from '../apps/worker/src/create-worker-app.js';
import { migrations } from '../migrations/index.js';
import { seedCatalog } from './support/seed.js';

const SIZES = (process.env['SIZES'] ?? '50,200,1000').split(',').map(Number);
const MS_PER_REPLICA = Number(process.env['MS_PER_REPLICA'] ?? 200);
const REPLICAS = Number(process.env['REPLICAS'] ?? 3);
const meta: EventMetadata = { actor: 'bench', source: 'system', correlationId: 'bench' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const SIM_BASE_PORT = Number(process.env['SIM_BASE_PORT'] ?? 21000);

/** Starts `npm run sim`'s program with N clusters; resolves once its kubeconfigs are written. */
async function startSimulator(size: number, basePort: number, dir: string): Promise<{ child: ChildProcess; kubeconfig: (name: string) => string; names: string[] }> {
  const prefix = `c${size}`;
  const child = spawn(process.execPath, [
    'dist/apps/cluster-sim/src/main.js', '--clusters', String(size), '--port', String(basePort), '--prefix', prefix,
    '--kubeconfig-dir', dir, '--ms-per-replica', String(MS_PER_REPLICA), '--insecure-http',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('kubeconfigs:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${out}`)));
  });
  const width = Math.max(3, String(size).length);
  const names = Array.from({ length: size }, (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}`);
  return { child, names, kubeconfig: (name) => readFileSync(join(dir, `${name}.yaml`), 'utf8') };
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

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'circle-bench-rollout-'));
  const { chmodSync } = await import('node:fs');
  chmodSync(dataDir, 0o755);
  const pgServer = new EmbeddedPostgres({ dataDir, port: await freePort() });
  await pgServer.start();
  const url = process.env['DATABASE_URL'] ?? pgServer.url;
  await runMigrations(url, migrations);
  const pool = createPool({ databaseUrl: url, max: 40 });
  const store = new PostgresEventStore(pool);
  const logger = createLogger({ level: 'warn' });
  const worker = await createWorkerApp({
    pool,
    ownsPool: false,
    logger,
    transport: loadConfig({ TRANSPORT_POLL_INTERVAL_MS: '50' }),
    rollout: { engine: { timerPollMs: 20 }, reconciler: { observeIntervalMs: 50 } },
  });
  const results: Record<string, unknown>[] = [];
  const simulators: ChildProcess[] = [];
  const now = () => new Date();
  await handleCommand(store, applicationDecider, applicationStreamId('bench'), { type: 'CreateApplication', data: { name: 'bench', team: 'bench', description: '', now: now() } }, meta);
  await handleCommand(store, releaseDecider, releaseStreamId('bench', '1.0.0'), {
    type: 'RegisterRelease',
    data: { application: 'bench', version: '1.0.0', images: [{ name: 'app', repository: 'registry.example.com/bench', tag: '1.0.0' }], createdBy: 'bench', now: now() },
  }, meta);

  try {
    for (const size of SIZES) {
      const env = `env-${size}`;
      await handleCommand(store, environmentDecider, environmentStreamId(env), {
        type: 'DefineEnvironment',
        data: { name: env, rank: size, description: '', policy: { requiredSoakSeconds: 0, requiredApprovals: 0, clusterSelector: {}, wavePlan: { waves: [{ kind: 'rest' }], maxParallel: size, bakeSeconds: 0, onFailure: 'rollback' } }, now: now() },
      }, meta);
      const sim = await startSimulator(size, SIM_BASE_PORT + SIZES.indexOf(size) * 1100, join(dataDir, `kubeconfigs-${size}`));
      simulators.push(sim.child);
      const { names } = sim;
      // 500 registrations per append transaction: 1,000 one by one took most of a minute.
      await seedCatalog(store, pool, { clusters: names.map((name) => ({ name, environment: env, kubeconfig: sim.kubeconfig(name) })) });
      while (Number((await pool.query('SELECT count(*) AS n FROM rm_clusters WHERE environment = $1', [env])).rows[0].n) < size) await sleep(50);

      // Baseline: a bare script applies the same Deployment everywhere at once and polls until ready.
      const gateway = new KubernetesClusterGateway();
      const baselineStart = performance.now();
      await Promise.all(names.map(async (name) => {
        const ref = { name, kubeconfig: sim.kubeconfig(name) };
        await gateway.ensureNamespace(ref, 'baseline');
        await gateway.applyWorkload(ref, { application: 'baseline', namespace: 'baseline', track: 'stable', version: '1.0.0', image: 'registry.example.com/bench:1.0.0', replicas: REPLICAS, ports: [{ containerPort: 8080 }], rolloutId: 'baseline', revision: 1 });
        for (;;) {
          const s = await gateway.readWorkloadStatus(ref, { application: 'baseline', namespace: 'baseline', track: 'stable' });
          if (s?.progress === 'complete' && s.readyReplicas === REPLICAS) return;
          await sleep(50);
        }
      }));
      const baselineMs = performance.now() - baselineStart;
      // The baseline's 1,000 clients must not be counted as the worker's memory.
      await gateway.close();
      (globalThis as { gc?: () => void }).gc?.();

      const rolloutId = `bench-${size}`;
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
      const start = performance.now();
      await handleCommand(store, rolloutDecider, rolloutStreamId(rolloutId), {
        type: 'RequestRollout',
        data: {
          rolloutId, kind: 'deploy', application: 'bench', version: '1.0.0', currentVersion: null, environment: env,
          strategy: { kind: 'canary', replicas: REPLICAS, steps: [{ kind: 'setWeight', weight: 100 }], trafficRouting: 'replicas', progressDeadlineSeconds: DEFAULT_PROGRESS_DEADLINE_SECONDS },
          waves: [names], skippedClusters: [], maxParallel: size, bakeSeconds: 0, onFailure: 'rollback', requiredApprovals: 0,
          requestedBy: 'bench', reason: null, now: now(),
        },
      }, meta);
      let phase = '';
      for (;;) {
        const { rows } = await pool.query<{ type: string }>(
          `SELECT type FROM events WHERE stream_id = $1 AND type IN ('RolloutSucceeded', 'RolloutFailed', 'RolloutAborted') LIMIT 1`,
          [rolloutStreamId(rolloutId)],
        );
        if (rows[0]) {
          phase = rows[0].type;
          break;
        }
        await sleep(20);
      }
      const rolloutMs = performance.now() - start;
      clearInterval(sampler);
      // Where the time went, from the events' own timestamps.
      const { rows: marks } = await pool.query<{ type: string; first: Date; last: Date }>(
        `SELECT type, min(recorded_at) AS first, max(recorded_at) AS last FROM events WHERE stream_id = $1 GROUP BY type`,
        [rolloutStreamId(rolloutId)],
      );
      const t0 = marks.find((m) => m.type === 'RolloutRequested')!.first.getTime();
      const at = (type: string, which: 'first' | 'last') => {
        const m = marks.find((x) => x.type === type);
        return m ? m[which].getTime() - t0 : -1;
      };
      const timeline = {
        allStarted: at('ClusterActionStarted', 'last'),
        firstApplied: at('ClusterActionApplied', 'first'),
        allApplied: at('ClusterActionApplied', 'last'),
        firstReady: at('ClusterActionSucceeded', 'first'),
        allReady: at('ClusterActionSucceeded', 'last'),
        succeeded: at('RolloutSucceeded', 'first'),
      };
      const row = {
        clusters: size,
        outcome: phase,
        rolloutMs: Math.round(rolloutMs),
        simulatorMs: Math.round(baselineMs),
        ratio: Number((rolloutMs / baselineMs).toFixed(2)),
        processRssPeakMb: mb(rssPeak),
        /** What the process held before the rollout (harness, pool, the closed baseline's leftovers). */
        processRssBeforeMb: mb(rssBefore),
        timelineMs: timeline,
      };
      results.push(row);
      console.log(
        `${String(size).padStart(5)} clusters  rollout ${String(row.rolloutMs).padStart(6)} ms  simulator alone ${String(row.simulatorMs).padStart(6)} ms  ` +
          `overhead ratio ${row.ratio.toFixed(2)}  ${phase}  rss peak ${row.processRssPeakMb} MB, ${row.processRssBeforeMb} MB before the rollout (worker, harness and the closed baseline's leftovers; the simulator is its own process)`,
      );
      console.log(`        after the request: ${Object.entries(timeline).map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
    }
  } finally {
    await worker.close();
    for (const child of simulators) child.kill('SIGTERM');
    await pool.end();
    await pgServer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(join('bench/results', `rollout-${Date.now()}.json`), JSON.stringify({ date: new Date().toISOString(), msPerReplica: MS_PER_REPLICA, replicas: REPLICAS, results }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
