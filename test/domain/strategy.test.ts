import { describe, expect, it } from '@jest/globals';
import { DomainError, canaryReplicaSplit, validateStrategy, type AnalysisCheck, type CanaryStep, type Strategy } from '#domain';

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

const check: AnalysisCheck = {
  name: 'http-ok',
  url: 'https://shop.example.com/healthz',
  intervalSeconds: 10,
  count: 5,
  failureLimit: 1,
  consecutiveErrorLimit: 2,
  timeoutSeconds: 5,
};
const canary = (overrides: Partial<Extract<Strategy, { kind: 'canary' }>> = {}): Strategy => ({
  kind: 'canary',
  replicas: 7,
  steps: [{ kind: 'setWeight', weight: 10 }, { kind: 'pause', seconds: 60 }, { kind: 'analysis', check }, { kind: 'pause', seconds: null }],
  trafficRouting: 'replicas',
  progressDeadlineSeconds: 600,
  ...overrides,
});
const blueGreen = (overrides: Partial<Extract<Strategy, { kind: 'blueGreen' }>> = {}): Strategy => ({
  kind: 'blueGreen',
  replicas: 3,
  autoPromotionSeconds: null,
  scaleDownDelaySeconds: 30,
  prePromotionAnalysis: check,
  progressDeadlineSeconds: 600,
  ...overrides,
});
const withStep = (step: CanaryStep): Strategy => canary({ steps: [step] });

describe('validateStrategy', () => {
  it.each<[string, Strategy]>([
    ['a canary with every kind of step', canary()],
    ['a canary through the Gateway API', canary({ trafficRouting: 'gatewayApi' })],
    ['the smallest canary', canary({ replicas: 1, progressDeadlineSeconds: 1, steps: [{ kind: 'setWeight', weight: 0 }] })],
    ['the largest canary', canary({ replicas: 1000, progressDeadlineSeconds: 86400, steps: [{ kind: 'setWeight', weight: 100 }, { kind: 'pause', seconds: 604800 }] })],
    ['a pause of 0 seconds', withStep({ kind: 'pause', seconds: 0 })],
    ['an analysis at its lower limits', withStep({ kind: 'analysis', check: { ...check, url: 'http://10.0.0.1:8080/', intervalSeconds: 1, count: 1, failureLimit: 0, consecutiveErrorLimit: 0, timeoutSeconds: 1 } })],
    ['an analysis at its upper limits', withStep({ kind: 'analysis', check: { ...check, intervalSeconds: 3600, count: 1000, failureLimit: 1000, consecutiveErrorLimit: 1000, timeoutSeconds: 300 } })],
    ['a manual blue/green', blueGreen()],
    ['a blue/green without analysis, promoting itself at once', blueGreen({ prePromotionAnalysis: null, autoPromotionSeconds: 0, scaleDownDelaySeconds: 0 })],
    ['a blue/green at its upper limits', blueGreen({ autoPromotionSeconds: 604800, scaleDownDelaySeconds: 86400 })],
  ])('accepts %s', (_what, strategy) => {
    expect(() => validateStrategy(strategy)).not.toThrow();
  });

  it.each<[string, Strategy, string]>([
    ['0 replicas', canary({ replicas: 0 }), 'replicas must be 1-1000'],
    ['1001 replicas', blueGreen({ replicas: 1001 }), 'replicas must be 1-1000'],
    ['fractional replicas', canary({ replicas: 2.5 }), 'replicas must be 1-1000'],
    ['a progress deadline of 0', canary({ progressDeadlineSeconds: 0 }), 'progressDeadlineSeconds must be 1-86400'],
    ['a progress deadline over a day', blueGreen({ progressDeadlineSeconds: 86401 }), 'progressDeadlineSeconds must be 1-86400'],
    ['a canary without steps', canary({ steps: [] }), 'a canary needs at least one step'],
    ['a weight below 0', withStep({ kind: 'setWeight', weight: -1 }), 'steps[0]: weight must be 0-100'],
    ['a weight above 100', withStep({ kind: 'setWeight', weight: 101 }), 'steps[0]: weight must be 0-100'],
    ['a fractional weight', canary({ steps: [{ kind: 'setWeight', weight: 10 }, { kind: 'setWeight', weight: 12.5 }] }), 'steps[1]: weight must be 0-100'],
    ['a negative pause', withStep({ kind: 'pause', seconds: -1 }), 'steps[0]: pause seconds must be 0-604800, or null to wait for promote'],
    ['a pause over a week', withStep({ kind: 'pause', seconds: 604801 }), 'steps[0]: pause seconds must be 0-604800, or null to wait for promote'],
    ['a relative analysis url', withStep({ kind: 'analysis', check: { ...check, url: '/healthz' } }), 'steps[0]: analysis url must be an absolute http(s) URL'],
    ['a non-http analysis url', withStep({ kind: 'analysis', check: { ...check, url: 'ftp://shop/healthz' } }), 'steps[0]: analysis url must be an absolute http(s) URL'],
    ['an analysis interval of 0', withStep({ kind: 'analysis', check: { ...check, intervalSeconds: 0 } }), 'steps[0]: intervalSeconds must be 1-3600'],
    ['an analysis interval over an hour', withStep({ kind: 'analysis', check: { ...check, intervalSeconds: 3601 } }), 'steps[0]: intervalSeconds must be 1-3600'],
    ['an analysis count of 0', withStep({ kind: 'analysis', check: { ...check, count: 0 } }), 'steps[0]: count must be 1-1000'],
    ['an analysis count over 1000', withStep({ kind: 'analysis', check: { ...check, count: 1001, failureLimit: 0 } }), 'steps[0]: count must be 1-1000'],
    ['a failure limit above the count', withStep({ kind: 'analysis', check: { ...check, count: 3, failureLimit: 4 } }), 'steps[0]: failureLimit must be 0-count'],
    ['a negative failure limit', withStep({ kind: 'analysis', check: { ...check, failureLimit: -1 } }), 'steps[0]: failureLimit must be 0-count'],
    ['a negative error limit', withStep({ kind: 'analysis', check: { ...check, consecutiveErrorLimit: -1 } }), 'steps[0]: consecutiveErrorLimit must be 0-1000'],
    ['an error limit over 1000', withStep({ kind: 'analysis', check: { ...check, consecutiveErrorLimit: 1001 } }), 'steps[0]: consecutiveErrorLimit must be 0-1000'],
    ['a timeout of 0', withStep({ kind: 'analysis', check: { ...check, timeoutSeconds: 0 } }), 'steps[0]: timeoutSeconds must be 1-300'],
    ['a timeout over 300', withStep({ kind: 'analysis', check: { ...check, timeoutSeconds: 301 } }), 'steps[0]: timeoutSeconds must be 1-300'],
    ['a negative auto-promotion', blueGreen({ autoPromotionSeconds: -1 }), 'autoPromotionSeconds must be 0-604800, or null for manual promotion'],
    ['an auto-promotion over a week', blueGreen({ autoPromotionSeconds: 604801 }), 'autoPromotionSeconds must be 0-604800, or null for manual promotion'],
    ['a negative scale-down delay', blueGreen({ scaleDownDelaySeconds: -1 }), 'scaleDownDelaySeconds must be 0-86400'],
    ['a scale-down delay over a day', blueGreen({ scaleDownDelaySeconds: 86401 }), 'scaleDownDelaySeconds must be 0-86400'],
    ['an invalid pre-promotion analysis', blueGreen({ prePromotionAnalysis: { ...check, url: 'not a url' } }), 'prePromotionAnalysis: analysis url must be an absolute http(s) URL'],
    ['a pre-promotion analysis with a bad timeout', blueGreen({ prePromotionAnalysis: { ...check, timeoutSeconds: 0 } }), 'prePromotionAnalysis: timeoutSeconds must be 1-300'],
  ])('rejects %s', (_what, strategy, message) => {
    const error = rejection(() => validateStrategy(strategy));
    expect(error.code).toBe('ROLLOUT_STRATEGY_INVALID');
    expect(error.message).toBe(message);
  });

  it('names the url that is wrong', () => {
    const error = rejection(() => validateStrategy(withStep({ kind: 'analysis', check: { ...check, url: 'mailto:ops@example.com' } })));
    expect(error.details).toEqual({ url: 'mailto:ops@example.com' });
  });
});

describe('canaryReplicaSplit', () => {
  it('follows the worked example: 10 % of 7 replicas → 1 canary pod, 6 stable', () => {
    expect(canaryReplicaSplit(7, 10)).toEqual({ canary: 1, stable: 6 });
  });
  it.each<[number, number, { canary: number; stable: number }]>([
    [7, 50, { canary: 4, stable: 3 }],
    [7, 100, { canary: 7, stable: 0 }],
    [7, 0, { canary: 0, stable: 7 }],
    [10, 25, { canary: 3, stable: 7 }],
    [10, 20, { canary: 2, stable: 8 }],
    [1, 1, { canary: 1, stable: 0 }],
    [4, 99, { canary: 4, stable: 0 }],
  ])('splits %p replicas at %p %% into %p', (total, weight, split) => {
    expect(canaryReplicaSplit(total, weight)).toEqual(split);
  });
  it('never gives the canary more pods than there are', () => {
    expect(canaryReplicaSplit(3, 150)).toEqual({ canary: 3, stable: 0 });
  });
});
