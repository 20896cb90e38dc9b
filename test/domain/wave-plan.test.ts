import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_WAVE_PLAN,
  DomainError,
  formatWaveSize,
  parseWaveSize,
  splitIntoWaves,
  validateWavePlan,
  type WavePlan,
  type WaveSize,
} from '#domain';

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

const clusters = (n: number): string[] => Array.from({ length: n }, (_, i) => `c${i + 1}`);
const count = (n: number): WaveSize => ({ kind: 'count', count: n });
const percent = (n: number): WaveSize => ({ kind: 'percent', percent: n });
const rest: WaveSize = { kind: 'rest' };

describe('parseWaveSize', () => {
  it.each<[string, WaveSize]>([
    ['1', count(1)],
    ['42', count(42)],
    ['999999', count(999999)],
    ['007', count(7)],
    ['1%', percent(1)],
    ['25%', percent(25)],
    ['100%', percent(100)],
    ['rest', rest],
    ['  25% ', percent(25)],
    [' rest\n', rest],
  ])('parses %p', (text, size) => {
    expect(parseWaveSize(text)).toEqual(size);
  });
  it.each(['0', '0%', '101%', '1000%', '1000000', '-1', '1.5', '2.5%', '25 %', '%', 'Rest', 'all', '', ' ', 'one', '1e3'])(
    'rejects %p',
    (text) => {
      const error = rejection(() => parseWaveSize(text));
      expect(error.code).toBe('WAVE_PLAN_INVALID');
      expect(error.message).toBe(`wave size '${text}' must be a count such as "1", a share such as "25%", or "rest"`);
      expect(error.details).toEqual({ wave: text });
    },
  );
});

describe('formatWaveSize', () => {
  it.each<[WaveSize, string]>([
    [count(3), '3'],
    [percent(25), '25%'],
    [rest, 'rest'],
  ])('formats %p as %p, which parses back to the same size', (size, text) => {
    expect(formatWaveSize(size)).toBe(text);
    expect(parseWaveSize(text)).toEqual(size);
  });
});

describe('validateWavePlan', () => {
  const plan = (overrides: Partial<WavePlan>): WavePlan => ({ ...DEFAULT_WAVE_PLAN, ...overrides });

  it.each<WavePlan>([
    DEFAULT_WAVE_PLAN,
    plan({ waves: [count(1), percent(25), rest], maxParallel: 1, bakeSeconds: 600, onFailure: 'pause' }),
    plan({ waves: [count(2)] }),
    plan({ waves: [percent(100)] }),
  ])('accepts %j', (valid) => {
    expect(() => validateWavePlan(valid)).not.toThrow();
  });
  it.each<[string, Partial<WavePlan>, RegExp]>([
    ['no waves', { waves: [] }, /at least one wave/],
    ['rest before the last wave', { waves: [rest, count(1)] }, /"rest" can only be the last wave/],
    ['rest twice', { waves: [rest, rest] }, /"rest" can only be the last wave/],
    ['a count of 0', { waves: [count(0), rest] }, /whole number from 1/],
    ['a negative count', { waves: [count(-1), rest] }, /whole number from 1/],
    ['a fractional count', { waves: [count(1.5), rest] }, /whole number from 1/],
    ['a percentage of 0', { waves: [percent(0), rest] }, /whole percentage from 1 to 100/],
    ['a percentage above 100', { waves: [percent(150)] }, /whole percentage from 1 to 100/],
    ['a fractional percentage', { waves: [percent(12.5), rest] }, /whole percentage/],
    ['maxParallel 0', { maxParallel: 0 }, /maxParallel must be a whole number of at least 1/],
    ['fractional maxParallel', { maxParallel: 1.5 }, /maxParallel/],
    ['NaN maxParallel', { maxParallel: Number.NaN }, /maxParallel/],
    ['negative bakeSeconds', { bakeSeconds: -1 }, /bakeSeconds must be a whole number from 0 to 604800 \(7 days\)/],
    ['bakeSeconds beyond 7 days', { bakeSeconds: 7 * 24 * 3600 + 1 }, /bakeSeconds must be a whole number from 0 to 604800/],
    ['bakeSeconds of 1e308', { bakeSeconds: 1e308 }, /bakeSeconds/],
    ['fractional bakeSeconds', { bakeSeconds: 0.5 }, /bakeSeconds/],
  ])('rejects %s', (_what, overrides, message) => {
    const error = rejection(() => validateWavePlan(plan(overrides)));
    expect(error.code).toBe('WAVE_PLAN_INVALID');
    expect(error.message).toMatch(message);
  });
});

describe('splitIntoWaves', () => {
  it('follows the worked example: 10 clusters, ["1", "25%", "rest"] → 1, ceil(2.5) = 3, then the remaining 6', () => {
    expect(splitIntoWaves(clusters(10), { waves: [count(1), percent(25), rest] })).toEqual([
      ['c1'],
      ['c2', 'c3', 'c4'],
      ['c5', 'c6', 'c7', 'c8', 'c9', 'c10'],
    ]);
  });
  it('drops empty waves: 2 clusters with the same plan give [1], [1]', () => {
    expect(splitIntoWaves(clusters(2), { waves: [count(1), percent(25), rest] })).toEqual([['c1'], ['c2']]);
  });
  it('rounds a percentage up so a share of a small fleet is never empty', () => {
    expect(splitIntoWaves(clusters(3), { waves: [percent(10), rest] })).toEqual([['c1'], ['c2', 'c3']]);
  });
  it('takes percentages of the whole fleet, not of what is left', () => {
    expect(splitIntoWaves(clusters(8), { waves: [percent(50), percent(25), rest] })).toEqual([
      ['c1', 'c2', 'c3', 'c4'],
      ['c5', 'c6'],
      ['c7', 'c8'],
    ]);
  });
  it('caps a count larger than the fleet at what is there, and drops the waves after it', () => {
    expect(splitIntoWaves(clusters(3), { waves: [count(5), count(2), rest] })).toEqual([['c1', 'c2', 'c3']]);
  });
  it('caps a later count at what remains', () => {
    expect(splitIntoWaves(clusters(4), { waves: [count(1), count(10), rest] })).toEqual([['c1'], ['c2', 'c3', 'c4']]);
  });
  it('lets the last wave take everything left whatever its size, so no cluster is forgotten', () => {
    expect(splitIntoWaves(clusters(5), { waves: [count(1), count(1)] })).toEqual([['c1'], ['c2', 'c3', 'c4', 'c5']]);
    expect(splitIntoWaves(clusters(5), { waves: [percent(20), percent(20)] })).toEqual([['c1'], ['c2', 'c3', 'c4', 'c5']]);
  });
  it('puts the whole fleet in one wave with the default plan', () => {
    expect(splitIntoWaves(clusters(3), DEFAULT_WAVE_PLAN)).toEqual([['c1', 'c2', 'c3']]);
  });
  it('keeps the given cluster order', () => {
    expect(splitIntoWaves(['us-1', 'eu-1', 'ap-1'], { waves: [count(1), rest] })).toEqual([['us-1'], ['eu-1', 'ap-1']]);
  });
  it('gives no waves for no clusters', () => {
    expect(splitIntoWaves([], { waves: [count(1), percent(25), rest] })).toEqual([]);
  });
  it('gives 100 % of the fleet in the first wave and drops the rest', () => {
    expect(splitIntoWaves(clusters(4), { waves: [percent(100), rest] })).toEqual([['c1', 'c2', 'c3', 'c4']]);
  });
});
