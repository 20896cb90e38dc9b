import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import YAML from 'yaml';
import { ApiError, badRequest, successStatus } from './api-error.js';
import { DeploymentController, type ControllerTiming } from './deployment-controller.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SIMULATED_KUBE_VERSION } from './discovery.js';
import { clone, isPlainObject, type KubeObject } from './json.js';
import { buildKubeconfig } from './kubeconfig.js';
import { ObjectStore, deliver, type Watcher, type WatchEventType } from './object-store.js';
import { applyJsonPatch, applyMergePatch, applyServerSideApply, applyStrategicMergePatch } from './patches.js';
import type { PodFault } from './pod-faults.js';
import { API_GROUPS, apiVersionOf, checkTypeMeta, findResource, toTable, type ApiGroupName, type ResourceDef } from './resources.js';
import { FieldSelector, LabelSelector } from './selectors.js';

export interface SimulatedClusterOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  /** Bearer token clients must present; random when omitted. */
  readonly token?: string;
  /** Per-cluster override of the fleet's msPerReplica. */
  readonly msPerReplica?: number;
  /** Events kept for watch resumption; older resourceVersions get 410 Expired (default 2000). */
  readonly watchHistory?: number;
  /** Told of every request as it arrives, before anything else happens to it (benchmarks time clients' calls with it). */
  readonly onRequest?: (method: string, path: string) => void;
}

/** TLS material of a cluster: its serving certificate and the CA that signs it and client certificates. */
export interface ClusterTls {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  /** Issues a client certificate (CN = user) that this cluster accepts. */
  issueClientCertificate(user: string): { certPem: string; keyPem: string };
}

export interface ClusterHooks {
  timing(): ControllerTiming;
  podFault(cluster: string, image: string): PodFault | undefined;
}

/** How an unreachable API server looks to clients. */
export type UnreachableMode =
  /** The port is closed: connection refused (a cluster that is down). */
  | 'refuse'
  /** Connections are accepted and never answered (a network black hole); clients must time out. */
  | 'hang';

interface InjectedFailure {
  status: number;
  remaining: number;
  retryAfterSeconds?: number;
  methods?: readonly string[];
}

interface WatchConnection {
  readonly res: ServerResponse;
  readonly watcher: Watcher;
  readonly bookmarks: boolean;
  readonly def: ResourceDef;
  lastRv: string;
}

export interface ClusterStats {
  requests: number;
  byStatus: Record<number, number>;
  watchesOpened: number;
}

const REASONS: Record<number, ApiError['reason']> = {
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

/**
 * One simulated Kubernetes API server: namespaces, apps/v1 Deployments, v1
 * Services and Gateway API HTTPRoutes over plain node:http, with real API semantics where clients depend on
 * them (resourceVersion conflicts, watch resume and bookmarks, Status errors, bearer
 * auth, discovery for kubectl), a simulated Deployment controller, and faults.
 */
export class SimulatedCluster {
  readonly store: ObjectStore;
  readonly controller: DeploymentController;
  readonly token: string;
  readonly stats: ClusterStats = { requests: 0, byStatus: {}, watchesOpened: 0 };
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<WatchConnection>();
  private boundPort: number;
  private readonly host: string;
  private latencyMs = 0;
  private failures: InjectedFailure[] = [];
  private unreachable: { mode: UnreachableMode; timer: NodeJS.Timeout | null } | null = null;
  private readonly onRequest: ((method: string, path: string) => void) | undefined;

  constructor(
    readonly name: string,
    private readonly hooks: ClusterHooks,
    options: SimulatedClusterOptions = {},
    private readonly tls: ClusterTls | null = null,
  ) {
    this.store = new ObjectStore(options.watchHistory);
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.boundPort = options.port ?? 0;
    this.host = options.host ?? '127.0.0.1';
    this.onRequest = options.onRequest;
    this.controller = new DeploymentController(
      this.store,
      () => {
        const t = this.hooks.timing();
        return options.msPerReplica === undefined ? t : { ...t, msPerReplica: options.msPerReplica };
      },
      (image) => this.hooks.podFault(this.name, image),
    );
    // Creating the default namespace like a fresh cluster has it.
    this.store.create(findResource('', 'namespaces')!, null, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://${this.host}:${this.boundPort}`;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /**
   * A kubeconfig (YAML) for this cluster. Authenticates with the bearer token, or
   * with a freshly issued client certificate (TLS clusters only).
   */
  kubeconfig(opts: { auth?: 'token' | 'client-certificate' } = {}): string {
    if (opts.auth === 'client-certificate') {
      if (!this.tls) throw new Error(`cluster "${this.name}" serves plain http: client certificates need a TLS fleet`);
      const client = this.tls.issueClientCertificate(`${this.name}-admin`);
      return buildKubeconfig({ name: this.name, server: this.url, caPem: this.tls.caPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem });
    }
    return buildKubeconfig({ name: this.name, server: this.url, token: this.token, ...(this.tls ? { caPem: this.tls.caPem } : {}) });
  }

  async start(): Promise<void> {
    if (this.server) return;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    // With TLS, client certificates are requested but not required: a request then
    // authenticates with either a bearer token or a certificate signed by the fleet CA.
    const server: Server = this.tls
      ? createTlsServer({ cert: this.tls.certPem, key: this.tls.keyPem, ca: this.tls.caPem, requestCert: true, rejectUnauthorized: false, keepAlive: true }, handler)
      : createServer({ keepAlive: true }, handler);
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    if (this.unreachable?.timer) clearTimeout(this.unreachable.timer);
    this.unreachable = null;
    await this.closeServer();
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const w of this.watches) this.endWatch(w);
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    server.closeAllConnections();
    await closed;
  }

  // ---- faults ---------------------------------------------------------------------

  /** Delays every API response by `ms` (0 restores normal speed). */
  setApiLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /**
   * Makes the API unreachable, for `forMs` or until restore(). 'refuse' closes the
   * port (connection refused), 'hang' accepts connections and never answers.
   */
  async makeUnreachable(opts: { forMs?: number; mode?: UnreachableMode } = {}): Promise<void> {
    const mode = opts.mode ?? 'refuse';
    if (this.unreachable?.timer) clearTimeout(this.unreachable.timer);
    this.unreachable = { mode, timer: null };
    for (const w of this.watches) this.endWatch(w);
    if (mode === 'refuse') await this.closeServer();
    if (opts.forMs !== undefined) {
      this.unreachable.timer = setTimeout(() => void this.restore(), opts.forMs);
      this.unreachable.timer.unref();
    }
  }

  /** Ends an unreachable period: the port listens again (same port) and requests are answered. */
  async restore(): Promise<void> {
    if (this.unreachable?.timer) clearTimeout(this.unreachable.timer);
    const was = this.unreachable;
    this.unreachable = null;
    if (was?.mode === 'hang') {
      for (const s of this.sockets) s.destroy();
    }
    if (!this.server) await this.start();
  }

  get isUnreachable(): boolean {
    return this.unreachable !== null;
  }

  /** Answers the next `count` requests (optionally only those with one of `methods`) with `status`. */
  failRequests(opts: { status: number; count: number; retryAfterSeconds?: number; methods?: readonly string[] }): void {
    this.failures.push({ status: opts.status, remaining: opts.count, ...(opts.retryAfterSeconds !== undefined ? { retryAfterSeconds: opts.retryAfterSeconds } : {}), ...(opts.methods ? { methods: opts.methods } : {}) });
  }

  /** Removes latency, injected failures and unreachability (image faults live on the fleet). */
  async clearFaults(): Promise<void> {
    this.latencyMs = 0;
    this.failures = [];
    if (this.unreachable) await this.restore();
  }

  // ---- inspection -----------------------------------------------------------------

  /** The stored object, as a client would GET it (a copy), or undefined. */
  getObject(resource: 'namespaces' | 'deployments' | 'services' | 'httproutes', namespace: string | null, name: string): KubeObject | undefined {
    const obj = this.store.find(resource, ObjectStore.key(namespace, name));
    return obj ? clone(obj) : undefined;
  }

  /** Pod counts the simulated controller holds for a Deployment. */
  pods(namespace: string, name: string): { ready: number; total: number; crashed: number } {
    return this.controller.pods(ObjectStore.key(namespace, name));
  }

  get openWatches(): number {
    return this.watches.size;
  }

  tick(now: number): void {
    if (this.controller.busy) this.controller.tick(now);
  }

  /** Sends a BOOKMARK (current resourceVersion) to every watch that asked for them. */
  sendBookmarks(): void {
    for (const w of this.watches) {
      if (!w.bookmarks) continue;
      const rv = this.store.resourceVersion;
      w.lastRv = rv;
      this.writeEvent(w.res, 'BOOKMARK', { kind: w.def.kind, apiVersion: apiVersionOf(w.def), metadata: { resourceVersion: rv } });
    }
  }

  // ---- HTTP -----------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    this.onRequest?.(req.method ?? 'GET', req.url ?? '/');
    res.on('finish', () => {
      this.stats.byStatus[res.statusCode] = (this.stats.byStatus[res.statusCode] ?? 0) + 1;
    });
    try {
      if (this.unreachable?.mode === 'hang') return; // never answered; the socket dies on restore()
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname === '/healthz' || url.pathname === '/livez' || url.pathname === '/readyz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
        return;
      }
      // Like a real cluster's system:public-info-viewer: the version is public (the
      // gcloud kubectl dispatcher asks for it without credentials to pick a kubectl).
      if (url.pathname === '/version' && req.method === 'GET') return sendJson(res, 200, SIMULATED_KUBE_VERSION);
      this.authenticate(req);
      const method = req.method ?? 'GET';
      const failure = this.failures.find((f) => f.remaining > 0 && (!f.methods || f.methods.includes(method)));
      if (failure) {
        failure.remaining--;
        this.failures = this.failures.filter((f) => f.remaining > 0);
        const err = new ApiError(failure.status, REASONS[failure.status] ?? 'InternalError', `simulated failure (${failure.status})`, failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : undefined);
        if (failure.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(failure.retryAfterSeconds));
        throw err;
      }
      const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
      await this.route(method, url, req, res, body);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `internal error: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) sendJson(res, err.code, err.toStatus());
      else res.end();
    }
  }

  private authenticate(req: IncomingMessage): void {
    const socket = req.socket as Partial<TLSSocket>;
    if (this.tls && socket.authorized === true && socket.getPeerCertificate?.()?.subject) return;
    const header = req.headers.authorization ?? '';
    const presented = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
    const expected = Buffer.from(this.token);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    }
  }

  private async route(method: string, url: URL, req: IncomingMessage, res: ServerResponse, body: string | undefined): Promise<void> {
    const segs = url.pathname.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    if (method === 'GET') {
      switch (url.pathname.replace(/\/$/, '')) {
        case '/version':
          return sendJson(res, 200, SIMULATED_KUBE_VERSION);
        case '/api':
          return sendJson(res, 200, apiVersions(`${this.host}:${this.boundPort}`));
        case '/apis':
          return sendJson(res, 200, apiGroupList());
        case '/api/v1':
          return sendJson(res, 200, apiResourceList('v1'));
      }
      // Group discovery: /apis/<group> and /apis/<group>/v1 for every served group.
      if (segs[0] === 'apis' && (segs.length === 2 || segs.length === 3)) {
        const doc = segs.length === 2 ? apiGroup(segs[1]!) : apiResourceList(`${segs[1]}/${segs[2]}`);
        if (doc) return sendJson(res, 200, doc);
      }
    }
    let group: ApiGroupName;
    let rest: string[];
    if (segs[0] === 'api' && segs[1] === 'v1') {
      group = '';
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && (API_GROUPS as readonly string[]).includes(segs[1] ?? '') && segs[2] === 'v1') {
      group = segs[1] as ApiGroupName;
      rest = segs.slice(3);
    } else {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    let namespace: string | null = null;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
      namespace = rest[1]!;
      rest = rest.slice(2);
    }
    const [resource, name, sub] = rest;
    const def = resource ? findResource(group, resource) : undefined;
    if (!def || rest.length > 3 || (namespace !== null && !def.namespaced) || (sub !== undefined && !def.subresources.includes(sub))) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (def.namespaced && name !== undefined && namespace === null) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const q = url.searchParams;

    if (name === undefined) {
      if (method === 'GET') {
        if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(def, namespace, q, res);
        return this.list(def, namespace, q, req, res);
      }
      if (method === 'POST') {
        if (def.placeholder) throw methodNotAllowed();
        if (def.namespaced && namespace === null) throw methodNotAllowed();
        const obj = parseBody(body, req);
        checkTypeMeta(def, obj);
        if (def.namespaced && obj.metadata.namespace && obj.metadata.namespace !== namespace) {
          throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
        }
        return sendJson(res, 201, this.store.create(def, namespace, obj));
      }
      throw methodNotAllowed();
    }
    if (def.placeholder) {
      if (method === 'GET') throw new ApiError(404, 'NotFound', `${def.resource} "${name}" not found`, { name, kind: def.resource });
      throw methodNotAllowed();
    }
    if (sub === 'scale') return this.scale(def, namespace, name, method, req, res, body);
    switch (method) {
      case 'GET': {
        const obj = this.store.get(def, namespace, name);
        if (wantsTable(req)) return sendJson(res, 200, toTable(def, [obj], obj.metadata.resourceVersion!, q.get('includeObject'), Date.now()));
        return sendJson(res, 200, obj);
      }
      case 'PUT': {
        const obj = parseBody(body, req);
        checkTypeMeta(def, obj);
        const updated = this.store.update(def, namespace, name, obj, sub === 'status' ? { subresource: 'status' } : {});
        return sendJson(res, 200, updated);
      }
      case 'PATCH':
        return this.patch(def, namespace, name, sub, q, req, res, body);
      case 'DELETE': {
        const old = this.store.delete(def, namespace, name);
        return sendJson(res, 200, successStatus({ name, group: def.group, kind: def.resource, uid: old.metadata.uid! }));
      }
      default:
        throw methodNotAllowed();
    }
  }

  private list(def: ResourceDef, namespace: string | null, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
    const items = def.placeholder ? [] : this.store.list(def, namespace, LabelSelector.parse(q.get('labelSelector')), FieldSelector.parse(q.get('fieldSelector')));
    const rv = this.store.resourceVersion;
    if (wantsTable(req)) return sendJson(res, 200, toTable(def, items, rv, q.get('includeObject'), Date.now()));
    sendJson(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: rv }, items });
  }

  private patch(def: ResourceDef, namespace: string | null, name: string, sub: string | undefined, q: URLSearchParams, req: IncomingMessage, res: ServerResponse, body: string | undefined): void {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!(PATCH_TYPES as readonly string[]).includes(contentType)) {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
    }
    // Custom resources (HTTPRoute) have no patch strategy metadata: a real API server refuses strategic merge for them.
    if (contentType === 'application/strategic-merge-patch+json' && def.group === 'gateway.networking.k8s.io') {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.filter((t) => !t.startsWith('application/strategic')).join(', ')}`);
    }
    const patch = parseBody(body, req, contentType === 'application/apply-patch+yaml');
    const key = ObjectStore.key(namespace, name);
    const existing = this.store.find(def.resource, key);
    if (contentType === 'application/apply-patch+yaml') {
      const manager = q.get('fieldManager');
      if (!manager) throw badRequest('PATCH, fieldManager is required for apply requests');
      checkTypeMeta(def, patch);
      if (!patch.apiVersion || !patch.kind) throw badRequest('apply configuration must set apiVersion and kind');
      if (patch.metadata.name !== undefined && patch.metadata.name !== name) throw badRequest(`the name of the object (${patch.metadata.name}) does not match the name on the URL (${name})`);
      let result: KubeObject;
      if (!existing) {
        result = this.store.create(def, namespace, { ...clone(patch), metadata: { ...patch.metadata, name } });
        res.statusCode = 201;
      } else {
        const merged = applyServerSideApply(existing, patch, this.store.appliedConfig(def.resource, key, manager)) as KubeObject;
        result = this.store.update(def, namespace, name, merged, sub === 'status' ? { subresource: 'status' } : {});
        res.statusCode = 200;
      }
      this.store.rememberAppliedConfig(def.resource, key, manager, patch);
      return sendJson(res, res.statusCode, result);
    }
    if (!existing) {
      this.store.get(def, namespace, name); // throws NotFound
      return;
    }
    let merged: unknown;
    if (contentType === 'application/json-patch+json') merged = applyJsonPatch(existing, patch);
    else if (contentType === 'application/merge-patch+json') merged = applyMergePatch(existing, patch);
    else merged = applyStrategicMergePatch(existing, patch);
    if (!isPlainObject(merged) || !isPlainObject(merged['metadata'])) throw badRequest('patch produced an invalid object');
    const updated = this.store.update(def, namespace, name, merged as KubeObject, sub === 'status' ? { subresource: 'status' } : {});
    sendJson(res, 200, updated);
  }

  /** The autoscaling/v1 Scale subresource of Deployments (kubectl scale uses it). */
  private scale(def: ResourceDef, namespace: string | null, name: string, method: string, req: IncomingMessage, res: ServerResponse, body: string | undefined): void {
    const toScale = (d: KubeObject) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace, uid: d.metadata.uid, resourceVersion: d.metadata.resourceVersion, creationTimestamp: d.metadata.creationTimestamp },
      spec: { replicas: d.spec.replicas },
      status: { replicas: d.status?.replicas ?? 0, selector: Object.entries(d.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
    });
    const d = this.store.get(def, namespace, name);
    if (method === 'GET') return sendJson(res, 200, toScale(d));
    if (method !== 'PUT' && method !== 'PATCH') throw methodNotAllowed();
    const input = parseBody(body, req);
    let next: unknown;
    if (method === 'PUT') next = input;
    else {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (contentType === 'application/json-patch+json') next = applyJsonPatch(toScale(d), input);
      else next = applyMergePatch(toScale(d), input);
    }
    const replicas = (next as { spec?: { replicas?: unknown } }).spec?.replicas;
    if (!Number.isInteger(replicas) || (replicas as number) < 0) throw badRequest('spec.replicas must be a non-negative integer');
    const rv = (next as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    const updated = this.store.update(def, namespace, name, { ...clone(d), metadata: { ...clone(d.metadata), ...(rv !== undefined ? { resourceVersion: rv } : {}) }, spec: { ...clone(d.spec), replicas } });
    sendJson(res, 200, toScale(updated));
  }

  /**
   * Watch: without a resourceVersion (or "0") the current objects arrive first as
   * ADDED; with one, the events after it are replayed from history, or an ERROR event
   * with 410 Expired tells the client to re-list. BOOKMARKs carry the latest
   * resourceVersion when asked for (allowWatchBookmarks=true).
   */
  private watch(def: ResourceDef, namespace: string | null, q: URLSearchParams, res: ServerResponse): void {
    this.stats.watchesOpened++;
    const labels = LabelSelector.parse(q.get('labelSelector'));
    const fields = FieldSelector.parse(q.get('fieldSelector'));
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const rvParam = q.get('resourceVersion') ?? '';
    const sendInitial = q.get('sendInitialEvents') === 'true';
    let since: number | null = null;
    if (rvParam !== '' && rvParam !== '0' && !sendInitial) {
      since = Number(rvParam);
      if (!Number.isInteger(since) || since < 0) throw badRequest(`invalid resource version "${rvParam}"`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const conn: WatchConnection = {
      res,
      def,
      bookmarks,
      lastRv: this.store.resourceVersion,
      watcher: {
        resource: def.resource,
        namespace,
        labels,
        fields,
        send: (type: WatchEventType, object: KubeObject) => {
          conn.lastRv = object.metadata.resourceVersion ?? conn.lastRv;
          this.writeEvent(res, type, object);
        },
      },
    };
    if (since !== null) {
      if (since < this.store.oldestResumable) {
        const gone = new ApiError(410, 'Expired', `too old resource version: ${since} (${this.store.oldestResumable})`);
        this.writeEvent(res, 'ERROR', gone.toStatus());
        res.end();
        return;
      }
      for (const e of this.store.eventsSince(since)) deliver(conn.watcher, e);
    } else if (!def.placeholder) {
      for (const obj of this.store.list(def, namespace, labels, fields)) conn.watcher.send('ADDED', obj);
      if (sendInitial && bookmarks) {
        this.writeEvent(res, 'BOOKMARK', { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: this.store.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } } });
      }
    }
    this.watches.add(conn);
    if (!def.placeholder) this.store.addWatcher(conn.watcher);
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '0');
    const timer = timeoutSeconds > 0 ? setTimeout(() => this.endWatch(conn), timeoutSeconds * 1000) : null;
    timer?.unref();
    // On Node 20 the request's 'close' fires once its body is read; the response's
    // 'close' is what tells a dropped watch.
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      this.store.removeWatcher(conn.watcher);
      this.watches.delete(conn);
    });
  }

  private endWatch(conn: WatchConnection): void {
    this.store.removeWatcher(conn.watcher);
    this.watches.delete(conn);
    conn.res.end();
  }

  private writeEvent(res: ServerResponse, type: string, object: unknown): void {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  }
}

function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 3 * 1024 * 1024) throw new ApiError(413, 'BadRequest', 'request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON, or YAML when the content type says so (kubectl's server-side apply sends YAML). */
function parseBody(body: string | undefined, req: IncomingMessage, yamlAllowed = false): any {
  if (!body) throw badRequest('the request body is empty');
  const contentType = req.headers['content-type'] ?? '';
  if (/protobuf|cbor/.test(contentType)) {
    throw new ApiError(415, 'UnsupportedMediaType', `the simulator reads JSON and YAML bodies only, not ${contentType} (kubectl apply/create -f send JSON; typed commands like "kubectl create deployment" send protobuf)`);
  }
  try {
    if (yamlAllowed || /yaml/.test(contentType)) return YAML.parse(body);
    return JSON.parse(body);
  } catch (e) {
    throw badRequest(`could not parse the request body: ${e instanceof Error ? e.message : String(e)}`);
  }
}
