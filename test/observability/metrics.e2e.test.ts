import { Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { PermanentHandlerError, type EventHandler, type StoredEvent } from '#domain';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { eventually } from '../support/processes.js';
import { parseExposition, series, sumOf, type Exposition } from '../support/prometheus-text.js';
import { drive, seedFleet, startRollout, type Fixture } from '../engine/fixtures.js';

/** Refuses applications named poison-*, for good: the event goes straight to the dead letters. */
@Injectable()
class RefusingNotifier implements EventHandler {
  readonly name = 'test-metrics-refusing';
  readonly eventTypes = ['ApplicationCreated'];

  async handle(event: StoredEvent): Promise<void> {
    const { name } = event.data as { name: string };
    if (name.startsWith('poison-')) throw new PermanentHandlerError(`notifier refused ${name}`);
  }
}

/** Holds applications named slow-* until the test opens the gate, so its partition falls behind. */
const gate = { open: true, release: () => {} };
@Injectable()
class GatedNotifier implements EventHandler {
  readonly name = 'test-metrics-gated';
  readonly eventTypes = ['ApplicationCreated'];

  async handle(event: StoredEvent): Promise<void> {
    if (gate.open || !(event.data as { name: string }).name.startsWith('slow-')) return;
    await new Promise<void>((resolve) => (gate.release = resolve));
  }
}

const CIRCLE_METRICS = [
  'circle_commands_total',
  'circle_events_appended_total',
  'circle_transport_lag_events',
  'circle_handler_duration_seconds',
  'circle_handler_failures_total',
  'circle_dead_lettered_total',
  'circle_dead_letters',
  'circle_rollouts',
  'circle_rollout_step_duration_seconds',
  'circle_rollout_wave_duration_seconds',
  'circle_cluster_call_duration_seconds',
  'circle_cluster_call_errors_total',
  'circle_projection_lag_events',
  'circle_projection_lag_seconds',
];

describe('/metrics and readiness of a running circle', () => {
  let circle: CircleHarness;
  let f: Fixture;
  let before: Exposition;
  const scrape = async (): Promise<Exposition> => {
    // Real HTTP, no token: how Prometheus scrapes.
    const response = await circle.http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(response.text);
  };

  beforeAll(async () => {
    // A short lease, so a member that stops heartbeating is noticed within a second and a half.
    circle = await startCircle({ extraHandlers: [RefusingNotifier, GatedNotifier], config: { TRANSPORT_LEASE_MS: '1500' } });
    before = await scrape();
    f = await seedFleet(circle, { environment: 'prod', clusters: ['m-a', 'm-b', 'm-c'], application: 'shop', versions: ['1.0.0', '1.1.0'] });
  });
  afterAll(async () => {
    gate.open = true;
    gate.release();
    await circle?.close();
  });

  it('defines every metric with help text before any work, and Node default metrics', () => {
    for (const name of CIRCLE_METRICS) {
      expect({ name, type: before.types.get(name), help: (before.help.get(name) ?? '').length > 20 }).toEqual({
        name,
        type: expect.stringMatching(/^(counter|gauge|histogram)$/),
        help: true,
      });
    }
    expect(before.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(before.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    // Levels from the database are reported from the start, at 0.
    expect(series(before, 'circle_rollouts', { phase: 'Succeeded' })).toEqual([expect.objectContaining({ value: 0 })]);
    expect(sumOf(before, 'circle_dead_letters', { group: 'test-metrics-refusing' })).toBe(0);
  });

  it('counts a rollout across simulated clusters: commands, events, steps, waves, cluster calls, phases', async () => {
    const install = await startRollout(circle, f.deployer, { kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'prod' });
    expect((await drive(circle, install)).phase).toBe('Succeeded');
    // One refused write on m-b: the gateway reports it, the engine tries again and goes on.
    circle.fleet.cluster('m-b').failRequests({ status: 403, count: 1, methods: ['PATCH'] });
    const upgrade = await startRollout(circle, f.deployer, {
      kind: 'upgrade',
      application: 'shop',
      version: '1.1.0',
      environment: 'prod',
      strategy: { canary: { replicas: 2, steps: [{ setWeight: 50 }, { pause: { seconds: 30 } }, { setWeight: 100 }] } },
    });
    expect((await drive(circle, upgrade, { stepMs: 10_000 })).phase).toBe('Succeeded');

    const after = await scrape();
    expect(sumOf(after, 'circle_commands_total', { command: 'StartRollout', outcome: 'accepted' })).toBe(2);
    expect(sumOf(after, 'circle_commands_total', { command: 'CreateApplication', outcome: 'accepted' })).toBe(1);
    expect(sumOf(after, 'circle_events_appended_total', { type: 'RolloutSucceeded' })).toBe(2);
    expect(sumOf(after, 'circle_events_appended_total', { type: 'ClusterActionSucceeded' })).toBeGreaterThanOrEqual(6);
    expect(series(after, 'circle_rollouts', { phase: 'Succeeded' })[0]?.value).toBe(2);
    expect(series(after, 'circle_rollouts', { phase: 'Progressing' })[0]?.value).toBe(0);

    // The pause lasted 30 s of the engine's clock; the install and the upgrade each had one wave.
    expect(sumOf(after, 'circle_rollout_step_duration_seconds_count', { strategy: 'canary', step: 'pause' })).toBe(1);
    expect(sumOf(after, 'circle_rollout_step_duration_seconds_sum', { strategy: 'canary', step: 'pause' })).toBeGreaterThanOrEqual(30);
    expect(sumOf(after, 'circle_rollout_step_duration_seconds_count', { step: 'install' })).toBe(1);
    expect(sumOf(after, 'circle_rollout_wave_duration_seconds_count')).toBe(2);
    expect(sumOf(after, 'circle_rollout_wave_duration_seconds_sum')).toBeGreaterThanOrEqual(30);

    for (const cluster of ['m-a', 'm-b', 'm-c']) {
      expect({ cluster, ok: sumOf(after, 'circle_cluster_call_duration_seconds_count', { cluster, outcome: 'ok' }) > 0 }).toEqual({ cluster, ok: true });
    }
    expect(sumOf(after, 'circle_cluster_call_errors_total', { cluster: 'm-b', reason: 'CLUSTER_UNAUTHORIZED' })).toBe(1);
    expect(sumOf(after, 'circle_cluster_call_errors_total', { cluster: 'm-a' })).toBe(0);
    expect(sumOf(after, 'circle_cluster_call_duration_seconds_count', { cluster: 'm-b', outcome: 'error' })).toBe(1);

    // The rollout process handled every rollout event, once each at least.
    expect(sumOf(after, 'circle_handler_duration_seconds_count', { group: 'rollout-process', outcome: 'ok' })).toBeGreaterThan(
      sumOf(before, 'circle_handler_duration_seconds_count', { group: 'rollout-process', outcome: 'ok' }),
    );
  });

  it('counts a rejected command by its code', async () => {
    const response = await circle
      .http()
      .post('/v1/rollouts')
      .auth(f.deployer, { type: 'bearer' })
      .send({ kind: 'upgrade', application: 'shop', version: '9.9.9', environment: 'prod' });
    expect(response.body.code).toBe('ROLLOUT_RELEASE_UNKNOWN');
    const after = await scrape();
    expect(sumOf(after, 'circle_commands_total', { command: 'StartRollout', outcome: 'rejected', code: 'ROLLOUT_RELEASE_UNKNOWN' })).toBe(1);
  });

  it('counts a handler failure and a dead letter, and shows the dead letter waiting until it is replayed', async () => {
    await circle.http().post('/v1/applications').auth(circle.admin, { type: 'bearer' }).send({ name: 'poison-pill', team: 'web' }).expect(201);
    const after = await eventually(async () => {
      const e = await scrape();
      // The gauge reads the dead_letters table, the counter moves just after the row commits:
      // wait for both rather than catch the moment between them.
      const waiting = sumOf(e, 'circle_dead_letters', { group: 'test-metrics-refusing' });
      return waiting === 1 && sumOf(e, 'circle_dead_lettered_total', { group: 'test-metrics-refusing' }) >= 1 ? e : undefined;
    }, 20_000, 'a dead letter in /metrics');
    expect(sumOf(after, 'circle_dead_lettered_total', { group: 'test-metrics-refusing' })).toBe(1);
    expect(sumOf(after, 'circle_handler_failures_total', { group: 'test-metrics-refusing', event_type: 'ApplicationCreated' })).toBe(1);
    expect(sumOf(after, 'circle_handler_duration_seconds_count', { group: 'test-metrics-refusing', outcome: 'error' })).toBe(1);
    expect(sumOf(after, 'circle_dead_letters', { group: 'rollout-process' })).toBe(0);

    // Settled by hand: an operator's alert on circle_dead_letters > 0 clears.
    await circle.db.pool.query(`UPDATE dead_letters SET replayed_at = now() WHERE handler = 'test-metrics-refusing'`);
    expect(sumOf(await scrape(), 'circle_dead_letters', { group: 'test-metrics-refusing' })).toBe(0);
  });

  it('shows transport lag on the partition of a stuck handler, and 0 once it catches up', async () => {
    gate.open = false;
    await circle.http().post('/v1/applications').auth(circle.admin, { type: 'bearer' }).send({ name: 'slow-app', team: 'web' }).expect(201);
    const stuck = await eventually(async () => {
      const lagging = series(await scrape(), 'circle_transport_lag_events', { group: 'test-metrics-gated' }).filter((s) => s.value > 0);
      return lagging.length === 1 ? lagging[0] : undefined;
    }, 20_000, 'lag on the gated partition');
    expect(Number(stuck.labels.partition)).toBeGreaterThanOrEqual(0);
    gate.open = true;
    gate.release();
    await eventually(async () => (sumOf(await scrape(), 'circle_transport_lag_events', { group: 'test-metrics-gated' }) === 0 ? true : undefined), 20_000, 'lag back to 0');
    // 12 partitions per group, held by the only worker: every one is reported.
    expect(series(await scrape(), 'circle_transport_lag_events', { group: 'rollout-process' })).toHaveLength(12);
  });

  it('shows projection lag while the projections cannot write, and 0 once they can', async () => {
    const blocker = new pg.Client({ connectionString: circle.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      // Every projection's next batch waits on its checkpoint row.
      await blocker.query('SELECT name FROM projection_checkpoints FOR UPDATE');
      await circle.http().post('/v1/applications').auth(circle.admin, { type: 'bearer' }).send({ name: 'late-app', team: 'web' }).expect(201);
      const behind = await scrape();
      expect(sumOf(behind, 'circle_projection_lag_events', { projection: 'catalog.applications' })).toBeGreaterThanOrEqual(1);
      expect(series(behind, 'circle_projection_lag_seconds', { projection: 'catalog.applications' })).toHaveLength(1);
      await blocker.query('ROLLBACK');
    } finally {
      await blocker.end();
    }
    await eventually(async () => {
      const e = await scrape();
      return series(e, 'circle_projection_lag_events').every((s) => s.value === 0) ? true : undefined;
    }, 20_000, 'projections caught up');
  });

  it('is not ready while the worker cannot heartbeat its consumer group, and ready again after', async () => {
    const ready = await circle.http().get('/health/ready').expect(200);
    expect(ready.body.info).toEqual(
      expect.objectContaining({
        database: expect.objectContaining({ status: 'up' }),
        transport: expect.objectContaining({ status: 'up' }),
        membership: expect.objectContaining({ status: 'up' }),
      }),
    );
    const blocker = new pg.Client({ connectionString: circle.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      // Heartbeats write to transport_members; held here, none reaches the database.
      await blocker.query('LOCK TABLE transport_members IN ACCESS EXCLUSIVE MODE');
      const down = await eventually(async () => {
        const response = await circle.http().get('/health/ready');
        return response.status === 503 ? response.body : undefined;
      }, 20_000, '503 from /health/ready');
      expect(down.error.membership.status).toBe('down');
      expect(down.error.membership.message).toMatch(/: no lease heartbeat reached the database for \d+ ms \(lease 1500 ms\)/);
      expect(down.info.database.status).toBe('up');
      // /health is the same readiness.
      expect((await circle.http().get('/health')).status).toBe(503);
      expect((await circle.http().get('/health/live')).status).toBe(200);
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }
    await eventually(async () => ((await circle.http().get('/health/ready')).status === 200 ? true : undefined), 20_000, 'ready again');
  });
});
