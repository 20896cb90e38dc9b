import { describe, expect, it } from '@jest/globals';
import { rolloutRequest } from '../support/rollout-request.js';
import {
  fold,
  nextIntentions,
  rolloutDecider,
  type AnalysisCheck,
  type Intention,
  type MeasurementOutcome,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutRequest,
  type Strategy,
} from '#domain';

const T0 = new Date('2026-11-22T03:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const secondsOf = (iso: string): number => (new Date(iso).getTime() - T0.getTime()) / 1000;
/** How long the simulated worker waits before it looks again at a cluster that is not ready yet. */
const POLL_SECONDS = 15;
const DEADLINE_SECONDS = 120;

const check = (overrides: Partial<AnalysisCheck> = {}): AnalysisCheck => ({
  name: 'http-ok',
  url: 'http://shop.internal/healthz',
  intervalSeconds: 60,
  count: 3,
  failureLimit: 1,
  consecutiveErrorLimit: 1,
  timeoutSeconds: 5,
  ...overrides,
});

const canary = (steps: Extract<Strategy, { kind: 'canary' }>['steps']): Strategy => ({
  kind: 'canary',
  replicas: 7,
  steps,
  trafficRouting: 'replicas',
  progressDeadlineSeconds: DEADLINE_SECONDS,
});

const blueGreen = (overrides: Partial<Extract<Strategy, { kind: 'blueGreen' }>> = {}): Strategy => ({
  kind: 'blueGreen',
  replicas: 4,
  autoPromotionSeconds: null,
  scaleDownDelaySeconds: 30,
  prePromotionAnalysis: null,
  progressDeadlineSeconds: DEADLINE_SECONDS,
  ...overrides,
});

/** How the simulated clusters and checks behave. */
interface World {
  /** Ready when observed? `observation` counts the looks at this attempt (1-based), `attempt` the starts of the cluster in this stage. */
  ready?: (cluster: string, wave: number, stage: number, observation: number, attempt: number) => boolean;
  /** The outcome of the n-th measurement (0-based, over the whole rollout). */
  measure?: (n: number) => MeasurementOutcome;
  /** Restored cluster ready when observed? */
  restored?: (cluster: string, observation: number) => boolean;
}

/**
 * A worker written for the test: takes the intentions, performs them on a make-believe
 * world and reports back through the decider; a fake clock moves on wakeAt, or by a
 * poll interval when a whole round changed nothing.
 */
class SimulatedWorker {
  readonly events: RolloutEvent[];
  /** Every round: the time and what the workflow asked for. */
  readonly trace: { now: Date; seen: number; intentions: Intention[] }[] = [];
  now: Date;
  private readonly looks = new Map<string, number>();
  private measurements = 0;

  constructor(
    private readonly world: World,
    history: RolloutEvent[],
    now: Date = T0,
  ) {
    this.events = [...history];
    this.now = now;
  }

  static start(request: RolloutRequest, world: World = {}): SimulatedWorker {
    const worker = new SimulatedWorker(world, []);
    worker.decide({ type: 'RequestRollout', data: { ...request, now: T0 } });
    return worker;
  }

  state() {
    return fold(rolloutDecider, this.events);
  }

  intentions(now: Date = this.now): Intention[] {
    return nextIntentions(this.state(), now);
  }

  decide(command: RolloutCommand): RolloutEvent[] {
    const emitted = rolloutDecider.decide(command, this.state());
    this.events.push(...emitted);
    return emitted;
  }

  /**
   * Works until the workflow has nothing to do (an indefinite pause, a pause by a
   * person, the end), or until `stopBefore` picks an intention (a crash before it).
   */
  run(options: { stopBefore?: (intention: Intention) => boolean; stopWhen?: (events: RolloutEvent[]) => boolean } = {}): {
    stoppedBefore: Intention | null;
  } {
    for (let round = 0; round < 2000; round += 1) {
      const intentions = this.intentions();
      this.trace.push({ now: this.now, seen: this.events.length, intentions });
      if (intentions.length === 0) return { stoppedBefore: null };
      const before = this.events.length;
      let wake = null as Date | null;
      for (const intention of intentions) {
        if (options.stopBefore?.(intention)) return { stoppedBefore: intention };
        if (intention.kind === 'wakeAt') wake = wake === null || intention.at < wake ? intention.at : wake;
        else this.perform(intention);
        if (options.stopWhen?.(this.events)) return { stoppedBefore: null };
      }
      if (this.events.length === before) this.now = wake ?? new Date(this.now.getTime() + POLL_SECONDS * 1000);
    }
    throw new Error('the simulated rollout did not settle');
  }

  private perform(intention: Exclude<Intention, { kind: 'wakeAt' }>): void {
    const rolloutId = 'r1';
    const now = this.now;
    switch (intention.kind) {
      case 'record':
        this.decide(intention.command);
        return;
      case 'apply': {
        const { cluster, wave, stage } = intention;
        this.decide({ type: 'RecordClusterApplied', data: { rolloutId, wave, stage, cluster, note: { previous: `1.4.2@${cluster}` }, now } });
        return;
      }
      case 'observe': {
        const { cluster, wave, stage, deadline } = intention;
        const attempt = this.events.filter(
          (e) => e.type === 'ClusterActionStarted' && e.data.cluster === cluster && e.data.wave === wave && e.data.stage === stage,
        ).length;
        const key = `${cluster}/${wave}/${stage}/${attempt}`;
        const look = (this.looks.get(key) ?? 0) + 1;
        this.looks.set(key, look);
        if (this.world.ready?.(cluster, wave, stage, look, attempt) ?? true) {
          this.decide({ type: 'RecordClusterReady', data: { rolloutId, wave, stage, cluster, now } });
        } else if (now >= deadline) {
          this.decide({ type: 'RecordClusterFailure', data: { rolloutId, wave, stage, cluster, reason: 'progress deadline exceeded', now } });
        }
        return;
      }
      case 'measure': {
        const outcome = this.world.measure?.(this.measurements) ?? 'pass';
        this.measurements += 1;
        const { wave, stage } = intention;
        this.decide({ type: 'RecordMeasurement', data: { rolloutId, wave, stage, outcome, detail: `HTTP ${outcome === 'pass' ? 200 : 503}`, now } });
        return;
      }
      case 'restore': {
        const applied = this.events.some((e) => e.type === 'ClusterActionApplied' && e.data.cluster === intention.cluster);
        expect(intention.note).toEqual(applied ? { previous: `1.4.2@${intention.cluster}` } : {});
        this.decide({ type: 'RecordRestoreApplied', data: { rolloutId, cluster: intention.cluster, now } });
        return;
      }
      case 'observeRestore': {
        const key = `restore/${intention.cluster}`;
        const look = (this.looks.get(key) ?? 0) + 1;
        this.looks.set(key, look);
        if (this.world.restored?.(intention.cluster, look) ?? true) {
          this.decide({ type: 'RecordClusterRestored', data: { rolloutId, cluster: intention.cluster, now } });
        } else if (now >= intention.deadline) {
          this.decide({ type: 'RecordRestoreFailure', data: { rolloutId, cluster: intention.cluster, reason: 'old version not ready', now } });
        }
        return;
      }
      default: {
        const _: never = intention;
        throw new Error(`unexpected intention ${JSON.stringify(_)}`);
      }
    }
  }
}

/** One line per event, enough to read a whole rollout at a glance. */
function story(events: RolloutEvent[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case 'RolloutStageStarted':
        return `StageStarted ${e.data.wave}/${e.data.stage}${e.data.until === null ? '' : ` until +${secondsOf(e.data.until)}s`}`;
      case 'RolloutStageCompleted':
        return `StageCompleted ${e.data.wave}/${e.data.stage} ${e.data.how}`;
      case 'ClusterActionStarted':
      case 'ClusterActionApplied':
      case 'ClusterActionSucceeded':
      case 'ClusterActionFailed':
        return `${e.type.replace('Cluster', '')} ${e.data.wave}/${e.data.stage} ${e.data.cluster}`;
      case 'AnalysisMeasured':
        return `Measured ${e.data.wave}/${e.data.stage} ${e.data.outcome} +${secondsOf(e.data.at)}s`;
      case 'ClusterRestoreStarted':
      case 'ClusterRestoreApplied':
      case 'ClusterRestored':
      case 'ClusterRestoreFailed':
        return `${e.type} ${e.data.cluster}`;
      case 'RolloutPaused':
        return `Paused by ${e.data.actor}`;
      case 'RolloutGateFailed':
        return `GateFailed ${e.data.cluster ?? '-'}`;
      default:
        return e.type;
    }
  });
}

/**
 * What must hold for every rollout, read from the events alone: stages run one at a
 * time in program order; cluster work happens inside its stage; at most maxParallel
 * clusters are being changed, or restored, at once.
 */
function expectWellFormed(events: RolloutEvent[], maxParallel: number): void {
  let open: { wave: number; stage: number } | null = null;
  let last: { wave: number; stage: number } | null = null;
  const inFlight = new Set<string>();
  const restoring = new Set<string>();
  let widest = 0;
  let widestRestore = 0;
  for (const e of events) {
    switch (e.type) {
      case 'RolloutStageStarted': {
        expect(open).toBeNull();
        const ref = { wave: e.data.wave, stage: e.data.stage };
        if (last !== null) {
          const next = ref.wave === last.wave ? ref.stage === last.stage + 1 : ref.wave === last.wave + 1 && ref.stage === 0;
          expect({ next, after: last, started: ref }).toEqual({ next: true, after: last, started: ref });
        } else {
          expect(ref).toEqual({ wave: 0, stage: 0 });
        }
        open = ref;
        break;
      }
      case 'RolloutStageCompleted':
        expect(open).toEqual({ wave: e.data.wave, stage: e.data.stage });
        expect(inFlight.size).toBe(0);
        last = open;
        open = null;
        break;
      case 'ClusterActionStarted':
      case 'ClusterActionApplied':
      case 'ClusterActionSucceeded':
      case 'ClusterActionFailed':
      case 'AnalysisMeasured':
        expect(open).toEqual({ wave: e.data.wave, stage: e.data.stage });
        if (e.type === 'ClusterActionStarted') inFlight.add(e.data.cluster);
        if (e.type === 'ClusterActionSucceeded' || e.type === 'ClusterActionFailed') inFlight.delete(e.data.cluster);
        widest = Math.max(widest, inFlight.size);
        break;
      case 'ClusterRestoreStarted':
        restoring.add(e.data.cluster);
        widestRestore = Math.max(widestRestore, restoring.size);
        break;
      case 'ClusterRestored':
      case 'ClusterRestoreFailed':
        restoring.delete(e.data.cluster);
        break;
      default:
        break;
    }
  }
  expect(widest).toBeLessThanOrEqual(maxParallel);
  expect(widestRestore).toBeLessThanOrEqual(maxParallel);
}

const startedAt = (events: RolloutEvent[], wave: number, stage: number): RolloutEvent & { type: 'RolloutStageStarted' } => {
  const found = events.find((e) => e.type === 'RolloutStageStarted' && e.data.wave === wave && e.data.stage === stage);
  if (found?.type !== 'RolloutStageStarted') throw new Error(`stage ${wave}/${stage} never started`);
  return found;
};
const completedAt = (events: RolloutEvent[], wave: number, stage: number): RolloutEvent & { type: 'RolloutStageCompleted' } => {
  const found = events.find((e) => e.type === 'RolloutStageCompleted' && e.data.wave === wave && e.data.stage === stage);
  if (found?.type !== 'RolloutStageCompleted') throw new Error(`stage ${wave}/${stage} never completed`);
  return found;
};
const upTo = (events: RolloutEvent[], event: RolloutEvent): RolloutEvent[] => events.slice(0, events.indexOf(event) + 1);

/** The events of one action on a cluster that goes well at the first look. */
const clusterDone = (w: string, cluster: string): string[] => [`ActionStarted ${w} ${cluster}`, `ActionApplied ${w} ${cluster}`, `ActionSucceeded ${w} ${cluster}`];

describe('rollout workflow: nextIntentions driven by a simulated worker', () => {
  describe('canary over 5 clusters in 3 waves, maxParallel 2', () => {
    // Stages of each wave: 0 canaryWeight 20, 1 pause 60, 2 canaryFinalize, 3 bake 300 (not in the last wave).
    const request = rolloutRequest(
      canary([
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', seconds: 60 },
        { kind: 'setWeight', weight: 100 },
      ]),
      { waves: [['eu-1'], ['eu-2', 'us-1', 'us-2'], ['ap-1']], bakeSeconds: 300 },
    );
    // us-1 takes three looks to become ready at the weight stage, the rest one.
    const world: World = { ready: (cluster, _w, stage, look) => !(cluster === 'us-1' && stage === 0 && look < 3) };

    it('runs every wave in order and succeeds', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      expect(story(worker.events)).toEqual([
        'RolloutRequested',
        // wave 0
        'StageStarted 0/0',
        ...clusterDone('0/0', 'eu-1'),
        'StageCompleted 0/0 done',
        'StageStarted 0/1 until +60s',
        'StageCompleted 0/1 elapsed',
        'StageStarted 0/2',
        ...clusterDone('0/2', 'eu-1'),
        'StageCompleted 0/2 done',
        'StageStarted 0/3 until +360s',
        'StageCompleted 0/3 elapsed',
        // wave 1: two slots; us-2 takes the slot eu-2 frees while us-1 is still coming up
        'StageStarted 1/0',
        'ActionStarted 1/0 eu-2',
        'ActionStarted 1/0 us-1',
        'ActionApplied 1/0 eu-2',
        'ActionApplied 1/0 us-1',
        'ActionSucceeded 1/0 eu-2',
        'ActionStarted 1/0 us-2',
        'ActionSucceeded 1/0 us-1',
        'ActionApplied 1/0 us-2',
        'ActionSucceeded 1/0 us-2',
        'StageCompleted 1/0 done',
        'StageStarted 1/1 until +420s',
        'StageCompleted 1/1 elapsed',
        'StageStarted 1/2',
        'ActionStarted 1/2 eu-2',
        'ActionStarted 1/2 us-1',
        'ActionApplied 1/2 eu-2',
        'ActionApplied 1/2 us-1',
        'ActionSucceeded 1/2 eu-2',
        'ActionSucceeded 1/2 us-1',
        'ActionStarted 1/2 us-2',
        'ActionApplied 1/2 us-2',
        'ActionSucceeded 1/2 us-2',
        'StageCompleted 1/2 done',
        'StageStarted 1/3 until +720s',
        'StageCompleted 1/3 elapsed',
        // wave 2: no bake after the last wave
        'StageStarted 2/0',
        ...clusterDone('2/0', 'ap-1'),
        'StageCompleted 2/0 done',
        'StageStarted 2/1 until +780s',
        'StageCompleted 2/1 elapsed',
        'StageStarted 2/2',
        ...clusterDone('2/2', 'ap-1'),
        'StageCompleted 2/2 done',
        'RolloutSucceeded',
      ]);
      expectWellFormed(worker.events, request.maxParallel);
      expect(worker.intentions(at(100_000))).toEqual([]);
    });

    it('gives the actions the cluster and the step: canaryWeight 20, then canaryFinalize', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      const applies = worker.trace.flatMap((t) => t.intentions).filter((i) => i.kind === 'apply');
      expect(applies.map((i) => i.kind === 'apply' && `${i.cluster} ${JSON.stringify(i.action)}`)).toEqual([
        'eu-1 {"kind":"canaryWeight","weight":20}',
        'eu-1 {"kind":"canaryFinalize"}',
        'eu-2 {"kind":"canaryWeight","weight":20}',
        'us-1 {"kind":"canaryWeight","weight":20}',
        'us-2 {"kind":"canaryWeight","weight":20}',
        'eu-2 {"kind":"canaryFinalize"}',
        'us-1 {"kind":"canaryFinalize"}',
        'us-2 {"kind":"canaryFinalize"}',
        'ap-1 {"kind":"canaryWeight","weight":20}',
        'ap-1 {"kind":"canaryFinalize"}',
      ]);
    });

    it('a pause gate asks only to wake at `until`, and completes at `until`', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      const started = startedAt(worker.events, 1, 1);
      const until = new Date(started.data.until!);
      expect(secondsOf(until.toISOString()) - secondsOf(started.data.at)).toBe(60);
      const state = fold(rolloutDecider, upTo(worker.events, started));
      expect(nextIntentions(state, new Date(started.data.at))).toEqual([{ kind: 'wakeAt', at: until }]);
      expect(nextIntentions(state, new Date(until.getTime() - 1))).toEqual([{ kind: 'wakeAt', at: until }]);
      expect(nextIntentions(state, until)).toEqual([
        { kind: 'record', command: { type: 'CompleteStage', data: { rolloutId: 'r1', wave: 1, stage: 1, how: 'elapsed', now: until } } },
      ]);
      expect(completedAt(worker.events, 1, 1).data.at).toBe(until.toISOString());
      // While the pause ran, the worker was only ever told to sleep, until `until`.
      const during = worker.trace.filter((t) => t.seen === worker.events.indexOf(started) + 1);
      expect(during.map((t) => [t.now, t.intentions[0]?.kind])).toEqual([
        [new Date(started.data.at), 'wakeAt'],
        [until, 'record'],
      ]);
    });

    it('bakes bakeSeconds between waves, and the next wave starts only after the bake', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      for (const wave of [0, 1]) {
        const bake = startedAt(worker.events, wave, 3);
        expect(secondsOf(bake.data.until!) - secondsOf(bake.data.at)).toBe(300);
        const baked = completedAt(worker.events, wave, 3);
        expect(baked.data).toEqual({ rolloutId: 'r1', wave, stage: 3, how: 'elapsed', at: bake.data.until });
        const next = startedAt(worker.events, wave + 1, 0);
        expect(worker.events.indexOf(next)).toBe(worker.events.indexOf(baked) + 1);
        const firstClusterOfNextWave = worker.events.find((e) => e.type === 'ClusterActionStarted' && e.data.wave === wave + 1);
        expect(worker.events.indexOf(firstClusterOfNextWave!)).toBeGreaterThan(worker.events.indexOf(baked));
      }
    });

    it('never asks for more than maxParallel clusters at once, and retries a slow cluster by observing it', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      for (const { intentions } of worker.trace) {
        const busy = intentions.filter(
          (i) => i.kind === 'apply' || i.kind === 'observe' || (i.kind === 'record' && i.command.type === 'StartClusterAction'),
        );
        expect(busy.length).toBeLessThanOrEqual(2);
      }
      const looksAtUs1 = worker.trace.flatMap((t) => t.intentions).filter((i) => i.kind === 'observe' && i.cluster === 'us-1' && i.stage === 0);
      expect(looksAtUs1).toHaveLength(3);
    });
  });

  describe('blue-green with a manual promote', () => {
    // Stages of each wave: 0 preview, 1 pause (null), 2 promote, 3 scaleDownDelay 30, 4 scaleDown, 5 bake 60 (wave 0).
    const request = rolloutRequest(blueGreen(), { bakeSeconds: 60 });
    const promote = (now: Date, full = false): RolloutCommand => ({
      type: 'PromoteRollout',
      data: { rolloutId: 'r1', actor: 'bob', full, now },
    });

    it('waits at the pause with no intentions until promoted, then goes on; each wave needs its own promote', () => {
      const worker = SimulatedWorker.start(request);
      worker.run();
      expect(story(worker.events)).toEqual(['RolloutRequested', 'StageStarted 0/0', ...clusterDone('0/0', 'eu-1'), 'StageCompleted 0/0 done', 'StageStarted 0/1']);
      expect(worker.intentions(at(7 * 24 * 3600))).toEqual([]);

      worker.now = at(3600);
      expect(worker.decide(promote(worker.now))).toEqual([
        { type: 'RolloutPromoted', data: { rolloutId: 'r1', actor: 'bob', full: false, at: at(3600).toISOString() } },
      ]);
      worker.run();
      expect(story(worker.events).slice(7)).toEqual([
        'RolloutPromoted',
        'StageCompleted 0/1 promoted',
        'StageStarted 0/2',
        ...clusterDone('0/2', 'eu-1'),
        'StageCompleted 0/2 done',
        'StageStarted 0/3 until +3630s',
        'StageCompleted 0/3 elapsed',
        'StageStarted 0/4',
        ...clusterDone('0/4', 'eu-1'),
        'StageCompleted 0/4 done',
        'StageStarted 0/5 until +3690s',
        'StageCompleted 0/5 elapsed',
        'StageStarted 1/0',
        ...clusterDone('1/0', 'us-1'),
        'StageCompleted 1/0 done',
        'StageStarted 1/1',
      ]);
      expect(worker.intentions(at(100_000))).toEqual([]);

      worker.decide(promote(worker.now));
      worker.run();
      const lines = story(worker.events);
      expect(lines.slice(lines.lastIndexOf('RolloutPromoted'))).toEqual([
        'RolloutPromoted',
        'StageCompleted 1/1 promoted',
        'StageStarted 1/2',
        ...clusterDone('1/2', 'us-1'),
        'StageCompleted 1/2 done',
        'StageStarted 1/3 until +3720s',
        'StageCompleted 1/3 elapsed',
        'StageStarted 1/4',
        ...clusterDone('1/4', 'us-1'),
        'StageCompleted 1/4 done',
        'RolloutSucceeded',
      ]);
      expectWellFormed(worker.events, request.maxParallel);
    });

    it('a promote that arrives during the preview is kept for the pause that follows', () => {
      const worker = SimulatedWorker.start(rolloutRequest(blueGreen({ scaleDownDelaySeconds: 0 }), { waves: [['eu-1']] }));
      worker.run({ stopWhen: (events) => events.at(-1)?.type === 'ClusterActionApplied' });
      worker.decide(promote(worker.now));
      worker.run();
      expect(story(worker.events)).toEqual([
        'RolloutRequested',
        'StageStarted 0/0',
        'ActionStarted 0/0 eu-1',
        'ActionApplied 0/0 eu-1',
        'RolloutPromoted',
        'ActionSucceeded 0/0 eu-1',
        'StageCompleted 0/0 done',
        'StageStarted 0/1',
        'StageCompleted 0/1 promoted',
        'StageStarted 0/2',
        ...clusterDone('0/2', 'eu-1'),
        'StageCompleted 0/2 done',
        'StageStarted 0/3',
        ...clusterDone('0/3', 'eu-1'),
        'StageCompleted 0/3 done',
        'RolloutSucceeded',
      ]);
    });

    it('promotes by itself after autoPromotionSeconds, after the pre-promotion analysis', () => {
      const worker = SimulatedWorker.start(
        rolloutRequest(blueGreen({ autoPromotionSeconds: 120, prePromotionAnalysis: check({ count: 2 }) }), { waves: [['eu-1']] }),
      );
      worker.run();
      expect(story(worker.events)).toEqual([
        'RolloutRequested',
        'StageStarted 0/0',
        ...clusterDone('0/0', 'eu-1'),
        'StageCompleted 0/0 done',
        'StageStarted 0/1',
        'Measured 0/1 pass +0s',
        'Measured 0/1 pass +60s',
        'StageCompleted 0/1 done',
        'StageStarted 0/2 until +180s',
        'StageCompleted 0/2 elapsed',
        'StageStarted 0/3',
        ...clusterDone('0/3', 'eu-1'),
        'StageCompleted 0/3 done',
        'StageStarted 0/4 until +210s',
        'StageCompleted 0/4 elapsed',
        'StageStarted 0/5',
        ...clusterDone('0/5', 'eu-1'),
        'StageCompleted 0/5 done',
        'RolloutSucceeded',
      ]);
    });
  });

  describe('full promote', () => {
    it('skips every remaining gate (pauses, analyses, bakes, scale-down delays) but still does every action', () => {
      // Stages: 0 weight 10, 1 pause null, 2 weight 50, 3 analysis, 4 pause 600, 5 finalize, 6 bake (wave 0).
      const request = rolloutRequest(
        canary([
          { kind: 'setWeight', weight: 10 },
          { kind: 'pause', seconds: null },
          { kind: 'setWeight', weight: 50 },
          { kind: 'analysis', check: check() },
          { kind: 'pause', seconds: 600 },
        ]),
        { bakeSeconds: 3600 },
      );
      const worker = SimulatedWorker.start(request);
      worker.run();
      expect(story(worker.events).at(-1)).toBe('StageStarted 0/1');
      const promotedAt = worker.trace.length;
      worker.decide({ type: 'PromoteRollout', data: { rolloutId: 'r1', actor: 'bob', full: true, now: worker.now } });
      worker.run();
      expect(story(worker.events).slice(7)).toEqual([
        'RolloutPromoted',
        'StageCompleted 0/1 skipped',
        'StageStarted 0/2',
        ...clusterDone('0/2', 'eu-1'),
        'StageCompleted 0/2 done',
        'StageStarted 0/3',
        'StageCompleted 0/3 skipped',
        'StageStarted 0/4 until +600s',
        'StageCompleted 0/4 skipped',
        'StageStarted 0/5',
        ...clusterDone('0/5', 'eu-1'),
        'StageCompleted 0/5 done',
        'StageStarted 0/6 until +3600s',
        'StageCompleted 0/6 skipped',
        'StageStarted 1/0',
        ...clusterDone('1/0', 'us-1'),
        'StageCompleted 1/0 done',
        'StageStarted 1/1',
        'StageCompleted 1/1 skipped',
        'StageStarted 1/2',
        ...clusterDone('1/2', 'us-1'),
        'StageCompleted 1/2 done',
        'StageStarted 1/3',
        'StageCompleted 1/3 skipped',
        'StageStarted 1/4 until +600s',
        'StageCompleted 1/4 skipped',
        'StageStarted 1/5',
        ...clusterDone('1/5', 'us-1'),
        'StageCompleted 1/5 done',
        'RolloutSucceeded',
      ]);
      const after = worker.trace.slice(promotedAt).flatMap((t) => t.intentions);
      expect(after.filter((i) => i.kind === 'wakeAt' || i.kind === 'measure')).toEqual([]);
      expect(worker.now).toEqual(T0);
    });
  });

  describe('a cluster failing in wave 2 aborts and rolls back every touched cluster', () => {
    // Stages of each wave: 0 canaryWeight 50, 1 canaryFinalize, 2 bake 60 (not in the last wave).
    const request = rolloutRequest(
      canary([
        { kind: 'setWeight', weight: 50 },
        { kind: 'setWeight', weight: 100 },
      ]),
      { waves: [['eu-1', 'eu-2'], ['us-1', 'us-2', 'us-3'], ['ap-1']], bakeSeconds: 60 },
    );
    const world: World = { ready: (cluster) => cluster !== 'us-2' };

    it('fails the gate at the deadline, restores waves 1 and 2 two at a time, and ends Failed', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      const wave1Start = story(worker.events).indexOf('StageStarted 1/0');
      expect(story(worker.events).slice(wave1Start)).toEqual([
        'StageStarted 1/0',
        'ActionStarted 1/0 us-1',
        'ActionStarted 1/0 us-2',
        'ActionApplied 1/0 us-1',
        'ActionApplied 1/0 us-2',
        'ActionSucceeded 1/0 us-1',
        'ActionStarted 1/0 us-3',
        'ActionApplied 1/0 us-3',
        'ActionSucceeded 1/0 us-3',
        'ActionFailed 1/0 us-2',
        'GateFailed us-2',
        'ClusterRestoreStarted eu-1',
        'ClusterRestoreStarted eu-2',
        'ClusterRestoreApplied eu-1',
        'ClusterRestoreApplied eu-2',
        'ClusterRestored eu-1',
        'ClusterRestored eu-2',
        'ClusterRestoreStarted us-1',
        'ClusterRestoreStarted us-2',
        'ClusterRestoreApplied us-1',
        'ClusterRestoreApplied us-2',
        'ClusterRestored us-1',
        'ClusterRestored us-2',
        'ClusterRestoreStarted us-3',
        'ClusterRestoreApplied us-3',
        'ClusterRestored us-3',
        'RolloutFailed',
      ]);
      const deadline = worker.events.find((e) => e.type === 'ClusterActionStarted' && e.data.cluster === 'us-2')!;
      const failed = worker.events.find((e) => e.type === 'ClusterActionFailed')!;
      expect(failed.data).toEqual({
        rolloutId: 'r1',
        wave: 1,
        stage: 0,
        cluster: 'us-2',
        reason: 'progress deadline exceeded',
        at: deadline.type === 'ClusterActionStarted' ? deadline.data.deadline : '',
      });
      expect(worker.events.find((e) => e.type === 'RolloutGateFailed')?.data).toMatchObject({
        cluster: 'us-2',
        reason: 'us-2: progress deadline exceeded',
      });
      expect(worker.events.at(-1)).toEqual({
        type: 'RolloutFailed',
        data: { rolloutId: 'r1', reason: 'us-2: progress deadline exceeded', at: failed.data.at },
      });
      expect(worker.events.slice(1).some((e) => JSON.stringify(e).includes('ap-1'))).toBe(false);
      expectWellFormed(worker.events, request.maxParallel);
    });

    it('asks to restore each touched cluster with the note from its apply, never more than maxParallel at once', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      const aborting = worker.trace.slice(worker.trace.findIndex((t) => t.intentions.some((i) => i.kind === 'restore' || (i.kind === 'record' && i.command.type === 'StartClusterRestore'))));
      const restores = aborting.flatMap((t) => t.intentions).filter((i) => i.kind === 'restore');
      expect(restores.map((i) => i.kind === 'restore' && [i.cluster, i.note])).toEqual(
        ['eu-1', 'eu-2', 'us-1', 'us-2', 'us-3'].map((c) => [c, { previous: `1.4.2@${c}` }]),
      );
      for (const { intentions } of aborting) {
        const busy = intentions.filter(
          (i) => i.kind === 'restore' || i.kind === 'observeRestore' || (i.kind === 'record' && i.command.type === 'StartClusterRestore'),
        );
        expect(busy.length).toBeLessThanOrEqual(2);
      }
      expect(aborting.at(-2)?.intentions).toEqual([
        { kind: 'record', command: { type: 'FinishRollback', data: { rolloutId: 'r1', now: worker.now } } },
      ]);
    });

    it('a restore that never gets ready fails at its deadline and the rollback still finishes', () => {
      const worker = SimulatedWorker.start(request, { ...world, restored: (cluster) => cluster !== 'eu-2' });
      worker.run();
      const rollback = story(worker.events).slice(story(worker.events).indexOf('GateFailed us-2'));
      expect(rollback).toEqual([
        'GateFailed us-2',
        'ClusterRestoreStarted eu-1',
        'ClusterRestoreStarted eu-2',
        'ClusterRestoreApplied eu-1',
        'ClusterRestoreApplied eu-2',
        'ClusterRestored eu-1',
        'ClusterRestoreStarted us-1',
        'ClusterRestoreApplied us-1',
        'ClusterRestored us-1',
        'ClusterRestoreStarted us-2',
        'ClusterRestoreApplied us-2',
        'ClusterRestored us-2',
        'ClusterRestoreStarted us-3',
        'ClusterRestoreApplied us-3',
        'ClusterRestored us-3',
        'ClusterRestoreFailed eu-2',
        'RolloutFailed',
      ]);
      expectWellFormed(worker.events, request.maxParallel);
    });
  });

  describe('abort by a person mid-wave', () => {
    it('restores the clusters touched so far, including one only started, and ends Aborted', () => {
      const request = rolloutRequest(canary([{ kind: 'setWeight', weight: 50 }]), { waves: [['eu-1'], ['us-1', 'us-2', 'us-3']] });
      const worker = SimulatedWorker.start(request);
      // Stop in wave 1 once us-1 is applied and us-2 has a slot but no apply yet.
      worker.run({
        stopWhen: (events) => {
          const last = events.at(-1);
          return last?.type === 'ClusterActionStarted' && last.data.cluster === 'us-2';
        },
      });
      expect(story(worker.events).slice(-3)).toEqual(['StageStarted 1/0', 'ActionStarted 1/0 us-1', 'ActionStarted 1/0 us-2']);
      worker.now = at(42);
      expect(
        worker.decide({ type: 'AbortRollout', data: { rolloutId: 'r1', actor: 'bob', reason: 'wrong build', supersededBy: null, now: worker.now } }),
      ).toEqual([
        {
          type: 'RolloutAbortRequested',
          data: { rolloutId: 'r1', actor: 'bob', reason: 'wrong build', supersededBy: null, at: at(42).toISOString() },
        },
      ]);
      // The worker's report for the apply it was doing arrives late and is dropped.
      expect(
        worker.decide({ type: 'RecordClusterApplied', data: { rolloutId: 'r1', wave: 1, stage: 0, cluster: 'us-1', note: {}, now: worker.now } }),
      ).toEqual([]);
      expect(worker.intentions()).toEqual(
        ['eu-1', 'us-1'].map((cluster) => ({
          kind: 'record',
          command: { type: 'StartClusterRestore', data: { rolloutId: 'r1', cluster, deadline: at(42 + DEADLINE_SECONDS), now: at(42) } },
        })),
      );
      worker.run();
      expect(story(worker.events).slice(-11)).toEqual([
        'RolloutAbortRequested',
        'ClusterRestoreStarted eu-1',
        'ClusterRestoreStarted us-1',
        'ClusterRestoreApplied eu-1',
        'ClusterRestoreApplied us-1',
        'ClusterRestored eu-1',
        'ClusterRestored us-1',
        'ClusterRestoreStarted us-2',
        'ClusterRestoreApplied us-2',
        'ClusterRestored us-2',
        'RolloutAborted',
      ]);
      expect(worker.events.at(-1)).toEqual({ type: 'RolloutAborted', data: { rolloutId: 'r1', reason: 'wrong build', at: at(42).toISOString() } });
      expect(worker.intentions(at(100_000))).toEqual([]);
      expectWellFormed(worker.events, request.maxParallel);
    });

    it('an abort before any cluster was touched finishes at once', () => {
      const worker = SimulatedWorker.start(rolloutRequest(canary([{ kind: 'setWeight', weight: 50 }])));
      worker.run({ stopWhen: (events) => events.at(-1)?.type === 'RolloutStageStarted' });
      worker.decide({ type: 'AbortRollout', data: { rolloutId: 'r1', actor: 'bob', reason: 'wrong build', supersededBy: null, now: worker.now } });
      expect(worker.intentions()).toEqual([{ kind: 'record', command: { type: 'FinishRollback', data: { rolloutId: 'r1', now: T0 } } }]);
      worker.run();
      expect(story(worker.events)).toEqual(['RolloutRequested', 'StageStarted 0/0', 'RolloutAbortRequested', 'RolloutAborted']);
    });
  });

  describe('onFailure pause', () => {
    // Stages: 0 canaryWeight 50, 1 canaryFinalize.
    const request = rolloutRequest(canary([{ kind: 'setWeight', weight: 50 }]), { onFailure: 'pause', waves: [['eu-1', 'eu-2']] });
    // At the weight stage eu-2 never becomes ready at its first attempt, and at once at its second.
    const world: World = { ready: (cluster, _w, stage, _look, attempt) => !(cluster === 'eu-2' && stage === 0 && attempt === 1) };
    const failedAndPaused = [
      'RolloutRequested',
      'StageStarted 0/0',
      'ActionStarted 0/0 eu-1',
      'ActionStarted 0/0 eu-2',
      'ActionApplied 0/0 eu-1',
      'ActionApplied 0/0 eu-2',
      'ActionSucceeded 0/0 eu-1',
      'ActionFailed 0/0 eu-2',
      'Paused by circle',
    ];
    const retriedAndDone = [
      ...clusterDone('0/0', 'eu-2'),
      'StageCompleted 0/0 done',
      'StageStarted 0/1',
      'ActionStarted 0/1 eu-1',
      'ActionStarted 0/1 eu-2',
      'ActionApplied 0/1 eu-1',
      'ActionApplied 0/1 eu-2',
      'ActionSucceeded 0/1 eu-1',
      'ActionSucceeded 0/1 eu-2',
      'StageCompleted 0/1 done',
      'RolloutSucceeded',
    ];

    it('pauses on a failed cluster; a resume retries that cluster and the rollout goes on', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      expect(story(worker.events)).toEqual(failedAndPaused);
      expect(worker.events.at(-1)).toEqual({
        type: 'RolloutPaused',
        data: { rolloutId: 'r1', actor: 'circle', reason: 'eu-2: progress deadline exceeded', at: at(DEADLINE_SECONDS).toISOString() },
      });
      expect(worker.intentions(at(100_000))).toEqual([]);

      worker.now = at(1000);
      worker.decide({ type: 'ResumeRollout', data: { rolloutId: 'r1', actor: 'bob', now: worker.now } });
      expect(worker.intentions()).toEqual([
        {
          kind: 'record',
          command: {
            type: 'StartClusterAction',
            data: { rolloutId: 'r1', wave: 0, stage: 0, cluster: 'eu-2', deadline: at(1000 + DEADLINE_SECONDS), now: at(1000) },
          },
        },
      ]);
      worker.run();
      expect(story(worker.events)).toEqual([...failedAndPaused, 'RolloutResumed', ...retriedAndDone]);
      expectWellFormed(worker.events, request.maxParallel);
    });

    it('a promote after the failure pause (it un-pauses too) also retries the failed cluster', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      expect(story(worker.events)).toEqual(failedAndPaused);
      worker.decide({ type: 'PromoteRollout', data: { rolloutId: 'r1', actor: 'bob', full: false, now: worker.now } });
      worker.run();
      expect(story(worker.events)).toEqual([...failedAndPaused, 'RolloutPromoted', ...retriedAndDone]);
    });

    it('an abort after the failure pause rolls back both clusters, the failed one too', () => {
      const worker = SimulatedWorker.start(request, world);
      worker.run();
      worker.decide({ type: 'AbortRollout', data: { rolloutId: 'r1', actor: 'bob', reason: 'give up', supersededBy: null, now: worker.now } });
      worker.run();
      expect(story(worker.events)).toEqual([
        ...failedAndPaused,
        'RolloutAbortRequested',
        'ClusterRestoreStarted eu-1',
        'ClusterRestoreStarted eu-2',
        'ClusterRestoreApplied eu-1',
        'ClusterRestoreApplied eu-2',
        'ClusterRestored eu-1',
        'ClusterRestored eu-2',
        'RolloutAborted',
      ]);
    });

    it('a failed analysis pauses; a resume measures again, keeping the passes it had', () => {
      // Stages: 0 canaryWeight 50, 1 analysis (3 measurements, no failure allowed), 2 canaryFinalize.
      const analysed = rolloutRequest(
        canary([
          { kind: 'setWeight', weight: 50 },
          { kind: 'analysis', check: check({ count: 3, failureLimit: 0 }) },
        ]),
        { onFailure: 'pause', waves: [['eu-1']] },
      );
      const outcomes: MeasurementOutcome[] = ['pass', 'fail', 'pass', 'pass'];
      const worker = SimulatedWorker.start(analysed, { measure: (n) => outcomes[n]! });
      worker.run();
      worker.now = at(1000);
      worker.decide({ type: 'ResumeRollout', data: { rolloutId: 'r1', actor: 'bob', now: worker.now } });
      worker.run();
      expect(story(worker.events)).toEqual([
        'RolloutRequested',
        'StageStarted 0/0',
        ...clusterDone('0/0', 'eu-1'),
        'StageCompleted 0/0 done',
        'StageStarted 0/1',
        'Measured 0/1 pass +0s',
        'Measured 0/1 fail +60s',
        'Paused by circle',
        'RolloutResumed',
        'Measured 0/1 pass +1000s',
        'Measured 0/1 pass +1060s',
        'StageCompleted 0/1 done',
        'StageStarted 0/2',
        ...clusterDone('0/2', 'eu-1'),
        'StageCompleted 0/2 done',
        'RolloutSucceeded',
      ]);
    });

    it("a person's pause and resume during an analysis forgives no failure", () => {
      const analysed = rolloutRequest(
        canary([
          { kind: 'setWeight', weight: 50 },
          { kind: 'analysis', check: check({ count: 4, failureLimit: 1 }) },
        ]),
        { waves: [['eu-1']] },
      );
      const outcomes: MeasurementOutcome[] = ['fail', 'pass', 'fail'];
      const worker = SimulatedWorker.start(analysed, { measure: (n) => outcomes[n]! });
      worker.run({ stopWhen: (events) => events.filter((e) => e.type === 'AnalysisMeasured').length === 2 });
      worker.decide({ type: 'PauseRollout', data: { rolloutId: 'r1', actor: 'bob', reason: 'looking', now: worker.now } });
      expect(worker.intentions()).toEqual([]);
      worker.decide({ type: 'ResumeRollout', data: { rolloutId: 'r1', actor: 'bob', now: worker.now } });
      worker.run();
      expect(story(worker.events).slice(6)).toEqual([
        'StageStarted 0/1',
        'Measured 0/1 fail +0s',
        'Measured 0/1 pass +60s',
        'Paused by bob',
        'RolloutResumed',
        'Measured 0/1 fail +120s',
        'GateFailed -',
        'ClusterRestoreStarted eu-1',
        'ClusterRestoreApplied eu-1',
        'ClusterRestored eu-1',
        'RolloutFailed',
      ]);
    });
  });

  describe('analysis gate', () => {
    // Stages: 0 canaryWeight 50, 1 analysis, 2 canaryFinalize.
    const analysed = (overrides: Partial<AnalysisCheck> = {}) =>
      rolloutRequest(canary([{ kind: 'setWeight', weight: 50 }, { kind: 'analysis', check: check(overrides) }]), { waves: [['eu-1']] });

    it('measures every intervalSeconds, sleeping in between, and completes after `count` measurements', () => {
      const worker = SimulatedWorker.start(analysed({ count: 3, intervalSeconds: 60 }));
      worker.run();
      expect(story(worker.events)).toEqual([
        'RolloutRequested',
        'StageStarted 0/0',
        ...clusterDone('0/0', 'eu-1'),
        'StageCompleted 0/0 done',
        'StageStarted 0/1',
        'Measured 0/1 pass +0s',
        'Measured 0/1 pass +60s',
        'Measured 0/1 pass +120s',
        'StageCompleted 0/1 done',
        'StageStarted 0/2',
        ...clusterDone('0/2', 'eu-1'),
        'StageCompleted 0/2 done',
        'RolloutSucceeded',
      ]);
      const gate = worker.trace
        .filter((t) => t.intentions.some((i) => i.kind === 'measure' || i.kind === 'wakeAt'))
        .map(({ now, intentions }) => ({ now, intentions }));
      const check60 = check({ count: 3, intervalSeconds: 60 });
      expect(gate).toEqual([
        { now: at(0), intentions: [{ kind: 'measure', wave: 0, stage: 1, check: check60 }] },
        { now: at(0), intentions: [{ kind: 'wakeAt', at: at(60) }] },
        { now: at(60), intentions: [{ kind: 'measure', wave: 0, stage: 1, check: check60 }] },
        { now: at(60), intentions: [{ kind: 'wakeAt', at: at(120) }] },
        { now: at(120), intentions: [{ kind: 'measure', wave: 0, stage: 1, check: check60 }] },
      ]);
    });

    it('an error (no answer) does not count as a measurement, and a failure within failureLimit passes', () => {
      const outcomes: MeasurementOutcome[] = ['pass', 'error', 'fail', 'pass'];
      const worker = SimulatedWorker.start(analysed({ count: 3 }), { measure: (n) => outcomes[n]! });
      worker.run();
      expect(story(worker.events).filter((line) => line.startsWith('Measured') || line.startsWith('StageCompleted 0/1'))).toEqual([
        'Measured 0/1 pass +0s',
        'Measured 0/1 error +60s',
        'Measured 0/1 fail +120s',
        'Measured 0/1 pass +180s',
        'StageCompleted 0/1 done',
      ]);
      expect(worker.events.at(-1)?.type).toBe('RolloutSucceeded');
    });

    it('failing measurements past failureLimit fail the rollout and roll back', () => {
      const worker = SimulatedWorker.start(analysed({ count: 5, failureLimit: 1 }), { measure: (n) => (n === 0 ? 'pass' : 'fail') });
      worker.run();
      expect(story(worker.events).slice(6)).toEqual([
        'StageStarted 0/1',
        'Measured 0/1 pass +0s',
        'Measured 0/1 fail +60s',
        'Measured 0/1 fail +120s',
        'GateFailed -',
        'ClusterRestoreStarted eu-1',
        'ClusterRestoreApplied eu-1',
        'ClusterRestored eu-1',
        'RolloutFailed',
      ]);
      expect(worker.events.at(-1)).toEqual({
        type: 'RolloutFailed',
        data: { rolloutId: 'r1', reason: "analysis 'http-ok' failed 2 time(s), limit 1: HTTP 503", at: at(120).toISOString() },
      });
    });

    it('errors in a row past consecutiveErrorLimit fail the rollout', () => {
      const worker = SimulatedWorker.start(analysed({ count: 5, consecutiveErrorLimit: 1 }), { measure: () => 'error' });
      worker.run();
      expect(story(worker.events).filter((line) => line.startsWith('Measured') || line.startsWith('Gate') || line.startsWith('Rollout'))).toEqual([
        'RolloutRequested',
        'Measured 0/1 error +0s',
        'Measured 0/1 error +60s',
        'GateFailed -',
        'RolloutFailed',
      ]);
    });
  });

  describe('a crash between an apply and its report', () => {
    const request = rolloutRequest(
      canary([
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', seconds: 60 },
      ]),
      { waves: [['eu-1'], ['us-1', 'us-2']], bakeSeconds: 120 },
    );

    it('a worker rebuilt from the events re-issues the same apply and finishes without skipping a step', () => {
      const reference = SimulatedWorker.start(request);
      reference.run();
      expect(reference.events.at(-1)?.type).toBe('RolloutSucceeded');

      const crashed = SimulatedWorker.start(request);
      const { stoppedBefore } = crashed.run({ stopBefore: (i) => i.kind === 'apply' && i.cluster === 'us-2' && i.stage === 0 });
      expect(stoppedBefore).toEqual({
        kind: 'apply',
        cluster: 'us-2',
        wave: 1,
        stage: 0,
        action: { kind: 'canaryWeight', weight: 20 },
        deadline: expect.any(Date),
      });
      // us-1 was applied in the same round, before the crash.
      expect(story(crashed.events).slice(-4)).toEqual(['StageStarted 1/0', 'ActionStarted 1/0 us-1', 'ActionStarted 1/0 us-2', 'ActionApplied 1/0 us-1']);

      // A new worker knows only the log.
      const resumed = new SimulatedWorker({}, crashed.events, crashed.now);
      expect(resumed.intentions()).toEqual([
        { kind: 'observe', cluster: 'us-1', wave: 1, stage: 0, action: { kind: 'canaryWeight', weight: 20 }, deadline: expect.any(Date) },
        stoppedBefore,
      ]);
      resumed.run();
      // Reports for the two clusters interleave differently; the steps are the same.
      const cut = crashed.events.length;
      expect(story(resumed.events.slice(cut, cut + 4))).toEqual([
        'ActionSucceeded 1/0 us-1',
        'ActionApplied 1/0 us-2',
        'ActionSucceeded 1/0 us-2',
        'StageCompleted 1/0 done',
      ]);
      expect(story(reference.events.slice(cut, cut + 4))).toEqual([
        'ActionApplied 1/0 us-2',
        'ActionSucceeded 1/0 us-1',
        'ActionSucceeded 1/0 us-2',
        'StageCompleted 1/0 done',
      ]);
      expect(story(resumed.events.slice(cut + 4))).toEqual(story(reference.events.slice(cut + 4)));
      expect(story(resumed.events.slice(0, cut))).toEqual(story(reference.events.slice(0, cut)));
      expectWellFormed(resumed.events, request.maxParallel);
    });

    it('a crash right after recording StartClusterAction re-issues the apply for that cluster', () => {
      const crashed = SimulatedWorker.start(request);
      crashed.run({ stopWhen: (events) => events.at(-1)?.type === 'ClusterActionStarted' });
      const started = crashed.events.at(-1)!;
      expect(started.type).toBe('ClusterActionStarted');
      const resumed = new SimulatedWorker({}, crashed.events, at(5));
      expect(resumed.intentions()).toEqual([
        { kind: 'apply', cluster: 'eu-1', wave: 0, stage: 0, action: { kind: 'canaryWeight', weight: 20 }, deadline: at(DEADLINE_SECONDS) },
      ]);
    });
  });
});
