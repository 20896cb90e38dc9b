import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';

describe('cluster reachability', () => {
  let circle: CircleHarness;
  let viewer: string;

  beforeAll(async () => {
    circle = await startCircle();
    viewer = await circle.token('viewer', 'val');
    await circle.http().post('/v1/environments').auth(circle.admin, { type: 'bearer' }).send({ name: 'prod', rank: 1 }).expect(201);
    await circle.addCluster('up-1', 'prod');
    await circle.addCluster('down-1', 'prod');
  });
  afterAll(async () => {
    await circle.close();
  });

  it('reports each cluster, and a dead one as unreachable without holding up the others', async () => {
    await circle.fleet.cluster('down-1').makeUnreachable({ mode: 'refuse' });
    const head = (await circle.db.pool.query<{ p: string }>('SELECT max(global_position) AS p FROM events')).rows[0]!.p;
    await circle.http().get(`/v1/clusters?position=${head}`).auth(viewer, { type: 'bearer' }).expect(200);
    const fleet = await circle.http().get('/v1/cluster-health').auth(viewer, { type: 'bearer' }).expect(200);
    expect(fleet.body).toMatchObject({ clusters: 2, reachable: 1 });
    const byName = Object.fromEntries((fleet.body.items as { cluster: string; reachable: boolean; errorCode: string | null }[]).map((i) => [i.cluster, i]));
    expect(byName['up-1']).toMatchObject({ reachable: true, errorCode: null });
    expect(byName['down-1']).toMatchObject({ reachable: false, errorCode: 'CLUSTER_UNREACHABLE' });
    expect((await circle.http().get('/v1/cluster-health/up-1').auth(viewer, { type: 'bearer' }).expect(200)).body.reachable).toBe(true);
    expect((await circle.http().get('/v1/cluster-health/nope').auth(viewer, { type: 'bearer' }).expect(404)).body.code).toBe('CLUSTER_NOT_FOUND');
    await circle.http().get('/v1/cluster-health').expect(401);
  });
});
