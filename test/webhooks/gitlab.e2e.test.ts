import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { drive, seedFleet, type Fixture } from '../engine/fixtures.js';
import { count, deliveryId, expectStatus, putSecret } from './helpers.js';

const TOKEN = 'gitlab-token-0123456789';
const PROJECT = {
  id: 15,
  name: 'Diaspora',
  description: '',
  web_url: 'http://example.com/mike/diaspora',
  avatar_url: null,
  git_ssh_url: 'git@example.com:mike/diaspora.git',
  git_http_url: 'http://example.com/mike/diaspora.git',
  namespace: 'Mike',
  visibility_level: 0,
  path_with_namespace: 'mike/diaspora',
  default_branch: 'master',
  homepage: 'http://example.com/mike/diaspora',
  url: 'git@example.com:mike/diaspora.git',
  ssh_url: 'git@example.com:mike/diaspora.git',
  http_url: 'http://example.com/mike/diaspora.git',
};
const REPOSITORY = { name: 'Diaspora', url: 'git@example.com:mike/diaspora.git', description: '', homepage: 'http://example.com/mike/diaspora' };
const COMMIT = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';

/** A Push Hook as GitLab documents it (docs/user/project/integrations/webhook_events.md). */
const pushHook = (ref = 'refs/heads/master') => ({
  object_kind: 'push',
  event_name: 'push',
  before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
  after: COMMIT,
  ref,
  ref_protected: true,
  checkout_sha: COMMIT,
  user_id: 4,
  user_name: 'John Smith',
  user_username: 'jsmith',
  user_email: 'john@example.com',
  user_avatar: 'https://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=8://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=80',
  project_id: 15,
  project: PROJECT,
  repository: REPOSITORY,
  commits: [
    {
      id: COMMIT,
      message: 'fixed readme',
      title: 'fixed readme',
      timestamp: '2012-01-03T23:36:29+02:00',
      url: `http://example.com/mike/diaspora/commit/${COMMIT}`,
      author: { name: 'GitLab dev user', email: '[REDACTED]' },
      added: ['CHANGELOG'],
      modified: ['app/controller/application.rb'],
      removed: [],
    },
  ],
  total_commits_count: 1,
});

/** A Tag Push Hook as GitLab documents it. */
const tagPushHook = (tag = 'v1.0.0') => ({
  object_kind: 'tag_push',
  event_name: 'tag_push',
  before: '0000000000000000000000000000000000000000',
  after: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
  ref: `refs/tags/${tag}`,
  ref_protected: true,
  checkout_sha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
  message: 'Tag message',
  user_id: 1,
  user_name: 'John Smith',
  user_username: 'jsmith',
  user_avatar: 'https://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=8://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=80',
  project_id: 1,
  project: PROJECT,
  repository: REPOSITORY,
  commits: [],
  total_commits_count: 0,
});

describe('GitLab and generic webhooks', () => {
  let circle: CircleHarness;
  let fx: Fixture;
  const writes = async () => ({
    deliveries: await count(circle, 'SELECT count(*) AS n FROM webhook_deliveries'),
    events: await count(circle, 'SELECT count(*) AS n FROM events'),
  });
  const post = (event: string, body: object, headers: Record<string, string | null> = {}) => {
    const request = circle.http().post('/v1/webhooks/gitlab').set('content-type', 'application/json').set('x-gitlab-event', event);
    const all: Record<string, string | null> = { 'x-gitlab-token': TOKEN, 'x-gitlab-event-uuid': deliveryId(), ...headers };
    for (const [name, value] of Object.entries(all)) if (value !== null) request.set(name, value);
    return request.send(JSON.stringify(body));
  };

  beforeAll(async () => {
    circle = await startCircle();
    fx = await seedFleet(circle, { environment: 'test', clusters: ['gl-1'], application: 'diaspora', versions: [] });
    const rule = (body: object) => circle.http().post('/v1/webhooks/rules').auth(circle.admin, { type: 'bearer' }).send({ repository: 'mike/diaspora', application: 'diaspora', ...body });
    await rule({ provider: 'gitlab', branchPattern: 'master', image: 'registry.example.com/diaspora:{shortSha}', deploy: { environment: 'test' } }).expect(201);
    await rule({ provider: 'gitlab', tagPattern: 'v*', image: 'registry.example.com/diaspora:{tag}' }).expect(201);
    await rule({ provider: 'generic', branchPattern: 'release/**', image: 'registry.example.com/diaspora:{sha}', versionTemplate: '2.0.0-{branch}.{shortSha}' }).expect(201);
    await putSecret(circle, 'mike/diaspora', TOKEN).expect(200);
  });
  afterAll(async () => {
    await circle.close();
  });

  it('a Push Hook registers a release and deploys it; a redelivery with the same UUID answers the first outcome', async () => {
    const uuid = deliveryId();
    const response = await expectStatus(post('Push Hook', pushHook(), { 'x-gitlab-event-uuid': uuid }), 202);
    const version = `0.0.0-master.${COMMIT.slice(0, 7)}`;
    expect(response.body).toMatchObject({ provider: 'gitlab', deliveryId: uuid, repository: 'mike/diaspora', commit: COMMIT, ref: 'refs/heads/master' });
    expect(response.body.outcome).toMatchObject({ status: 'processed', releases: [{ application: 'diaspora', version, created: true }] });
    await circle.http().get(`/v1/applications/diaspora/releases/${version}?position=${response.headers['x-circle-position']}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    const done = await drive(circle, response.body.outcome.rollouts[0].rolloutId, { stepMs: 31_000 });
    expect(done.phase).toBe('Succeeded');

    const before = await writes();
    const again = await expectStatus(post('Push Hook', pushHook(), { 'x-gitlab-event-uuid': uuid }), 200);
    expect(again.body).toMatchObject({ replayed: true, outcome: response.body.outcome });
    expect(await writes()).toEqual(before);
    const recorded = await circle.http().get(`/v1/webhooks/deliveries/gitlab/${uuid}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    expect(recorded.body.outcome).toEqual(response.body.outcome);
  });

  it('a Tag Push Hook registers the tag as a release; Idempotency-Key dedupes when there is no UUID', async () => {
    const key = deliveryId();
    const response = await expectStatus(post('Tag Push Hook', tagPushHook(), { 'x-gitlab-event-uuid': null, 'idempotency-key': key }), 202);
    expect(response.body).toMatchObject({ deliveryId: key, outcome: { status: 'processed', releases: [{ version: '1.0.0', created: true }], rollouts: [] } });
    const release = await circle.http().get(`/v1/applications/diaspora/releases/1.0.0?position=${response.headers['x-circle-position']}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    expect(release.body.images).toEqual([{ name: 'diaspora', repository: 'registry.example.com/diaspora', tag: 'v1.0.0' }]);
    await expectStatus(post('Tag Push Hook', tagPushHook(), { 'x-gitlab-event-uuid': null, 'idempotency-key': key }), 200);
    const nightly = await expectStatus(post('Tag Push Hook', tagPushHook('nightly')), 202);
    expect(nightly.body.outcome).toMatchObject({ status: 'ignored', reason: 'no rule matches gitlab mike/diaspora refs/tags/nightly' });
    const note = await expectStatus(post('Note Hook', { object_kind: 'note', project: PROJECT }), 202);
    expect(note.body.outcome).toMatchObject({ status: 'ignored', reason: expect.stringContaining("'Note Hook'") });
  });

  it('refuses a wrong or missing token with 401 and records nothing; 400 without a delivery id', async () => {
    const before = await writes();
    await expectStatus(post('Push Hook', pushHook(), { 'x-gitlab-token': 'wrong-token-0123456789' }), 401);
    await expectStatus(post('Push Hook', pushHook(), { 'x-gitlab-token': null }), 401);
    await expectStatus(post('Push Hook', { ...pushHook(), project: { ...PROJECT, path_with_namespace: 'other/project' } }), 401);
    expect(await writes()).toEqual(before);
    await expectStatus(post('Push Hook', pushHook(), { 'x-gitlab-event-uuid': null }), 400);
    await expectStatus(circle.http().post('/v1/webhooks/gitlab').set('content-type', 'application/json').set('x-gitlab-token', TOKEN).send('{"project": [}'), 400);
  });

  it('the generic receiver takes an HMAC-signed {repository, ref, commit}', async () => {
    const body = JSON.stringify({ repository: 'mike/diaspora', ref: 'refs/heads/release/2.0', commit: COMMIT });
    const send = (signature: string | null, id = deliveryId()) => {
      const request = circle.http().post('/v1/webhooks/generic').set('content-type', 'application/json').set('x-delivery-id', id);
      if (signature !== null) request.set('x-signature-256', signature);
      return request.send(body);
    };
    const response = await expectStatus(send(await sign(TOKEN, body)), 202);
    expect(response.body.outcome).toMatchObject({ status: 'processed', releases: [{ version: `2.0.0-release-2-0.${COMMIT.slice(0, 7)}` }] });
    await expectStatus(send(await sign('wrong-secret-0123456789', body)), 401);
    await expectStatus(send(null), 401);
  });

  it('a rotated token: the old one works during the grace period, not after', async () => {
    const fresh = 'gitlab-token-rotated-0123456789';
    await putSecret(circle, 'mike/diaspora', fresh, 30).expect(200);
    await expectStatus(post('Tag Push Hook', tagPushHook('nightly')), 202);
    await expectStatus(post('Tag Push Hook', tagPushHook('nightly'), { 'x-gitlab-token': fresh }), 202);
    circle.clock.advance(31_000);
    await expectStatus(post('Tag Push Hook', tagPushHook('nightly')), 401);
    await expectStatus(post('Tag Push Hook', tagPushHook('nightly'), { 'x-gitlab-token': fresh }), 202);
    const hashes = await circle.db.pool.query('SELECT current_hash, previous_hash FROM webhook_secrets');
    expect(JSON.stringify(hashes.rows)).not.toContain('gitlab-token');
  });

  it('rule, secret and delivery endpoints answer bad input with 401, 403, 400 and 404', async () => {
    const viewer = await circle.token('viewer', 'webhook-viewer');
    const valid = { repository: 'mike/diaspora', provider: 'gitlab', application: 'diaspora', branchPattern: 'main', image: 'r.example.com/d:{shortSha}' };
    const rules = () => circle.http().post('/v1/webhooks/rules');
    await rules().send(valid).expect(401);
    await rules().auth(viewer, { type: 'bearer' }).send(valid).expect(403);
    await rules().auth(fx.deployer, { type: 'bearer' }).send(valid).expect(403);
    const noPattern = await rules().auth(fx.manager, { type: 'bearer' }).send({ ...valid, branchPattern: undefined }).expect(400);
    expect(noPattern.body.errors.map((e: { field: string }) => e.field)).toContain('branchPattern');
    await rules().auth(fx.manager, { type: 'bearer' }).send({ ...valid, repository: 'no-slash' }).expect(400);
    await rules().auth(fx.manager, { type: 'bearer' }).send({ ...valid, provider: 'bitbucket' }).expect(400);
    await rules().auth(fx.manager, { type: 'bearer' }).send({ ...valid, image: 'r.example.com/d' }).expect(400);
    await rules().auth(fx.manager, { type: 'bearer' }).send({ ...valid, versionTemplate: 'latest' }).expect(400);
    await rules().auth(fx.manager, { type: 'bearer' }).send({ ...valid, deploy: { environment: 'Not A Label' } }).expect(400);
    await rules().auth(fx.manager, { type: 'bearer' }).send({ ...valid, application: 'nope' }).expect(404);

    const withStrategy = { ...valid, deploy: { environment: 'test', supersede: true, strategy: { canary: { steps: [{ setWeight: 50 }, { setWeight: 100 }] } } } };
    const deploying = await rules().auth(fx.manager, { type: 'bearer' }).send(withStrategy).expect(201);
    expect(deploying.body).toMatchObject({ action: 'deploy', environment: 'test', supersede: true, strategy: { kind: 'canary', steps: [{ kind: 'setWeight', weight: 50 }, { kind: 'setWeight', weight: 100 }] } });
    await circle.http().delete(`/v1/webhooks/rules/${deploying.body.id}`).auth(fx.manager, { type: 'bearer' }).expect(200);
    const created = await rules().auth(fx.manager, { type: 'bearer' }).send(valid).expect(201);
    expect(created.headers.location).toBe(`/v1/webhooks/rules/${created.body.id}`);
    const listed = await circle.http().get('/v1/webhooks/rules?repository=mike/diaspora').auth(fx.manager, { type: 'bearer' }).expect(200);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(created.body.id);
    await circle.http().get('/v1/webhooks/rules').expect(401);
    await circle.http().get('/v1/webhooks/rules').auth(viewer, { type: 'bearer' }).expect(403);
    await circle.http().delete(`/v1/webhooks/rules/${created.body.id}`).auth(viewer, { type: 'bearer' }).expect(403);
    await circle.http().delete(`/v1/webhooks/rules/${created.body.id}`).auth(fx.manager, { type: 'bearer' }).expect(200);
    await circle.http().delete(`/v1/webhooks/rules/${created.body.id}`).auth(fx.manager, { type: 'bearer' }).expect(404);
    const audit = await count(circle, `SELECT count(*) AS n FROM events WHERE stream_id = 'webhook-rule-${created.body.id}'`);
    expect(audit).toBe(2);

    const secret = () => circle.http().put('/v1/webhooks/secrets/mike/diaspora');
    await secret().send({ secret: 'x'.repeat(20) }).expect(401);
    await secret().auth(viewer, { type: 'bearer' }).send({ secret: 'x'.repeat(20) }).expect(403);
    await secret().auth(fx.manager, { type: 'bearer' }).send({ secret: 'short' }).expect(400);
    await secret().auth(fx.manager, { type: 'bearer' }).send({ secret: 'x'.repeat(20), graceSeconds: -1 }).expect(400);

    await circle.http().get('/v1/webhooks/deliveries/gitlab/nope').expect(401);
    await circle.http().get('/v1/webhooks/deliveries/gitlab/nope').auth(viewer, { type: 'bearer' }).expect(404);
    await circle.http().get('/v1/webhooks/deliveries/bitbucket/nope').auth(viewer, { type: 'bearer' }).expect(404);
  });
});
