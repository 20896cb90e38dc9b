import type pg from 'pg';
import {
  applicationDecider,
  applicationStreamId,
  clusterDecider,
  clusterStreamId,
  environmentDecider,
  environmentStreamId,
  releaseDecider,
  releaseStreamId,
  type Decider,
  type EventMetadata,
  type EventStore,
  type PromotionPolicy,
  type StreamAppend,
} from '#domain';
import { readModelProjections } from '#infra/projections/read-model-projections.js';
import { ProjectionStatus } from '#infra/projections/projection-status.js';
import { sleep } from './report.js';

const meta: EventMetadata = { actor: 'bench', source: 'system', correlationId: 'bench-seed' };

export interface CatalogSeed {
  applications?: string[];
  /** Every application gets this release. */
  version?: string;
  environments?: { name: string; rank: number; policy: PromotionPolicy }[];
  /** Clusters; with a kubeconfig, it is stored as a secret the worker reads. */
  clusters?: { name: string; environment: string; kubeconfig?: string }[];
}

/**
 * Writes the "given" catalog as the deciders would have decided it, 500 new streams per
 * append transaction: a few thousand applications take seconds, not the minutes one
 * API call each would.
 */
export async function seedCatalog(store: EventStore, pool: pg.Pool, seed: CatalogSeed): Promise<void> {
  const now = new Date();
  const appends: StreamAppend[] = [];
  const first = <C, E extends { type: string; data: unknown }, S>(decider: Decider<C, E, S>, streamId: string, command: C): void => {
    const events = decider.decide(command, decider.initialState());
    appends.push({ streamId, expectedVersion: 'no_stream', events: events.map((event) => ({ event, metadata: meta })) });
  };
  for (const e of seed.environments ?? []) {
    first(environmentDecider, environmentStreamId(e.name), { type: 'DefineEnvironment', data: { name: e.name, rank: e.rank, description: '', policy: e.policy, now } });
  }
  for (const c of seed.clusters ?? []) {
    const secretId = `sec_${c.name}`;
    if (c.kubeconfig !== undefined) {
      await pool.query('INSERT INTO cluster_secrets (id, cluster, kubeconfig) VALUES ($1, $2, $3)', [secretId, c.name, c.kubeconfig]);
    }
    first(clusterDecider, clusterStreamId(c.name), {
      type: 'RegisterCluster',
      data: {
        name: c.name,
        environment: c.environment,
        region: 'bench',
        labels: {},
        connection: c.kubeconfig !== undefined ? { kind: 'secret', secretId } : { kind: 'env', variable: 'KUBECONFIG' },
        now,
      },
    });
  }
  const version = seed.version ?? '1.0.0';
  for (const name of seed.applications ?? []) {
    first(applicationDecider, applicationStreamId(name), { type: 'CreateApplication', data: { name, team: 'bench', description: '', now } });
    first(releaseDecider, releaseStreamId(name, version), {
      type: 'RegisterRelease',
      data: { application: name, version, images: [{ name: 'app', repository: `registry.example.com/${name}`, tag: version }], createdBy: 'bench', now },
    });
  }
  for (let i = 0; i < appends.length; i += 500) await store.appendMany(appends.slice(i, i + 500));
}

/** Waits until every read-model projection (run by a worker) has reached the log's head. */
export async function projectionsCaughtUp(store: EventStore, pool: pg.Pool, timeoutMs = 120_000): Promise<void> {
  const status = new ProjectionStatus(pool, readModelProjections.map((p) => p.name));
  const head = await store.headPosition();
  const deadline = Date.now() + timeoutMs;
  while ((await status.position()) < head) {
    if (Date.now() > deadline) throw new Error(`projections did not reach position ${head} in ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** An environment policy: one wave of every cluster, no soak, `approvals` approvals. */
export function benchPolicy(approvals: number): PromotionPolicy {
  return {
    requiredSoakSeconds: 0,
    requiredApprovals: approvals,
    clusterSelector: {},
    wavePlan: { waves: [{ kind: 'rest' }], maxParallel: 100, bakeSeconds: 0, onFailure: 'rollback' },
  };
}
