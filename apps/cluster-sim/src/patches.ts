import { ApiError, badRequest } from './api-error.js';
import { clone, deepEqual, isPlainObject } from './json.js';

/** RFC 6902 JSON patch. A failed `test` op is a 422 like the real API server. */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isPlainObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw badRequest('invalid json patch operation');
    }
    const op = raw['op'];
    const path = raw['path'];
    switch (op) {
      case 'add':
        doc = setPointer(doc, path, clone(raw['value']), 'add');
        break;
      case 'replace':
        getPointer(doc, path);
        doc = setPointer(doc, path, clone(raw['value']), 'replace');
        break;
      case 'remove':
        doc = removePointer(doc, path);
        break;
      case 'test':
        if (!deepEqual(getPointer(doc, path), raw['value'])) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: test operation failed at ${path}`);
        }
        break;
      case 'move': {
        const from = String(raw['from']);
        const value = getPointer(doc, from);
        doc = removePointer(doc, from);
        doc = setPointer(doc, path, value, 'add');
        break;
      }
      case 'copy':
        doc = setPointer(doc, path, clone(getPointer(doc, String(raw['from']))), 'add');
        break;
      default:
        throw badRequest(`unknown json patch operation "${op}"`);
    }
  }
  return doc;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid json pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getPointer(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const token of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(token)];
    else if (isPlainObject(cur)) cur = cur[token];
    else cur = undefined;
    if (cur === undefined) throw new ApiError(422, 'Invalid', `json patch: path ${path} does not exist`);
  }
  return cur;
}

function setPointer(doc: unknown, path: string, value: unknown, mode: 'add' | 'replace'): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = getPointer(doc, '/' + tokens.slice(0, -1).map(escapeToken).join('/').replace(/^\/$/, '')) as unknown;
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw new ApiError(422, 'Invalid', `json patch: bad array index in ${path}`);
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (isPlainObject(parent)) {
    parent[last] = value;
  } else {
    throw new ApiError(422, 'Invalid', `json patch: cannot set ${path}`);
  }
  return doc;
}

function removePointer(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  getPointer(doc, path);
  const parent = getPointer(doc, tokens.length > 1 ? '/' + tokens.slice(0, -1).map(escapeToken).join('/') : '');
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isPlainObject(parent)) delete parent[last];
  return doc;
}

function escapeToken(t: string): string {
  return t.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** RFC 7386 JSON merge patch: objects merge, null deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * Merge keys of the lists circle and kubectl touch, by field name, as in the
 * Kubernetes API's `x-kubernetes-patch-merge-key`. A list not named here is
 * replaced whole (atomic), like most lists in the real API. `ports` depends on
 * where it sits: container ports merge by containerPort, Service ports by port.
 */
function mergeKeyFor(field: string, items: unknown[]): string | null {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'conditions':
      return 'type';
    case 'ports': {
      const first = items.find(isPlainObject);
      if (first && 'containerPort' in first) return 'containerPort';
      return 'port';
    }
    default:
      return null;
  }
}

/**
 * Strategic merge patch, for the fields in use: maps merge recursively, `null`
 * deletes a key, keyed lists (see mergeKeyFor) merge item by item and honour
 * `$patch: delete` on an item, other lists are replaced.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return clone(rest);
  }
  const result: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const existing = result[key];
    if (Array.isArray(value)) {
      const mergeKey = mergeKeyFor(key, [...value, ...(Array.isArray(existing) ? existing : [])]);
      result[key] = mergeKey && Array.isArray(existing) ? mergeKeyedList(existing, value, mergeKey) : clone(value).filter((v: unknown) => !(isPlainObject(v) && v['$patch'] === 'delete'));
    } else if (isPlainObject(value)) {
      result[key] = applyStrategicMergePatch(existing, value);
    } else {
      result[key] = value;
    }
  }
  return result;
}

function mergeKeyedList(existing: unknown[], patch: unknown[], mergeKey: string): unknown[] {
  const result = clone(existing);
  for (const item of patch) {
    if (!isPlainObject(item)) {
      result.push(clone(item));
      continue;
    }
    const index = result.findIndex((e) => isPlainObject(e) && e[mergeKey] === item[mergeKey]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) {
      result[index] = applyStrategicMergePatch(result[index], item);
    } else {
      result.push(applyStrategicMergePatch({}, item));
    }
  }
  return result;
}

/**
 * Server-side apply for a single field manager, simplified: the applied
 * configuration is merged into the live object like a strategic merge patch, and
 * whatever this manager applied last time but left out now is removed (so dropping
 * a label from the config drops it from the object). Field ownership across
 * several managers, and thus apply conflicts, are not modelled: `force` is implied.
 */
export function applyServerSideApply(live: unknown, applied: Record<string, unknown>, previouslyApplied: unknown): unknown {
  const pruned = previouslyApplied === undefined ? clone(live) : pruneRemoved(clone(live), previouslyApplied, applied);
  return applyStrategicMergePatch(pruned, applied);
}

/** Removes from `live` the fields present in `before` (the last applied config) but absent from `after`. */
function pruneRemoved(live: unknown, before: unknown, after: unknown): unknown {
  if (!isPlainObject(live) || !isPlainObject(before)) return live;
  const afterObj = isPlainObject(after) ? after : {};
  for (const key of Object.keys(before)) {
    if (!(key in afterObj)) {
      if (key !== 'apiVersion' && key !== 'kind' && key !== 'name' && key !== 'namespace') delete live[key];
    } else if (isPlainObject(before[key])) {
      live[key] = pruneRemoved(live[key], before[key], afterObj[key]);
    } else if (Array.isArray(before[key]) && Array.isArray(live[key]) && Array.isArray(afterObj[key])) {
      const mergeKey = mergeKeyFor(key, [...(before[key] as unknown[]), ...(live[key] as unknown[])]);
      if (mergeKey) {
        const keep = new Set((afterObj[key] as unknown[]).filter(isPlainObject).map((i) => i[mergeKey]));
        const dropped = new Set((before[key] as unknown[]).filter(isPlainObject).map((i) => i[mergeKey]).filter((k) => !keep.has(k)));
        live[key] = (live[key] as unknown[]).filter((i) => !(isPlainObject(i) && dropped.has(i[mergeKey])));
        live[key] = (live[key] as unknown[]).map((item) => {
          if (!isPlainObject(item)) return item;
          const b = (before[key] as unknown[]).find((x) => isPlainObject(x) && x[mergeKey] === item[mergeKey]);
          const a = (afterObj[key] as unknown[]).find((x) => isPlainObject(x) && x[mergeKey] === item[mergeKey]);
          return b && a ? pruneRemoved(item, b, a) : item;
        });
      }
    }
  }
  return live;
}
