import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type ApiHarness } from '../support/api-harness.js';

describe('applications API', () => {
  let api: ApiHarness;
  let manager: string;
  let viewer: string;

  beforeAll(async () => {
    api = await startApi();
    manager = await api.token('release-manager', 'alice');
    viewer = await api.token('viewer', 'val');
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates an application, then reads it back at the position the command returned', async () => {
    const created = await api
      .http()
      .post('/v1/applications')
      .auth(manager, { type: 'bearer' })
      .send({ name: 'shop', team: 'payments', description: 'Storefront' })
      .expect(201);
    expect(created.body).toMatchObject({ name: 'shop', team: 'payments', description: 'Storefront', dependencies: [] });
    expect(created.headers.location).toBe('/v1/applications/shop');
    const position = Number(created.headers['x-circle-position']);
    expect(position).toBe(created.body.position);

    const read = await api.http().get(`/v1/applications/shop?position=${position}`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(read.body).toMatchObject({ name: 'shop', team: 'payments', description: 'Storefront' });

    const events = await api.db.pool.query(`SELECT type, metadata FROM events WHERE stream_id = 'application-shop'`);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0].metadata).toMatchObject({ actor: 'alice', source: 'api', correlationId: created.headers['x-correlation-id'] });
  });

  it('updates an application and declares dependencies on known applications only', async () => {
    await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name: 'cart', team: 'payments' }).expect(201);
    const updated = await api.http().patch('/v1/applications/shop').auth(manager, { type: 'bearer' }).send({ team: 'checkout' }).expect(200);
    expect(updated.body.team).toBe('checkout');

    const declared = await api
      .http()
      .put('/v1/applications/shop/dependencies')
      .auth(manager, { type: 'bearer' })
      .send({ dependencies: [{ application: 'cart', range: '^2.1.0' }] })
      .expect(200);
    expect(declared.body.dependencies).toEqual([{ application: 'cart', range: '^2.1.0' }]);

    const unknown = await api
      .http()
      .put('/v1/applications/shop/dependencies')
      .auth(manager, { type: 'bearer' })
      .send({ dependencies: [{ application: 'ghost', range: '^1' }] })
      .expect(422);
    expect(unknown.body.code).toBe('DEPENDENCY_UNKNOWN_APPLICATION');

    const badRange = await api
      .http()
      .put('/v1/applications/shop/dependencies')
      .auth(manager, { type: 'bearer' })
      .send({ dependencies: [{ application: 'cart', range: 'newest' }] })
      .expect(400);
    expect(badRange.body.code).toBe('DEPENDENCY_RANGE_INVALID');

    const missing = await api.http().patch('/v1/applications/nope').auth(manager, { type: 'bearer' }).send({ team: 'x' }).expect(404);
    expect(missing.body.code).toBe('APPLICATION_NOT_FOUND');
  });

  it('lists applications in pages with a cursor', async () => {
    for (const name of ['app-a', 'app-b', 'app-c']) {
      await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name, team: 't' }).expect(201);
    }
    const head = await api.db.pool.query<{ p: string }>('SELECT max(global_position) AS p FROM events');
    const first = await api.http().get(`/v1/applications?limit=2&position=${head.rows[0]!.p}`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(first.body.items.map((a: { name: string }) => a.name)).toEqual(['app-a', 'app-b']);
    const second = await api.http().get(`/v1/applications?limit=2&cursor=${first.body.nextCursor}`).auth(viewer, { type: 'bearer' }).expect(200);
    expect(second.body.items.map((a: { name: string }) => a.name)).toEqual(['app-c', 'cart']);
    const bad = await api.http().get('/v1/applications?cursor=garbage').auth(viewer, { type: 'bearer' }).expect(400);
    expect(bad.body.code).toBe('CURSOR_INVALID');
  });
});
