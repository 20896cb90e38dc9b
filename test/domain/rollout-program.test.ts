import { describe, expect, it } from '@jest/globals';
import { rolloutRequest } from '../support/rollout-request.js';
import { waveStages, type AnalysisCheck, type RolloutRequest, type Stage, type Strategy } from '#domain';

const check: AnalysisCheck = {
  name: 'http-ok',
  url: 'http://shop.internal/healthz',
  intervalSeconds: 60,
  count: 3,
  failureLimit: 1,
  consecutiveErrorLimit: 2,
  timeoutSeconds: 5,
};

const canary = (steps: Extract<Strategy, { kind: 'canary' }>['steps']): Strategy => ({
  kind: 'canary',
  replicas: 7,
  steps,
  trafficRouting: 'replicas',
  progressDeadlineSeconds: 600,
});

const blueGreen = (overrides: Partial<Extract<Strategy, { kind: 'blueGreen' }>> = {}): Strategy => ({
  kind: 'blueGreen',
  replicas: 4,
  autoPromotionSeconds: null,
  scaleDownDelaySeconds: 30,
  prePromotionAnalysis: null,
  progressDeadlineSeconds: 600,
  ...overrides,
});

const request = (strategy: Strategy, overrides: Partial<RolloutRequest> = {}): RolloutRequest =>
  rolloutRequest(strategy, { waves: [['eu-1'], ['us-1', 'us-2'], ['ap-1']], ...overrides });

const weight = (w: number): Stage => ({ type: 'action', action: { kind: 'canaryWeight', weight: w } });
const finalize: Stage = { type: 'action', action: { kind: 'canaryFinalize' } };
const pause = (seconds: number | null): Stage => ({ type: 'gate', gate: { kind: 'pause', seconds } });
const analysis: Stage = { type: 'gate', gate: { kind: 'analysis', check } };
const bake = (seconds: number): Stage => ({ type: 'gate', gate: { kind: 'delay', seconds, reason: 'bake' } });
const preview: Stage = { type: 'action', action: { kind: 'blueGreenPreview' } };
const promote: Stage = { type: 'action', action: { kind: 'blueGreenPromote' } };
const scaleDownDelay = (seconds: number): Stage => ({ type: 'gate', gate: { kind: 'delay', seconds, reason: 'scaleDownDelay' } });
const scaleDown: Stage = { type: 'action', action: { kind: 'blueGreenScaleDown' } };
const install: Stage = { type: 'action', action: { kind: 'install' } };

describe('waveStages', () => {
  describe('canary', () => {
    it('turns each step into a stage, in order, and ends with canaryFinalize', () => {
      const strategy = canary([
        { kind: 'setWeight', weight: 10 },
        { kind: 'pause', seconds: 60 },
        { kind: 'setWeight', weight: 50 },
        { kind: 'analysis', check },
        { kind: 'pause', seconds: null },
      ]);
      expect(waveStages(request(strategy), 2)).toEqual([weight(10), pause(60), weight(50), analysis, pause(null), finalize]);
    });

    it('folds a trailing setWeight 100 into canaryFinalize', () => {
      const strategy = canary([
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', seconds: 30 },
        { kind: 'setWeight', weight: 100 },
      ]);
      expect(waveStages(request(strategy), 2)).toEqual([weight(20), pause(30), finalize]);
    });

    it('keeps a setWeight 100 that is not the last step', () => {
      const strategy = canary([
        { kind: 'setWeight', weight: 100 },
        { kind: 'pause', seconds: 30 },
      ]);
      expect(waveStages(request(strategy), 2)).toEqual([weight(100), pause(30), finalize]);
    });

    it('keeps a trailing setWeight below 100', () => {
      const strategy = canary([{ kind: 'setWeight', weight: 50 }]);
      expect(waveStages(request(strategy), 2)).toEqual([weight(50), finalize]);
    });

    it('a canary of only setWeight 100 is just canaryFinalize', () => {
      expect(waveStages(request(canary([{ kind: 'setWeight', weight: 100 }])), 0)).toEqual([finalize]);
    });
  });

  describe('blue-green', () => {
    it('preview, pause for a promote, promote, scale-down delay, scale down', () => {
      expect(waveStages(request(blueGreen()), 2)).toEqual([preview, pause(null), promote, scaleDownDelay(30), scaleDown]);
    });

    it('pauses for autoPromotionSeconds when set', () => {
      expect(waveStages(request(blueGreen({ autoPromotionSeconds: 120 })), 2)).toEqual([
        preview,
        pause(120),
        promote,
        scaleDownDelay(30),
        scaleDown,
      ]);
    });

    it('runs the pre-promotion analysis between preview and pause', () => {
      expect(waveStages(request(blueGreen({ prePromotionAnalysis: check, autoPromotionSeconds: 0 })), 2)).toEqual([
        preview,
        analysis,
        pause(0),
        promote,
        scaleDownDelay(30),
        scaleDown,
      ]);
    });

    it('has no scale-down delay gate when scaleDownDelaySeconds is 0', () => {
      expect(waveStages(request(blueGreen({ scaleDownDelaySeconds: 0 })), 2)).toEqual([preview, pause(null), promote, scaleDown]);
    });
  });

  describe('first deploy (currentVersion null)', () => {
    it('installs directly, whatever the strategy', () => {
      const first = { kind: 'deploy' as const, currentVersion: null };
      expect(waveStages(request(canary([{ kind: 'setWeight', weight: 10 }, { kind: 'pause', seconds: null }]), first), 2)).toEqual([
        install,
      ]);
      expect(waveStages(request(blueGreen({ prePromotionAnalysis: check }), first), 2)).toEqual([install]);
    });

    it('still bakes between waves', () => {
      const first = request(blueGreen(), { kind: 'deploy', currentVersion: null, bakeSeconds: 300 });
      expect(waveStages(first, 0)).toEqual([install, bake(300)]);
      expect(waveStages(first, 2)).toEqual([install]);
    });
  });

  describe('bake delay', () => {
    const strategy = canary([{ kind: 'setWeight', weight: 25 }]);

    it('follows every wave but the last', () => {
      const baking = request(strategy, { bakeSeconds: 300 });
      expect(waveStages(baking, 0)).toEqual([weight(25), finalize, bake(300)]);
      expect(waveStages(baking, 1)).toEqual([weight(25), finalize, bake(300)]);
      expect(waveStages(baking, 2)).toEqual([weight(25), finalize]);
    });

    it('is left out when bakeSeconds is 0', () => {
      const noBake = request(strategy, { bakeSeconds: 0 });
      expect(waveStages(noBake, 0)).toEqual([weight(25), finalize]);
      expect(waveStages(noBake, 1)).toEqual([weight(25), finalize]);
    });

    it('a single wave never bakes', () => {
      expect(waveStages(request(strategy, { bakeSeconds: 300, waves: [['eu-1', 'us-1']] }), 0)).toEqual([weight(25), finalize]);
    });

    it('comes after the blue-green scale down', () => {
      expect(waveStages(request(blueGreen({ autoPromotionSeconds: 60 }), { bakeSeconds: 120 }), 1)).toEqual([
        preview,
        pause(60),
        promote,
        scaleDownDelay(30),
        scaleDown,
        bake(120),
      ]);
    });
  });
});
