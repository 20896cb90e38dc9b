import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';
import type { SimulatedCluster } from '../../apps/cluster-sim/src/simulated-cluster.js';

/**
 * The simulator's API semantics over raw HTTP, as a Kubernetes client sees them:
 * Status errors, optimistic concurrency, patch flavours, server-side apply, label
 * selectors, watch with resume, bookmarks and 410 Expired.
 */
describe('cluster simulator API', () => {
  const fleet = new SimulatedFleet({ msPerReplica: 10, bookmarkIntervalMs: 50, watchHistory: 60 });
  let sim: SimulatedCluster;

  const api = async (method: string, path: string, body?: unknown, contentType = 'application/json', token?: string) => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token ?? sim.token}`, ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  const deployment = (name: string, labels: Record<string, string> = {}, image = 'app:1') => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name, ...labels } },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } } },
  });

  /** GETs a Deployment until its simulated rollout is complete (no more status writes coming). */
  const settled = async (path: string) => {
    for (let i = 0; i < 200; i++) {
      const d = (await api('GET', path)).body;
      const progressing = d.status?.conditions?.find((c: any) => c.type === 'Progressing');
      if (progressing?.reason === 'NewReplicaSetAvailable' && d.status.observedGeneration === d.metadata.generation) return d;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${path} did not settle`);
  };

  /** Opens a watch and collects events until `until` is true for the collected list. */
  const watch = async (path: string, until: (events: any[]) => boolean, during?: () => Promise<void>, timeoutMs = 3_000) => {
    const controller = new AbortController();
    const res = await fetch(`${sim.url}${path}`, { headers: { Authorization: `Bearer ${sim.token}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    const events: any[] = [];
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const pending = during?.();
    try {
      while (!until(events)) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, nl)));
          buffer = buffer.slice(nl + 1);
        }
      }
    } catch (e) {
      if (!(e instanceof Error && e.name === 'AbortError')) throw e;
    } finally {
      clearTimeout(timer);
      controller.abort();
      await pending;
    }
    return events;
  };

  beforeAll(async () => {
    sim = await fleet.addCluster('api');
    await fleet.start();
    await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
  });

  afterAll(async () => {
    await fleet.stop();
  });

  it('answers errors as Status objects, including 401 without a valid token', async () => {
    const unauth = await api('GET', '/api/v1/namespaces', undefined, undefined, 'wrong');
    expect(unauth).toEqual({ status: 401, body: expect.objectContaining({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 }) });

    const missing = await api('GET', '/apis/apps/v1/namespaces/ns/deployments/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'deployments.apps "nope" not found', details: { name: 'nope', group: 'apps', kind: 'deployments' } });

    const noNamespace = await api('POST', '/apis/apps/v1/namespaces/ghost/deployments', deployment('a'));
    expect(noNamespace.body).toMatchObject({ code: 404, message: 'namespaces "ghost" not found' });

    const invalid = await api('POST', '/apis/apps/v1/namespaces/ns/deployments', { ...deployment('bad'), spec: { ...deployment('bad').spec, selector: { matchLabels: { app: 'other' } } } });
    expect(invalid.body).toMatchObject({ code: 422, reason: 'Invalid' });

    expect((await api('POST', '/apis/apps/v1/namespaces/ns/deployments', deployment('dup'))).status).toBe(201);
    expect((await api('POST', '/apis/apps/v1/namespaces/ns/deployments', deployment('dup'))).body).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect((await api('GET', '/apis/batch/v1/jobs')).status).toBe(404);
  });

  it('enforces optimistic concurrency and counts generation only for spec changes', async () => {
    const created = (await api('POST', '/apis/apps/v1/namespaces/ns/deployments', deployment('occ'))).body;
    expect(created.metadata).toMatchObject({ generation: 1, resourceVersion: expect.any(String), uid: expect.any(String) });

    // The simulated controller writes status right after creation (a new resourceVersion), so read again.
    const current = await settled('/apis/apps/v1/namespaces/ns/deployments/occ');
    const relabelled = { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, extra: 'x' } } };
    const r1 = await api('PUT', '/apis/apps/v1/namespaces/ns/deployments/occ', relabelled);
    expect(r1.status).toBe(200);
    expect(r1.body.metadata.generation).toBe(1);

    const stale = await api('PUT', '/apis/apps/v1/namespaces/ns/deployments/occ', { ...created, spec: { ...created.spec, replicas: 4 } });
    expect(stale.body).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(stale.body.message).toContain('the object has been modified');

    const fresh = await api('PUT', '/apis/apps/v1/namespaces/ns/deployments/occ', { ...r1.body, spec: { ...r1.body.spec, replicas: 4 } });
    expect(fresh.body.metadata.generation).toBe(2);

    const selectorChange = await api('PUT', '/apis/apps/v1/namespaces/ns/deployments/occ', {
      ...fresh.body,
      metadata: { ...fresh.body.metadata, resourceVersion: undefined }, // unconditional update
      spec: {
        ...fresh.body.spec,
        selector: { matchLabels: { app: 'occ', x: 'y' } },
        template: { ...fresh.body.spec.template, metadata: { labels: { app: 'occ', x: 'y' } } },
      },
    });
    expect(selectorChange.body).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(selectorChange.body.message).toContain('field is immutable');
  });

  it('supports JSON patch, merge patch, strategic merge patch and the scale subresource', async () => {
    await api('POST', '/apis/apps/v1/namespaces/ns/deployments', deployment('patchy'));
    const path = '/apis/apps/v1/namespaces/ns/deployments/patchy';

    const json = await api('PATCH', path, [{ op: 'replace', path: '/spec/replicas', value: 3 }, { op: 'add', path: '/metadata/labels/tier', value: 'web' }], 'application/json-patch+json');
    expect(json.body.spec.replicas).toBe(3);
    expect(json.body.metadata.labels.tier).toBe('web');
    const failedTest = await api('PATCH', path, [{ op: 'test', path: '/spec/replicas', value: 99 }], 'application/json-patch+json');
    expect(failedTest.body.code).toBe(422);

    const merge = await api('PATCH', path, { metadata: { labels: { tier: null } } }, 'application/merge-patch+json');
    expect(merge.body.metadata.labels.tier).toBeUndefined();

    // Strategic merge: containers merge by name instead of replacing the list.
    const sidecar = await api('PATCH', path, { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'proxy:1' }] } } } }, 'application/strategic-merge-patch+json');
    expect(sidecar.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['main', 'sidecar']);
    const retag = await api('PATCH', path, { spec: { template: { spec: { containers: [{ name: 'main', image: 'app:2' }] } } } }, 'application/strategic-merge-patch+json');
    expect(retag.body.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['main=app:2', 'sidecar=proxy:1']);

    const stalePatch = await api('PATCH', path, { metadata: { resourceVersion: '1' }, spec: { replicas: 1 } }, 'application/merge-patch+json');
    expect(stalePatch.body.reason).toBe('Conflict');
    expect((await api('PATCH', path, { spec: {} }, 'text/plain')).status).toBe(415);

    const scale = await api('PATCH', `${path}/scale`, { spec: { replicas: 5 } }, 'application/merge-patch+json');
    expect(scale.body).toMatchObject({ kind: 'Scale', spec: { replicas: 5 } });
    expect((await api('GET', path)).body.spec.replicas).toBe(5);
  });

  it('implements server-side apply: create, no-op re-apply, and removal of fields the manager dropped', async () => {
    const path = '/apis/apps/v1/namespaces/ns/deployments/applied?fieldManager=circle&force=true';
    const config = deployment('applied', { owner: 'team-a' });
    const created = await api('PATCH', path, config, 'application/apply-patch+yaml');
    expect(created.status).toBe(201);
    const before = await settled('/apis/apps/v1/namespaces/ns/deployments/applied');
    const again = await api('PATCH', path, config, 'application/apply-patch+yaml');
    expect(again.body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(again.body.metadata.generation).toBe(1);

    // YAML bodies work too (kubectl sends YAML for apply).
    const yaml = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: applied\n  labels: {app: applied}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: applied}}\n  template:\n    metadata: {labels: {app: applied}}\n    spec:\n      containers: [{name: main, image: "app:1"}]\n`;
    const dropped = await api('PATCH', path, yaml, 'application/apply-patch+yaml');
    expect(dropped.body.metadata.labels).toEqual({ app: 'applied' });
    expect(dropped.body.spec.replicas).toBe(2);
    expect(dropped.body.metadata.generation).toBe(2);

    expect((await api('PATCH', '/apis/apps/v1/namespaces/ns/deployments/applied', config, 'application/apply-patch+yaml')).status).toBe(400);
  });

  it('filters lists by label selector (equality and set based) and field selector', async () => {
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'sel' } });
    for (const [name, labels] of [
      ['s1', { env: 'prod', tier: 'web' }],
      ['s2', { env: 'staging', tier: 'web' }],
      ['s3', { env: 'prod' }],
    ] as const) {
      await api('POST', '/apis/apps/v1/namespaces/sel/deployments', deployment(name, labels));
    }
    const names = async (query: string) => ((await api('GET', `/apis/apps/v1/namespaces/sel/deployments?${query}`)).body.items as any[]).map((i) => i.metadata.name);
    expect(await names('labelSelector=env%3Dprod')).toEqual(['s1', 's3']);
    expect(await names('labelSelector=env!%3Dprod')).toEqual(['s2']);
    expect(await names('labelSelector=env%20in%20(prod,staging),tier')).toEqual(['s1', 's2']);
    expect(await names('labelSelector=!tier')).toEqual(['s3']);
    expect(await names('labelSelector=env%20notin%20(prod)')).toEqual(['s2']);
    expect(await names('fieldSelector=metadata.name%3Ds2')).toEqual(['s2']);
    const all = (await api('GET', '/apis/apps/v1/deployments?labelSelector=env')).body;
    expect(all.kind).toBe('DeploymentList');
    expect(all.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(all.items.length).toBe(3);
  });

  it('watches from a list resourceVersion, with bookmarks and selector transitions', async () => {
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'w' } });
    await api('POST', '/apis/apps/v1/namespaces/w/deployments', deployment('w1', { watched: 'yes' }));
    const list = (await api('GET', '/apis/apps/v1/namespaces/w/deployments')).body;
    const rv = list.metadata.resourceVersion;

    const events = await watch(
      `/apis/apps/v1/namespaces/w/deployments?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&labelSelector=watched%3Dyes`,
      (es) => es.some((e) => e.type === 'DELETED') && es.some((e) => e.type === 'BOOKMARK'),
      async () => {
        await api('POST', '/apis/apps/v1/namespaces/w/deployments', deployment('w2', { watched: 'yes' }));
        await api('PATCH', '/apis/apps/v1/namespaces/w/deployments/w2', { metadata: { labels: { watched: 'no' } } }, 'application/merge-patch+json');
      },
    );
    const changes = events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type}:${e.object.metadata.name}`);
    // w1's controller status updates arrive as MODIFIED; w2 appears, then leaves the selector (DELETED).
    expect(changes).toContain('ADDED:w2');
    expect(changes.indexOf('DELETED:w2')).toBeGreaterThan(changes.indexOf('ADDED:w2'));
    expect(changes.every((c) => c.endsWith('w1') || c.endsWith('w2'))).toBe(true);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark.object).toMatchObject({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    const rvs = events.filter((e) => e.type !== 'BOOKMARK').map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
  });

  it('replays missed events on resume and answers a too-old resourceVersion with 410 Expired', async () => {
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'r' } });
    const start = (await api('GET', '/apis/apps/v1/namespaces/r/deployments')).body.metadata.resourceVersion;
    await api('POST', '/apis/apps/v1/namespaces/r/deployments', deployment('r1'));
    const resumed = await watch(`/apis/apps/v1/namespaces/r/deployments?watch=true&resourceVersion=${start}`, (es) => es.some((e) => e.type === 'ADDED'));
    expect(resumed[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'r1' } } });

    // Push the start out of the (60 event) history window. The window is not tiny so
    // that status writes of earlier tests' rollouts cannot expire the resume above.
    for (let i = 0; i < 70; i++) await api('PATCH', '/api/v1/namespaces/r', { metadata: { labels: { n: String(i) } } }, 'application/merge-patch+json');
    const expired = await watch(`/apis/apps/v1/namespaces/r/deployments?watch=true&resourceVersion=${start}`, (es) => es.length > 0);
    expect(expired[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });

    // Without a resourceVersion: the current state first, as ADDED.
    const fresh = await watch('/apis/apps/v1/namespaces/r/deployments?watch=true', (es) => es.length > 0);
    expect(fresh[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'r1' } } });
  });

  it('deleting a namespace deletes what is in it', async () => {
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'gone' } });
    await api('POST', '/apis/apps/v1/namespaces/gone/deployments', deployment('g1'));
    await api('POST', '/api/v1/namespaces/gone/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'g1' }, spec: { selector: { app: 'g1' }, ports: [{ port: 80 }] } });
    const deleted = await api('DELETE', '/api/v1/namespaces/gone');
    expect(deleted.body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await api('GET', '/apis/apps/v1/namespaces/gone/deployments')).body.items).toEqual([]);
    expect((await api('GET', '/api/v1/namespaces/gone/services/g1')).status).toBe(404);
  });

  it('serves discovery and server-side tables for kubectl', async () => {
    expect((await api('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    expect((await api('GET', '/apis')).body.groups.map((g: any) => g.name)).toEqual(['apps', 'gateway.networking.k8s.io']);
    const apps = (await api('GET', '/apis/apps/v1')).body;
    expect(apps.resources.find((r: any) => r.name === 'deployments')).toMatchObject({ kind: 'Deployment', namespaced: true, shortNames: ['deploy'] });
    const res = await fetch(`${sim.url}/apis/apps/v1/namespaces/ns/deployments`, {
      headers: { Authorization: `Bearer ${sim.token}`, Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
    });
    const table = (await res.json()) as any;
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.slice(0, 5).map((c: any) => c.name)).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
    expect(table.rows.length).toBeGreaterThan(0);
  });
});
