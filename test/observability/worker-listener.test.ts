import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/global-setup.js';
import { eventually, startCircle, type StartedProcess } from '../support/processes.js';
import { parseExposition, series, sumOf } from '../support/prometheus-text.js';

/** A worker deployed alone (CIRCLE_ROLE=worker) has no API; it serves /metrics and health on WORKER_METRICS_PORT. */
describe('worker running alone', () => {
  let db: TestDatabase;
  let worker: StartedProcess | null = null;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = startCircle({ CIRCLE_ROLE: 'worker', DATABASE_URL: db.url, WORKER_METRICS_PORT: String(port), TRANSPORT_POLL_INTERVAL_MS: '100' });
    await eventually(async () => ((await fetch(`${base}/health/live`)).status === 200 ? true : undefined), 60_000, 'worker listening').catch((error: Error) => {
      throw new Error(`${error.message}\n--- worker output ---\n${worker?.output()}`);
    });
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await db?.drop();
  });

  it('is ready once it holds its consumer group, and says so per part', async () => {
    const body = await eventually(async () => {
      const response = await fetch(`${base}/health/ready`);
      return response.status === 200 ? ((await response.json()) as { info: Record<string, { status: string; message?: string }> }) : undefined;
    }, 30_000, 'ready');
    expect(body.info.database!.status).toBe('up');
    expect(body.info.transport).toEqual({ status: 'up', message: 'LISTEN connection to PostgreSQL up' });
    expect(body.info.membership!.message).toBe('rollout-process: member, holding 12 of 12 partitions');
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('serves its metrics, read from the database at each scrape', async () => {
    const scrape = async () => {
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(await response.text());
    };
    const first = await scrape();
    expect(series(first, 'circle_transport_lag_events', { group: 'rollout-process' })).toHaveLength(12);
    expect(sumOf(first, 'circle_rollouts')).toBe(0);
    expect(sumOf(first, 'circle_dead_letters', { group: 'rollout-process' })).toBe(0);
    expect(first.types.get('process_resident_memory_bytes')).toBe('gauge');

    // A dead letter recorded by any worker is seen by every worker's scrape.
    await db.pool.query(
      `INSERT INTO dead_letters (id, handler, event_id, stream_id, stream_version, global_position, event_type, attempts, error, failed_at)
       VALUES ($1, 'rollout-process', $2, 'rollout-x', 1, 1, 'RolloutRequested', 5, 'boom', now())`,
      [randomUUID(), randomUUID()],
    );
    expect(sumOf(await scrape(), 'circle_dead_letters', { group: 'rollout-process' })).toBe(1);
  });

  it('answers 404 elsewhere and stops cleanly on SIGTERM', async () => {
    expect((await fetch(`${base}/v1/rollouts`)).status).toBe(404);
    worker!.child.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    expect(worker!.output()).toContain('"msg":"worker metrics and health listening"');
    worker = null;
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });
});
