import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_WAVE_PLAN,
  DomainError,
  matchesSelector,
  splitIntoWaves,
  type ClusterEvent,
  type EnvironmentEvent,
  type EventStore,
  type PromotionPolicy,
  type RolloutEvent,
  type WavePlan,
} from '#domain';
import { EVENT_STORE } from '#infra/nest/tokens.js';
import { ReadModels } from '../common/read-models.js';

export interface ResolvedTargets {
  waves: string[][];
  skippedClusters: string[];
  plan: WavePlan;
  requiredApprovals: number;
  /** Highest version the targets run now, from the last successful rollouts; null when none. */
  currentVersion: string | null;
}

interface ClusterRow {
  name: string;
  environment: string;
  labels: Record<string, string>;
  status: string;
}

/**
 * What resolve() reads: environments (policy), clusters (targets), and finished rollouts
 * (the version running now). Waiting for the read models to reach the last of these,
 * rather than the log's head, keeps a deploy from waiting on every other deploy's events.
 */
const READ_MODEL_INPUTS = [
  'EnvironmentDefined', 'EnvironmentUpdated',
  'ClusterRegistered', 'ClusterLabelsUpdated', 'ClusterCordoned', 'ClusterUncordoned', 'ClusterRemoved',
  'RolloutSucceeded',
] as const satisfies readonly (EnvironmentEvent['type'] | ClusterEvent['type'] | RolloutEvent['type'])[];

/**
 * Turns "environment prod, region=eu" or a list of names into concrete clusters in wave
 * order. It reads the catalog read models, after waiting for them to apply the last
 * change to what it reads, so a cluster registered a moment ago is already a target.
 */
@Injectable()
export class RolloutTargets {
  constructor(
    @Inject(ReadModels) private readonly readModels: ReadModels,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async resolve(input: {
    application: string;
    environment?: string;
    clusters?: string[];
    selector?: Record<string, string>;
  }): Promise<ResolvedTargets> {
    await this.readModels.caughtUp(await this.store.lastPositionOf(READ_MODEL_INPUTS));
    const db = this.readModels.pool;
    let policy: PromotionPolicy | null = null;
    if (input.environment !== undefined) {
      const { rows } = await db.query<{ policy: PromotionPolicy }>('SELECT policy FROM rm_environments WHERE name = $1', [
        input.environment,
      ]);
      if (!rows[0]) {
        throw new DomainError('ROLLOUT_ENVIRONMENT_UNKNOWN', `environment '${input.environment}' is not defined`, {
          environment: input.environment,
        });
      }
      policy = rows[0].policy;
    }
    const selected = new Map<string, ClusterRow>();
    const skipped: string[] = [];
    if (input.clusters !== undefined && input.clusters.length > 0) {
      const { rows } = await db.query<ClusterRow>('SELECT name, environment, labels, status FROM rm_clusters WHERE name = ANY($1)', [
        input.clusters,
      ]);
      const byName = new Map(rows.map((r) => [r.name, r]));
      for (const name of input.clusters) {
        const cluster = byName.get(name);
        if (!cluster) throw new DomainError('ROLLOUT_CLUSTER_UNKNOWN', `cluster '${name}' is not registered`, { cluster: name });
        if (input.environment !== undefined && cluster.environment !== input.environment) {
          throw new DomainError('ROLLOUT_CLUSTER_UNKNOWN', `cluster '${name}' is not in environment '${input.environment}'`, {
            cluster: name,
            environment: cluster.environment,
          });
        }
        // Naming a cordoned cluster is asking for something that must not happen: say so.
        if (cluster.status === 'cordoned') {
          throw new DomainError('CLUSTER_CORDONED', `cluster '${name}' is cordoned; uncordon it or leave it out`, { cluster: name });
        }
        selected.set(name, cluster);
      }
    } else if (input.environment !== undefined) {
      const { rows } = await db.query<ClusterRow>(
        'SELECT name, environment, labels, status FROM rm_clusters WHERE environment = $1 ORDER BY name',
        [input.environment],
      );
      const selector = { ...(policy?.clusterSelector ?? {}), ...(input.selector ?? {}) };
      for (const cluster of rows.filter((c) => matchesSelector(c.labels, selector))) {
        // A selector matching a cordoned cluster is routine: skip it and report it.
        if (cluster.status === 'cordoned') skipped.push(cluster.name);
        else selected.set(cluster.name, cluster);
      }
    }
    const plan = policy?.wavePlan ?? DEFAULT_WAVE_PLAN;
    const names = [...selected.keys()];
    return {
      waves: splitIntoWaves(names, plan),
      skippedClusters: skipped,
      plan,
      requiredApprovals: policy?.requiredApprovals ?? 0,
      currentVersion: await this.currentVersion(input.application, names),
    };
  }

  private async currentVersion(application: string, clusters: string[]): Promise<string | null> {
    if (clusters.length === 0) return null;
    // The newest successful rollout that reached any target decides what runs there now.
    const { rows } = await this.readModels.pool.query<{ version: string }>(
      `SELECT version FROM rm_rollouts
       WHERE application = $1 AND phase = 'Succeeded'
         AND EXISTS (SELECT 1 FROM jsonb_array_elements(waves) w, jsonb_array_elements_text(w) c WHERE c = ANY($2))
       ORDER BY position DESC LIMIT 1`,
      [application, clusters],
    );
    return rows[0]?.version ?? null;
  }
}
