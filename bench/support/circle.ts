import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './postgres.js';
import { startLauncher, type CircleProcess } from './processes.js';

export interface BenchCircle {
  api: CircleProcess;
  worker: CircleProcess | null;
  url: string;
  adminToken: string;
  /** Issues an API token with the given role through the API, as an admin would. */
  token(role: 'viewer' | 'deployer' | 'release-manager' | 'admin'): Promise<string>;
  stop(): Promise<void>;
}

/**
 * circle as deployed: an API process (CIRCLE_ROLE=api) and, unless told otherwise, a
 * worker process (CIRCLE_ROLE=worker, projections and rollouts) on `databaseUrl`,
 * rate limit off, logs to files under `logDir`. `cpuProfileDir` runs both under
 * --cpu-prof (profiles are written when they stop).
 */
export async function startBenchCircle(options: {
  databaseUrl: string;
  logDir: string;
  worker?: boolean;
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  cpuProfileDir?: string;
}): Promise<BenchCircle> {
  mkdirSync(options.logDir, { recursive: true });
  const adminToken = `circle_bench_admin_${randomBytes(24).toString('hex')}`;
  const common = {
    DATABASE_URL: options.databaseUrl,
    // One key for both processes (kubeconfigs are sealed at rest), and no state in the worktree.
    CIRCLE_SECRET_KEY: randomBytes(32).toString('base64'),
    CIRCLE_DATA_DIR: options.logDir,
    // A free port for the worker's /metrics: other circles may hold the default one.
    WORKER_METRICS_PORT: '0',
    ...options.env,
  };
  const profile = (name: string) =>
    options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const worker =
    options.worker === false
      ? null
      : await startLauncher({ role: 'worker', env: { ...common, ...options.workerEnv }, logFile: join(options.logDir, 'worker.log'), nodeArgs: profile('worker') });
  const port = await freePort();
  let api: CircleProcess;
  try {
    api = await startLauncher({
      role: 'api',
      port,
      env: { ...common, PORT: String(port), RATE_LIMIT_PER_MINUTE: '0', CIRCLE_ADMIN_TOKEN: adminToken },
      logFile: join(options.logDir, 'api.log'),
      nodeArgs: profile('api'),
    });
  } catch (error) {
    await worker?.stop();
    throw error;
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    api,
    worker,
    url,
    adminToken,
    async token(role) {
      const res = await fetch(`${url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bench-${role}-${randomBytes(3).toString('hex')}`, role }),
      });
      if (!res.ok) throw new Error(`POST /v1/tokens: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    async stop() {
      await api.stop();
      await worker?.stop();
    },
  };
}
