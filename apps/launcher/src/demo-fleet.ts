import { join, resolve } from 'node:path';
import type pg from 'pg';
import {
  clusterDecider,
  clusterStreamId,
  DEFAULT_WAVE_PLAN,
  environmentDecider,
  environmentStreamId,
  handleCommand,
  type EventMetadata,
  type EventStore,
} from '#domain';
import type { Logger } from '#infra/logging/logger.js';
import { SimulatedFleet } from '../../cluster-sim/src/simulated-fleet.js';

/** The label that marks a cluster as one of the demo fleet's, so later starts recognise them. */
export const SIMULATED_LABEL = 'circle.dev/simulated';

const DEMO = [
  { environment: 'dev', rank: 1, soak: 0, clusters: [{ name: 'dev-1', region: 'eu' }] },
  { environment: 'staging', rank: 2, soak: 600, clusters: [{ name: 'staging-1', region: 'eu' }] },
  { environment: 'prod', rank: 3, soak: 3600, clusters: [{ name: 'prod-eu-1', region: 'eu' }, { name: 'prod-us-1', region: 'us' }] },
];

const META: EventMetadata = { actor: 'circle-demo', source: 'system', correlationId: 'demo-fleet' };

/**
 * A newcomer's `npm start` should be able to deploy something within a minute, with no
 * cluster at hand: when no real cluster is registered, start four simulated clusters
 * (dev, staging, two prod regions), write their kubeconfigs under the data directory and
 * register them. Their workloads live in memory and are gone after a restart; the
 * registrations stay, and the same clusters come back on the same ports.
 */
export async function startDemoFleet(options: {
  pool: pg.Pool;
  store: EventStore;
  dataDir: string;
  basePort: number;
  logger: Logger;
}): Promise<SimulatedFleet | null> {
  const { rows } = await options.pool.query<{ simulated: boolean }>(
    `SELECT coalesce(data->'labels'->>'${SIMULATED_LABEL}', 'false') = 'true' AS simulated
     FROM events WHERE type = 'ClusterRegistered'`,
  );
  if (rows.some((r) => !r.simulated)) {
    options.logger.info('real clusters are registered; no simulated clusters started');
    return null;
  }
  const fleet = new SimulatedFleet({ basePort: options.basePort, msPerReplica: 500 });
  await fleet.start();
  const dir = resolve(join(options.dataDir, 'simulated-clusters'));
  const now = new Date();
  for (const env of DEMO) {
    await handleCommand(options.store, environmentDecider, environmentStreamId(env.environment), {
      type: 'DefineEnvironment',
      data: {
        name: env.environment,
        rank: env.rank,
        description: 'simulated demo environment',
        policy: { requiredSoakSeconds: env.soak, requiredApprovals: 0, clusterSelector: {}, wavePlan: { ...DEFAULT_WAVE_PLAN, waves: [{ kind: 'count', count: 1 }, { kind: 'rest' }] } },
        now,
      },
    }, META).catch((error: unknown) => options.logger.debug({ err: error }, 'demo environment already defined differently'));
    for (const cluster of env.clusters) await fleet.addCluster(cluster.name);
  }
  await fleet.writeKubeconfigs(dir);
  for (const env of DEMO) {
    for (const cluster of env.clusters) {
      await handleCommand(options.store, clusterDecider, clusterStreamId(cluster.name), {
        type: 'RegisterCluster',
        data: {
          name: cluster.name,
          environment: env.environment,
          region: cluster.region,
          labels: { region: cluster.region, [SIMULATED_LABEL]: 'true' },
          connection: { kind: 'file', path: join(dir, `${cluster.name}.yaml`) },
          now,
        },
      }, META);
    }
  }
  options.logger.info(
    { clusters: fleet.clusters.map((c) => `${c.name} ${c.url}`), kubeconfigs: dir },
    'simulated clusters started and registered (CIRCLE_SIMULATED_CLUSTERS=off turns this off)',
  );
  return fleet;
}
