import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import { expectInvalidField, expectProblem, logHead, streamEvents } from '../support/api-expect.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const release = (version: string, extra: Record<string, unknown> = {}) => ({
  version,
  images: [
    { name: 'web', repository: 'ghcr.io/acme/shop', tag: version },
    { name: 'worker', repository: 'ghcr.io/acme/shop-worker', digest: DIGEST },
  ],
  gitCommit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
  notes: 'Faster checkout',
  ...extra,
});

describe('releases API', () => {
  let api: ApiHarness;
  let ci: string;
  let viewer: string;

  const register = (body: unknown, application = 'shop', token = ci) =>
    api.http().post(`/v1/applications/${application}/releases`).auth(token, { type: 'bearer' }).send(body as object);

  beforeAll(async () => {
    api = await startApi();
    ci = await api.token('deployer', 'ci-shop');
    viewer = await api.token('viewer', 'val');
    const manager = await api.token('release-manager', 'alice');
    for (const name of ['shop', 'empty']) {
      await api.http().post('/v1/applications').auth(manager, { type: 'bearer' }).send({ name, team: 'payments' }).expect(201);
    }
  });
  afterAll(async () => {
    await api.close();
  });

  describe('POST /v1/applications/{application}/releases', () => {
    it('registers a release as the deployer that CI holds, and reads it back at the returned position', async () => {
      const res = await register(release('1.0.0')).expect(201);
      expect(res.body).toEqual({ application: 'shop', ...release('1.0.0'), position: expect.any(Number) });
      expect(res.headers.location).toBe('/v1/applications/shop/releases/1.0.0');
      expect(Number(res.headers['x-circle-position'])).toBe(res.body.position);

      const read = await api
        .http()
        .get(`/v1/applications/shop/releases/1.0.0?position=${res.body.position}`)
        .auth(viewer, { type: 'bearer' })
        .expect(200);
      expect(read.body).toEqual({
        application: 'shop',
        ...release('1.0.0'),
        createdBy: 'ci-shop',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      const events = await streamEvents(api, 'release-shop@1.0.0');
      expect(events.map((e) => e.type)).toEqual(['ReleaseRegistered']);
      expect(events[0]!.metadata).toMatchObject({ actor: 'ci-shop', source: 'api', correlationId: res.headers['x-correlation-id'] });
    });

    it('answers 200 with the same release when the same content comes again (images in any order), appending nothing', async () => {
      const first = await register(release('1.1.0')).expect(201);
      const head = await logHead(api);
      const again = { ...release('1.1.0'), images: [...release('1.1.0').images].reverse() };
      const res = await register(again).expect(200);
      expect(res.body).toEqual(first.body);
      expect(res.headers['x-circle-position']).toBe(String(first.body.position));
      expect(await logHead(api)).toBe(head);
    });

    it('refuses different content for a registered version with 409 RELEASE_ALREADY_EXISTS', async () => {
      await register(release('1.2.0')).expect(201);
      const head = await logHead(api);
      const res = await register(release('1.2.0', { notes: 'something else' }));
      expectProblem(res, 409, 'RELEASE_ALREADY_EXISTS');
      expect(res.body.details).toEqual({ application: 'shop', version: '1.2.0' });
      expect(await logHead(api)).toBe(head);
      expect(await streamEvents(api, 'release-shop@1.2.0')).toHaveLength(1);
    });

    it('answers 404 APPLICATION_NOT_FOUND for an application that was never created', async () => {
      const res = await register(release('1.0.0'), 'ghost');
      expectProblem(res, 404, 'APPLICATION_NOT_FOUND');
      expect(await streamEvents(api, 'release-ghost@1.0.0')).toHaveLength(0);
    });

    it.each([
      ['a version that is not semver', 'RELEASE_VERSION_INVALID', release('v1')],
      ['no images', 'RELEASE_IMAGES_REQUIRED', release('2.0.0', { images: [] })],
      ['an invalid repository', 'RELEASE_IMAGE_REFERENCE_INVALID', release('2.0.0', { images: [{ name: 'web', repository: 'Ghcr.io/UPPER', tag: '1' }] })],
      ['neither tag nor digest', 'RELEASE_IMAGE_REFERENCE_INVALID', release('2.0.0', { images: [{ name: 'web', repository: 'ghcr.io/acme/shop' }] })],
      ['a malformed digest', 'RELEASE_IMAGE_REFERENCE_INVALID', release('2.0.0', { images: [{ name: 'web', repository: 'ghcr.io/acme/shop', digest: 'sha256:abc' }] })],
      ['two containers of one name', 'RELEASE_IMAGE_REFERENCE_INVALID', release('2.0.0', { images: [{ name: 'web', repository: 'ghcr.io/a/b', tag: '1' }, { name: 'web', repository: 'ghcr.io/a/c', tag: '1' }] })],
    ])('rejects %s with 400 %s and writes nothing', async (_what, code, body) => {
      const head = await logHead(api);
      expectProblem(await register(body), 400, code);
      expect(await logHead(api)).toBe(head);
    });

    it.each([
      ['an unknown field', { ...release('3.0.0'), colour: 'blue' }, 'colour'],
      ['an unknown field in an image', release('3.0.0', { images: [{ name: 'web', repository: 'ghcr.io/a/b', tag: '1', size: 3 }] }), 'images.0.size'],
      ['a wrong type', release('3.0.0', { version: 3 }), 'version'],
      ['a wrong type in an image', release('3.0.0', { images: [{ name: 'web', repository: 'ghcr.io/a/b', tag: 1 }] }), 'images.0.tag'],
      ['images not a list', release('3.0.0', { images: 'ghcr.io/a/b:1' }), 'images'],
      ['a missing version', { images: release('3.0.0').images }, 'version'],
      ['missing images', { version: '3.0.0' }, 'images'],
    ])('rejects %s with 400 VALIDATION_FAILED naming the field', async (_what, body, field) => {
      const head = await logHead(api);
      expectInvalidField(await register(body), field);
      expect(await logHead(api)).toBe(head);
    });

    it('needs a token (401) of at least the deployer role (403)', async () => {
      expectProblem(await api.http().post('/v1/applications/shop/releases').send(release('4.0.0')), 401, 'UNAUTHENTICATED');
      expectProblem(await register(release('4.0.0'), 'shop', viewer), 403, 'FORBIDDEN');
      expect(await streamEvents(api, 'release-shop@4.0.0')).toHaveLength(0);
    });
  });

  describe('GET /v1/applications/{application}/releases', () => {
    it('lists newest first by registration, in pages', async () => {
      // Registered after 1.2.0, so newer in the log even though semver says older.
      const last = await register(release('0.9.1')).expect(201);
      const first = await api
        .http()
        .get(`/v1/applications/shop/releases?limit=2&position=${last.body.position}`)
        .auth(viewer, { type: 'bearer' })
        .expect(200);
      expect(first.body.items.map((r: { version: string }) => r.version)).toEqual(['0.9.1', '1.2.0']);
      expect(first.body.items[0]).toMatchObject({ application: 'shop', createdBy: 'ci-shop', images: release('0.9.1').images });
      const second = await api
        .http()
        .get(`/v1/applications/shop/releases?limit=2&cursor=${first.body.nextCursor}`)
        .auth(viewer, { type: 'bearer' })
        .expect(200);
      expect(second.body).toEqual({ items: [expect.objectContaining({ version: '1.1.0' }), expect.objectContaining({ version: '1.0.0' })], nextCursor: null });
    });

    it('lists nothing for an application without releases', async () => {
      const res = await api.http().get('/v1/applications/empty/releases').auth(viewer, { type: 'bearer' }).expect(200);
      expect(res.body).toEqual({ items: [], nextCursor: null });
    });

    it('answers 404 for an unknown application, 400 for bad paging, 401 without a token', async () => {
      expectProblem(await api.http().get('/v1/applications/ghost/releases').auth(viewer, { type: 'bearer' }), 404, 'APPLICATION_NOT_FOUND');
      expectProblem(await api.http().get('/v1/applications/shop/releases?cursor=garbage').auth(viewer, { type: 'bearer' }), 400, 'CURSOR_INVALID');
      const stringCursor = Buffer.from(JSON.stringify(['x'])).toString('base64url');
      expectProblem(await api.http().get(`/v1/applications/shop/releases?cursor=${stringCursor}`).auth(viewer, { type: 'bearer' }), 400, 'CURSOR_INVALID');
      expectInvalidField(await api.http().get('/v1/applications/shop/releases?limit=many').auth(viewer, { type: 'bearer' }), 'limit');
      expectInvalidField(await api.http().get('/v1/applications/shop/releases?sort=semver').auth(viewer, { type: 'bearer' }), 'sort');
      expectProblem(await api.http().get('/v1/applications/shop/releases'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET /v1/applications/{application}/releases/{version}', () => {
    it('answers 404 RELEASE_NOT_FOUND for an unknown version and APPLICATION_NOT_FOUND for an unknown application', async () => {
      expectProblem(await api.http().get('/v1/applications/shop/releases/9.9.9').auth(viewer, { type: 'bearer' }), 404, 'RELEASE_NOT_FOUND');
      expectProblem(await api.http().get('/v1/applications/ghost/releases/1.0.0').auth(viewer, { type: 'bearer' }), 404, 'APPLICATION_NOT_FOUND');
    });

    it('answers 400 for a bad position or an unknown parameter, 401 without a token', async () => {
      expectInvalidField(await api.http().get('/v1/applications/shop/releases/1.0.0?position=soon').auth(viewer, { type: 'bearer' }), 'position');
      expectInvalidField(await api.http().get('/v1/applications/shop/releases/1.0.0?verbose=1').auth(viewer, { type: 'bearer' }), 'verbose');
      expectProblem(await api.http().get('/v1/applications/shop/releases/1.0.0'), 401, 'UNAUTHENTICATED');
    });
  });
});
