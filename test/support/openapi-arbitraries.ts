import fc from 'fast-check';

/** The part of an OpenAPI 3 schema object (after dereferencing) the generators read. */
export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
}

/**
 * Realistic values by field name (`application`, `environment`, ...), so a generated
 * body names things that exist and reaches the deciders instead of dying at 404.
 */
export type Pools = Record<string, readonly unknown[]>;

/** JSON text inserted verbatim: numbers JSON.stringify cannot write (1e400, -0, 1.0), deep nesting. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A field to leave out of its object. */
export const OMIT = Symbol('omit');

const RAW_MARK = '__fuzz_raw_7f3a_';

/** JSON.stringify that writes RawJson values as their text and drops OMIT fields. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) return `${RAW_MARK}${raws.push(v.text) - 1}`;
    if (v === OMIT) return undefined;
    return v;
  });
  if (text === undefined) return '';
  return raws.length === 0 ? text : text.replace(new RegExp(`"${RAW_MARK}(\\d+)"`, 'g'), (_m, i: string) => raws[Number(i)]!);
}

/** allOf wrappers (Nest writes `{allOf: [$ref], description}` for documented nested DTOs) merged into one schema. */
export function flatten(schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (!schema.allOf) return schema;
  const { allOf, ...rest } = schema;
  return allOf.reduce<Schema>((merged, part) => ({ ...merged, ...flatten(part) }), rest);
}

const MIB = 1024 * 1024;

/** Strings that have broken real services: NUL (Postgres rejects it in text and jsonb), lone surrogates, sizes around limits, injections. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'shop\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ufeffshop',
  '\u202eshop',
  'ｓｈｏｐ',
  'SHOP',
  ' shop',
  'shop-',
  '-shop',
  'é'.normalize('NFD'),
  'שָׁלוֹם',
  '🚀'.repeat(40),
  '👩‍👩‍👧‍👦',
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(101),
  'a'.repeat(256),
  'a'.repeat(300),
  'a'.repeat(2001),
  'a'.repeat(10_001),
  'a'.repeat(300_000),
  // Just under and just over the 1 MiB body limit once quoted into a body.
  'b'.repeat(MIB - 4096),
  'b'.repeat(MIB + 1),
  '../../etc/passwd',
  '..',
  '%00',
  '%2e%2e%2f',
  "'; DROP TABLE events; --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '\r\nX-Injected: 1',
  '\t\n',
  'null',
  'true',
  '0',
  '-0',
  '1e308',
  'NaN',
  '__proto__',
  'constructor',
  '=',
  'a=b,c',
  '*',
  '**/*',
  '/',
  'sha256:',
  `sha256:${'0'.repeat(64)}`,
  'v1.2.3',
  '1.2.3-',
  '01.2.3',
  '99999999999999999999.0.0',
  'http://127.0.0.1:1/',
  'file:///etc/passwd',
  '2026-02-30T00:00:00Z',
  '0000-01-01T00:00:00.000Z',
  '+275760-09-13T00:00:00.000Z',
];

/** Numbers at and around every limit a field might have: int32/int64/safe-integer edges, -0, floats, 1e308, beyond-double. */
function hostileNumbers(schema: Schema): fc.Arbitrary<unknown> {
  const edges: unknown[] = [
    0, 1, -1, 2, 0.5, 1.5, -1.5, 99.99, 100, 101, 1000, 1001, 3600, 86_400, 86_401, 604_800, 604_801,
    2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, 2 ** 64, 1e21, 1e308, -1e308, 5e-324,
    new RawJson('-0'), new RawJson('1.0'), new RawJson('1e400'), new RawJson('-1e400'), new RawJson('123456789012345678901234567890'),
  ];
  for (const limit of [schema.minimum, schema.maximum]) {
    if (limit !== undefined) edges.push(limit - 1, limit, limit + 1, limit + 0.5);
  }
  return fc.oneof(fc.constantFrom(...edges), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
}

const WRONG_TYPES: readonly unknown[] = [null, true, false, 0, 1, -1, '', 'x', [], [null], ['a'], {}, { a: 1 }, { '': '' }];

/** Nesting no real body has: parsers and validators that recurse can overflow the stack. */
const DEEP: readonly unknown[] = [new RawJson('['.repeat(5000) + ']'.repeat(5000)), new RawJson('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))];

function anyString(): fc.Arbitrary<string> {
  return fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
}

/** A value the schema accepts in shape (and, with pools, in meaning), to get past validation. */
export function validish(schema: Schema, pools: Pools, field = '', depth = 0): fc.Arbitrary<unknown> {
  const s = flatten(schema);
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  const known: unknown[] = [...(pools[field] ?? [])];
  if (s.example !== undefined) known.push(s.example);
  const fromKnown = known.length > 0 ? [fc.constantFrom(...known)] : [];
  switch (s.type) {
    case 'string': {
      if (s.format === 'date-time') {
        return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
      }
      return fromKnown.length > 0 ? fc.oneof({ weight: 4, arbitrary: fromKnown[0]! }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/) }) : fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z0-9]$/);
    }
    case 'number':
    case 'integer': {
      const range = fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? Math.max(s.minimum ?? 0, 100) });
      return fromKnown.length > 0 ? fc.oneof(fromKnown[0]!, range) : range;
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = s.items ? validish(s.items, pools, field, depth + 1) : fc.constant('x');
      return fromKnown.length > 0 ? fc.oneof(fromKnown[0]!, fc.array(items, { minLength: 1, maxLength: 3 })) : fc.array(items, { minLength: 1, maxLength: 3 });
    }
    case 'object':
    default: {
      if (s.properties && depth < 6) {
        const shape: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, property] of Object.entries(s.properties)) {
          const value = validish(property, pools, name, depth + 1);
          shape[name] = s.required?.includes(name) ? value : fc.oneof(fc.constant(OMIT), value);
        }
        return fc.record(shape);
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        return fromKnown.length > 0
          ? fc.oneof(fromKnown[0]!, fc.dictionary(fc.constantFrom('tier', 'region', 'zone'), fc.constantFrom('gold', 'eu', 'a'), { maxKeys: 3 }))
          : fc.dictionary(fc.constantFrom('tier', 'region', 'zone'), fc.constantFrom('gold', 'eu', 'a'), { maxKeys: 3 });
      }
      return fromKnown.length > 0 ? fromKnown[0]! : fc.constant({});
    }
  }
}

/** A value for one field from anywhere: valid, at a boundary, of the wrong type, null, huge or deeply nested. */
export function hostile(schema: Schema, pools: Pools, field = ''): fc.Arbitrary<unknown> {
  const s = flatten(schema);
  const byType: fc.Arbitrary<unknown>[] = [];
  switch (s.type) {
    case 'string':
      byType.push(fc.constantFrom(...HOSTILE_STRINGS), anyString());
      break;
    case 'number':
    case 'integer':
      byType.push(hostileNumbers(s), hostileNumbers(s));
      break;
    case 'array': {
      const item = s.items ? validish(s.items, pools, field, 1) : fc.constant('x');
      byType.push(
        fc.constantFrom(0, 1, 51, 101, 1001, 5000).chain((n) => item.map((v) => Array.from({ length: n }, () => v))),
        fc.array(s.items ? hostile(s.items, pools, field) : fc.anything(), { maxLength: 4 }),
      );
      break;
    }
    case 'object':
    default: {
      const key = fc.oneof(fc.constantFrom('', '\u0000', 'a'.repeat(300), 'tier', 'circle.dev/gateway', 'UPPER', 'a b', '__proto__'), anyString());
      const value = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS.slice(0, 25)), fc.constantFrom(...WRONG_TYPES));
      byType.push(
        fc.dictionary(key, value, { maxKeys: 4 }),
        fc.constantFrom(65, 1000).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))),
      );
    }
  }
  return fc.oneof(
    { weight: 2, arbitrary: validish(s, pools, field) },
    { weight: 6, arbitrary: fc.oneof(...byType) },
    { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPES) },
    { weight: 1, arbitrary: fc.constantFrom(...DEEP) },
  );
}

interface FieldPath {
  path: (string | number)[];
  schema: Schema;
}

/** Every field reachable from the body, nested objects and the first array element included. */
function fieldPaths(schema: Schema, prefix: (string | number)[] = [], depth = 0): FieldPath[] {
  const s = flatten(schema);
  if (depth > 6) return [];
  const own: FieldPath[] = prefix.length > 0 ? [{ path: prefix, schema: s }] : [];
  if (s.properties) return [...own, ...Object.entries(s.properties).flatMap(([name, p]) => fieldPaths(p, [...prefix, name], depth + 1))];
  if (s.type === 'array' && s.items) return [...own, ...fieldPaths(s.items, [...prefix, 0], depth + 1)];
  return own;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container = (
    typeof head === 'number' ? (Array.isArray(root) ? [...root] : []) : root && typeof root === 'object' && !Array.isArray(root) ? { ...root } : {}
  ) as Record<string | number, unknown>;
  container[head!] = setAt(container[head!], rest, value);
  return container;
}

/** An own enumerable `__proto__` key, which JSON.stringify writes and a careless merge turns into prototype pollution. */
function withProtoKey(body: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...body };
  Object.defineProperty(copy, '__proto__', { value: { polluted: true, isAdmin: true }, enumerable: true, configurable: true, writable: true });
  return copy;
}

/**
 * A request body for an operation's schema: mostly valid bodies with one field (at any
 * depth) replaced by a hostile value, then valid bodies, bodies with every field hostile,
 * a required field missing, unknown fields, and bodies that are not objects at all.
 */
export function bodyArbitrary(schema: Schema, pools: Pools): fc.Arbitrary<unknown> {
  const s = flatten(schema);
  const valid = validish(s, pools);
  const paths = fieldPaths(s);
  const arbitraries: fc.WeightedArbitrary<unknown>[] = [
    { weight: 3, arbitrary: valid },
    { weight: 3, arbitrary: fc.constantFrom(...WRONG_TYPES, ...DEEP, 'x'.repeat(MIB + 10)) },
  ];
  if (paths.length > 0) {
    const mutated = fc.constantFrom(...paths).chain(({ path, schema: field }) =>
      fc.tuple(valid, fc.oneof({ weight: 6, arbitrary: hostile(field, pools, String(path[path.length - 1])) }, { weight: 1, arbitrary: fc.constant(OMIT) }, { weight: 1, arbitrary: fc.constant(null) })).map(([body, value]) => setAt(body, path, value)),
    );
    arbitraries.push({ weight: 10, arbitrary: mutated });
  }
  if (s.properties) {
    const everyField: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, property] of Object.entries(s.properties)) everyField[name] = fc.oneof(fc.constant(OMIT), hostile(property, pools, name));
    arbitraries.push({ weight: 4, arbitrary: fc.record(everyField) });
    const objectBody = valid.filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null && !Array.isArray(b));
    if (s.required && s.required.length > 0) {
      arbitraries.push({ weight: 1, arbitrary: fc.tuple(objectBody, fc.constantFrom(...s.required)).map(([body, name]) => ({ ...body, [name]: OMIT })) });
    }
    arbitraries.push({
      weight: 2,
      arbitrary: fc.tuple(objectBody, fc.oneof(fc.constantFrom('unknownField', 'constructor', 'Name', 'supersede ', 'is_admin'), anyString()), fc.anything({ maxDepth: 2 })).map(([body, key, value]) =>
        key in body ? body : { ...body, [key]: value },
      ),
    });
    arbitraries.push({ weight: 1, arbitrary: objectBody.map(withProtoKey) });
  }
  return fc.oneof(...arbitraries);
}

/** Leaf paths of a concrete JSON document (a real webhook payload), with their values. */
function leaves(value: unknown, prefix: (string | number)[] = [], depth = 0): { path: (string | number)[]; value: unknown }[] {
  if (depth > 5 || value === null || typeof value !== 'object') return [{ path: prefix, value }];
  const entries = Array.isArray(value) ? value.slice(0, 2).map((v, i) => [i, v] as const) : Object.entries(value);
  return [{ path: prefix, value }, ...entries.flatMap(([k, v]) => leaves(v, [...prefix, k], depth + 1))];
}

const schemaOf = (value: unknown): Schema =>
  typeof value === 'string' ? { type: 'string', example: value }
  : typeof value === 'number' ? { type: 'number', example: value }
  : typeof value === 'boolean' ? { type: 'boolean' }
  : Array.isArray(value) ? { type: 'array' }
  : { type: 'object' };

/** A real payload with one field, at any depth, replaced by a hostile value of its kind (or removed). */
export function mutatedDocument(document: unknown, pools: Pools): fc.Arbitrary<unknown> {
  const all = leaves(document).filter((l) => l.path.length > 0);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(document) },
    {
      weight: 8,
      arbitrary: fc
        .constantFrom(...all)
        .chain(({ path, value }) => fc.oneof({ weight: 6, arbitrary: hostile(schemaOf(value), pools, String(path[path.length - 1])) }, { weight: 1, arbitrary: fc.constant(OMIT) }).map((v) => setAt(document, path, v))),
    },
    { weight: 1, arbitrary: fc.constantFrom(...WRONG_TYPES, ...DEEP) },
  );
}

/** Query-string values: valid ones, numbers at their edges written as text, hostile strings, and repeated parameters. */
export function queryValueArbitrary(schema: Schema, pools: Pools, field: string): fc.Arbitrary<string | string[] | typeof OMIT> {
  const s = flatten(schema);
  const text = (v: unknown) => (v instanceof RawJson ? v.text : typeof v === 'string' ? v : JSON.stringify(v));
  const numericText = fc.constantFrom('-1', '0', '1', '-0', '1.5', '201', '1e308', '1e400', 'NaN', 'Infinity', '0x10', ' 1', '1 ', '9007199254740993', '99999999999999999999', '', 'true', '[]');
  // Past Node's 16 KiB request-line limit, which the HTTP parser answers before any route.
  const small = [...HOSTILE_STRINGS.filter((h) => h.length <= 2048), 'q'.repeat(20_000)];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(OMIT) },
    { weight: 4, arbitrary: validish(s, pools, field).map(text) },
    { weight: 4, arbitrary: s.type === 'number' || s.type === 'integer' ? numericText : fc.constantFrom(...small) },
    { weight: 2, arbitrary: anyString() },
    { weight: 1, arbitrary: fc.tuple(validish(s, pools, field).map(text), fc.constantFrom(...small.slice(0, 20))) },
  );
}

/** Path segments as sent on the wire (already percent-encoded, or deliberately not). */
export const HOSTILE_PATH_SEGMENTS: readonly string[] = [
  '..',
  '.',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%00',
  'shop%00',
  '%ZZ',
  '%C0%AE',
  '%FF',
  '%F0%9F%9A%80',
  'a'.repeat(300),
  'a'.repeat(5000),
  '%20',
  'SHOP',
  '-',
  '*',
  '%27%20OR%201%3D1--',
  '%3Cscript%3E',
  'null',
  '0',
  '-1',
  '1e308',
  '00000000-0000-0000-0000-000000000000',
  'tok_',
  'whr_',
  '%E2%80%AE',
];

/** Percent-encodes the UTF-8 bytes (encodeURIComponent throws on lone surrogates; the bytes are what goes on the wire anyway). */
export function encodeSegment(segment: string): string {
  return [...Buffer.from(segment, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

export function pathSegmentArbitrary(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: pool.length > 0 ? fc.constantFrom(...pool.map(encodeSegment)) : fc.constant('missing') },
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_PATH_SEGMENTS) },
    { weight: 2, arbitrary: anyString().filter((s) => s.length > 0).map(encodeSegment) },
  );
}
