import { describe, expect, it } from '@jest/globals';
import { imageReference, releaseDecider, type ReleaseContent, type ReleaseEvent, type ReleaseImage } from '#domain';
import { AT, NOW, given } from '../support/given-when-then.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const web: ReleaseImage = { name: 'web', repository: 'ghcr.io/acme/shop', tag: '1.4.2' };
const worker: ReleaseImage = { name: 'worker', repository: 'ghcr.io/acme/shop-worker', digest: DIGEST };
const content: ReleaseContent = { application: 'shop', version: '1.4.2', images: [web, worker], gitCommit: 'abc123', notes: 'faster checkout' };

const register = (overrides: Partial<ReleaseContent> = {}) =>
  ({ type: 'RegisterRelease', data: { ...content, ...overrides, createdBy: 'ci', now: NOW } }) as const;
const registered: ReleaseEvent = { type: 'ReleaseRegistered', data: { ...content, createdBy: 'ci', createdAt: AT } };

describe('release decider', () => {
  describe('RegisterRelease', () => {
    it('registers a new release with who created it and when', () => {
      given(releaseDecider).when(register()).then([registered]);
    });
    it('registers a release with only the required fields', () => {
      given(releaseDecider)
        .when({ type: 'RegisterRelease', data: { application: 'shop', version: '2.0.0-rc.1', images: [web], createdBy: 'ci', now: NOW } })
        .then([{ type: 'ReleaseRegistered', data: { application: 'shop', version: '2.0.0-rc.1', images: [web], createdBy: 'ci', createdAt: AT } }]);
    });
    it('accepts a reference with both tag and digest, and a registry with a port', () => {
      const image: ReleaseImage = { name: 'web', repository: 'registry.local:5000/acme/shop_web', tag: 'v1.4.2', digest: DIGEST };
      given(releaseDecider)
        .when(register({ images: [image] }))
        .then([{ type: 'ReleaseRegistered', data: { ...content, images: [image], createdBy: 'ci', createdAt: AT } }]);
    });
    it('treats the same content again as a retry, whoever sends it and whenever', () => {
      given(releaseDecider, [registered])
        .when({ type: 'RegisterRelease', data: { ...content, createdBy: 'someone-else', now: new Date('2027-01-01T00:00:00Z') } })
        .then([]);
    });
    it('treats the same images in another order as the same content', () => {
      given(releaseDecider, [registered]).when(register({ images: [worker, web] })).then([]);
    });
    it.each<[string, Partial<ReleaseContent>]>([
      ['another tag', { images: [{ ...web, tag: '1.4.3' }, worker] }],
      ['another digest', { images: [web, { ...worker, digest: `sha256:${'b'.repeat(64)}` }] }],
      ['an extra image', { images: [web, worker, { name: 'cron', repository: 'ghcr.io/acme/cron', tag: '1' }] }],
      ['other notes', { notes: 'something else' }],
      ['no git commit', { gitCommit: undefined }],
    ])('rejects registering the same version again with %s', (_what, overrides) => {
      const error = given(releaseDecider, [registered]).when(register(overrides)).thenRejects('RELEASE_ALREADY_EXISTS', /shop@1\.4\.2 .*immutable/);
      expect(error.details).toEqual({ application: 'shop', version: '1.4.2' });
    });

    it.each(['1.4', 'v1.4.2', '=1.4.2', ' 1.4.2', '1.4.2+build.7', 'latest', '', '01.4.2'])('rejects the version %p', (version) => {
      given(releaseDecider).when(register({ version })).thenRejects('RELEASE_VERSION_INVALID');
    });
    it('rejects a release without images', () => {
      given(releaseDecider).when(register({ images: [] })).thenRejects('RELEASE_IMAGES_REQUIRED');
    });
    it.each<[string, ReleaseImage, RegExp]>([
      ['an upper-case repository', { name: 'web', repository: 'ghcr.io/Acme/shop', tag: '1' }, /repository 'ghcr.io\/Acme\/shop'/],
      ['a repository with a tag in it', { name: 'web', repository: 'ghcr.io/acme/shop:1', tag: '1' }, /repository/],
      ['an empty repository', { name: 'web', repository: '', tag: '1' }, /repository/],
      ['a repository ending in a separator', { name: 'web', repository: 'acme/shop-', tag: '1' }, /repository/],
      ['neither tag nor digest', { name: 'web', repository: 'acme/shop' }, /a tag or a digest is required/],
      ['a tag starting with a dot', { name: 'web', repository: 'acme/shop', tag: '.1' }, /tag '\.1'/],
      ['a tag starting with a dash', { name: 'web', repository: 'acme/shop', tag: '-1' }, /tag '-1'/],
      ['a tag of 129 characters', { name: 'web', repository: 'acme/shop', tag: 'a'.repeat(129) }, /tag/],
      ['an empty tag', { name: 'web', repository: 'acme/shop', tag: '' }, /tag ''/],
      ['a short digest', { name: 'web', repository: 'acme/shop', digest: 'sha256:abc' }, /digest must look like sha256/],
      ['an upper-case digest', { name: 'web', repository: 'acme/shop', digest: `sha256:${'A'.repeat(64)}` }, /digest/],
      ['a sha512 digest', { name: 'web', repository: 'acme/shop', digest: `sha512:${'a'.repeat(64)}` }, /digest/],
    ])('rejects an image with %s', (_what, image, message) => {
      given(releaseDecider).when(register({ images: [image] })).thenRejects('RELEASE_IMAGE_REFERENCE_INVALID', message);
    });
    it('lists every problem of one image at once', () => {
      const error = given(releaseDecider)
        .when(register({ images: [{ name: 'web', repository: 'Bad Repo', tag: '-x', digest: 'md5:1' }] }))
        .thenRejects('RELEASE_IMAGE_REFERENCE_INVALID', /^image 'web': /);
      expect(error.details).toEqual({
        image: 'web',
        problems: [
          "repository 'Bad Repo' is not a valid image repository",
          "tag '-x' is not a valid image tag",
          'digest must look like sha256:<64 hex digits>',
        ],
      });
    });
    it('rejects two containers with the same name', () => {
      given(releaseDecider)
        .when(register({ images: [web, { ...worker, name: 'web' }] }))
        .thenRejects('RELEASE_IMAGE_REFERENCE_INVALID', /container names must be unique/);
    });
    it('validates the request before comparing with an existing release', () => {
      given(releaseDecider, [registered]).when(register({ images: [] })).thenRejects('RELEASE_IMAGES_REQUIRED');
    });
  });

  describe('imageReference', () => {
    it('pins the digest when there is one, even if a tag is given', () => {
      expect(imageReference({ name: 'web', repository: 'ghcr.io/acme/shop', tag: '1.4.2', digest: DIGEST })).toBe(`ghcr.io/acme/shop@${DIGEST}`);
    });
    it('uses the tag when there is no digest', () => {
      expect(imageReference(web)).toBe('ghcr.io/acme/shop:1.4.2');
    });
    it('falls back to latest when neither is given', () => {
      expect(imageReference({ name: 'web', repository: 'acme/shop' })).toBe('acme/shop:latest');
    });
  });
});
