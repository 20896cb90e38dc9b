import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { deployment, drive, imageOf, seedFleet, startRollout, type Fixture } from './fixtures.js';

describe('analysis webhooks and retrying a failed rollout', () => {
  let circle: CircleHarness;
  let f: Fixture;
  let server: Server;
  let answer = 200;
  const received: { check: string; version: string }[] = [];
  let url = '';

  const strategy = () => ({
    canary: {
      replicas: 2,
      steps: [{ setWeight: 50 }, { analysis: { name: 'error-rate', url, intervalSeconds: 10, count: 3, failureLimit: 0 } }, { setWeight: 100 }],
    },
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as { check: string; version: string });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/check`;
    circle = await startCircle();
    f = await seedFleet(circle, { environment: 'qa', clusters: ['qa-1', 'qa-2'], application: 'cart', versions: ['1.0.0', '1.1.0', '1.2.0'] });
    expect((await drive(circle, await startRollout(circle, f.deployer, { kind: 'deploy', application: 'cart', version: '1.0.0', environment: 'qa' }))).phase).toBe('Succeeded');
  });
  afterAll(async () => {
    await circle.close();
    await new Promise((r) => server.close(r));
  });

  it('measures every interval and goes on after `count` passes', async () => {
    received.length = 0;
    answer = 200;
    const id = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'cart', version: '1.1.0', environment: 'qa', strategy: strategy() });
    expect((await drive(circle, id, { stepMs: 11_000 })).phase).toBe('Succeeded');
    expect(received).toHaveLength(3);
    expect(received[0]).toMatchObject({ check: 'error-rate', version: '1.1.0', application: 'cart', rolloutId: id });
  });

  it('fails and rolls back when the webhook answers 500, and a retry with a healthy webhook succeeds', async () => {
    received.length = 0;
    answer = 500;
    const id = await startRollout(circle, f.deployer, { kind: 'upgrade', application: 'cart', version: '1.2.0', environment: 'qa', strategy: strategy() });
    const failed = await drive(circle, id, { stepMs: 11_000 });
    expect(failed.phase).toBe('Failed');
    expect(failed.message).toMatch(/analysis 'error-rate' failed 1 time\(s\), limit 0: HTTP 500/);
    expect(received).toHaveLength(1);
    for (const cluster of ['qa-1', 'qa-2']) {
      expect(imageOf(deployment(circle, cluster, 'cart', 'cart-stable'))).toBe('registry.example.com/cart:1.1.0');
      expect(deployment(circle, cluster, 'cart', 'cart-canary')).toBeUndefined();
    }

    const running = await circle.http().post(`/v1/rollouts/${id}/retry`).auth(f.deployer, { type: 'bearer' }).send({});
    expect(running.status).toBe(202);
    const second = running.body.rolloutId as string;
    expect(second).not.toBe(id);
    const refused = await circle.http().post(`/v1/rollouts/${second}/retry`).auth(f.deployer, { type: 'bearer' }).send({});
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('ROLLOUT_INVALID_PHASE');
    answer = 202;
    await circle.http().get(`/v1/rollouts/${second}?position=${running.body.position}`).auth(f.deployer, { type: 'bearer' }).expect(200);
    const done = await drive(circle, second, { stepMs: 11_000 });
    expect(done).toMatchObject({ phase: 'Succeeded', reason: `retry of rollout ${id}` });
    for (const cluster of ['qa-1', 'qa-2']) expect(imageOf(deployment(circle, cluster, 'cart', 'cart-stable'))).toBe('registry.example.com/cart:1.2.0');
    expect((await circle.http().post('/v1/rollouts/nope/retry').auth(f.deployer, { type: 'bearer' }).send({})).status).toBe(404);
  });
});
