import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SECRET_CIPHER, type SecretCipher } from '#infra/crypto/secret-cipher.js';
import { ClusterSecrets } from '../../apps/api/src/clusters/cluster-secrets.repository.js';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import { expectInvalidField, expectProblem, logHead, streamEvents } from '../support/api-expect.js';

const SECRET_TOKEN = 'kube-token-7f3a9c1e5b2d4f60a8e9';
const CA_DATA = Buffer.from('-----BEGIN CERTIFICATE-----\nnot-really-a-ca-0c9d8e\n-----END CERTIFICATE-----\n').toString('base64');
const SERVER = 'https://10.20.30.40:6443';

function kubeconfig(options: { token?: string; server?: string; user?: string; currentContext?: string } = {}): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: target
  cluster:
    server: ${options.server ?? SERVER}
    certificate-authority-data: ${CA_DATA}
users:
- name: deployer
  user:
${options.user ?? `    token: ${options.token ?? SECRET_TOKEN}`}
contexts:
- name: target
  context:
    cluster: target
    user: deployer
current-context: ${options.currentContext ?? 'target'}
`;
}

describe('clusters API', () => {
  let api: ApiHarness;
  let admin: string;
  let manager: string;
  let deployer: string;
  let viewer: string;
  const bearer = (token: string) => ({ type: 'bearer' as const, token });

  const registerCluster = (body: Record<string, unknown>, token = admin) =>
    api.http().post('/v1/clusters').auth(bearer(token).token, { type: 'bearer' }).send(body);
  const get = (path: string, token = viewer) => api.http().get(path).auth(token, { type: 'bearer' });
  const secretCount = async () => Number((await api.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM cluster_secrets')).rows[0]!.n);

  beforeAll(async () => {
    api = await startApi();
    admin = await api.token('admin', 'ops-admin');
    manager = await api.token('release-manager', 'alice');
    deployer = await api.token('deployer', 'ci');
    viewer = await api.token('viewer', 'val');
    for (const [name, rank] of [['staging', 1], ['prod', 2]] as const) {
      await api.http().post('/v1/environments').auth(admin, { type: 'bearer' }).send({ name, rank }).expect(201);
    }
  });
  afterAll(async () => {
    await api.close();
  });

  it('encrypts kubeconfigs stored in the clear by an earlier version when it starts, and still reads them', async () => {
    await api.db.pool.query(`INSERT INTO cluster_secrets (id, cluster, kubeconfig) VALUES ('sec_legacy0001', 'old-1', $1)`, [kubeconfig()]);
    const secrets = api.app.get(ClusterSecrets);
    await secrets.onApplicationBootstrap();
    const { rows } = await api.db.pool.query<{ kubeconfig: string }>(`SELECT kubeconfig FROM cluster_secrets WHERE id = 'sec_legacy0001'`);
    expect(rows[0]!.kubeconfig).toMatch(/^v1:/);
    expect(rows[0]!.kubeconfig).not.toContain(SECRET_TOKEN);
    expect(await secrets.kubeconfig('sec_legacy0001')).toBe(kubeconfig());
    await api.db.pool.query(`DELETE FROM cluster_secrets WHERE id = 'sec_legacy0001'`);
  });

  describe('POST /v1/clusters', () => {
    it('stores an inline kubeconfig as a secret the event only references, and never shows it', async () => {
      const res = await registerCluster({
        name: 'eu-1',
        environment: 'prod',
        region: 'eu-west-1',
        labels: { tier: 'gold', zone: 'a' },
        kubeconfig: kubeconfig(),
      }).expect(201);
      expect(res.body).toEqual({
        name: 'eu-1',
        environment: 'prod',
        region: 'eu-west-1',
        labels: { tier: 'gold', zone: 'a' },
        connection: { kind: 'secret' },
        status: 'active',
        position: Number(res.headers['x-circle-position']),
      });
      expect(res.headers.location).toBe('/v1/clusters/eu-1');

      const events = await streamEvents(api, 'cluster-eu-1');
      expect(events.map((e) => e.type)).toEqual(['ClusterRegistered']);
      expect(events[0]!.metadata).toMatchObject({ actor: 'ops-admin', source: 'api' });
      const connection = events[0]!.data.connection as { kind: string; secretId: string };
      expect(connection).toEqual({ kind: 'secret', secretId: expect.stringMatching(/^sec_[0-9a-f]+$/) });
      // Encrypted at rest: a database dump holds no cluster credentials.
      const stored = await api.db.pool.query<{ cluster: string; kubeconfig: string }>('SELECT cluster, kubeconfig FROM cluster_secrets WHERE id = $1', [connection.secretId]);
      expect(stored.rows).toEqual([{ cluster: 'eu-1', kubeconfig: expect.stringMatching(/^v1:/) }]);
      for (const part of [SECRET_TOKEN, SERVER, CA_DATA, 'apiVersion']) expect(stored.rows[0]!.kubeconfig).not.toContain(part);
      expect(api.app.get<SecretCipher>(SECRET_CIPHER).decrypt(stored.rows[0]!.kubeconfig)).toBe(kubeconfig());

      const one = await get(`/v1/clusters/eu-1?position=${res.body.position}`).expect(200);
      expect(one.body).toEqual({
        name: 'eu-1',
        environment: 'prod',
        region: 'eu-west-1',
        labels: { tier: 'gold', zone: 'a' },
        connection: { kind: 'secret' },
        status: 'active',
        cordonReason: null,
        registeredAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const list = await get('/v1/clusters').expect(200);
      const adminList = await get('/v1/clusters/eu-1', admin).expect(200);
      // Not the token, nor the CA, nor the server, nor the secret id, in any answer or in the log.
      for (const text of [res.text, one.text, list.text, adminList.text, JSON.stringify(events)]) {
        expect(text).not.toContain(SECRET_TOKEN);
        expect(text).not.toContain(CA_DATA);
        expect(text).not.toContain('10.20.30.40');
      }
      for (const text of [res.text, one.text, list.text, adminList.text]) expect(text).not.toContain(connection.secretId);
    });

    it('keeps file and env references as references, shown only by kind', async () => {
      const file = await registerCluster({
        name: 'eu-2',
        environment: 'prod',
        region: 'eu-west-1',
        labels: { tier: 'silver' },
        kubeconfigRef: { file: '/etc/circle/eu-2.yaml' },
      }).expect(201);
      expect(file.body.connection).toEqual({ kind: 'file' });
      const env = await registerCluster({ name: 'us-1', environment: 'staging', region: 'us-east-1', kubeconfigRef: { env: 'KUBECONFIG_US_1' } }).expect(201);
      expect(env.body).toMatchObject({ labels: {}, connection: { kind: 'env' } });
      expect((await streamEvents(api, 'cluster-us-1'))[0]!.data.connection).toEqual({ kind: 'env', variable: 'KUBECONFIG_US_1' });
      const read = await get(`/v1/clusters/eu-2?position=${env.body.position}`).expect(200);
      expect(read.body.connection).toEqual({ kind: 'file' });
      expect(read.text).not.toContain('/etc/circle');
    });

    it('answers 200 and writes nothing when the same registration comes again, inline kubeconfig included', async () => {
      const body = { name: 'eu-3', environment: 'prod', region: 'eu-west-1', labels: {}, kubeconfig: kubeconfig() };
      const first = await registerCluster(body).expect(201);
      const [head, secrets] = [await logHead(api), await secretCount()];
      const again = await registerCluster(body).expect(200);
      expect(again.body).toEqual(first.body);
      expect([await logHead(api), await secretCount()]).toEqual([head, secrets]);
    });

    it.each([
      ['another region', { region: 'eu-central-1', kubeconfig: kubeconfig() }],
      ['another kubeconfig', { region: 'eu-west-1', kubeconfig: kubeconfig({ token: 'other-token' }) }],
    ])('refuses a different registration of a registered name (%s) with 409, leaving no secret behind', async (_what, change) => {
      const [head, secrets] = [await logHead(api), await secretCount()];
      const res = await registerCluster({ name: 'eu-1', environment: 'prod', labels: { tier: 'gold', zone: 'a' }, ...change });
      expectProblem(res, 409, 'CLUSTER_ALREADY_EXISTS');
      expect([await logHead(api), await secretCount()]).toEqual([head, secrets]);
    });

    it('refuses an undefined environment with 422 CLUSTER_ENVIRONMENT_UNKNOWN', async () => {
      const [head, secrets] = [await logHead(api), await secretCount()];
      const res = await registerCluster({ name: 'ap-1', environment: 'qa', region: 'ap-south-1', kubeconfig: kubeconfig() });
      expectProblem(res, 422, 'CLUSTER_ENVIRONMENT_UNKNOWN');
      expect(res.body.details).toEqual({ environment: 'qa' });
      expect([await logHead(api), await secretCount()]).toEqual([head, secrets]);
      expect(await streamEvents(api, 'cluster-ap-1')).toHaveLength(0);
    });

    it('refuses labels Kubernetes would refuse with 400 LABEL_INVALID, dropping the secret it had stored', async () => {
      const [head, secrets] = [await logHead(api), await secretCount()];
      const res = await registerCluster({ name: 'ap-1', environment: 'prod', region: 'ap', labels: { 'bad key!': 'x' }, kubeconfig: kubeconfig() });
      expectProblem(res, 400, 'LABEL_INVALID');
      expect([await logHead(api), await secretCount()]).toEqual([head, secrets]);
    });

    it.each([
      ['text that is not a kubeconfig', ': : :\n\t- [', 'is not a parsable kubeconfig'],
      ['no current context', kubeconfig({ currentContext: 'elsewhere' }), 'current-context'],
      ['a server that is not a URL', kubeconfig({ server: 'not a url' }), 'not a URL'],
      ['an exec credential', kubeconfig({ user: '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/steal' }), 'exec'],
      // /etc/hostname exists: client-node would read it while parsing, so this is refused before.
      ['a token file', kubeconfig({ user: '    token-file: /etc/hostname' }), 'file references'],
      ['a client certificate file', kubeconfig({ user: '    client-certificate: /etc/hostname\n    client-key: /etc/hostname' }), 'file references'],
      ['a JSON document that is no kubeconfig', '{"kind": "Config"}', 'current-context'],
    ])('refuses an inline kubeconfig with %s: 400 KUBECONFIG_INVALID, without echoing it', async (_what, text, reason) => {
      const [head, secrets] = [await logHead(api), await secretCount()];
      const res = await registerCluster({ name: 'ap-2', environment: 'prod', region: 'ap', kubeconfig: text });
      expectProblem(res, 400, 'KUBECONFIG_INVALID');
      expect(res.body.detail).toContain(reason);
      expect(res.body.errors).toEqual([{ field: 'kubeconfig', message: expect.any(String) }]);
      expect(res.text).not.toContain(SECRET_TOKEN);
      expect([await logHead(api), await secretCount()]).toEqual([head, secrets]);
    });

    it.each([
      ['an unknown field', { kubeconfig: kubeconfig(), colour: 'blue' }, 'colour'],
      ['an unknown field in kubeconfigRef', { kubeconfigRef: { file: '/k.yaml', mode: 'r' } }, 'kubeconfigRef.mode'],
      ['a wrong type', { kubeconfig: kubeconfig(), region: 5 }, 'region'],
      ['a label value that is not a string', { kubeconfig: kubeconfig(), labels: { tier: 3 } }, 'labels'],
      ['kubeconfig not a string', { kubeconfig: { clusters: [] } }, 'kubeconfig'],
      ['a missing name', { kubeconfig: kubeconfig(), name: undefined }, 'name'],
      ['a missing region', { kubeconfig: kubeconfig(), region: undefined }, 'region'],
      ['neither kubeconfig nor kubeconfigRef', {}, 'kubeconfig'],
      ['both kubeconfig and kubeconfigRef', { kubeconfig: kubeconfig(), kubeconfigRef: { env: 'KC' } }, 'kubeconfig'],
      ['a kubeconfigRef with both file and env', { kubeconfigRef: { file: '/k.yaml', env: 'KC' } }, 'kubeconfigRef.file'],
      ['an empty kubeconfigRef', { kubeconfigRef: {} }, 'kubeconfigRef.file'],
      ['a relative kubeconfig path', { kubeconfigRef: { file: 'k.yaml' } }, 'kubeconfigRef.file'],
      ['an invalid variable name', { kubeconfigRef: { env: 'KUBE-CONFIG' } }, 'kubeconfigRef.env'],
      ['a name that is not a DNS label', { kubeconfig: kubeconfig(), name: 'EU_1' }, 'name'],
    ])('rejects %s with 400 VALIDATION_FAILED naming the field', async (_what, change, field) => {
      const [head, secrets] = [await logHead(api), await secretCount()];
      const res = await registerCluster({ name: 'ap-3', environment: 'prod', region: 'ap', ...change });
      expectInvalidField(res, field);
      expect(res.text).not.toContain(SECRET_TOKEN);
      expect([await logHead(api), await secretCount()]).toEqual([head, secrets]);
    });

    it('needs a token (401) of the admin role (403 for deployer and release-manager)', async () => {
      const body = { name: 'ap-4', environment: 'prod', region: 'ap', kubeconfig: kubeconfig() };
      expectProblem(await api.http().post('/v1/clusters').send(body), 401, 'UNAUTHENTICATED');
      for (const token of [viewer, deployer, manager]) expectProblem(await registerCluster(body, token), 403, 'FORBIDDEN');
      expect(await streamEvents(api, 'cluster-ap-4')).toHaveLength(0);
      expect(await secretCount()).toBe(2);
    });
  });

  describe('PUT /v1/clusters/{name}/labels', () => {
    const put = (name: string, body: unknown, token = admin) =>
      api.http().put(`/v1/clusters/${name}/labels`).auth(token, { type: 'bearer' }).send(body as object);

    it('replaces the labels; the same labels again write nothing', async () => {
      const res = await put('eu-2', { labels: { tier: 'gold', zone: 'b' } }).expect(200);
      expect(res.body).toMatchObject({ name: 'eu-2', labels: { tier: 'gold', zone: 'b' }, connection: { kind: 'file' } });
      const read = await get(`/v1/clusters/eu-2?position=${res.headers['x-circle-position']}`).expect(200);
      expect(read.body.labels).toEqual({ tier: 'gold', zone: 'b' });
      const events = await streamEvents(api, 'cluster-eu-2');
      expect(events.at(-1)).toMatchObject({ type: 'ClusterLabelsUpdated', metadata: { actor: 'ops-admin' } });
      const head = await logHead(api);
      await put('eu-2', { labels: { zone: 'b', tier: 'gold' } }).expect(200);
      expect(await logHead(api)).toBe(head);
    });

    it('answers 404 CLUSTER_NOT_FOUND, 400 LABEL_INVALID, and writes nothing', async () => {
      const head = await logHead(api);
      expectProblem(await put('ghost', { labels: {} }), 404, 'CLUSTER_NOT_FOUND');
      expectProblem(await put('eu-2', { labels: { tier: 'not ok' } }), 400, 'LABEL_INVALID');
      expect(await logHead(api)).toBe(head);
    });

    it('rejects bad bodies with 400 naming the field, and needs an admin token', async () => {
      const head = await logHead(api);
      expectInvalidField(await put('eu-2', { labels: {}, region: 'x' }), 'region');
      expectInvalidField(await put('eu-2', { labels: 'tier=gold' }), 'labels');
      expectInvalidField(await put('eu-2', {}), 'labels');
      expectProblem(await api.http().put('/v1/clusters/eu-2/labels').send({ labels: {} }), 401, 'UNAUTHENTICATED');
      expectProblem(await put('eu-2', { labels: {} }, manager), 403, 'FORBIDDEN');
      expect(await logHead(api)).toBe(head);
    });
  });

  describe('POST /v1/clusters/{name}/cordon and /uncordon', () => {
    const post = (path: string, body: unknown, token = admin) => api.http().post(path).auth(token, { type: 'bearer' }).send(body as object);

    it('cordons with a reason and uncordons; repeating either writes nothing', async () => {
      const cordoned = await post('/v1/clusters/us-1/cordon', { reason: 'node pool upgrade' }).expect(200);
      expect(cordoned.body).toMatchObject({ name: 'us-1', status: 'cordoned' });
      const read = await get(`/v1/clusters/us-1?position=${cordoned.headers['x-circle-position']}`).expect(200);
      expect(read.body).toMatchObject({ status: 'cordoned', cordonReason: 'node pool upgrade' });
      let head = await logHead(api);
      await api.http().post('/v1/clusters/us-1/cordon').auth(admin, { type: 'bearer' }).expect(200);
      expect(await logHead(api)).toBe(head);

      const uncordoned = await api.http().post('/v1/clusters/us-1/uncordon').auth(admin, { type: 'bearer' }).expect(200);
      expect(uncordoned.body).toMatchObject({ name: 'us-1', status: 'active' });
      const again = await get(`/v1/clusters/us-1?position=${uncordoned.headers['x-circle-position']}`).expect(200);
      expect(again.body).toMatchObject({ status: 'active', cordonReason: null });
      head = await logHead(api);
      await post('/v1/clusters/us-1/uncordon', {}).expect(200);
      expect(await logHead(api)).toBe(head);
      const events = await streamEvents(api, 'cluster-us-1');
      expect(events.slice(1).map((e) => [e.type, e.metadata.actor])).toEqual([
        ['ClusterCordoned', 'ops-admin'],
        ['ClusterUncordoned', 'ops-admin'],
      ]);
    });

    it.each(['cordon', 'uncordon'])('%s: 404 for an unknown cluster, 400 for bad bodies, 401 and 403', async (action) => {
      const head = await logHead(api);
      expectProblem(await post(`/v1/clusters/ghost/${action}`, {}), 404, 'CLUSTER_NOT_FOUND');
      expectInvalidField(await post(`/v1/clusters/us-1/${action}`, { force: true }), 'force');
      if (action === 'cordon') expectInvalidField(await post('/v1/clusters/us-1/cordon', { reason: 42 }), 'reason');
      expectProblem(await api.http().post(`/v1/clusters/us-1/${action}`).send({}), 401, 'UNAUTHENTICATED');
      expectProblem(await post(`/v1/clusters/us-1/${action}`, {}, deployer), 403, 'FORBIDDEN');
      expect(await logHead(api)).toBe(head);
    });
  });

  describe('GET /v1/clusters', () => {
    it('filters by environment and by a label selector (all pairs must match), in pages by name', async () => {
      const head = await logHead(api);
      const names = async (query: string) =>
        (await get(`/v1/clusters?position=${head}&${query}`).expect(200)).body.items.map((c: { name: string }) => c.name);
      expect(await names('')).toEqual(['eu-1', 'eu-2', 'eu-3', 'us-1']);
      expect(await names('environment=prod')).toEqual(['eu-1', 'eu-2', 'eu-3']);
      expect(await names('environment=staging')).toEqual(['us-1']);
      expect(await names('selector=tier=gold')).toEqual(['eu-1', 'eu-2']);
      expect(await names('selector=tier=gold,zone=b')).toEqual(['eu-2']);
      expect(await names('environment=staging&selector=tier=gold')).toEqual([]);

      const page1 = await get(`/v1/clusters?limit=3`).expect(200);
      expect(page1.body.items.map((c: { name: string }) => c.name)).toEqual(['eu-1', 'eu-2', 'eu-3']);
      const page2 = await get(`/v1/clusters?limit=3&cursor=${page1.body.nextCursor}`).expect(200);
      expect(page2.body).toMatchObject({ items: [{ name: 'us-1' }], nextCursor: null });
    });

    it('rejects a malformed selector, environment or cursor with 400, and needs a token', async () => {
      expectInvalidField(await get('/v1/clusters?selector=tier'), 'selector');
      expectInvalidField(await get('/v1/clusters?selector=a=b,,c=d'), 'selector');
      expectInvalidField(await get('/v1/clusters?environment=Prod!'), 'environment');
      expectInvalidField(await get('/v1/clusters?region=eu'), 'region');
      expectProblem(await get('/v1/clusters?cursor=garbage'), 400, 'CURSOR_INVALID');
      expectProblem(await api.http().get('/v1/clusters'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET /v1/clusters/{name}', () => {
    it('answers 404 CLUSTER_NOT_FOUND, 400 for a bad position, 401 without a token', async () => {
      expectProblem(await get('/v1/clusters/ghost'), 404, 'CLUSTER_NOT_FOUND');
      expectInvalidField(await get('/v1/clusters/eu-1?position=-1'), 'position');
      expectProblem(await api.http().get('/v1/clusters/eu-1'), 401, 'UNAUTHENTICATED');
    });
  });

  describe('DELETE /v1/clusters/{name}', () => {
    const del = (path: string, token = admin) => api.http().delete(path).auth(token, { type: 'bearer' });

    it('removes a cluster with a reason (200 and the position); it leaves the catalog and may be registered again', async () => {
      const res = await del('/v1/clusters/eu-3?reason=decommissioned').expect(200);
      expect(res.body).toMatchObject({ name: 'eu-3', status: 'removed', position: Number(res.headers['x-circle-position']) });
      expectProblem(await get(`/v1/clusters/eu-3?position=${res.body.position}`), 404, 'CLUSTER_NOT_FOUND');
      const events = await streamEvents(api, 'cluster-eu-3');
      expect(events.at(-1)).toMatchObject({ type: 'ClusterRemoved', data: { reason: 'decommissioned' }, metadata: { actor: 'ops-admin' } });

      const head = await logHead(api);
      expectProblem(await del('/v1/clusters/eu-3'), 404, 'CLUSTER_NOT_FOUND');
      expect(await logHead(api)).toBe(head);
      await registerCluster({ name: 'eu-3', environment: 'prod', region: 'eu-west-1', kubeconfigRef: { env: 'KC_EU_3' } }).expect(201);
    });

    it('answers 404 for an unknown cluster, 400 for an unknown parameter, 401 and 403', async () => {
      const head = await logHead(api);
      expectProblem(await del('/v1/clusters/ghost'), 404, 'CLUSTER_NOT_FOUND');
      expectInvalidField(await del('/v1/clusters/eu-1?force=true'), 'force');
      expectProblem(await api.http().delete('/v1/clusters/eu-1'), 401, 'UNAUTHENTICATED');
      expectProblem(await del('/v1/clusters/eu-1', manager), 403, 'FORBIDDEN');
      expect(await logHead(api)).toBe(head);
    });
  });
});
