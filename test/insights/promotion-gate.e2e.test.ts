import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { drive, startRollout } from '../engine/fixtures.js';

describe('promotion gate: soak in the previous environment', () => {
  let circle: CircleHarness;
  let ci: string;

  beforeAll(async () => {
    circle = await startCircle();
    ci = await circle.token('deployer', 'ci');
    const admin = (path: string, body: object) => circle.http().post(path).auth(circle.admin, { type: 'bearer' }).send(body).expect(201);
    await admin('/v1/environments', { name: 'staging', rank: 1, policy: { requiredSoakSeconds: 3600 } });
    await admin('/v1/environments', { name: 'prod', rank: 2 });
    await circle.addCluster('stg-1', 'staging');
    await circle.addCluster('prod-1', 'prod');
    await admin('/v1/applications', { name: 'shop', team: 'web' });
    await circle.http().post('/v1/applications/shop/releases').auth(ci, { type: 'bearer' })
      .send({ version: '1.0.0', images: [{ name: 'web', repository: 'registry.example.com/shop', tag: '1.0.0' }] }).expect(201);
  });
  afterAll(async () => {
    await circle.close();
  });

  it('refuses prod until the version has soaked an hour in staging, then lets it through', async () => {
    expect((await drive(circle, await startRollout(circle, ci, { kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'staging' }))).phase).toBe('Succeeded');

    const early = await circle.http().post('/v1/rollouts').auth(ci, { type: 'bearer' }).send({ kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'prod' });
    expect(early.status).toBe(422);
    expect(early.body).toMatchObject({ code: 'PROMOTION_GATE_FAILED', details: { previousEnvironment: 'staging', live: true, requiredSeconds: 3600 } });
    expect(early.body.details.remainingSeconds).toBeGreaterThan(3500);
    expect(early.body.detail).toMatch(/has soaked \d+s of the 3600s staging requires/);

    circle.clock.advance(3601 * 1000);
    const id = await startRollout(circle, ci, { kind: 'deploy', application: 'shop', version: '1.0.0', environment: 'prod' });
    expect((await drive(circle, id)).phase).toBe('Succeeded');
  });
});
