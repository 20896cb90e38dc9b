import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sign } from '@octokit/webhooks-methods';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { drive, seedFleet, type Fixture } from '../engine/fixtures.js';
import { count, deliveryId, githubExample, postGithub, putSecret } from './helpers.js';

const REPO = 'Codertocat/Hello-World';
const SECRET = 'github-secret-0123456789';

describe('GitHub webhooks, end to end on the simulator', () => {
  let circle: CircleHarness;
  let fx: Fixture;
  const branchPush = () => githubExample('push', (p) => p.ref === 'refs/heads/master' && p.deleted === false);
  const writes = async () => ({
    deliveries: await count(circle, 'SELECT count(*) AS n FROM webhook_deliveries'),
    events: await count(circle, 'SELECT count(*) AS n FROM events'),
  });

  beforeAll(async () => {
    circle = await startCircle();
    fx = await seedFleet(circle, { environment: 'test', clusters: ['wh-1'], application: 'hello', versions: [] });
    const rule = (body: object) => circle.http().post('/v1/webhooks/rules').auth(fx.manager, { type: 'bearer' }).send({ repository: REPO, provider: 'github', application: 'hello', ...body });
    await rule({ branchPattern: 'master', image: 'registry.example.com/hello:{shortSha}', deploy: { environment: 'test', supersede: true } }).expect(201);
    await rule({ tagPattern: '0.*', image: 'registry.example.com/hello:{tag}' }).expect(201);
    await rule({ tagPattern: 'simple-*', image: 'registry.example.com/hello:{tag}', versionTemplate: '1.0.0-{tag}' }).expect(201);
    await putSecret(circle, REPO, SECRET).expect(200);
    await putSecret(circle, 'Octocoders/Hello-World', SECRET).expect(200);
  });
  afterAll(async () => {
    await circle.close();
  });

  let pushDelivery: string;
  let firstOutcome: Record<string, any>;

  it('a push to a branch registers a release and deploys it; the rollout succeeds', async () => {
    pushDelivery = deliveryId();
    const payload = branchPush();
    const response = await postGithub(circle, 'push', payload, { secret: SECRET, delivery: pushDelivery }).expect(202);
    const sha = payload.after as string;
    expect(response.body).toMatchObject({ provider: 'github', deliveryId: pushDelivery, event: 'push', repository: REPO, commit: sha, ref: 'refs/heads/master', replayed: false });
    const version = `0.0.0-master.${sha.slice(0, 7)}`;
    expect(response.body.outcome).toMatchObject({ status: 'processed', reason: null, releases: [{ application: 'hello', version, created: true }], refused: [] });
    expect(response.body.outcome.rollouts).toHaveLength(1);
    firstOutcome = response.body.outcome;
    const release = await circle.http().get(`/v1/applications/hello/releases/${version}?position=${response.headers['x-circle-position']}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    expect(release.body).toMatchObject({ gitCommit: sha, images: [{ name: 'hello', repository: 'registry.example.com/hello', tag: sha.slice(0, 7) }] });
    const rolloutId = response.body.outcome.rollouts[0].rolloutId as string;
    const done = await drive(circle, rolloutId, { stepMs: 31_000 });
    expect(done.phase).toBe('Succeeded');
    expect(done).toMatchObject({ application: 'hello', version });
    const recorded = await circle.http().get(`/v1/webhooks/deliveries/github/${pushDelivery}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    expect(recorded.body.outcome).toEqual(firstOutcome);
    const events = await circle.db.pool.query("SELECT data FROM events WHERE type = 'WebhookDeliveryRecorded' AND data->>'deliveryId' = $1", [pushDelivery]);
    expect(events.rows).toHaveLength(1);
    // The audit trail answers "why did this push deploy?" with the delivery and what it caused.
    const audit = await circle.http().get(`/v1/audit?action=WebhookDeliveryRecorded&application=hello&position=${response.headers['x-circle-position']}`).auth(circle.admin, { type: 'bearer' }).expect(200);
    expect(audit.body.items).toEqual(expect.arrayContaining([
      expect.objectContaining({ target: `webhook-delivery/github/${pushDelivery}`, reason: `release hello@${version}; rollout ${rolloutId} into ${done.environment}` }),
    ]));
  });

  it('a replayed delivery answers 200 with the first outcome and starts nothing', async () => {
    const before = await writes();
    const rollouts = await count(circle, "SELECT count(*) AS n FROM events WHERE type = 'RolloutRequested'");
    const again = await postGithub(circle, 'push', branchPush(), { secret: SECRET, delivery: pushDelivery }).expect(200);
    expect(again.body).toMatchObject({ deliveryId: pushDelivery, replayed: true, outcome: firstOutcome });
    expect(await writes()).toEqual(before);
    expect(await count(circle, "SELECT count(*) AS n FROM events WHERE type = 'RolloutRequested'")).toBe(rollouts);
  });

  it('a redelivery waits for a delivery still being processed, and takes over one abandoned by a crash', async () => {
    const payload = githubExample('push', (p) => p.ref === 'refs/tags/simple-tag' && p.deleted === false);
    payload.ref = 'refs/tags/simple-crash';
    const delivery = deliveryId();
    // What a process that died mid-delivery leaves: the claim without an outcome.
    await circle.db.pool.query(
      `INSERT INTO webhook_deliveries (provider, delivery_id, event, outcome, received_at) VALUES ('github', $1, 'push', NULL, $2)`,
      [delivery, circle.clock.now()],
    );
    const busy = await postGithub(circle, 'push', payload, { secret: SECRET, delivery }).expect(409);
    expect(busy.body).toMatchObject({ code: 'WEBHOOK_DELIVERY_IN_PROGRESS' });
    circle.clock.advance(61_000);
    const taken = await postGithub(circle, 'push', payload, { secret: SECRET, delivery }).expect(202);
    expect(taken.body).toMatchObject({ replayed: false, outcome: { status: 'processed', releases: [{ version: '1.0.0-simple-crash', created: true }] } });
    await postGithub(circle, 'push', payload, { secret: SECRET, delivery }).expect(200);
  });

  it('a tag push registers the release its rule forms, and does not deploy it', async () => {
    const payload = githubExample('push', (p) => p.ref === 'refs/tags/simple-tag' && p.deleted === false);
    const response = await postGithub(circle, 'push', payload, { secret: SECRET }).expect(202);
    expect(response.body.outcome).toMatchObject({ status: 'processed', releases: [{ version: '1.0.0-simple-tag', created: true }], rollouts: [] });
    const release = await circle.http().get(`/v1/applications/hello/releases/1.0.0-simple-tag?position=${response.headers['x-circle-position']}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    expect(release.body.images).toEqual([{ name: 'hello', repository: 'registry.example.com/hello', tag: 'simple-tag' }]);
  });

  it('a tag created in GitHub’s UI (create event) registers its release; a created branch is ignored with the reason', async () => {
    const payload = githubExample('create', (p) => p.ref_type === 'tag');
    payload.ref = 'simple-from-ui';
    const response = await postGithub(circle, 'create', payload, { secret: SECRET }).expect(202);
    expect(response.body).toMatchObject({ event: 'create', ref: 'refs/tags/simple-from-ui', commit: null });
    expect(response.body.outcome).toMatchObject({ status: 'processed', releases: [{ application: 'hello', version: '1.0.0-simple-from-ui', created: true }], rollouts: [] });
    const release = await circle.http().get(`/v1/applications/hello/releases/1.0.0-simple-from-ui?position=${response.headers['x-circle-position']}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    expect(release.body.images).toEqual([{ name: 'hello', repository: 'registry.example.com/hello', tag: 'simple-from-ui' }]);

    const branch = { ...githubExample('create', (p) => p.ref_type === 'tag'), ref: 'feature/ui', ref_type: 'branch' };
    const ignored = await postGithub(circle, 'create', branch, { secret: SECRET }).expect(202);
    expect(ignored.body.outcome).toMatchObject({ status: 'ignored', reason: expect.stringContaining('create of a branch') });
  });

  it('a published release registers a release of its tag', async () => {
    const payload = githubExample('release', (p) => p.action === 'published');
    const response = await postGithub(circle, 'release', payload, { secret: SECRET }).expect(202);
    expect(response.body.outcome).toMatchObject({ status: 'processed', releases: [{ version: '0.0.1', created: true }] });
    await circle.http().get(`/v1/applications/hello/releases/0.0.1?position=${response.headers['x-circle-position']}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
    const edited = await postGithub(circle, 'release', githubExample('release', (p) => p.action === 'edited'), { secret: SECRET }).expect(202);
    expect(edited.body.outcome).toMatchObject({ status: 'ignored', reason: expect.stringContaining("'edited'") });
  });

  it('answers a ping with 200', async () => {
    const response = await postGithub(circle, 'ping', githubExample('ping', (p) => p.hook?.type === 'Repository'), { secret: SECRET }).expect(200);
    expect(response.body.outcome).toMatchObject({ status: 'ignored', reason: expect.stringContaining('ping') });
  });

  it('ignores, with the reason, events it does not act on and pushes no rule matches', async () => {
    const unknown = await postGithub(circle, 'issues', { action: 'opened', repository: { full_name: REPO } }, { secret: SECRET }).expect(202);
    expect(unknown.body.outcome).toMatchObject({ status: 'ignored', reason: expect.stringContaining("'issues'") });
    const feature = branchPush();
    feature.ref = 'refs/heads/feature/x';
    const delivery = deliveryId();
    const unmatched = await postGithub(circle, 'push', feature, { secret: SECRET, delivery }).expect(202);
    expect(unmatched.body.outcome).toMatchObject({ status: 'ignored', reason: `no rule matches github ${REPO} refs/heads/feature/x`, releases: [] });
    await circle.http().get(`/v1/webhooks/deliveries/github/${delivery}`).auth(fx.deployer, { type: 'bearer' }).expect(200);
  });

  it('refuses a wrong or missing signature with 401 and records nothing', async () => {
    const before = await writes();
    const delivery = deliveryId();
    await postGithub(circle, 'push', branchPush(), { secret: 'not-the-secret-at-all', delivery }).expect(401);
    await postGithub(circle, 'push', branchPush(), { signature: null, delivery }).expect(401);
    await postGithub(circle, 'push', branchPush(), { signature: 'sha256=zz', delivery }).expect(401);
    const unknownRepo = branchPush();
    unknownRepo.repository.full_name = 'someone/else';
    await postGithub(circle, 'push', unknownRepo, { secret: SECRET, delivery }).expect(401);
    // A valid signature over other bytes is as wrong as none.
    const signed = await sign(SECRET, JSON.stringify(branchPush()));
    const tampered = { ...branchPush(), after: 'f'.repeat(40) };
    await postGithub(circle, 'push', tampered, { signature: signed, delivery }).expect(401);
    expect(await writes()).toEqual(before);
    await circle.http().get(`/v1/webhooks/deliveries/github/${delivery}`).auth(fx.deployer, { type: 'bearer' }).expect(404);
  });

  it('answers bad bodies and headers with 400, 413 and 415, never crashing', async () => {
    const raw = (body: string, headers: Record<string, string> = {}) => {
      const request = circle.http().post('/v1/webhooks/github').set('content-type', 'application/json').set('x-github-event', 'push').set('x-github-delivery', deliveryId());
      for (const [k, v] of Object.entries(headers)) request.set(k, v);
      return request.send(body);
    };
    expect((await raw('{"ref": ', { 'x-hub-signature-256': await sign(SECRET, '{"ref": ') }).expect(400)).headers['content-type']).toMatch(/problem\+json/);
    await raw('"just a string"', { 'x-hub-signature-256': await sign(SECRET, '"just a string"') }).expect(401);
    await raw('null').expect(400);
    const big = JSON.stringify({ repository: { full_name: REPO }, pad: 'x'.repeat(1024 * 1024) });
    await raw(big, { 'x-hub-signature-256': await sign(SECRET, big) }).expect(413);
    await circle.http().post('/v1/webhooks/github').set('content-type', 'application/x-www-form-urlencoded').send('payload=%7B%7D').expect(415);
    const body = JSON.stringify(branchPush());
    await circle.http().post('/v1/webhooks/github').set('content-type', 'application/json').set('x-github-event', 'push')
      .set('x-hub-signature-256', await sign(SECRET, body)).send(body).expect(400);
    const health = await circle.http().get('/health');
    expect(health.status).toBeLessThan(500);
  });

  it('a rotated secret keeps the old one valid for the grace period only', async () => {
    const repo = 'Octocoders/Hello-World';
    const ping = githubExample('ping', (p) => p.hook?.type === 'Repository');
    const rotated = await putSecret(circle, repo, 'the-new-secret-0123456789', 60).expect(200);
    expect(rotated.body).toEqual({ repository: repo, rotatedAt: expect.any(String), previousValidUntil: expect.any(String) });
    expect(JSON.stringify(rotated.body)).not.toContain('the-new-secret');
    await postGithub(circle, 'ping', ping, { secret: SECRET }).expect(200);
    await postGithub(circle, 'ping', ping, { secret: 'the-new-secret-0123456789' }).expect(200);
    circle.clock.advance(61_000);
    const before = await writes();
    await postGithub(circle, 'ping', ping, { secret: SECRET }).expect(401);
    expect(await writes()).toEqual(before);
    await postGithub(circle, 'ping', ping, { secret: 'the-new-secret-0123456789' }).expect(200);
    // Nothing in the log or the table holds a secret in clear.
    const leaked = await count(circle, "SELECT count(*) AS n FROM events WHERE data::text LIKE '%the-new-secret%' OR data::text LIKE '%github-secret%'");
    const stored = await count(circle, "SELECT count(*) AS n FROM webhook_secrets WHERE current_encrypted LIKE '%secret%' OR coalesce(previous_encrypted, '') LIKE '%secret%'");
    expect({ leaked, stored }).toEqual({ leaked: 0, stored: 0 });
    await circle.http().get('/v1/audit').auth(circle.admin, { type: 'bearer' });
  });
});
