import { API_GROUPS, RESOURCES, type ResourceDef } from './resources.js';

/**
 * Legacy (unaggregated) discovery documents. kubectl 1.32 asks for aggregated
 * discovery first, but accepts these when the response's Content-Type is plain
 * application/json, so one format is enough.
 */
export const SIMULATED_KUBE_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-circle-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(name: string) {
  const version = { groupVersion: `${name}/v1`, version: 'v1' };
  return { name, versions: [version], preferredVersion: version };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: API_GROUPS.map(groupDoc) };
}

/** The APIGroup document of a served group, or undefined for any other name. */
export function apiGroup(name: string): Record<string, unknown> | undefined {
  return (API_GROUPS as readonly string[]).includes(name) ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name) } : undefined;
}

const READ_ONLY = ['get', 'list', 'watch'];
const ALL_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function resourceEntries(def: ResourceDef): Record<string, unknown>[] {
  const main = {
    name: def.resource,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.placeholder ? READ_ONLY : ALL_VERBS,
    shortNames: def.shortNames,
    ...(def.categories.length ? { categories: def.categories } : {}),
  };
  const subs = def.subresources.map((sub) => ({
    name: `${def.resource}/${sub}`,
    singularName: '',
    namespaced: def.namespaced,
    ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { kind: def.kind }),
    verbs: ['get', 'patch', 'update'],
  }));
  return [main, ...subs];
}

/** The APIResourceList of `v1` or `<group>/v1`, or undefined for a group version not served. */
export function apiResourceList(groupVersion: string): Record<string, unknown> | undefined {
  const group = groupVersion === 'v1' ? '' : groupVersion.replace(/\/v1$/, '');
  if (group !== '' && (!(API_GROUPS as readonly string[]).includes(group) || groupVersion !== `${group}/v1`)) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: RESOURCES.filter((r) => r.group === group).flatMap(resourceEntries),
  };
}
