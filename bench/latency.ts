/**
 * From "deploy accepted" to "the worker touches the cluster": the time from the API's 2xx
 * answer to a deploy until the first request the worker sends to the (simulated) cluster
 * for that rollout, on each transport: the Postgres log, and Kafka through the
 * in-process test broker (set KAFKA_BROKERS to use a real Kafka).
 *
 *   npm run bench:latency
 *   LATENCY_SAMPLES=300 LATENCY_RATE=5 npm run bench:latency
 *
 * circle runs as deployed (API and worker processes of their own); the simulated cluster
 * and the test broker run in this process, which sees both the API's answer and the
 * cluster's first request on one clock. Each deploy installs a different application, so
 * its namespace names it: the first request under /namespaces/<application> is the
 * worker's first call for that rollout. Deploys are sent at a steady LATENCY_RATE per
 * second (open loop), so each one meets an idle worker, as a CI job usually does.
 *
 * Targets (issue 10): p99 < 50 ms on the Postgres log, < 100 ms on Kafka.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createPool } from '#infra/postgres/pool.js';
import { SimulatedFleet } from '../apps/cluster-sim/src/simulated-fleet.js';
import { KafkaTestBroker } from '../test/support/kafka-broker/broker.js';
import { startBenchCircle } from './support/circle.js';
import { startBenchPostgres, type BenchPostgres } from './support/postgres.js';
import { env, printTable, sleep, verdict, writeResults } from './support/report.js';
import { benchPolicy, projectionsCaughtUp, seedCatalog } from './support/seed.js';
import { summarize, type Summary } from './support/stats.js';

const SAMPLES = env('LATENCY_SAMPLES', 100);
const RATE = env('LATENCY_RATE', 3);
const WARMUP = 5;
const TARGET: Record<string, number> = { 'postgres-log': 50, kafka: 100 };

interface TransportResult {
  transport: string;
  /** API's 2xx answer → the worker's first request to the cluster, ms. */
  acceptedToFirstCall: Summary;
  /** The deploy request itself, as the client saw it, ms. */
  deployRequest: Summary;
  /** Accepted deploys whose first cluster call did not come within 30 s. */
  missing: number;
  /** Answers to the measured deploys by status (only 2xx ones are timed). */
  statuses: Record<string, number>;
}

async function measure(postgres: BenchPostgres, transport: 'postgres-log' | 'kafka', runDir: string, brokers: string[] | null): Promise<TransportResult> {
  const firstCall = new Map<string, number>();
  const fleet = new SimulatedFleet({ msPerReplica: 20 });
  const cluster = 'latency-1';
  await fleet.addCluster(cluster, {
    onRequest: (_method, path) => {
      const app = /\/namespaces\/([^/?]+)/.exec(path)?.[1];
      if (app !== undefined && !firstCall.has(app)) firstCall.set(app, performance.now());
    },
  });
  await fleet.start();
  const db = await postgres.freshDatabase();
  const pool = createPool({ databaseUrl: db.url, max: 2 });
  const store = new PostgresEventStore(pool);
  const applications = Array.from({ length: WARMUP + SAMPLES }, (_, i) => `lat-${String(i).padStart(4, '0')}`);
  await seedCatalog(store, pool, {
    environments: [{ name: 'latency', rank: 0, policy: benchPolicy(0) }],
    clusters: [{ name: cluster, environment: 'latency', kubeconfig: fleet.kubeconfig(cluster) }],
    applications,
  });
  const kafkaEnv: Record<string, string> = brokers ? { KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: `circle.bench-${randomBytes(3).toString('hex')}` } : {};
  const circle = await startBenchCircle({ databaseUrl: db.url, logDir: join(runDir, transport), env: kafkaEnv });
  try {
    await projectionsCaughtUp(store, pool);
    const deployer = await circle.token('deployer');
    const deploy = async (application: string): Promise<{ status: number; accepted: number; requestMs: number }> => {
      const sent = performance.now();
      const res = await fetch(`${circle.url}/v1/rollouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${deployer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'deploy', application, version: '1.0.0', environment: 'latency' }),
      });
      const accepted = performance.now();
      const body = await res.text();
      if (!res.ok) process.stderr.write(`${transport}: deploy ${application}: ${res.status} ${body}\n`);
      return { status: res.status, accepted, requestMs: accepted - sent };
    };
    const firstCallOf = async (application: string, timeoutMs: number): Promise<number | null> => {
      const deadline = performance.now() + timeoutMs;
      while (!firstCall.has(application) && performance.now() < deadline) await sleep(5);
      return firstCall.get(application) ?? null;
    };

    // Warm-up: connections, the consumer group (Kafka), JIT; one at a time, waited for.
    for (const app of applications.slice(0, WARMUP)) {
      const { status } = await deploy(app);
      if (status >= 300 || (await firstCallOf(app, 60_000)) === null) throw new Error(`${transport}: no cluster call for warm-up deploy ${app}\n${circle.worker?.log().slice(-3000)}`);
    }

    const measured = applications.slice(WARMUP);
    const t0 = performance.now();
    const answers = await Promise.all(
      measured.map(async (app, i) => {
        const due = t0 + (i * 1000) / RATE;
        await sleep(Math.max(0, due - performance.now()));
        return deploy(app);
      }),
    );
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let missing = 0;
    for (const [i, app] of measured.entries()) {
      const { status, accepted } = answers[i]!;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 300) continue;
      const at = await firstCallOf(app, 30_000);
      if (at === null) missing += 1;
      else latencies.push(at - accepted);
    }
    return {
      transport: brokers && process.env['KAFKA_BROKERS'] === undefined ? 'kafka (test broker)' : transport,
      acceptedToFirstCall: summarize(latencies),
      deployRequest: summarize(answers.filter((a) => a.status < 300).map((a) => a.requestMs)),
      missing,
      statuses,
    };
  } finally {
    await circle.stop();
    await pool.end();
    await fleet.stop();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const runDir = join('bench/results', `latency-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const postgres = await startBenchPostgres();
  const realKafka = process.env['KAFKA_BROKERS']?.split(',');
  const broker = realKafka ? null : new KafkaTestBroker({ defaultPartitions: 12 });
  const results: TransportResult[] = [];
  try {
    results.push(await measure(postgres, 'postgres-log', runDir, null));
    await broker?.start();
    results.push(await measure(postgres, 'kafka', runDir, realKafka ?? broker!.brokers));
  } finally {
    await broker?.stop();
    await postgres.stop();
  }
  process.stdout.write(`\nDeploy accepted (API 2xx) → worker's first call to the cluster; ${SAMPLES} deploys at ${RATE}/s per transport\n\n`);
  printTable(
    ['transport', 'p50 ms', 'p99 ms', 'max ms', 'target p99', '', 'deploy request p50 ms', 'p99 ms', 'answers', 'no call seen'],
    results.map((r) => {
      const target = TARGET[r.transport.startsWith('kafka') ? 'kafka' : 'postgres-log']!;
      return [r.transport, r.acceptedToFirstCall.p50, r.acceptedToFirstCall.p99, r.acceptedToFirstCall.max, `< ${target} ms`, verdict(r.acceptedToFirstCall.p99 < target && r.missing === 0 && r.acceptedToFirstCall.count === SAMPLES), r.deployRequest.p50, r.deployRequest.p99, JSON.stringify(r.statuses), r.missing];
    }),
  );
  const path = writeResults('latency', { settings: { samples: SAMPLES, ratePerSecond: RATE, warmup: WARMUP }, target: TARGET, results });
  process.stdout.write(`results: ${path}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
