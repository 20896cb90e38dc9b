import { DomainError } from '../shared/domain-error.js';

/**
 * An HTTP check run against the new version, judged as Flagger does: a 200-202 answer
 * passes, anything else (or no answer within the timeout) fails.
 */
export interface AnalysisCheck {
  name: string;
  url: string;
  intervalSeconds: number;
  /** Measurements to take; the check passes when all are taken without hitting a limit. */
  count: number;
  /** More failed measurements than this fails the check. */
  failureLimit: number;
  /** This many errors in a row (no answer at all) fails the check. */
  consecutiveErrorLimit: number;
  timeoutSeconds: number;
}

export type CanaryStep =
  | { kind: 'setWeight'; weight: number }
  /** `seconds: null` waits until a person promotes. */
  | { kind: 'pause'; seconds: number | null }
  | { kind: 'analysis'; check: AnalysisCheck };

export type TrafficRouting = 'replicas' | 'gatewayApi';

export type Strategy =
  | {
      kind: 'canary';
      replicas: number;
      steps: CanaryStep[];
      trafficRouting: TrafficRouting;
      progressDeadlineSeconds: number;
    }
  | {
      kind: 'blueGreen';
      replicas: number;
      /** Promote by itself this long after the preview is ready; null waits for a person. */
      autoPromotionSeconds: number | null;
      scaleDownDelaySeconds: number;
      prePromotionAnalysis: AnalysisCheck | null;
      progressDeadlineSeconds: number;
    };

export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;

const MAX_REPLICAS = 1000;

function invalid(message: string, details: Record<string, unknown> = {}): never {
  throw new DomainError('ROLLOUT_STRATEGY_INVALID', message, details);
}

const wholeInRange = (value: number, min: number, max: number): boolean =>
  Number.isInteger(value) && value >= min && value <= max;

function validateCheck(check: AnalysisCheck, where: string): void {
  let url: URL | null = null;
  try {
    url = new URL(check.url);
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    invalid(`${where}: analysis url must be an absolute http(s) URL`, { url: check.url });
  }
  if (!wholeInRange(check.intervalSeconds, 1, 3600)) invalid(`${where}: intervalSeconds must be 1-3600`);
  if (!wholeInRange(check.count, 1, 1000)) invalid(`${where}: count must be 1-1000`);
  if (!wholeInRange(check.failureLimit, 0, check.count)) invalid(`${where}: failureLimit must be 0-count`);
  if (!wholeInRange(check.consecutiveErrorLimit, 0, 1000)) invalid(`${where}: consecutiveErrorLimit must be 0-1000`);
  if (!wholeInRange(check.timeoutSeconds, 1, 300)) invalid(`${where}: timeoutSeconds must be 1-300`);
}

export function validateStrategy(strategy: Strategy): void {
  if (!wholeInRange(strategy.replicas, 1, MAX_REPLICAS)) invalid(`replicas must be 1-${MAX_REPLICAS}`);
  if (!wholeInRange(strategy.progressDeadlineSeconds, 1, 24 * 3600)) invalid('progressDeadlineSeconds must be 1-86400');
  if (strategy.kind === 'canary') {
    if (strategy.steps.length === 0) invalid('a canary needs at least one step');
    strategy.steps.forEach((step, i) => {
      const where = `steps[${i}]`;
      if (step.kind === 'setWeight' && !wholeInRange(step.weight, 0, 100)) invalid(`${where}: weight must be 0-100`);
      if (step.kind === 'pause' && step.seconds !== null && !wholeInRange(step.seconds, 0, 7 * 24 * 3600)) {
        invalid(`${where}: pause seconds must be 0-604800, or null to wait for promote`);
      }
      if (step.kind === 'analysis') validateCheck(step.check, where);
    });
  } else {
    if (strategy.autoPromotionSeconds !== null && !wholeInRange(strategy.autoPromotionSeconds, 0, 7 * 24 * 3600)) {
      invalid('autoPromotionSeconds must be 0-604800, or null for manual promotion');
    }
    if (!wholeInRange(strategy.scaleDownDelaySeconds, 0, 24 * 3600)) invalid('scaleDownDelaySeconds must be 0-86400');
    if (strategy.prePromotionAnalysis !== null) validateCheck(strategy.prePromotionAnalysis, 'prePromotionAnalysis');
  }
}

/**
 * Replica split for a canary weight when traffic follows replica counts (no mesh or
 * Gateway API): the Service selects both tracks, so each pod gets an equal share.
 * The canary gets ceil(total × weight / 100) pods so that any weight above 0 runs at
 * least one canary pod, and the stable track keeps the rest.
 *
 * Worked example: 10 % of 7 replicas → canary ceil(0.7) = 1, stable 6; actual share
 * 1/7 ≈ 14 %, the closest a 7-pod fleet can get without undershooting 10 %.
 * 50 % of 7 → canary 4, stable 3 (57 %). 100 % → canary 7, stable 0.
 */
export function canaryReplicaSplit(totalReplicas: number, weight: number): { canary: number; stable: number } {
  const canary = Math.min(totalReplicas, Math.ceil((totalReplicas * weight) / 100));
  return { canary, stable: totalReplicas - canary };
}
