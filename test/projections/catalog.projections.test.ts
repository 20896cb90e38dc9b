import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { handleCommand, rolloutDecider, rolloutStreamId, type EventMetadata } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { catalogProjections } from '#infra/projections/catalog/index.js';
import { ProjectionRunner } from '#infra/projections/projection-runner.js';
import { ProjectionStatus } from '#infra/projections/projection-status.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seeder } from '../support/seed.js';

const TABLES = ['rm_applications', 'rm_releases', 'rm_clusters', 'rm_environments', 'rm_rollouts'];
const meta: EventMetadata = { actor: 'alice', source: 'api', correlationId: 'c' };

async function snapshot(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of TABLES) result[table] = (await db.pool.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
  return result;
}

describe('catalog projections', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool);
    const seed = seeder(store);
    await seed.environment('prod', 2);
    await seed.cluster('prod-eu-1', 'prod', { region: 'eu' });
    await seed.cluster('prod-us-1', 'prod', { region: 'us' });
    await seed.cordon('prod-us-1');
    await seed.application('shop');
    await seed.release('shop', '1.0.0');
    await seed.release('shop', '1.1.0');
    const now = new Date('2026-11-22T01:00:00.000Z');
    await handleCommand(store, rolloutDecider, rolloutStreamId('r1'), {
      type: 'RequestRollout',
      data: {
        rolloutId: 'r1', kind: 'deploy', application: 'shop', version: '1.0.0', currentVersion: null, environment: 'prod',
        strategy: { kind: 'canary', replicas: 2, steps: [{ kind: 'setWeight', weight: 100 }], trafficRouting: 'replicas', progressDeadlineSeconds: 600 },
        waves: [['prod-eu-1']], skippedClusters: ['prod-us-1'], maxParallel: 1, bakeSeconds: 0, onFailure: 'rollback',
        requiredApprovals: 1, requestedBy: 'alice', reason: 'first', now,
      },
    }, meta);
    await handleCommand(store, rolloutDecider, rolloutStreamId('r1'), { type: 'ApproveRollout', data: { rolloutId: 'r1', actor: 'bob', comment: null, now } }, meta);
    await handleCommand(store, rolloutDecider, rolloutStreamId('r1'), { type: 'CompleteRollout', data: { rolloutId: 'r1', now } }, meta);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('builds the catalog tables from the log', async () => {
    await new ProjectionRunner(db.pool, store, catalogProjections).catchUp();
    const tables = await snapshot(db);
    expect(tables.rm_clusters).toMatchObject([
      { name: 'prod-eu-1', environment: 'prod', status: 'active', labels: { region: 'eu' } },
      { name: 'prod-us-1', status: 'cordoned', cordon_reason: 'maintenance' },
    ]);
    expect(tables.rm_releases!.map((r) => (r as { version: string }).version)).toEqual(['1.0.0', '1.1.0']);
    expect(tables.rm_rollouts).toMatchObject([{ id: 'r1', phase: 'Succeeded', approvers: ['bob'], message: 'rollout succeeded' }]);
    expect(await new ProjectionStatus(db.pool, catalogProjections.map((p) => p.name)).position()).toBe(await store.headPosition());
  });

  it('gives the same tables when every event is applied a second time (run twice)', async () => {
    const once = await snapshot(db);
    await db.pool.query('UPDATE projection_checkpoints SET position = 0');
    await new ProjectionRunner(db.pool, store, catalogProjections).catchUp();
    expect(await snapshot(db)).toEqual(once);
  });

  it('gives the same tables when rebuilt from empty tables', async () => {
    const once = await snapshot(db);
    for (const table of TABLES) await db.pool.query(`DELETE FROM ${table}`);
    await db.pool.query('DELETE FROM projection_checkpoints');
    await new ProjectionRunner(db.pool, store, catalogProjections, { batchSize: 3 }).catchUp();
    expect(await snapshot(db)).toEqual(once);
  });

  it('lets only one runner project at a time; the other takes over when the first stops', async () => {
    const first = new ProjectionRunner(db.pool, store, catalogProjections, { pollMs: 20 });
    const second = new ProjectionRunner(db.pool, store, catalogProjections, { pollMs: 20 });
    first.start();
    try {
      const locks = async () =>
        // Other test files' workers hold the same lock in their own databases of the shared
        // server: count only this database's.
        (await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE locktype = 'advisory' AND granted AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [0x70726f6a],
        )).rows[0]!.n;
      for (let i = 0; i < 100 && (await locks()) === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
      expect(await locks()).toBe(1);
      second.start(); // waits on the lock the first one holds
      await new Promise((r) => setTimeout(r, 100));
      expect(await locks()).toBe(1);
      await seeder(store).application('late');
      const status = new ProjectionStatus(db.pool, catalogProjections.map((p) => p.name));
      await status.waitFor(await store.headPosition());
      await first.stop();
      await seeder(store).application('later');
      await status.waitFor(await store.headPosition(), 10_000);
    } finally {
      await first.stop();
      await second.stop();
    }
    const names = (await db.pool.query<{ name: string }>('SELECT name FROM rm_applications ORDER BY name')).rows.map((r) => r.name);
    expect(names).toEqual(['late', 'later', 'shop']);
  });
});
