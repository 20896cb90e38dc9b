import { badRequest } from './api-error.js';
import type { KubeObject } from './json.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** A parsed `labelSelector` query parameter (equality- and set-based syntax). */
export class LabelSelector {
  private constructor(private readonly requirements: Requirement[]) {}

  static readonly everything = new LabelSelector([]);

  static parse(text: string | null | undefined): LabelSelector {
    if (!text || !text.trim()) return LabelSelector.everything;
    return new LabelSelector(splitTopLevel(text).map(parseRequirement));
  }

  static fromMatchLabels(labels: Record<string, string>): LabelSelector {
    return new LabelSelector(Object.entries(labels).map(([key, value]) => ({ op: 'eq', key, value })));
  }

  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      switch (r.op) {
        case 'eq':
          return has && l[r.key] === r.value;
        case 'neq':
          return !has || l[r.key] !== r.value;
        case 'in':
          return has && r.values.includes(l[r.key]!);
        case 'notin':
          return !has || !r.values.includes(l[r.key]!);
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
    });
  }
}

/** Splits on commas that are not inside `in (a, b)` parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseRequirement(part: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
    return { op: set[2] as 'in' | 'notin', key: set[1]!, values };
  }
  const neq = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(part);
  if (neq) return { op: 'neq', key: neq[1]!, value: neq[2]! };
  const eq = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(part);
  if (eq) return { op: 'eq', key: eq[1]!, value: eq[2]! };
  const not = /^!\s*(\S+)$/.exec(part);
  if (not) return { op: 'notexists', key: not[1]! };
  if (/^[A-Za-z0-9._/-]+$/.test(part)) return { op: 'exists', key: part };
  throw badRequest(`unable to parse requirement: invalid label selector "${part}"`);
}

/** `fieldSelector` for the fields every resource supports: metadata.name and metadata.namespace. */
export class FieldSelector {
  private constructor(private readonly terms: { field: string; value: string; negate: boolean }[]) {}

  static parse(text: string | null | undefined): FieldSelector {
    if (!text || !text.trim()) return new FieldSelector([]);
    const terms = text.split(',').map((raw) => {
      const m = /^\s*([A-Za-z.]+)\s*(!=|==|=)\s*(.*?)\s*$/.exec(raw);
      if (!m) throw badRequest(`invalid field selector "${raw}"`);
      const field = m[1]!;
      if (field !== 'metadata.name' && field !== 'metadata.namespace') {
        throw badRequest(`field label not supported: ${field}`);
      }
      return { field, value: m[3]!, negate: m[2] === '!=' };
    });
    return new FieldSelector(terms);
  }

  matches(obj: KubeObject): boolean {
    return this.terms.every((t) => {
      const actual = t.field === 'metadata.name' ? obj.metadata.name : (obj.metadata.namespace ?? '');
      return t.negate ? actual !== t.value : actual === t.value;
    });
  }
}
