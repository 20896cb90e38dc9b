/**
 * End-to-end benchmark of the event transport: events appended to the event store until
 * a handler sees them, on the Postgres log and on Kafka (the in-process test broker; set
 * KAFKA_BROKERS to measure a real one), next to the raw commit rate of the same
 * PostgreSQL measured in the same run, so the ratio survives a slower or faster machine.
 *
 *   npm run bench:transport            # embedded PostgreSQL, test broker
 *   DATABASE_URL=postgres://… KAFKA_BROKERS=host:9092 npm run bench:transport
 *
 * Results also go to bench/results/transport-<time>.json.
 *
 * Two measurements per adapter:
 * - throughput: APPENDERS concurrent appenders, BATCH events (on BATCH streams) per
 *   append transaction, until THROUGHPUT_EVENTS events were handled; events/s from the
 *   first append to the last handler call;
 * - latency: a steady RATE events/s for RATE_SECONDS (one BATCH-event transaction every
 *   BATCH/RATE s); latency from the start of the append call to the handler call (so it
 *   includes the commit), p50 and p99.
 * Appends serialise on the event store's append lock (commit order = position order),
 * so single-event appends top out far below the raw commit rate; batching is the remedy
 * the store documents, and the bench uses it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { EventHandler, EventTransport, StoredEvent } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { EmbeddedPostgres } from '#infra/postgres/embedded-postgres.js';
import { runMigrations } from '#infra/postgres/migrate.js';
import { createPool } from '#infra/postgres/pool.js';
import { KafkaTransport } from '#infra/transport/kafka-transport.js';
import { PostgresLogTransport } from '#infra/transport/postgres-log-transport.js';
import { migrations } from '../migrations/index.js';
import { KafkaTestBroker } from '../test/support/kafka-broker/broker.js';
import { writeResults } from './support/report.js';

const env = process.env;
const PARTITIONS = Number(env['PARTITIONS'] ?? 12);
const APPENDERS = Number(env['APPENDERS'] ?? 16);
const THROUGHPUT_EVENTS = Number(env['THROUGHPUT_EVENTS'] ?? 5_000);
const RATE = Number(env['RATE'] ?? 1000);
const RATE_SECONDS = Number(env['RATE_SECONDS'] ?? 5);
/** Events per append transaction: at 1,000 events/s, one transaction every 10 ms. */
const BATCH = Number(env['BATCH'] ?? 10);
const STREAMS = 200;
const BASELINE_SECONDS = 5;
const BASELINE_CLIENTS = 32;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function freshDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `circle_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString(), migrations);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The ceiling: single-row insert commits/s from many clients, as pgbench would measure. */
async function rawInsertCommits(url: string): Promise<number> {
  const pool = createPool({ databaseUrl: url, max: BASELINE_CLIENTS });
  await pool.query('CREATE TABLE bench_raw (id bigserial PRIMARY KEY, stream text, data jsonb)');
  let commits = 0;
  const deadline = Date.now() + BASELINE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: BASELINE_CLIENTS }, async (_, c) => {
      while (Date.now() < deadline) {
        await pool.query('INSERT INTO bench_raw (stream, data) VALUES ($1, $2)', [`s-${c}`, '{"n":1}']);
        commits += 1;
      }
    }),
  );
  await pool.end();
  return commits / BASELINE_SECONDS;
}

class TimingHandler implements EventHandler {
  readonly name = 'bench';
  readonly received = new Map<string, number>();
  async handle(event: StoredEvent): Promise<void> {
    if (!this.received.has(event.eventId)) this.received.set(event.eventId, performance.now());
  }
}

interface AdapterResult {
  adapter: string;
  appendPerSecond: number;
  endToEndPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  rateAchieved: number;
}

async function measure(adapter: string, url: string, makeTransport: (pool: pg.Pool) => EventTransport): Promise<AdapterResult> {
  const pool = createPool({ databaseUrl: url, max: 40 });
  const store = new PostgresEventStore(pool);
  const transport = makeTransport(pool);
  const handler = new TimingHandler();
  await transport.start();
  const subscription = await transport.subscribe(handler);
  const started = new Map<string, number>();
  let seq = 0;
  /** One transaction with BATCH events on BATCH different streams (how the event store gets throughput). */
  const appendBatch = async (): Promise<void> => {
    const appends = Array.from({ length: BATCH }, () => {
      const n = seq++;
      const eventId = crypto.randomUUID();
      return {
        streamId: `bench-${n % STREAMS}`,
        expectedVersion: 'any' as const,
        events: [{ eventId, event: { type: 'BenchEvent', data: { n } }, metadata: { actor: 'bench', source: 'system' as const, correlationId: `bench-${n}` } }],
      };
    });
    const at = performance.now();
    for (const a of appends) started.set(a.events[0]!.eventId, at);
    await store.appendMany(appends);
  };
  const waitAllHandled = async (ids: Iterable<string>): Promise<number> => {
    const wanted = [...ids];
    for (;;) {
      if (wanted.every((id) => handler.received.has(id))) return Math.max(...wanted.map((id) => handler.received.get(id)!));
      await sleep(5);
    }
  };

  // Warm-up: connections, group join, JIT.
  await Promise.all(Array.from({ length: 20 }, appendBatch));
  await waitAllHandled(started.keys());
  started.clear();

  // Throughput.
  const t0 = performance.now();
  let remaining = THROUGHPUT_EVENTS;
  await Promise.all(
    Array.from({ length: APPENDERS }, async () => {
      while (remaining > 0) {
        remaining -= BATCH;
        await appendBatch();
      }
    }),
  );
  const appendedAt = performance.now();
  const lastHandled = await waitAllHandled(started.keys());
  const throughputIds = started.size;
  started.clear();

  // Latency at a steady rate.
  await sleep(500);
  const total = RATE * RATE_SECONDS;
  const inflight: Promise<void>[] = [];
  const r0 = performance.now();
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - r0) * RATE) / 1000));
    while (issued + BATCH <= due) {
      inflight.push(appendBatch());
      issued += BATCH;
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  const rateAchieved = total / ((performance.now() - r0) / 1000);
  await waitAllHandled(started.keys());
  const latencies = [...started].map(([id, at]) => handler.received.get(id)! - at).sort((a, b) => a - b);

  await subscription.close();
  await transport.stop();
  await pool.end();
  return {
    adapter,
    appendPerSecond: throughputIds / ((appendedAt - t0) / 1000),
    endToEndPerSecond: throughputIds / ((lastHandled - t0) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1]!,
    rateAchieved,
  };
}

async function main(): Promise<void> {
  let embedded: EmbeddedPostgres | null = null;
  let dataDir: string | null = null;
  let serverUrl = env['DATABASE_URL'];
  if (!serverUrl) {
    dataDir = mkdtempSync(join(tmpdir(), 'circle-bench-pg-'));
    embedded = new EmbeddedPostgres({ dataDir, port: 54400 + Math.floor(Math.random() * 500) });
    await embedded.start();
    serverUrl = embedded.url;
  }
  const realKafka = env['KAFKA_BROKERS']?.split(',');
  const broker = realKafka ? null : new KafkaTestBroker({ defaultPartitions: PARTITIONS });
  await broker?.start();
  try {
    const baselineDb = await freshDatabase(serverUrl);
    const raw = await rawInsertCommits(baselineDb.url);
    await baselineDb.drop();

    const results: AdapterResult[] = [];
    const pgDb = await freshDatabase(serverUrl);
    results.push(await measure('postgres-log', pgDb.url, (pool) => new PostgresLogTransport({ pool, partitions: PARTITIONS })));
    await pgDb.drop();

    const kafkaDb = await freshDatabase(serverUrl);
    results.push(
      await measure(realKafka ? 'kafka' : 'kafka (test broker)', kafkaDb.url, (pool) =>
        new KafkaTransport({
          pool,
          brokers: realKafka ?? broker!.brokers,
          topic: `circle.events.bench-${randomBytes(3).toString('hex')}`,
          partitions: PARTITIONS,
          maxWaitTimeMs: 100,
        }),
      ),
    );
    await kafkaDb.drop();

    const f = (n: number, digits = 0) => n.toFixed(digits);
    process.stdout.write(`raw PostgreSQL single-row insert commits/s (${BASELINE_CLIENTS} clients): ${f(raw)}\n\n`);
    process.stdout.write(
      `| adapter | append/s | end-to-end events/s | ratio to raw commits | p50 ms @${RATE}/s | p99 ms @${RATE}/s | max ms | rate achieved |\n|---|---|---|---|---|---|---|---|\n`,
    );
    for (const r of results) {
      process.stdout.write(
        `| ${r.adapter} | ${f(r.appendPerSecond)} | ${f(r.endToEndPerSecond)} | ${f(r.endToEndPerSecond / raw, 2)} | ${f(r.p50, 1)} | ${f(r.p99, 1)} | ${f(r.max, 1)} | ${f(r.rateAchieved)} |\n`,
      );
    }
    const path = writeResults('transport', {
      settings: { partitions: PARTITIONS, appenders: APPENDERS, batch: BATCH, throughputEvents: THROUGHPUT_EVENTS, rate: RATE, rateSeconds: RATE_SECONDS },
      rawInsertCommitsPerSecond: raw,
      results: results.map((r) => ({ ...r, ratioToRaw: r.endToEndPerSecond / raw })),
    });
    process.stdout.write(`results: ${path}\n`);
  } finally {
    await broker?.stop();
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
