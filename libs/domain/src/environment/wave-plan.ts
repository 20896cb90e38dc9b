import { DomainError } from '../shared/domain-error.js';

/**
 * How many of the target clusters a wave takes: a fixed count, a share of the whole
 * fleet, or whatever is left. Written as "1", "25%" and "rest" in the API.
 */
export type WaveSize = { kind: 'count'; count: number } | { kind: 'percent'; percent: number } | { kind: 'rest' };

export interface WavePlan {
  waves: WaveSize[];
  /** Clusters worked on at the same time inside one wave. */
  maxParallel: number;
  /** Time a finished wave must stay healthy before the next one starts. */
  bakeSeconds: number;
  /** rollback: abort and return finished clusters to the old version; pause: wait for a person. */
  onFailure: 'rollback' | 'pause';
}

export const DEFAULT_WAVE_PLAN: WavePlan = {
  waves: [{ kind: 'rest' }],
  maxParallel: 10,
  bakeSeconds: 0,
  onFailure: 'rollback',
};

export function parseWaveSize(text: string): WaveSize {
  const trimmed = text.trim();
  if (trimmed === 'rest') return { kind: 'rest' };
  const percent = /^(\d{1,3})%$/.exec(trimmed);
  if (percent) {
    const value = Number(percent[1]);
    if (value >= 1 && value <= 100) return { kind: 'percent', percent: value };
  } else if (/^\d{1,6}$/.test(trimmed) && Number(trimmed) >= 1) {
    return { kind: 'count', count: Number(trimmed) };
  }
  throw new DomainError('WAVE_PLAN_INVALID', `wave size '${text}' must be a count such as "1", a share such as "25%", or "rest"`, {
    wave: text,
  });
}

export function formatWaveSize(size: WaveSize): string {
  return size.kind === 'count' ? String(size.count) : size.kind === 'percent' ? `${size.percent}%` : 'rest';
}

const MAX_BAKE_SECONDS = 7 * 24 * 3600;

export function validateWavePlan(plan: WavePlan): void {
  const fail = (message: string): never => {
    throw new DomainError('WAVE_PLAN_INVALID', message);
  };
  if (plan.waves.length === 0) fail('a wave plan needs at least one wave');
  if (plan.waves.slice(0, -1).some((w) => w.kind === 'rest')) fail('"rest" can only be the last wave');
  // Plans may arrive as objects rather than through parseWaveSize; a zero, negative or
  // fractional size would make splitIntoWaves skip or repeat clusters.
  plan.waves.forEach((w) => {
    if (w.kind === 'count' && (!Number.isInteger(w.count) || w.count < 1 || w.count > 999_999)) {
      fail(`wave size ${String(w.count)} must be a whole number from 1 to 999999`);
    }
    if (w.kind === 'percent' && (!Number.isInteger(w.percent) || w.percent < 1 || w.percent > 100)) {
      fail(`wave size ${String(w.percent)}% must be a whole percentage from 1 to 100`);
    }
  });
  if (!Number.isInteger(plan.maxParallel) || plan.maxParallel < 1) fail('maxParallel must be a whole number of at least 1');
  // Bounded like a canary pause: a bake of 1e308 s would put the next wave's timer past any representable date.
  if (!Number.isInteger(plan.bakeSeconds) || plan.bakeSeconds < 0 || plan.bakeSeconds > MAX_BAKE_SECONDS) {
    fail(`bakeSeconds must be a whole number from 0 to ${MAX_BAKE_SECONDS} (7 days)`);
  }
}

/**
 * Splits target clusters (already in rollout order) into waves. Percentages are of the
 * whole fleet, rounded up so a wave is never empty while clusters remain, and the last
 * wave always takes what is left so no cluster is forgotten.
 *
 * Worked example: 10 clusters, plan ["1", "25%", "rest"] → wave 1 takes 1 cluster,
 * wave 2 takes ceil(10 × 0.25) = 3, wave 3 the remaining 6. With 2 clusters the same
 * plan gives [1], [1] and no third wave: empty waves are dropped.
 */
export function splitIntoWaves(clusters: readonly string[], plan: Pick<WavePlan, 'waves'>): string[][] {
  const waves: string[][] = [];
  let next = 0;
  plan.waves.forEach((size, index) => {
    const last = index === plan.waves.length - 1;
    const remaining = clusters.length - next;
    const wanted =
      last || size.kind === 'rest'
        ? remaining
        : size.kind === 'count'
          ? size.count
          : Math.ceil((clusters.length * size.percent) / 100);
    const take = Math.min(remaining, wanted);
    if (take > 0) waves.push(clusters.slice(next, next + take));
    next += take;
  });
  return waves;
}
