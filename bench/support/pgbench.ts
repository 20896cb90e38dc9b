import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { summarize, type Summary } from './stats.js';

const run = promisify(execFile);

export interface PgbenchResult {
  clients: number;
  seconds: number;
  commitsPerSecond: number;
  transactions: number;
  failed: number;
  /** Per-transaction latency from pgbench's own log (-l), ms. */
  latency: Summary;
}

/** A table shaped like the event log (same columns and unique keys, no triggers). */
export const EVENT_LOG_SHAPED_TABLE = `
  CREATE TABLE IF NOT EXISTS bench_events (
    global_position bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    stream_id text NOT NULL,
    stream_version integer NOT NULL,
    type text NOT NULL,
    data jsonb NOT NULL,
    metadata jsonb NOT NULL,
    recorded_at timestamptz NOT NULL,
    UNIQUE (stream_id, stream_version)
  )`;

/**
 * The ceiling for single-row appends: pgbench (a C client, prepared statements) inserting
 * one event-shaped row per transaction, with the given event data and metadata as
 * parameters, from `clients` connections for `seconds`.
 */
export async function pgbenchInserts(options: {
  url: string;
  clients: number;
  seconds: number;
  data: unknown;
  metadata: unknown;
  pgbench?: string;
}): Promise<PgbenchResult> {
  const client = new pg.Client({ connectionString: options.url });
  await client.connect();
  await client.query(EVENT_LOG_SHAPED_TABLE);
  await client.end();
  const dir = mkdtempSync(join(tmpdir(), 'circle-pgbench-'));
  try {
    const script = join(dir, 'append.sql');
    writeFileSync(
      script,
      // One stream per row (a new rollout each time), as every accepted deploy starts one.
      `INSERT INTO bench_events (event_id, stream_id, stream_version, type, data, metadata, recorded_at)
       VALUES (gen_random_uuid(), 'rollout-' || gen_random_uuid(), 1, 'RolloutRequested', CAST(:data AS jsonb), CAST(:metadata AS jsonb), now());\n`,
    );
    const threads = Math.min(options.clients, 2);
    const { stdout } = await run(
      options.pgbench ?? process.env['PGBENCH'] ?? 'pgbench',
      [
        '-n', '-M', 'prepared', '-f', script,
        '-c', String(options.clients), '-j', String(threads), '-T', String(options.seconds),
        '-D', `data=${JSON.stringify(options.data)}`, '-D', `metadata=${JSON.stringify(options.metadata)}`,
        '-l', `--log-prefix=${join(dir, 'log')}`,
        options.url,
      ],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
    );
    const latencies: number[] = [];
    for (const file of readdirSync(dir).filter((f) => f.startsWith('log.'))) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        // client_id transaction_no time_us script_no time_epoch time_us_fraction
        const us = Number(line.split(' ')[2]);
        if (Number.isFinite(us)) latencies.push(us / 1000);
      }
    }
    const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? NaN);
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? NaN);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    return { clients: options.clients, seconds: options.seconds, commitsPerSecond: tps, transactions: processed, failed, latency: summarize(latencies) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
