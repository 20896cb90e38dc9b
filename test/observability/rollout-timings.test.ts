import { describe, expect, it } from '@jest/globals';
import { fold, rolloutDecider, waveStages, type RolloutEvent, type Strategy } from '#domain';
import { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { RolloutTimings } from '../../apps/worker/src/rollout/rollout-timings.js';
import { rolloutRequest } from '../support/rollout-request.js';
import { parseExposition, sumOf } from '../support/prometheus-text.js';

const canary: Strategy = { kind: 'canary', replicas: 2, steps: [{ kind: 'setWeight', weight: 50 }], trafficRouting: 'replicas', progressDeadlineSeconds: 60 };
const request = rolloutRequest(canary);
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds)).toISOString();
const ref = (stage: number) => ({ rolloutId: 'r1', wave: 0, stage });

describe('RolloutTimings', () => {
  it('times a step from its start, and a wave from its first step even when another worker started it', async () => {
    const metrics = new CircleMetrics();
    const history: RolloutEvent[] = [
      { type: 'RolloutRequested', data: { ...request, requestedAt: at(0) } },
      { type: 'RolloutStageStarted', data: { ...ref(0), until: null, at: at(1) } },
    ];
    const stages = waveStages(request, 0).length;
    expect(stages).toBeGreaterThan(1);
    // This worker took the rollout over after the wave began: it only read the history.
    const timings = new RolloutTimings(metrics, request);
    timings.seen(history);
    let state = fold(rolloutDecider, history);
    const record = (event: RolloutEvent) => {
      const after = rolloutDecider.evolve(state, event);
      timings.recorded(event, state, after);
      state = after;
    };
    for (let stage = 0; stage < stages; stage += 1) {
      if (stage > 0) record({ type: 'RolloutStageStarted', data: { ...ref(stage), until: null, at: at(1 + stage * 10) } });
      record({ type: 'RolloutStageCompleted', data: { ...ref(stage), how: 'done', at: at(1 + stage * 10 + 4) } });
    }
    const text = parseExposition(await metrics.scrape());
    expect(sumOf(text, 'circle_rollout_step_duration_seconds_count', { strategy: 'canary' })).toBe(stages);
    expect(sumOf(text, 'circle_rollout_step_duration_seconds_sum', { strategy: 'canary' })).toBe(4 * stages);
    expect(sumOf(text, 'circle_rollout_step_duration_seconds_count', { step: 'canaryWeight' })).toBe(1);
    // From the first stage's start (second 1, in the history) to the last completion.
    expect(sumOf(text, 'circle_rollout_wave_duration_seconds_sum', { strategy: 'canary' })).toBe((stages - 1) * 10 + 4);
    expect(sumOf(text, 'circle_rollout_wave_duration_seconds_count')).toBe(1);
  });

  it('keeps two circles in one process apart: each registry counts only its own', async () => {
    const one = new CircleMetrics();
    const two = new CircleMetrics();
    one.eventsAppended.inc({ type: 'ApplicationCreated' });
    expect(sumOf(parseExposition(await one.scrape()), 'circle_events_appended_total')).toBe(1);
    expect(sumOf(parseExposition(await two.scrape()), 'circle_events_appended_total')).toBe(0);
  });
});
