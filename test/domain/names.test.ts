import { describe, expect, it } from '@jest/globals';
import { DomainError, assertDnsLabel, assertLabels, canonicalJson, matchesSelector } from '#domain';

function rejection(run: () => void): DomainError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DomainError);
  return caught as DomainError;
}

describe('assertDnsLabel', () => {
  it.each(['a', '0', 'eu-west-1', 'a1b2', 'a'.repeat(63), 'x--y'])('accepts %p', (value) => {
    expect(() => assertDnsLabel(value, 'CLUSTER_NAME_INVALID', 'cluster name')).not.toThrow();
  });
  it.each(['', 'A', 'Shop', '-a', 'a-', 'a_b', 'a.b', 'a b', 'a'.repeat(64), 'é'])('rejects %p with the code and wording of the caller', (value) => {
    const error = rejection(() => assertDnsLabel(value, 'ENVIRONMENT_NAME_INVALID', 'environment name'));
    expect(error.code).toBe('ENVIRONMENT_NAME_INVALID');
    expect(error.message).toBe(
      `environment name '${value}' must be a DNS label: lower-case letters, digits and '-', 1-63 characters, starting and ending with a letter or digit`,
    );
    expect(error.details).toEqual({ value });
  });
});

describe('assertLabels', () => {
  it.each<Record<string, string>>([
    {},
    { tier: 'gold' },
    { Tier: 'Gold_1.x-y' },
    { 'topology.kubernetes.io/region': 'eu-west-1' },
    { 'acme.io/team': '' },
    { [`${'a'.repeat(63)}`]: 'b'.repeat(63) },
    { a: 'b', c: 'd' },
  ])('accepts %p', (labels) => {
    expect(() => assertLabels(labels)).not.toThrow();
  });
  it.each<[string, string]>([
    ['', 'x'],
    ['-tier', 'x'],
    ['tier-', 'x'],
    ['ti er', 'x'],
    ['a'.repeat(64), 'x'],
    ['/tier', 'x'],
    ['acme.io/', 'x'],
    ['Acme.io/tier', 'x'],
    ['acme..io/tier', 'x'],
    ['-acme.io/tier', 'x'],
    [`${'a'.repeat(254)}/tier`, 'x'],
    ['tier', '-gold'],
    ['tier', 'gold.'],
    ['tier', 'go ld'],
    ['tier', 'g/old'],
    ['tier', 'a'.repeat(64)],
  ])('rejects the label %p=%p', (key, value) => {
    const error = rejection(() => assertLabels({ ok: 'fine', [key]: value }));
    expect(error.code).toBe('LABEL_INVALID');
    expect(error.message).toBe(`label '${key}=${value}' is not a valid Kubernetes label`);
    expect(error.details).toEqual({ key, value });
  });
});

describe('matchesSelector', () => {
  const labels = { tier: 'gold', region: 'eu' };
  it('matches everything with an empty selector', () => {
    expect(matchesSelector(labels, {})).toBe(true);
    expect(matchesSelector({}, {})).toBe(true);
  });
  it('matches when every selected key has the selected value', () => {
    expect(matchesSelector(labels, { tier: 'gold' })).toBe(true);
    expect(matchesSelector(labels, { tier: 'gold', region: 'eu' })).toBe(true);
  });
  it('does not match a different value, a missing key, or only part of the selector', () => {
    expect(matchesSelector(labels, { tier: 'silver' })).toBe(false);
    expect(matchesSelector(labels, { zone: 'a' })).toBe(false);
    expect(matchesSelector(labels, { tier: 'gold', region: 'us' })).toBe(false);
    expect(matchesSelector({ tier: '' }, { tier: 'gold' })).toBe(false);
  });
  it('does not match an empty selector value against a missing key', () => {
    expect(matchesSelector({}, { tier: '' })).toBe(false);
    expect(matchesSelector({ tier: '' }, { tier: '' })).toBe(true);
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });
  it('gives equal strings for equal values built in a different order', () => {
    expect(canonicalJson({ kind: 'secret', secretId: 's' })).toBe(canonicalJson({ secretId: 's', kind: 'secret' }));
  });
  it('keeps array order, since order in an array means something', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });
  it('leaves out undefined properties, as JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });
  it('passes scalars through', () => {
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(3)).toBe('3');
    expect(canonicalJson(null)).toBe('null');
  });
});
