import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { drive, seedFleet, type Fixture } from '../engine/fixtures.js';

const ATTEMPTS = 100;

describe('100 concurrent upgrades of the same application', () => {
  let circle: CircleHarness;
  let f: Fixture;

  beforeAll(async () => {
    circle = await startCircle();
    f = await seedFleet(circle, { environment: 'prod', clusters: ['c-1', 'c-2'], application: 'crowd', versions: ['1.0.0', '1.1.0'] });
    const started = await circle.http().post('/v1/rollouts').auth(f.deployer, { type: 'bearer' }).send({ kind: 'deploy', application: 'crowd', version: '1.0.0', environment: 'prod' });
    expect(started.status).toBe(202);
    const first = started.body.rolloutId as string;
    await circle.waitForRollout(first, () => true);
    expect((await drive(circle, first)).phase).toBe('Succeeded');
  }, 60_000);

  afterAll(async () => {
    await circle?.close();
  });

  it('start exactly one rollout; every other request gets 409 ROLLOUT_ALREADY_ACTIVE naming it', async () => {
    const before = await rolloutsRequested(circle);
    // Each request is a different CI job (its own Idempotency-Key), all fired at once. A
    // 503 (read models lagging on a busy machine) is retried with the same key, as the
    // API asks; what counts is each job's final answer.
    const responses = await Promise.all(
      Array.from({ length: ATTEMPTS }, async (_, i) => {
        for (;;) {
          const response = await circle
            .http()
            .post('/v1/rollouts')
            .auth(f.deployer, { type: 'bearer' })
            .set('idempotency-key', `upgrade-crowd-${i}`)
            .send({ kind: 'upgrade', application: 'crowd', version: '1.1.0', environment: 'prod' });
          if (response.status !== 503) return response;
          await new Promise((r) => setTimeout(r, 200));
        }
      }),
    );

    const accepted = responses.filter((r) => r.status === 202);
    const rejected = responses.filter((r) => r.status !== 202);
    expect(accepted).toHaveLength(1);
    const winner = accepted[0]!.body.rolloutId as string;
    expect(rejected.map((r) => r.status)).toEqual(Array(ATTEMPTS - 1).fill(409));
    for (const response of rejected) {
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 409, code: 'ROLLOUT_ALREADY_ACTIVE', details: { activeRolloutId: winner } });
    }

    // The log agrees: one new rollout stream, one claim of the clusters, for the winner.
    const after = await rolloutsRequested(circle);
    expect(after.filter((id) => !before.includes(id))).toEqual([winner]);
    const { rows } = await circle.db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM events WHERE stream_id = 'application-crowd' AND type = 'ApplicationClustersClaimed' AND data->>'rolloutId' = $1`,
      [winner],
    );
    expect(Number(rows[0]!.n)).toBe(1);
    expect((await drive(circle, winner, { stepMs: 5_000 })).phase).toBe('Succeeded');
  }, 60_000);
});

async function rolloutsRequested(circle: CircleHarness): Promise<string[]> {
  const { rows } = await circle.db.pool.query<{ id: string }>(
    `SELECT data->>'rolloutId' AS id FROM events WHERE type = 'RolloutRequested' ORDER BY global_position`,
  );
  return rows.map((r) => r.id);
}
