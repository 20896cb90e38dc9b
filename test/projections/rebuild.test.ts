import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { handleCommand, rolloutDecider, rolloutStreamId, type EventMetadata, type RolloutEvent, type RolloutRequest, type Strategy } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { READ_MODEL_TABLES, rebuildProjections } from '#infra/projections/projection-rebuild.js';
import { ProjectionRunner } from '#infra/projections/projection-runner.js';
import { readModelProjections } from '#infra/projections/read-model-projections.js';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seeder } from '../support/seed.js';

const person: EventMetadata = { actor: 'alice', source: 'api', correlationId: 'req-1' };
const worker: EventMetadata = { actor: 'worker', source: 'worker', correlationId: 'req-1' };
const canary: Strategy = { kind: 'canary', replicas: 5, steps: [{ kind: 'setWeight', weight: 20 }, { kind: 'pause', seconds: null }], trafficRouting: 'replicas', progressDeadlineSeconds: 600 };
const t = (minute: number) => new Date(Date.UTC(2026, 10, 22, 1, minute)).toISOString();
const names = readModelProjections.map((p) => p.name);

/** Every read-model table with its rows in a total order, the checkpoints, and the index names. */
async function snapshot(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of READ_MODEL_TABLES) {
    result[table] = (await db.pool.query(`SELECT * FROM ${table} t ORDER BY row_to_json(t)::text`)).rows;
  }
  result.checkpoints = (await db.pool.query('SELECT name, position FROM projection_checkpoints WHERE name = ANY($1) ORDER BY name', [names])).rows;
  result.indexes = (await db.pool.query(
    `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1, 2`,
    [[...READ_MODEL_TABLES]],
  )).rows;
  return result;
}

async function schemas(db: TestDatabase): Promise<string[]> {
  const { rows } = await db.pool.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^(rebuild|retired)_'`);
  return rows.map((r) => r.nspname);
}

async function seedHistory(store: PostgresEventStore, prefix: string): Promise<void> {
  const seed = seeder(store);
  await seed.environment(`${prefix}prod`, 2, { requiredSoakSeconds: 3600 });
  await seed.cluster(`${prefix}prod-eu-1`, `${prefix}prod`, { region: 'eu' });
  await seed.cluster(`${prefix}prod-us-1`, `${prefix}prod`, { region: 'us' });
  await seed.application(`${prefix}shop`);
  await seed.release(`${prefix}shop`, '1.0.0');
  await seed.release(`${prefix}shop`, '1.1.0');
  const rollout = async (id: string, request: Partial<RolloutRequest>, events: RolloutEvent[]): Promise<void> => {
    const full: RolloutRequest = {
      rolloutId: id, kind: 'upgrade', application: `${prefix}shop`, version: '1.0.0', currentVersion: null, environment: `${prefix}prod`, strategy: canary,
      waves: [[`${prefix}prod-eu-1`, `${prefix}prod-us-1`]], skippedClusters: [], maxParallel: 2, bakeSeconds: 0, onFailure: 'rollback',
      requiredApprovals: 0, requestedBy: 'alice', reason: null, ...request,
    };
    await store.append(rolloutStreamId(id), [{ event: { type: 'RolloutRequested', data: { ...full, requestedAt: t(0) } }, metadata: person }], 'no_stream');
    await store.append(rolloutStreamId(id), events.map((event) => ({ event, metadata: worker })), 1);
  };
  const ok = (rolloutId: string, cluster: string, stage: number, minute: number): RolloutEvent => ({
    type: 'ClusterActionSucceeded', data: { rolloutId, wave: 0, stage, cluster: `${prefix}${cluster}`, at: t(minute) },
  });
  await rollout(`${prefix}r1`, { kind: 'deploy' }, [ok(`${prefix}r1`, 'prod-eu-1', 0, 1), ok(`${prefix}r1`, 'prod-us-1', 0, 2), { type: 'RolloutSucceeded', data: { rolloutId: `${prefix}r1`, at: t(2) } }]);
  await rollout(`${prefix}r2`, { version: '1.1.0', currentVersion: '1.0.0' }, [ok(`${prefix}r2`, 'prod-eu-1', 0, 10), ok(`${prefix}r2`, 'prod-us-1', 0, 10), ok(`${prefix}r2`, 'prod-eu-1', 2, 20)]);
  // And one through the decider, as the API writes it.
  const now = new Date('2026-11-22T02:00:00.000Z');
  await handleCommand(store, rolloutDecider, rolloutStreamId(`${prefix}r3`), {
    type: 'RequestRollout',
    data: {
      rolloutId: `${prefix}r3`, kind: 'upgrade', application: `${prefix}shop`, version: '1.1.0', currentVersion: '1.0.0', environment: `${prefix}prod`,
      strategy: { kind: 'canary', replicas: 2, steps: [{ kind: 'setWeight', weight: 100 }], trafficRouting: 'replicas', progressDeadlineSeconds: 600 },
      waves: [[`${prefix}prod-us-1`]], skippedClusters: [], maxParallel: 1, bakeSeconds: 0, onFailure: 'rollback',
      requiredApprovals: 1, requestedBy: 'alice', reason: 'finish', now,
    },
  }, person);
  await handleCommand(store, rolloutDecider, rolloutStreamId(`${prefix}r3`), { type: 'ApproveRollout', data: { rolloutId: `${prefix}r3`, actor: 'bob', comment: null, now } }, person);
  await handleCommand(store, rolloutDecider, rolloutStreamId(`${prefix}r3`), { type: 'AbortRollout', data: { rolloutId: `${prefix}r3`, actor: 'bob', reason: 'changed our mind', supersededBy: null, now } }, person);
}

describe('projection rebuild', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool);
    await seedHistory(store, '');
    await new ProjectionRunner(db.pool, store, readModelProjections).catchUp();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('lists every read-model table the migrations create', async () => {
    // A table left out would be written by the replay through the search_path fallback,
    // i.e. into the live table.
    const { rows } = await db.pool.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^r[mi]_' ORDER BY 1`,
    );
    expect(rows.map((r) => r.tablename)).toEqual([...READ_MODEL_TABLES].sort());
  });

  it('gives tables equal to the live ones, and leaves no schema behind', async () => {
    const live = await snapshot(db);
    for (const table of ['rm_applications', 'rm_releases', 'rm_clusters', 'rm_environments', 'rm_rollouts', 'ri_placements', 'ri_placement_history', 'ri_live_versions', 'ri_soak', 'ri_audit']) {
      expect({ table, empty: live[table]!.length === 0 }).toEqual({ table, empty: false });
    }
    const result = await rebuildProjections(db.pool, store, { batchSize: 3 });
    expect(await snapshot(db)).toEqual(live);
    expect(result.position).toBe(await store.headPosition());
    expect(result.tables.ri_audit).toBe(live.ri_audit!.length);
    expect(await schemas(db)).toEqual([]);
  });

  it('keeps readers answering throughout, while the live runner projects new events', async () => {
    const reads = { ok: 0, errors: [] as string[], empty: 0 };
    let reading = true;
    const reader = (async () => {
      while (reading) {
        try {
          const { rows } = await db.pool.query<{ apps: string; audit: string }>(
            'SELECT (SELECT count(*) FROM rm_applications) AS apps, (SELECT count(*) FROM ri_audit) AS audit',
          );
          if (Number(rows[0]!.apps) === 0 || Number(rows[0]!.audit) === 0) reads.empty += 1;
          else reads.ok += 1;
        } catch (error) {
          reads.errors.push(String(error));
        }
      }
    })();
    const live = new ProjectionRunner(db.pool, store, readModelProjections, { pollMs: 10, batchSize: 2 });
    live.start();
    // New history arrives while the rebuild replays and swaps.
    const writing = seedHistory(store, 'late-');
    await rebuildProjections(db.pool, store, { batchSize: 1 });
    await writing;
    reading = false;
    await reader;
    await live.stop();
    await new ProjectionRunner(db.pool, store, readModelProjections).catchUp();
    expect(reads.errors).toEqual([]);
    expect(reads.empty).toBe(0);
    expect(reads.ok).toBeGreaterThan(10);

    // Whatever the live runner did around the swap, the tables are the log's: a quiet
    // rebuild now changes nothing, and the late history is in them.
    const after = await snapshot(db);
    expect((after.rm_rollouts as { id: string }[]).map((r) => r.id)).toEqual(expect.arrayContaining(['late-r1', 'late-r2', 'late-r3']));
    await rebuildProjections(db.pool, store);
    expect(await snapshot(db)).toEqual(after);
    expect(await schemas(db)).toEqual([]);
  });
});

describe('POST /v1/admin/projections/rebuild', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
    await seedHistory(new PostgresEventStore(api.db.pool), '');
  });
  afterAll(async () => {
    await api.close();
  });

  it('rebuilds the read models for an admin and answers 202 with counts and duration', async () => {
    const res = await api.http().post('/v1/admin/projections/rebuild').set('Authorization', `Bearer ${api.adminToken}`).expect(202);
    expect(res.body).toMatchObject({ projections: names, tables: expect.objectContaining({ rm_applications: 1, rm_clusters: 2 }) });
    expect(res.body.position).toBeGreaterThan(0);
    expect(typeof res.body.durationMs).toBe('number');
    const apps = await api.http().get('/v1/applications').set('Authorization', `Bearer ${api.adminToken}`).expect(200);
    expect(apps.body.items.map((a: { name: string }) => a.name)).toEqual(['shop']);
  });

  it('refuses a non-admin with 403', async () => {
    const token = await api.token('release-manager');
    await api.http().post('/v1/admin/projections/rebuild').set('Authorization', `Bearer ${token}`).expect(403);
  });
});
