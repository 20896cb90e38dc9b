import type { INestApplicationContext, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import type { EventHandler } from '#domain';
import { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';
import { createApiApp } from '../../apps/api/src/create-api-app.js';
import { TokenService } from '../../apps/api/src/auth/token.service.js';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app.js';
import { WorkerHealth } from '../../apps/worker/src/health/worker-health.js';
import { RolloutTimerPoller } from '../../apps/worker/src/rollout/rollout-timer.poller.js';
import { loadConfig } from '#infra/config/circle-config.js';
import type { KubernetesClusterGatewayOptions } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { createLogger } from '#infra/logging/logger.js';
import { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { eventually } from './processes.js';
import { OffsetClock } from './offset-clock.js';

export interface CircleHarness {
  db: TestDatabase;
  fleet: SimulatedFleet;
  clock: OffsetClock;
  /** The one registry the API and the in-process worker count in, as in `npm start`. */
  metrics: CircleMetrics;
  api: NestFastifyApplication;
  /** Null when the test runs workers as child processes. */
  worker: INestApplicationContext | null;
  http: () => supertest.Agent;
  /** An admin token (registers clusters and environments). */
  admin: string;
  token(role: 'viewer' | 'deployer' | 'release-manager' | 'admin', name: string): Promise<string>;
  /** Registers a simulated cluster with circle, in an environment that must exist. */
  addCluster(name: string, environment: string, labels?: Record<string, string>): Promise<void>;
  /** Drives due timers now instead of waiting for the next poll. */
  tick(): Promise<void>;
  /** Polls GET /v1/rollouts/{id} until `until` holds for it. */
  waitForRollout(id: string, until: (rollout: RolloutView) => boolean, timeoutMs?: number): Promise<RolloutView>;
  close(): Promise<void>;
}

export interface RolloutView {
  id: string;
  phase: string;
  message: string;
  [key: string]: unknown;
}

/**
 * circle end to end in one process: API, worker (projections, transport on the
 * Postgres log, rollout engine) and a simulated fleet reached over real HTTP with real
 * kubeconfigs — the layout of `npm start`, with an offset clock and a fast simulator.
 */
export async function startCircle(
  options: {
    msPerReplica?: number;
    worker?: 'in-process' | 'none';
    /** Handlers the in-process worker subscribes besides its own (e.g. one that fails on purpose). */
    extraHandlers?: readonly Type<EventHandler>[];
    /** Settings over the harness's own (e.g. a short TRANSPORT_LEASE_MS). */
    config?: Record<string, string>;
    /** Cluster gateway tuning (timeouts, retries, breaker) for tests of unreachable clusters. */
    gateway?: KubernetesClusterGatewayOptions;
  } = {},
): Promise<CircleHarness> {
  const db = await createTestDatabase();
  const clock = new OffsetClock();
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const fleet = new SimulatedFleet({ msPerReplica: options.msPerReplica ?? 10 });
  await fleet.start();
  const config = loadConfig({ TRANSPORT_POLL_INTERVAL_MS: '50', TRANSPORT_LEASE_MS: '5000', ...options.config });
  const metrics = new CircleMetrics();
  const worker = options.worker === 'none' ? null : await createWorkerApp({
    pool: db.pool,
    ownsPool: false,
    clock,
    logger,
    metrics,
    transport: config,
    rollout: {
      engine: { timerPollMs: 25 },
      reconciler: { observeIntervalMs: 20, retryIntervalMs: 200 },
      ...(options.gateway ? { gateway: options.gateway } : {}),
    },
    ...(options.extraHandlers ? { extraHandlers: options.extraHandlers } : {}),
  });
  const adminSecret = `circle_test_admin_${'y'.repeat(32)}`;
  const api = await createApiApp({
    pool: db.pool,
    ownsPool: false,
    logger,
    clock,
    metrics,
    ...(worker ? { worker: worker.get(WorkerHealth) } : {}),
    adminToken: adminSecret,
    rateLimitPerMinute: 0,
  });
  await api.listen(0, '127.0.0.1');
  const address = api.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const http = () => supertest.agent(url);
  const tokens = api.get(TokenService);

  const harness: CircleHarness = {
    db,
    fleet,
    clock,
    metrics,
    api,
    worker,
    http,
    admin: adminSecret,
    async token(role, name) {
      return (await tokens.issue({ name, role, createdBy: 'test' })).secret;
    },
    async addCluster(name, environment, labels = {}) {
      await fleet.addCluster(name);
      await http()
        .post('/v1/clusters')
        .auth(adminSecret, { type: 'bearer' })
        .send({ name, environment, region: labels.region ?? 'eu', labels, kubeconfig: fleet.kubeconfig(name) })
        .expect(201);
    },
    async tick() {
      await worker?.get(RolloutTimerPoller).tick();
    },
    async waitForRollout(id, until, timeoutMs = 30_000) {
      return eventually(
        async () => {
          const response = await http().get(`/v1/rollouts/${id}`).auth(adminSecret, { type: 'bearer' });
          return response.status === 200 && until(response.body as RolloutView) ? (response.body as RolloutView) : undefined;
        },
        timeoutMs,
        `rollout ${id}`,
      );
    },
    async close() {
      await api.close();
      await worker?.close();
      await fleet.stop();
      await db.drop();
    },
  };
  return harness;
}
