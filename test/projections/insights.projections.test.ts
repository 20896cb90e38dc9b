import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rolloutStreamId, type EventMetadata, type RolloutEvent, type RolloutRequest, type Strategy } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { insightProjections } from '#infra/projections/insights/index.js';
import { ProjectionRunner } from '#infra/projections/projection-runner.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seeder } from '../support/seed.js';

const TABLES = ['ri_clusters', 'ri_rollouts', 'ri_placements', 'ri_placement_history', 'ri_live_versions', 'ri_soak', 'ri_audit'];
const person: EventMetadata = { actor: 'alice', source: 'api', correlationId: 'req-1' };
const worker: EventMetadata = { actor: 'worker', source: 'worker', correlationId: 'req-1' };
const canary: Strategy = { kind: 'canary', replicas: 5, steps: [{ kind: 'setWeight', weight: 20 }, { kind: 'pause', seconds: null }], trafficRouting: 'replicas', progressDeadlineSeconds: 600 };
const blueGreen: Strategy = { kind: 'blueGreen', replicas: 2, autoPromotionSeconds: 0, scaleDownDelaySeconds: 0, prePromotionAnalysis: null, progressDeadlineSeconds: 600 };
const t = (minute: number) => new Date(Date.UTC(2026, 10, 22, 1, minute)).toISOString();

async function snapshot(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of TABLES) result[table] = (await db.pool.query(`SELECT * FROM ${table} t ORDER BY row_to_json(t)::text`)).rows;
  return result;
}

describe('insight projections', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  async function rollout(id: string, request: Partial<RolloutRequest>, events: RolloutEvent[]): Promise<void> {
    const full: RolloutRequest = {
      rolloutId: id, kind: 'upgrade', application: 'shop', version: '1.0.0', currentVersion: null, environment: 'prod', strategy: canary,
      waves: [['prod-eu-1', 'prod-us-1']], skippedClusters: [], maxParallel: 2, bakeSeconds: 0, onFailure: 'rollback',
      requiredApprovals: 0, requestedBy: 'alice', reason: null, ...request,
    };
    await store.append(rolloutStreamId(id), [{ event: { type: 'RolloutRequested', data: { ...full, requestedAt: t(0) } }, metadata: person }], 'no_stream');
    await store.append(rolloutStreamId(id), events.map((event) => ({ event, metadata: worker })), 1);
  }
  const ok = (rolloutId: string, cluster: string, stage: number, minute: number): RolloutEvent => ({
    type: 'ClusterActionSucceeded', data: { rolloutId, wave: 0, stage, cluster, at: t(minute) },
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool);
    const seed = seeder(store);
    await seed.environment('prod', 2, { requiredSoakSeconds: 3600 });
    await seed.cluster('prod-eu-1', 'prod');
    await seed.cluster('prod-us-1', 'prod');
    await seed.application('shop');
    // 1.0.0 installed on both clusters at minute 1 and 2.
    await rollout('r1', { kind: 'deploy' }, [ok('r1', 'prod-eu-1', 0, 1), ok('r1', 'prod-us-1', 0, 2), { type: 'RolloutSucceeded', data: { rolloutId: 'r1', at: t(2) } }]);
    // 1.1.0 as a canary: 20 % on both at minute 10, then finalized on prod-eu-1 only.
    await rollout('r2', { version: '1.1.0', currentVersion: '1.0.0' }, [ok('r2', 'prod-eu-1', 0, 10), ok('r2', 'prod-us-1', 0, 10), ok('r2', 'prod-eu-1', 2, 20)]);
    // Blue-green 2.0.0 on a second application: preview, promote, scale down.
    await rollout('r3', { application: 'cart', version: '1.0.0', strategy: blueGreen, waves: [['prod-eu-1']], kind: 'deploy' }, [ok('r3', 'prod-eu-1', 0, 1)]);
    await rollout('r4', { application: 'cart', version: '2.0.0', currentVersion: '1.0.0', strategy: blueGreen, waves: [['prod-eu-1']] }, [
      { type: 'ClusterActionApplied', data: { rolloutId: 'r4', wave: 0, stage: 0, cluster: 'prod-eu-1', note: { newColor: 'green', oldColor: 'blue' }, at: t(30) } },
      ok('r4', 'prod-eu-1', 0, 30),
      ok('r4', 'prod-eu-1', 2, 31),
    ]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('builds placements, their history, live versions, soak clocks and the audit trail from the log', async () => {
    await new ProjectionRunner(db.pool, store, insightProjections).catchUp();
    const { rows: shop } = await db.pool.query(`SELECT cluster, track, version, traffic_percent::float AS share, replicas, rollout_id FROM ri_placements WHERE application = 'shop' ORDER BY 1, 2`);
    expect(shop).toEqual([
      { cluster: 'prod-eu-1', track: 'stable', version: '1.1.0', share: 100, replicas: 5, rollout_id: 'r2' },
      { cluster: 'prod-us-1', track: 'canary', version: '1.1.0', share: 20, replicas: 1, rollout_id: 'r2' },
      { cluster: 'prod-us-1', track: 'stable', version: '1.0.0', share: 80, replicas: 4, rollout_id: 'r2' },
    ]);
    const { rows: cart } = await db.pool.query(`SELECT track, version, traffic_percent::float AS share FROM ri_placements WHERE application = 'cart' ORDER BY 1`);
    expect(cart).toEqual([{ track: 'blue', version: '1.0.0', share: 0 }, { track: 'green', version: '2.0.0', share: 100 }]);
    // At minute 5 both clusters ran 1.0.0 on the stable track.
    const { rows: past } = await db.pool.query(
      `SELECT cluster, version FROM ri_placement_history WHERE application = 'shop' AND valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) ORDER BY 1`,
      [t(5)],
    );
    expect(past).toEqual([{ cluster: 'prod-eu-1', version: '1.0.0' }, { cluster: 'prod-us-1', version: '1.0.0' }]);
    const live = (await db.pool.query(`SELECT application, version FROM ri_live_versions ORDER BY 1`)).rows;
    expect(live).toEqual([{ application: 'cart', version: '2.0.0' }, { application: 'shop', version: null }]);
    const soak = (await db.pool.query(`SELECT application, version, live_since FROM ri_soak ORDER BY 1, 2`)).rows;
    expect(soak).toEqual([
      { application: 'cart', version: '1.0.0', live_since: null },
      { application: 'cart', version: '2.0.0', live_since: new Date(t(31)) },
      { application: 'shop', version: '1.0.0', live_since: null },
    ]);
    const audit = (await db.pool.query(`SELECT action, outcome, actor, application, target FROM ri_audit WHERE application = 'shop' ORDER BY position`)).rows;
    expect(audit).toEqual([
      { action: 'ApplicationCreated', outcome: 'accepted', actor: 'seed', application: 'shop', target: 'application/shop' },
      { action: 'RolloutRequested', outcome: 'accepted', actor: 'alice', application: 'shop', target: 'rollout/r1' },
      { action: 'RolloutSucceeded', outcome: 'succeeded', actor: 'worker', application: 'shop', target: 'rollout/r1' },
      { action: 'RolloutRequested', outcome: 'accepted', actor: 'alice', application: 'shop', target: 'rollout/r2' },
    ]);
  });

  it('gives the same tables when every event is applied a second time (run twice)', async () => {
    const once = await snapshot(db);
    await db.pool.query('UPDATE projection_checkpoints SET position = 0');
    await new ProjectionRunner(db.pool, store, insightProjections).catchUp();
    expect(await snapshot(db)).toEqual(once);
  });

  it('gives the same tables when rebuilt from empty tables', async () => {
    const once = await snapshot(db);
    for (const table of [...TABLES, 'ri_applied']) await db.pool.query(`DELETE FROM ${table}`);
    await db.pool.query('DELETE FROM projection_checkpoints');
    await new ProjectionRunner(db.pool, store, insightProjections, { batchSize: 3 }).catchUp();
    expect(await snapshot(db)).toEqual(once);
  });
});
