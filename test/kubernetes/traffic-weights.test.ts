import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CIRCLE_ANNOTATIONS, CIRCLE_LABELS } from '#domain/cluster-objects/cluster-labels.js';
import { ClusterGatewayError, type ClusterRef, type TrafficRouteRef } from '#domain/ports/cluster-gateway.port.js';
import { KubernetesClusterGateway } from '#infra/kubernetes/kubernetes-cluster-gateway.js';
import { SimulatedFleet } from '../../apps/cluster-sim/src/simulated-fleet.js';
import type { SimulatedCluster } from '../../apps/cluster-sim/src/simulated-cluster.js';
import { clusterRef } from './k8s-test-helpers.js';

const run = promisify(execFile);
const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';
const ROUTES = '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes';

type Route = { metadata: Record<string, any>; spec: { parentRefs: Record<string, unknown>[]; rules: { backendRefs: { name: string; weight: number; port: number }[] }[] } };

/**
 * Gateway API HTTPRoutes: the simulator serves them like any other resource, and the
 * adapter sets canary weights on them with server-side apply.
 */
describe('HTTPRoute traffic weights against the cluster simulator', () => {
  const fleet = new SimulatedFleet({ msPerReplica: 10, bookmarkIntervalMs: 50 });
  const gateway = new KubernetesClusterGateway({ resilience: { requestTimeoutMs: 2_000, retries: 2, initialBackoffMs: 10, maxBackoffMs: 50 } });
  let cluster: ClusterRef;
  let sim: SimulatedCluster;
  let dir: string;
  const ref: TrafficRouteRef = { application: 'checkout', namespace: 'shop', rolloutId: 'r-gw-1', servicePort: 80 };
  const route = () => sim.getObject('httproutes', 'shop', 'checkout') as Route | undefined;
  const weights = () => Object.fromEntries(route()!.spec.rules[0]!.backendRefs.map((b) => [b.name, b.weight]));

  const api = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${sim.token}`, ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    await fleet.addCluster('gw');
    await fleet.start();
    sim = fleet.cluster('gw');
    cluster = clusterRef(fleet, 'gw');
    await gateway.ensureNamespace(cluster, 'shop');
    dir = await mkdtemp(join(tmpdir(), 'circle-httproute-'));
  });

  afterAll(async () => {
    await gateway.close();
    await fleet.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('applies the route with both backends weighted, labelled like every circle object', async () => {
    const status = await gateway.setTrafficWeights(cluster, ref, { stable: 80, canary: 20 }, { name: 'public', namespace: 'infra' });
    expect(status).toMatchObject({ cluster: 'gw', namespace: 'shop', name: 'checkout', weights: { stable: 80, canary: 20 }, parentRef: { name: 'public', namespace: 'infra' }, rolloutId: 'r-gw-1' });
    const stored = route()!;
    expect(stored.metadata.labels).toMatchObject({ [CIRCLE_LABELS.managedBy]: 'circle', [CIRCLE_LABELS.application]: 'checkout', [CIRCLE_LABELS.rolloutId]: 'r-gw-1' });
    expect(stored.metadata.annotations).toMatchObject({ [CIRCLE_ANNOTATIONS.application]: 'checkout', [CIRCLE_ANNOTATIONS.rolloutId]: 'r-gw-1' });
    expect(stored.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'infra' }]);
    expect(stored.spec.rules[0]!.backendRefs).toEqual([
      { group: '', kind: 'Service', name: 'checkout-stable', port: 80, weight: 80 },
      { group: '', kind: 'Service', name: 'checkout-canary', port: 80, weight: 20 },
    ]);
    expect(stored.metadata.generation).toBe(1);
  });

  it('is idempotent, and moves the weights (all to stable included) without leaving anything behind', async () => {
    const before = route()!.metadata.resourceVersion;
    await gateway.setTrafficWeights(cluster, ref, { stable: 80, canary: 20 }, { name: 'public', namespace: 'infra' });
    expect(route()!.metadata.resourceVersion).toBe(before);

    await gateway.setTrafficWeights(cluster, ref, { stable: 50, canary: 50 }, { name: 'public', namespace: 'infra' });
    expect(weights()).toEqual({ 'checkout-stable': 50, 'checkout-canary': 50 });
    expect(route()!.metadata.generation).toBe(2);

    const cleared = await gateway.setTrafficWeights(cluster, ref, { stable: 100, canary: 0 }, { name: 'public' });
    expect(cleared.weights).toEqual({ stable: 100, canary: 0 });
    expect(weights()).toEqual({ 'checkout-stable': 100, 'checkout-canary': 0 });
    // The namespace the last apply dropped is gone too (server-side apply owns the list).
    expect(route()!.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }]);
  });

  it('refuses weights no rollout means, before calling the cluster', async () => {
    const requests = sim.stats.requests;
    for (const bad of [{ stable: 0, canary: 0 }, { stable: -1, canary: 101 }, { stable: 50.5, canary: 49.5 }]) {
      const error = await gateway.setTrafficWeights(cluster, ref, bad, { name: 'public' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterGatewayError);
      expect((error as ClusterGatewayError).code).toBe('CLUSTER_INVALID_REQUEST');
    }
    expect(sim.stats.requests).toBe(requests);
  });

  it('deletes the route, and deleting it again is fine', async () => {
    await gateway.deleteTrafficRoute(cluster, { application: 'checkout', namespace: 'shop' });
    expect(route()).toBeUndefined();
    await gateway.deleteTrafficRoute(cluster, { application: 'checkout', namespace: 'shop' });
  });

  it('serves HTTPRoutes with the same verbs as other resources: create, get, list, put, patch, watch, delete', async () => {
    const manifest = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web', labels: { app: 'web' } }, spec: { parentRefs: [{ name: 'public' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] } };
    const created = await api('POST', ROUTES, manifest);
    expect(created.status).toBe(201);
    expect(created.body.spec.rules[0].backendRefs[0]).toEqual({ group: '', kind: 'Service', name: 'web', port: 80, weight: 1 });
    expect((await api('POST', ROUTES, manifest)).body).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect((await api('GET', `${ROUTES}/web`)).body.metadata.name).toBe('web');
    expect((await api('GET', `${ROUTES}?labelSelector=app%3Dweb`)).body).toMatchObject({ kind: 'HTTPRouteList', apiVersion: 'gateway.networking.k8s.io/v1', items: [{ metadata: { name: 'web' } }] });
    expect((await api('GET', `/apis/gateway.networking.k8s.io/v1/httproutes`)).body.items.map((i: any) => i.metadata.name)).toContain('web');

    const invalid = await api('POST', ROUTES, { ...manifest, metadata: { name: 'bad' }, spec: { rules: [{ backendRefs: [{ name: 'web', weight: -5 }] }] } });
    expect(invalid.body).toMatchObject({ code: 422, reason: 'Invalid' });

    const stale = created.body;
    const put = await api('PUT', `${ROUTES}/web`, { ...stale, spec: { ...stale.spec, hostnames: ['shop.example'] } });
    expect(put.status).toBe(200);
    expect((await api('PUT', `${ROUTES}/web`, { ...stale, spec: { ...stale.spec, hostnames: ['other.example'] } })).body).toMatchObject({ code: 409, reason: 'Conflict' });

    const merged = await api('PATCH', `${ROUTES}/web`, { metadata: { labels: { tier: 'edge' } } }, 'application/merge-patch+json');
    expect(merged.body.metadata.labels).toEqual({ app: 'web', tier: 'edge' });
    // Custom resources have no strategic merge (a real API server says the same).
    expect((await api('PATCH', `${ROUTES}/web`, { metadata: { labels: { x: 'y' } } }, 'application/strategic-merge-patch+json')).status).toBe(415);

    // A watch from the list's resourceVersion sees the change and the deletion.
    const rv = (await api('GET', ROUTES)).body.metadata.resourceVersion;
    const controller = new AbortController();
    const response = await fetch(`${sim.url}${ROUTES}?watch=true&resourceVersion=${rv}`, { headers: { Authorization: `Bearer ${sim.token}` }, signal: controller.signal });
    const seen: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const event = JSON.parse(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          seen.push(`${event.type} ${event.object.metadata.name}`);
        }
        if (seen.length >= 2) return;
      }
    })().catch(() => undefined);
    await api('PATCH', `${ROUTES}/web`, [{ op: 'replace', path: '/spec/rules/0/backendRefs/0/weight', value: 7 }], 'application/json-patch+json');
    expect((await api('DELETE', `${ROUTES}/web`)).body).toMatchObject({ kind: 'Status', status: 'Success' });
    const deadline = Date.now() + 5_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await reading;
    expect(seen).toEqual(['MODIFIED web', 'DELETED web']);
    expect((await api('GET', `${ROUTES}/web`)).body).toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('kubectl finds httproutes through discovery and lists them', async () => {
    if (!existsSync(KUBECTL)) throw new Error(`kubectl is required for this test and was not found at ${KUBECTL} (set KUBECTL=/path/to/kubectl)`);
    // A TLS fleet of its own: kubectl never sends a bearer token to an http:// server.
    const tlsFleet = new SimulatedFleet({ msPerReplica: 10, tls: true });
    try {
      await tlsFleet.addCluster('gw-tls');
      await tlsFleet.start();
      const tlsCluster = clusterRef(tlsFleet, 'gw-tls');
      await gateway.ensureNamespace(tlsCluster, 'shop');
      await gateway.setTrafficWeights(tlsCluster, ref, { stable: 90, canary: 10 }, { name: 'public' });
      const kubeconfigPath = join(dir, 'gw-tls.yaml');
      await writeFile(kubeconfigPath, tlsFleet.kubeconfig('gw-tls'), { mode: 0o600 });
      const kubectl = async (...args: string[]) =>
        (await run(KUBECTL, ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'cache'), '--request-timeout=10s', ...args], { timeout: 20_000, env: { ...process.env, HOME: dir, KUBECONFIG: '' } })).stdout;
      expect(await kubectl('-n', 'shop', 'get', 'httproutes')).toMatch(/NAME\s+HOSTNAMES\s+AGE\s*\ncheckout\s+/);
      const weightsText = await kubectl('-n', 'shop', 'get', 'httproute.gateway.networking.k8s.io/checkout', '-o', 'jsonpath={.spec.rules[0].backendRefs[*].weight}');
      expect(weightsText).toBe('90 10');
    } finally {
      await tlsFleet.stop();
    }
  });
});
