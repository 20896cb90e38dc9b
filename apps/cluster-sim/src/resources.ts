import { badRequest, invalid } from './api-error.js';
import { clone, deepEqual, isPlainObject, type KubeObject } from './json.js';
import { LabelSelector } from './selectors.js';

/** The API groups served; '' is the core group under /api/v1. */
export type ApiGroupName = '' | 'apps' | 'gateway.networking.k8s.io';
export const API_GROUPS: readonly Exclude<ApiGroupName, ''>[] = ['apps', 'gateway.networking.k8s.io'];

/** One served resource type, as listed by discovery and routed by the HTTP layer. */
export interface ResourceDef {
  readonly resource: string;
  readonly singular: string;
  readonly group: ApiGroupName;
  readonly version: 'v1';
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Served read-only and always empty: only there so kubectl describe finds what it asks for. */
  readonly placeholder: boolean;
  readonly subresources: readonly string[];
}

export const RESOURCES: readonly ResourceDef[] = [
  { resource: 'namespaces', singular: 'namespace', group: '', version: 'v1', kind: 'Namespace', namespaced: false, shortNames: ['ns'], categories: [], placeholder: false, subresources: ['status'] },
  { resource: 'services', singular: 'service', group: '', version: 'v1', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], placeholder: false, subresources: ['status'] },
  { resource: 'pods', singular: 'pod', group: '', version: 'v1', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], placeholder: true, subresources: [] },
  { resource: 'events', singular: 'event', group: '', version: 'v1', kind: 'Event', namespaced: true, shortNames: ['ev'], categories: [], placeholder: true, subresources: [] },
  { resource: 'deployments', singular: 'deployment', group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], placeholder: false, subresources: ['status', 'scale'] },
  { resource: 'replicasets', singular: 'replicaset', group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], placeholder: true, subresources: [] },
  // On a real cluster a CRD of the Gateway API install; here it is simply stored (no
  // gateway controller acts on it), which is all circle needs to set weights.
  { resource: 'httproutes', singular: 'httproute', group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute', namespaced: true, shortNames: [], categories: ['gateway-api'], placeholder: false, subresources: ['status'] },
];

/** Resources whose metadata.generation counts spec changes (Deployments, and custom resources like HTTPRoute). */
export function tracksGeneration(def: ResourceDef): boolean {
  return def.resource === 'deployments' || def.resource === 'httproutes';
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function findResource(group: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.resource === resource);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkName(def: ResourceDef, name: string): void {
  const label = def.resource === 'namespaces' || def.resource === 'services';
  const ok = label ? name.length <= 63 && DNS_LABEL.test(name) : name.length <= 253 && DNS_SUBDOMAIN.test(name);
  if (!ok) {
    throw invalid(def.kind, def.group, name, [
      { field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.'` },
    ]);
  }
}

function checkStringMap(def: ResourceDef, name: string, field: string, value: unknown): void {
  if (value === undefined) return;
  if (!isPlainObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalid(def.kind, def.group, name, [{ field, message: 'must be a map of string to string' }]);
  }
}

/** Fills the defaults the real API server would (only those visible in the fields in use). */
export function applyDefaults(def: ResourceDef, obj: KubeObject): void {
  switch (def.resource) {
    case 'namespaces':
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      obj.status = { phase: 'Active' };
      break;
    case 'deployments': {
      const spec = obj.spec;
      spec.replicas ??= 1;
      spec.strategy ??= { type: 'RollingUpdate' };
      if (spec.strategy.type === 'RollingUpdate') spec.strategy.rollingUpdate = { maxSurge: '25%', maxUnavailable: '25%', ...(spec.strategy.rollingUpdate ?? {}) };
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      const podSpec = spec.template.spec;
      podSpec.restartPolicy ??= 'Always';
      podSpec.terminationGracePeriodSeconds ??= 30;
      podSpec.dnsPolicy ??= 'ClusterFirst';
      podSpec.schedulerName ??= 'default-scheduler';
      podSpec.securityContext ??= {};
      for (const c of podSpec.containers as Record<string, any>[]) {
        const tag = String(c['image']).split('/').pop()!.split(':')[1];
        c['imagePullPolicy'] ??= !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
        c['terminationMessagePath'] ??= '/dev/termination-log';
        c['terminationMessagePolicy'] ??= 'File';
        c['resources'] ??= {};
        for (const p of (c['ports'] ?? []) as Record<string, unknown>[]) p['protocol'] ??= 'TCP';
      }
      break;
    }
    case 'services': {
      const spec = obj.spec;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
      for (const p of (spec.ports ?? []) as Record<string, unknown>[]) {
        p['protocol'] ??= 'TCP';
        p['targetPort'] ??= p['port'];
      }
      obj.status ??= { loadBalancer: {} };
      break;
    }
    case 'httproutes':
      obj.spec ??= {};
      httpRouteDefaults(obj.spec);
      break;
  }
}

/** Rejects what the real API server would reject (for the fields in use) with 422 Invalid. */
export function validate(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined): void {
  const name = obj.metadata?.name;
  if (typeof name !== 'string' || !name) throw invalid(def.kind, def.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
  checkName(def, name);
  checkStringMap(def, name, 'metadata.labels', obj.metadata.labels);
  checkStringMap(def, name, 'metadata.annotations', obj.metadata.annotations);
  if (def.resource === 'deployments') {
    const spec = obj.spec;
    if (!isPlainObject(spec)) throw invalid(def.kind, def.group, name, [{ field: 'spec', message: 'Required value' }]);
    const matchLabels = (spec as any).selector?.matchLabels;
    if (!isPlainObject(matchLabels) || Object.keys(matchLabels).length === 0) {
      throw invalid(def.kind, def.group, name, [{ field: 'spec.selector', message: 'Invalid value: empty selector is invalid for deployment' }]);
    }
    const templateLabels = (spec as any).template?.metadata?.labels;
    if (!LabelSelector.fromMatchLabels(matchLabels as Record<string, string>).matches(templateLabels)) {
      throw invalid(def.kind, def.group, name, [{ field: 'spec.template.metadata.labels', message: '`selector` does not match template `labels`' }]);
    }
    const containers = (spec as any).template?.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      throw invalid(def.kind, def.group, name, [{ field: 'spec.template.spec.containers', message: 'Required value' }]);
    }
    for (const [i, c] of containers.entries()) {
      if (!isPlainObject(c) || typeof c['name'] !== 'string' || typeof c['image'] !== 'string' || !c['image']) {
        throw invalid(def.kind, def.group, name, [{ field: `spec.template.spec.containers[${i}]`, message: 'Required value: name and image are required' }]);
      }
    }
    const replicas = (spec as any).replicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
      throw invalid(def.kind, def.group, name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    if (old && !deepEqual(old.spec?.selector, (spec as any).selector)) {
      throw invalid(def.kind, def.group, name, [{ field: 'spec.selector', message: 'Invalid value: field is immutable' }]);
    }
  }
  if (def.resource === 'httproutes') validateHttpRoute(def, name, obj.spec);
  if (def.resource === 'services') {
    const ports = obj.spec?.ports;
    if (!Array.isArray(ports) || ports.length === 0) throw invalid(def.kind, def.group, name, [{ field: 'spec.ports', message: 'Required value' }]);
    for (const [i, p] of ports.entries()) {
      if (!isPlainObject(p) || !Number.isInteger(p['port'])) throw invalid(def.kind, def.group, name, [{ field: `spec.ports[${i}].port`, message: 'Required value' }]);
    }
    checkStringMap(def, name, 'spec.selector', obj.spec?.selector);
  }
}

/** The parts of the HTTPRoute schema circle relies on: parentRefs and backendRefs with names and weights. */
function validateHttpRoute(def: ResourceDef, name: string, spec: unknown): void {
  const fail = (field: string, message: string): never => {
    throw invalid(def.kind, def.group, name, [{ field, message }]);
  };
  if (spec === undefined) return;
  if (!isPlainObject(spec)) return fail('spec', 'must be an object');
  const parentRefs = spec['parentRefs'];
  if (parentRefs !== undefined) {
    if (!Array.isArray(parentRefs) || parentRefs.length > 32) fail('spec.parentRefs', 'must be a list of at most 32 items');
    for (const [i, ref] of (parentRefs as unknown[]).entries()) {
      if (!isPlainObject(ref) || typeof ref['name'] !== 'string' || !ref['name']) fail(`spec.parentRefs[${i}].name`, 'Required value');
    }
  }
  const rules = spec['rules'];
  if (rules === undefined) return;
  if (!Array.isArray(rules) || rules.length > 16) return fail('spec.rules', 'must be a list of at most 16 items');
  for (const [i, rule] of rules.entries()) {
    if (!isPlainObject(rule)) return fail(`spec.rules[${i}]`, 'must be an object');
    const backendRefs = rule['backendRefs'];
    if (backendRefs === undefined) continue;
    if (!Array.isArray(backendRefs) || backendRefs.length > 16) return fail(`spec.rules[${i}].backendRefs`, 'must be a list of at most 16 items');
    for (const [j, ref] of backendRefs.entries()) {
      const at = `spec.rules[${i}].backendRefs[${j}]`;
      if (!isPlainObject(ref) || typeof ref['name'] !== 'string' || !ref['name']) return fail(`${at}.name`, 'Required value');
      const weight = ref['weight'];
      if (weight !== undefined && (!Number.isInteger(weight) || (weight as number) < 0 || (weight as number) > 1_000_000)) {
        fail(`${at}.weight`, `Invalid value: ${JSON.stringify(weight)}: must be an integer between 0 and 1000000`);
      }
    }
  }
}

/** Fills the HTTPRoute defaults of the Gateway API CRD schema that show in circle's fields. */
function httpRouteDefaults(spec: Record<string, any>): void {
  for (const rule of (spec['rules'] ?? []) as Record<string, any>[]) {
    rule['matches'] ??= [{ path: { type: 'PathPrefix', value: '/' } }];
    for (const ref of (rule['backendRefs'] ?? []) as Record<string, any>[]) {
      ref['group'] ??= '';
      ref['kind'] ??= 'Service';
      ref['weight'] ??= 1;
    }
  }
  for (const ref of (spec['parentRefs'] ?? []) as Record<string, any>[]) {
    ref['group'] ??= 'gateway.networking.k8s.io';
    ref['kind'] ??= 'Gateway';
  }
}

/** Checks apiVersion/kind of a request body against the URL's resource. */
export function checkTypeMeta(def: ResourceDef, body: unknown): asserts body is KubeObject {
  if (!isPlainObject(body)) throw badRequest('the request body must be a JSON or YAML object');
  if (body['kind'] !== undefined && body['kind'] !== def.kind) throw badRequest(`the API version in the data (${String(body['apiVersion'])}) does not match the expected API version (${apiVersionOf(def)}) or kind ${String(body['kind'])} is not ${def.kind}`);
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== apiVersionOf(def)) throw badRequest(`the API version in the data (${String(body['apiVersion'])}) does not match the expected API version (${apiVersionOf(def)})`);
  if (!isPlainObject(body['metadata'])) body['metadata'] = {};
}

/** Human age like kubectl prints it: 42s, 3m12s, 5h, 2d. */
export function age(created: string | undefined, now: number): string {
  if (!created) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 3 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell: (obj: KubeObject, now: number) => string | number;
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, cell: (o) => o.metadata.name };
const AGE: Column = { name: 'Age', type: 'string', format: '', description: 'Time since creation.', priority: 0, cell: (o, now) => age(o.metadata.creationTimestamp, now) };

function selectorText(sel: Record<string, string> | undefined): string {
  return sel && Object.keys(sel).length ? Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

const COLUMNS: Record<string, Column[]> = {
  namespaces: [NAME, { name: 'Status', type: 'string', format: '', description: 'Namespace phase.', priority: 0, cell: (o) => o.status?.phase ?? 'Active' }, AGE],
  deployments: [
    NAME,
    { name: 'Ready', type: 'string', format: '', description: 'Number of ready replicas / desired.', priority: 0, cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}` },
    { name: 'Up-to-date', type: 'integer', format: '', description: 'Total number of non-terminated pods with the desired template.', priority: 0, cell: (o) => o.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', format: '', description: 'Total number of available pods.', priority: 0, cell: (o) => o.status?.availableReplicas ?? 0 },
    AGE,
    { name: 'Containers', type: 'string', format: '', description: 'Names of each container in the template.', priority: 1, cell: (o) => (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.name).join(',') },
    { name: 'Images', type: 'string', format: '', description: 'Images referenced by each container in the template.', priority: 1, cell: (o) => (o.spec?.template?.spec?.containers ?? []).map((c: any) => c.image).join(',') },
    { name: 'Selector', type: 'string', format: '', description: 'Label selector for pods.', priority: 1, cell: (o) => selectorText(o.spec?.selector?.matchLabels) },
  ],
  services: [
    NAME,
    { name: 'Type', type: 'string', format: '', description: 'Service type.', priority: 0, cell: (o) => o.spec?.type ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', format: '', description: 'Cluster IP.', priority: 0, cell: (o) => o.spec?.clusterIP ?? '<none>' },
    { name: 'External-IP', type: 'string', format: '', description: 'External IPs.', priority: 0, cell: () => '<none>' },
    { name: 'Port(s)', type: 'string', format: '', description: 'Ports.', priority: 0, cell: (o) => (o.spec?.ports ?? []).map((p: any) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') },
    AGE,
    { name: 'Selector', type: 'string', format: '', description: 'Label selector.', priority: 1, cell: (o) => selectorText(o.spec?.selector) },
  ],
  // The printer columns of the Gateway API CRD.
  httproutes: [NAME, { name: 'Hostnames', type: 'string', format: '', description: 'Hostnames of the route.', priority: 0, cell: (o) => (o.spec?.hostnames ?? []).join(',') }, AGE],
};

/**
 * Server-side printing: kubectl get asks for `as=Table` and prints the columns the
 * server chose. Rows carry the object's metadata (PartialObjectMetadata) unless the
 * client asked for the whole object or none.
 */
export function toTable(def: ResourceDef, objects: KubeObject[], resourceVersion: string, includeObject: string | null, now: number): Record<string, unknown> {
  const columns = COLUMNS[def.resource] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map(({ cell: _cell, ...c }) => c),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? clone(o)
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: clone(o.metadata) },
    })),
  };
}
