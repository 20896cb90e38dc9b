import { migrations } from '../../../migrations/index.js';
import { createApiApp } from '../../api/src/create-api-app.js';
import { createWorkerApp } from '../../worker/src/create-worker-app.js';
import { WorkerHealth } from '../../worker/src/health/worker-health.js';
import { listenWorkerHttp } from '../../worker/src/worker-http.js';
import { loadConfig } from '#infra/config/circle-config.js';
import { createLogger } from '#infra/logging/logger.js';
import { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { runMigrations } from '#infra/postgres/migrate.js';
import { createPool } from '#infra/postgres/pool.js';
import { resolveDatabase } from './database.js';
import { startDemoFleet } from './demo-fleet.js';
import type { SimulatedFleet } from '../../cluster-sim/src/simulated-fleet.js';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';

/**
 * One entry point for every way circle runs: `npm start` (API and worker in one
 * process, embedded PostgreSQL unless DATABASE_URL is set) and the containers of
 * docker-compose (CIRCLE_ROLE=api or worker).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  const database = await resolveDatabase(config, logger);
  const applied = await runMigrations(database.url, migrations);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  const pool = createPool({ databaseUrl: database.url, max: config.DATABASE_POOL_SIZE });
  const parts: { close(): Promise<void> }[] = [];
  // One registry for the whole process: with CIRCLE_ROLE=all the API's /metrics shows the worker's work too.
  const metrics = new CircleMetrics();
  let workerHealth: WorkerHealth | undefined;
  let fleet: SimulatedFleet | null = null;
  let stopping = false;

  // Stop in reverse order of start: the API stops taking requests and drains, the
  // worker finishes its in-flight handlers, then the pool closes and, last, the
  // embedded database shuts down, so nothing is cut off mid-write.
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      for (const part of parts.reverse()) await part.close();
      await fleet?.stop();
      await pool.end();
      await database.embedded?.stop();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', (s) => void shutdown(s));
  process.on('SIGTERM', (s) => void shutdown(s));

  try {
    if (config.CIRCLE_ROLE === 'all' && config.CIRCLE_SIMULATED_CLUSTERS === 'auto') {
      fleet = await startDemoFleet({
        pool,
        store: new PostgresEventStore(pool),
        dataDir: config.CIRCLE_DATA_DIR,
        basePort: config.CIRCLE_SIMULATED_CLUSTERS_PORT,
        logger: logger.child({ component: 'simulated-clusters' }),
      });
    }
    if (config.CIRCLE_ROLE !== 'api') {
      const worker = await createWorkerApp({
        pool,
        ownsPool: false,
        logger,
        metrics,
        transport: config,
        rollout: {
          engine: { timerPollMs: config.ENGINE_TIMER_POLL_MS, concurrency: config.ENGINE_CONCURRENCY, timerLeaseMs: config.ENGINE_TIMER_LEASE_MS },
          reconciler: { observeIntervalMs: config.ENGINE_OBSERVE_INTERVAL_MS },
        },
      });
      parts.push(worker);
      workerHealth = worker.get(WorkerHealth);
      logger.info({ transport: config.KAFKA_BROKERS ? 'kafka' : 'postgres-log' }, 'worker started');
      if (config.CIRCLE_ROLE === 'worker') {
        const http = await listenWorkerHttp(worker, { port: config.WORKER_METRICS_PORT, host: config.HOST });
        parts.push(http);
        logger.info({ url: http.url }, 'worker metrics and health listening');
      }
    }
    if (config.CIRCLE_ROLE !== 'worker') {
      const api = await createApiApp({
        pool,
        ownsPool: false,
        logger,
        metrics,
        ...(workerHealth ? { worker: workerHealth } : {}),
        adminToken: config.CIRCLE_ADMIN_TOKEN,
        rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      });
      parts.push(api);
      await api.listen(config.PORT, config.HOST);
      logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'API listening');
    }
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    await shutdown('startup-failure');
  }
}

main().catch(async (error: unknown) => {
  // Before the logger exists (bad configuration) plain stderr is all there is.
  process.stderr.write(`circle failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
