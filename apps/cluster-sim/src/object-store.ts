import { randomUUID } from 'node:crypto';
import { ApiError, alreadyExists, conflict, notFound } from './api-error.js';
import { clone, deepEqual, type KubeObject } from './json.js';
import { applyDefaults, apiVersionOf, tracksGeneration, validate, type ResourceDef } from './resources.js';
import type { FieldSelector, LabelSelector } from './selectors.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  readonly rv: number;
  readonly type: WatchEventType;
  readonly resource: string;
  readonly object: KubeObject;
  /** The object before this change (MODIFIED only), to turn selector transitions into ADDED/DELETED. */
  readonly previous?: KubeObject;
}

export interface Watcher {
  readonly resource: string;
  readonly namespace: string | null;
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  send(type: WatchEventType, object: KubeObject): void;
}

/** How many past events a cluster keeps, by default, for watches resuming from a resourceVersion. */
export const DEFAULT_WATCH_HISTORY = 2000;

/**
 * The state of one simulated cluster, like etcd behind one API server: a single
 * resourceVersion counter across all objects, bumped on every real change (a write
 * that changes nothing keeps the old resourceVersion and emits no event), plus a
 * bounded history so a watch can resume where a list or an earlier watch left off.
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly appliedConfigs = new Map<string, unknown>();
  private rv = 1;
  private nextClusterIp = 10;
  /** Called after every committed change to a Deployment's spec or existence. */
  onDeploymentChange: (key: string) => void = () => {};

  constructor(private readonly historySize = DEFAULT_WATCH_HISTORY) {}

  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Oldest resourceVersion a watch can still resume from. */
  get oldestResumable(): number {
    return this.history.length ? this.history[0]!.rv - 1 : this.rv;
  }

  static key(namespace: string | null | undefined, name: string): string {
    return namespace ? `${namespace}/${name}` : name;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map()));
    return b;
  }

  get(def: ResourceDef, namespace: string | null, name: string): KubeObject {
    const obj = this.bucket(def.resource).get(ObjectStore.key(namespace, name));
    if (!obj) throw notFound(def.resource, def.group, name);
    return obj;
  }

  find(resource: string, key: string): KubeObject | undefined {
    return this.bucket(resource).get(key);
  }

  list(def: ResourceDef, namespace: string | null, labels: LabelSelector, fields: FieldSelector): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of this.bucket(def.resource).values()) {
      if (namespace && obj.metadata.namespace !== namespace) continue;
      if (labels.matches(obj.metadata.labels) && fields.matches(obj)) out.push(obj);
    }
    return out.sort((a, b) => ObjectStore.key(a.metadata.namespace, a.metadata.name).localeCompare(ObjectStore.key(b.metadata.namespace, b.metadata.name)));
  }

  all(resource: string): IterableIterator<KubeObject> {
    return this.bucket(resource).values();
  }

  requireNamespace(namespace: string): void {
    if (!this.bucket('namespaces').has(namespace)) throw notFound('namespaces', '', namespace);
  }

  create(def: ResourceDef, namespace: string | null, input: KubeObject): KubeObject {
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    if (!obj.metadata.name && typeof obj.metadata['generateName'] === 'string') {
      obj.metadata.name = `${obj.metadata['generateName']}${randomUUID().slice(0, 5)}`;
    }
    if (def.namespaced) {
      obj.metadata.namespace = namespace!;
      this.requireNamespace(namespace!);
    } else delete obj.metadata.namespace;
    validate(def, obj, undefined);
    const key = ObjectStore.key(namespace, obj.metadata.name);
    if (this.bucket(def.resource).has(key)) throw alreadyExists(def.resource, def.group, obj.metadata.name);
    delete obj.status;
    applyDefaults(def, obj);
    if (def.resource === 'services' && !obj.spec.clusterIP) obj.spec.clusterIP = this.allocateClusterIp();
    if (def.resource === 'services') obj.spec.clusterIPs = [obj.spec.clusterIP];
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (tracksGeneration(def)) obj.metadata.generation = 1;
    if (def.resource === 'deployments') obj.status = {};
    delete obj.metadata.resourceVersion;
    this.commit(def, key, 'ADDED', obj, undefined);
    return obj;
  }

  /**
   * Replaces an object with `next` (already merged by the caller for PATCH/apply).
   * A resourceVersion in `next` is a precondition: stale means 409 Conflict. Fields
   * the server owns (uid, creationTimestamp, generation, status) carry over.
   */
  update(def: ResourceDef, namespace: string | null, name: string, input: KubeObject, opts: { subresource?: 'status' } = {}): KubeObject {
    const key = ObjectStore.key(namespace, name);
    const old = this.bucket(def.resource).get(key);
    if (!old) throw notFound(def.resource, def.group, name);
    const next = clone(input);
    if (next.metadata?.name !== undefined && next.metadata.name !== name) {
      throw new ApiError(400, 'BadRequest', `the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    }
    const precondition = next.metadata?.resourceVersion;
    if (precondition !== undefined && precondition !== '' && precondition !== old.metadata.resourceVersion) {
      throw conflict(def.resource, def.group, name);
    }
    let candidate: KubeObject;
    if (opts.subresource === 'status') {
      candidate = { ...clone(old), status: next.status };
    } else {
      candidate = next;
      candidate.apiVersion = apiVersionOf(def);
      candidate.kind = def.kind;
      candidate.metadata = { ...next.metadata, name, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp };
      if (def.namespaced) candidate.metadata.namespace = namespace!;
      else delete candidate.metadata.namespace;
      candidate.status = clone(old.status);
      validate(def, candidate, old);
      applyDefaults(def, candidate);
      if (def.resource === 'services') {
        candidate.spec.clusterIP ??= old.spec.clusterIP;
        candidate.spec.clusterIPs = [candidate.spec.clusterIP];
      }
      if (tracksGeneration(def)) {
        // generation counts spec changes only: metadata-only writes (a new revision
        // annotation) and identical re-applies leave it, as the real API server does.
        const specChanged = !deepEqual(old.spec, candidate.spec);
        candidate.metadata.generation = (old.metadata.generation ?? 1) + (specChanged ? 1 : 0);
      }
    }
    candidate.metadata.resourceVersion = old.metadata.resourceVersion!;
    if (deepEqual(old, candidate)) return old;
    this.commit(def, key, 'MODIFIED', candidate, old);
    return candidate;
  }

  delete(def: ResourceDef, namespace: string | null, name: string): KubeObject {
    const key = ObjectStore.key(namespace, name);
    const old = this.bucket(def.resource).get(key);
    if (!old) throw notFound(def.resource, def.group, name);
    if (def.resource === 'namespaces') {
      // Namespace deletion takes its content along (the real one finalizes asynchronously).
      for (const [resource, bucket] of this.objects) {
        for (const [k, obj] of bucket) {
          if (obj.metadata.namespace === name) this.removeKey(resource, k, obj);
        }
      }
    }
    this.removeKey(def.resource, key, old);
    return old;
  }

  private removeKey(resource: string, key: string, old: KubeObject): void {
    const bucket = this.bucket(resource);
    bucket.delete(key);
    for (const k of this.appliedConfigs.keys()) if (k.startsWith(`${resource}|${key}|`)) this.appliedConfigs.delete(k);
    const gone = clone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, type: 'DELETED', resource, object: gone });
    if (resource === 'deployments') this.onDeploymentChange(key);
  }

  private commit(def: ResourceDef, key: string, type: WatchEventType, obj: KubeObject, previous: KubeObject | undefined): void {
    obj.metadata.resourceVersion = String(++this.rv);
    this.bucket(def.resource).set(key, obj);
    this.record(previous ? { rv: this.rv, type, resource: def.resource, object: obj, previous } : { rv: this.rv, type, resource: def.resource, object: obj });
    if (def.resource === 'deployments' && (!previous || !deepEqual(previous.spec, obj.spec))) this.onDeploymentChange(key);
  }

  /** Last configuration a field manager applied to an object (server-side apply bookkeeping). */
  appliedConfig(resource: string, key: string, manager: string): unknown {
    return this.appliedConfigs.get(`${resource}|${key}|${manager}`);
  }

  rememberAppliedConfig(resource: string, key: string, manager: string, config: unknown): void {
    this.appliedConfigs.set(`${resource}|${key}|${manager}`, clone(config));
  }

  private allocateClusterIp(): string {
    const n = this.nextClusterIp++;
    return `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  }

  private record(event: StoredEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    for (const w of this.watchers) deliver(w, event);
  }

  /** Events after `rv`, for a watch resuming from a resourceVersion. */
  eventsSince(rv: number): StoredEvent[] {
    const start = this.history.findIndex((e) => e.rv > rv);
    return start < 0 ? [] : this.history.slice(start);
  }

  addWatcher(w: Watcher): void {
    this.watchers.add(w);
  }

  removeWatcher(w: Watcher): void {
    this.watchers.delete(w);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }
}

/**
 * Delivers an event to a watcher the way a filtered watch sees it: an object that
 * starts matching the selector arrives as ADDED, one that stops matching as DELETED.
 */
export function deliver(w: Watcher, e: StoredEvent): void {
  if (e.resource !== w.resource) return;
  if (w.namespace && e.object.metadata.namespace !== w.namespace) return;
  const matches = (o: KubeObject) => w.labels.matches(o.metadata.labels) && w.fields.matches(o);
  const now = matches(e.object);
  if (e.type === 'MODIFIED' && e.previous) {
    const before = matches(e.previous);
    if (now && before) w.send('MODIFIED', e.object);
    else if (now) w.send('ADDED', e.object);
    else if (before) w.send('DELETED', e.object);
    return;
  }
  if (now) w.send(e.type, e.object);
}
