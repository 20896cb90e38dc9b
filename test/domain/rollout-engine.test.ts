import { describe, it } from '@jest/globals';
import {
  rolloutDecider,
  type AnalysisCheck,
  type MeasurementOutcome,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutRequest,
  type StageCompletion,
} from '#domain';
import { AT, NOW, given } from '../support/given-when-then.js';

const check: AnalysisCheck = {
  name: 'http-ok',
  url: 'http://shop.internal/healthz',
  intervalSeconds: 60,
  count: 5,
  failureLimit: 1,
  consecutiveErrorLimit: 2,
  timeoutSeconds: 5,
};

// Wave 0 stages: 0 canaryWeight 20, 1 analysis, 2 pause 60, 3 canaryFinalize, 4 bake 300.
// Wave 1 stages: the same without the bake.
const request: RolloutRequest = {
  rolloutId: 'r1',
  kind: 'upgrade',
  application: 'shop',
  version: '1.5.0',
  currentVersion: '1.4.2',
  environment: 'prod',
  strategy: {
    kind: 'canary',
    replicas: 7,
    steps: [
      { kind: 'setWeight', weight: 20 },
      { kind: 'analysis', check },
      { kind: 'pause', seconds: 60 },
    ],
    trafficRouting: 'replicas',
    progressDeadlineSeconds: 600,
  },
  waves: [['eu-1', 'eu-2'], ['us-1']],
  skippedClusters: [],
  maxParallel: 2,
  bakeSeconds: 300,
  onFailure: 'rollback',
  requiredApprovals: 0,
  requestedBy: 'alice',
  reason: null,
};

const DEADLINE = new Date(NOW.getTime() + 600_000);
const UNTIL = new Date(NOW.getTime() + 60_000);
const r = 'r1';

// Commands
const startStage = (wave: number, stage: number, until: Date | null = null): RolloutCommand => ({
  type: 'StartStage',
  data: { rolloutId: r, wave, stage, until, now: NOW },
});
const startCluster = (cluster: string, wave = 0, stage = 0): RolloutCommand => ({
  type: 'StartClusterAction',
  data: { rolloutId: r, wave, stage, cluster, deadline: DEADLINE, now: NOW },
});
const recordApplied = (cluster: string, wave = 0, stage = 0, note: Record<string, string> = { from: '1.4.2' }): RolloutCommand => ({
  type: 'RecordClusterApplied',
  data: { rolloutId: r, wave, stage, cluster, note, now: NOW },
});
const recordReady = (cluster: string, wave = 0, stage = 0): RolloutCommand => ({
  type: 'RecordClusterReady',
  data: { rolloutId: r, wave, stage, cluster, now: NOW },
});
const recordFailure = (cluster: string, wave = 0, stage = 0): RolloutCommand => ({
  type: 'RecordClusterFailure',
  data: { rolloutId: r, wave, stage, cluster, reason: 'progress deadline exceeded', now: NOW },
});
const measure = (outcome: MeasurementOutcome, wave = 0, stage = 1, detail = `answer ${outcome}`): RolloutCommand => ({
  type: 'RecordMeasurement',
  data: { rolloutId: r, wave, stage, outcome, detail, now: NOW },
});
const completeStage = (wave: number, stage: number, how: StageCompletion = 'done'): RolloutCommand => ({
  type: 'CompleteStage',
  data: { rolloutId: r, wave, stage, how, now: NOW },
});
const startRestore = (cluster: string): RolloutCommand => ({
  type: 'StartClusterRestore',
  data: { rolloutId: r, cluster, deadline: DEADLINE, now: NOW },
});
const restoreApplied = (cluster: string): RolloutCommand => ({ type: 'RecordRestoreApplied', data: { rolloutId: r, cluster, now: NOW } });
const restored = (cluster: string): RolloutCommand => ({ type: 'RecordClusterRestored', data: { rolloutId: r, cluster, now: NOW } });
const restoreFailure = (cluster: string): RolloutCommand => ({
  type: 'RecordRestoreFailure',
  data: { rolloutId: r, cluster, reason: 'old version never became ready', now: NOW },
});

// Events
const requested = (overrides: Partial<RolloutRequest> = {}): RolloutEvent => ({
  type: 'RolloutRequested',
  data: { ...request, ...overrides, requestedAt: AT },
});
const stageStarted = (wave: number, stage: number, until: string | null = null): RolloutEvent => ({
  type: 'RolloutStageStarted',
  data: { rolloutId: r, wave, stage, until, at: AT },
});
const clusterStarted = (cluster: string, wave = 0, stage = 0): RolloutEvent => ({
  type: 'ClusterActionStarted',
  data: { rolloutId: r, wave, stage, cluster, deadline: DEADLINE.toISOString(), at: AT },
});
const clusterApplied = (cluster: string, wave = 0, stage = 0, note: Record<string, string> = { from: '1.4.2' }): RolloutEvent => ({
  type: 'ClusterActionApplied',
  data: { rolloutId: r, wave, stage, cluster, note, at: AT },
});
const clusterSucceeded = (cluster: string, wave = 0, stage = 0): RolloutEvent => ({
  type: 'ClusterActionSucceeded',
  data: { rolloutId: r, wave, stage, cluster, at: AT },
});
const clusterFailed = (cluster: string, wave = 0, stage = 0): RolloutEvent => ({
  type: 'ClusterActionFailed',
  data: { rolloutId: r, wave, stage, cluster, reason: 'progress deadline exceeded', at: AT },
});
const measured = (outcome: MeasurementOutcome, wave = 0, stage = 1, detail = `answer ${outcome}`): RolloutEvent => ({
  type: 'AnalysisMeasured',
  data: { rolloutId: r, wave, stage, check: 'http-ok', outcome, detail, at: AT },
});
const stageCompleted = (wave: number, stage: number, how: StageCompletion = 'done'): RolloutEvent => ({
  type: 'RolloutStageCompleted',
  data: { rolloutId: r, wave, stage, how, at: AT },
});
const gateFailed = (reason: string, cluster: string | null): RolloutEvent => ({
  type: 'RolloutGateFailed',
  data: { rolloutId: r, reason, cluster, at: AT },
});
const pausedByCircle = (reason: string): RolloutEvent => ({ type: 'RolloutPaused', data: { rolloutId: r, actor: 'circle', reason, at: AT } });
const pausedByBob: RolloutEvent = { type: 'RolloutPaused', data: { rolloutId: r, actor: 'bob', reason: null, at: AT } };
const resumed: RolloutEvent = { type: 'RolloutResumed', data: { rolloutId: r, actor: 'bob', at: AT } };
const promoted: RolloutEvent = { type: 'RolloutPromoted', data: { rolloutId: r, actor: 'bob', full: false, at: AT } };
const abortRequested: RolloutEvent = {
  type: 'RolloutAbortRequested',
  data: { rolloutId: r, actor: 'bob', reason: 'wrong build', supersededBy: null, at: AT },
};
const restoreStarted = (cluster: string): RolloutEvent => ({
  type: 'ClusterRestoreStarted',
  data: { rolloutId: r, cluster, deadline: DEADLINE.toISOString(), at: AT },
});
const restoreAppliedEvent = (cluster: string): RolloutEvent => ({ type: 'ClusterRestoreApplied', data: { rolloutId: r, cluster, at: AT } });
const clusterRestored = (cluster: string): RolloutEvent => ({ type: 'ClusterRestored', data: { rolloutId: r, cluster, at: AT } });
const restoreFailed = (cluster: string): RolloutEvent => ({
  type: 'ClusterRestoreFailed',
  data: { rolloutId: r, cluster, reason: 'old version never became ready', at: AT },
});

// Histories
const progressing: RolloutEvent[] = [requested()];
const awaitingApproval: RolloutEvent[] = [requested({ requiredApprovals: 1 })];
const actionStage: RolloutEvent[] = [...progressing, stageStarted(0, 0)];
const eu1Started: RolloutEvent[] = [...actionStage, clusterStarted('eu-1')];
const eu1Applied: RolloutEvent[] = [...eu1Started, clusterApplied('eu-1')];
const eu1Ready: RolloutEvent[] = [...eu1Applied, clusterSucceeded('eu-1')];
const weightDone: RolloutEvent[] = [
  ...eu1Ready,
  clusterStarted('eu-2'),
  clusterApplied('eu-2'),
  clusterSucceeded('eu-2'),
  stageCompleted(0, 0),
];
const analysisStage: RolloutEvent[] = [...weightDone, stageStarted(0, 1)];
const aborting: RolloutEvent[] = [...eu1Started, clusterStarted('eu-2'), clusterApplied('eu-2'), abortRequested];

describe('rollout engine (decider)', () => {
  describe('StartStage', () => {
    it('starts the current stage', () => {
      given(rolloutDecider, progressing).when(startStage(0, 0)).then([stageStarted(0, 0)]);
    });

    it('records when a timed gate ends', () => {
      const beforePause = [...analysisStage, ...[1, 2, 3, 4, 5].map(() => measured('pass')), stageCompleted(0, 1)];
      given(rolloutDecider, beforePause).when(startStage(0, 2, UNTIL)).then([stageStarted(0, 2, UNTIL.toISOString())]);
    });

    it('moves to the next wave after the last stage of a wave', () => {
      const wave0Done = [...progressing, stageStarted(0, 4, null), stageCompleted(0, 4, 'elapsed')];
      given(rolloutDecider, wave0Done).when(startStage(0, 4)).then([]);
      given(rolloutDecider, wave0Done).when(startStage(1, 0)).then([stageStarted(1, 0)]);
    });

    it.each([
      ['a later stage', startStage(0, 1)],
      ['a later wave', startStage(1, 0)],
    ])('drops a report for %s', (_, command) => {
      given(rolloutDecider, progressing).when(command).then([]);
    });

    it('drops a second start of the same stage', () => {
      given(rolloutDecider, actionStage).when(startStage(0, 0)).then([]);
    });

    it('drops a start for a stage already completed', () => {
      given(rolloutDecider, weightDone).when(startStage(0, 0)).then([]);
    });

    it.each([
      ['awaiting approval', awaitingApproval],
      ['paused', [...progressing, pausedByBob]],
      ['aborting', [...progressing, abortRequested]],
    ])('does nothing while %s', (_, history) => {
      given(rolloutDecider, history).when(startStage(0, 0)).then([]);
    });
  });

  describe('StartClusterAction', () => {
    it('takes a slot for a cluster of the current wave', () => {
      given(rolloutDecider, actionStage).when(startCluster('eu-1')).then([clusterStarted('eu-1')]);
    });

    it('drops a second start of the same cluster', () => {
      given(rolloutDecider, eu1Started).when(startCluster('eu-1')).then([]);
      given(rolloutDecider, eu1Ready).when(startCluster('eu-1')).then([]);
    });

    it('drops a cluster that is not in the current wave', () => {
      given(rolloutDecider, actionStage).when(startCluster('us-1')).then([]);
      given(rolloutDecider, actionStage).when(startCluster('eu-9')).then([]);
    });

    it('drops a start for another stage', () => {
      given(rolloutDecider, actionStage).when(startCluster('eu-1', 0, 3)).then([]);
      given(rolloutDecider, analysisStage).when(startCluster('eu-1', 0, 0)).then([]);
    });

    it.each([
      ['paused', [...actionStage, pausedByBob]],
      ['aborting', [...actionStage, abortRequested]],
    ])('does nothing while %s', (_, history) => {
      given(rolloutDecider, history).when(startCluster('eu-1')).then([]);
    });
  });

  describe('RecordClusterApplied', () => {
    it('records the apply with what the worker noted', () => {
      given(rolloutDecider, eu1Started).when(recordApplied('eu-1')).then([clusterApplied('eu-1')]);
    });

    it('drops an apply for a cluster not started, or already applied, ready or failed', () => {
      given(rolloutDecider, actionStage).when(recordApplied('eu-1')).then([]);
      given(rolloutDecider, eu1Applied).when(recordApplied('eu-1')).then([]);
      given(rolloutDecider, eu1Ready).when(recordApplied('eu-1')).then([]);
      given(rolloutDecider, [...eu1Started, clusterFailed('eu-1'), pausedByCircle('x')]).when(recordApplied('eu-1')).then([]);
    });

    it('drops an apply for a stage already left', () => {
      given(rolloutDecider, analysisStage).when(recordApplied('eu-1')).then([]);
    });

    it('drops an apply that arrives after an abort or a pause', () => {
      given(rolloutDecider, [...eu1Started, abortRequested]).when(recordApplied('eu-1')).then([]);
      given(rolloutDecider, [...eu1Started, pausedByBob]).when(recordApplied('eu-1')).then([]);
    });
  });

  describe('RecordClusterReady', () => {
    it('records an applied cluster as ready', () => {
      given(rolloutDecider, eu1Applied).when(recordReady('eu-1')).then([clusterSucceeded('eu-1')]);
    });

    it('drops ready for a cluster not yet applied, or already ready', () => {
      given(rolloutDecider, eu1Started).when(recordReady('eu-1')).then([]);
      given(rolloutDecider, eu1Ready).when(recordReady('eu-1')).then([]);
      given(rolloutDecider, eu1Applied).when(recordReady('eu-2')).then([]);
    });

    it('drops ready for a stage already left, or while not progressing', () => {
      given(rolloutDecider, eu1Applied).when(recordReady('eu-1', 0, 1)).then([]);
      given(rolloutDecider, analysisStage).when(recordReady('eu-1')).then([]);
      given(rolloutDecider, [...eu1Applied, abortRequested]).when(recordReady('eu-1')).then([]);
    });
  });

  describe('RecordClusterFailure', () => {
    it('with onFailure rollback: the cluster failed and the gate fails (abort with rollback)', () => {
      given(rolloutDecider, eu1Applied)
        .when(recordFailure('eu-1'))
        .then([clusterFailed('eu-1'), gateFailed('eu-1: progress deadline exceeded', 'eu-1')]);
    });

    it('also fails a cluster whose apply never got through', () => {
      given(rolloutDecider, eu1Started)
        .when(recordFailure('eu-1'))
        .then([clusterFailed('eu-1'), gateFailed('eu-1: progress deadline exceeded', 'eu-1')]);
    });

    it('with onFailure pause: the cluster failed and circle pauses the rollout', () => {
      const history = [requested({ onFailure: 'pause' }), ...eu1Applied.slice(1)];
      given(rolloutDecider, history)
        .when(recordFailure('eu-1'))
        .then([clusterFailed('eu-1'), pausedByCircle('eu-1: progress deadline exceeded')]);
    });

    it('drops a failure for a cluster that is ready, already failed, or not started', () => {
      given(rolloutDecider, eu1Ready).when(recordFailure('eu-1')).then([]);
      given(rolloutDecider, actionStage).when(recordFailure('eu-1')).then([]);
      const failedThenResumedElsewhere = [requested({ onFailure: 'pause' }), ...eu1Started.slice(1), clusterFailed('eu-1')];
      given(rolloutDecider, failedThenResumedElsewhere).when(recordFailure('eu-1')).then([]);
    });

    it('drops a failure for a stage already left, or after an abort', () => {
      given(rolloutDecider, eu1Applied).when(recordFailure('eu-1', 0, 2)).then([]);
      given(rolloutDecider, analysisStage).when(recordFailure('eu-1')).then([]);
      given(rolloutDecider, [...eu1Applied, abortRequested]).when(recordFailure('eu-1')).then([]);
    });
  });

  describe('RecordMeasurement', () => {
    const failureReason = (failures: number, detail: string) => `analysis 'http-ok' failed ${failures} time(s), limit 1: ${detail}`;
    const errorReason = (errors: number, detail: string) => `analysis 'http-ok' got no answer ${errors} time(s) in a row: ${detail}`;

    it('records a passing measurement', () => {
      given(rolloutDecider, analysisStage).when(measure('pass')).then([measured('pass')]);
    });

    it('tolerates failures up to failureLimit', () => {
      given(rolloutDecider, [...analysisStage, measured('pass')]).when(measure('fail')).then([measured('fail')]);
    });

    it('fails the gate when failures exceed failureLimit', () => {
      given(rolloutDecider, [...analysisStage, measured('fail'), measured('pass')])
        .when(measure('fail', 0, 1, 'HTTP 503'))
        .then([measured('fail', 0, 1, 'HTTP 503'), gateFailed(failureReason(2, 'HTTP 503'), null)]);
    });

    it('tolerates errors in a row up to consecutiveErrorLimit', () => {
      given(rolloutDecider, [...analysisStage, measured('error')]).when(measure('error')).then([measured('error')]);
    });

    it('fails the gate when errors in a row exceed consecutiveErrorLimit', () => {
      given(rolloutDecider, [...analysisStage, measured('pass'), measured('error'), measured('error')])
        .when(measure('error', 0, 1, 'connection refused'))
        .then([measured('error', 0, 1, 'connection refused'), gateFailed(errorReason(3, 'connection refused'), null)]);
    });

    it('counts only errors in a row: a pass in between starts the count again', () => {
      given(rolloutDecider, [...analysisStage, measured('error'), measured('error'), measured('pass'), measured('error')])
        .when(measure('error'))
        .then([measured('error')]);
    });

    it('with onFailure pause: circle pauses instead of failing the gate', () => {
      const history = [requested({ onFailure: 'pause' }), ...analysisStage.slice(1), measured('fail')];
      given(rolloutDecider, history)
        .when(measure('fail', 0, 1, 'HTTP 500'))
        .then([measured('fail', 0, 1, 'HTTP 500'), pausedByCircle(failureReason(2, 'HTTP 500'))]);
    });

    it('drops a measurement for a stage that is not an analysis gate', () => {
      given(rolloutDecider, actionStage).when(measure('pass', 0, 0)).then([]);
    });

    it('drops a measurement for a stage already left', () => {
      const pauseStage = [...analysisStage, stageCompleted(0, 1), stageStarted(0, 2, UNTIL.toISOString())];
      given(rolloutDecider, pauseStage).when(measure('fail')).then([]);
      given(rolloutDecider, analysisStage).when(measure('pass', 1, 1)).then([]);
    });

    it('drops a measurement while paused or aborting', () => {
      given(rolloutDecider, [...analysisStage, pausedByBob]).when(measure('pass')).then([]);
      given(rolloutDecider, [...analysisStage, abortRequested]).when(measure('fail')).then([]);
    });
  });

  describe('CompleteStage', () => {
    it('completes the started current stage, saying how', () => {
      given(rolloutDecider, [...eu1Ready]).when(completeStage(0, 0)).then([stageCompleted(0, 0)]);
      given(rolloutDecider, analysisStage).when(completeStage(0, 1, 'promoted')).then([stageCompleted(0, 1, 'promoted')]);
    });

    it('drops a completion for a stage not started yet', () => {
      given(rolloutDecider, progressing).when(completeStage(0, 0)).then([]);
      given(rolloutDecider, weightDone).when(completeStage(0, 1)).then([]);
    });

    it('drops a second completion of the same stage', () => {
      given(rolloutDecider, weightDone).when(completeStage(0, 0)).then([]);
      given(rolloutDecider, analysisStage).when(completeStage(0, 0)).then([]);
    });

    it('drops a completion while paused or aborting', () => {
      given(rolloutDecider, [...analysisStage, pausedByBob]).when(completeStage(0, 1)).then([]);
      given(rolloutDecider, [...analysisStage, abortRequested]).when(completeStage(0, 1)).then([]);
    });
  });

  describe('restores (only while aborting, only for touched clusters)', () => {
    it('StartClusterRestore takes a slot for a touched cluster', () => {
      given(rolloutDecider, aborting).when(startRestore('eu-1')).then([restoreStarted('eu-1')]);
      given(rolloutDecider, aborting).when(startRestore('eu-2')).then([restoreStarted('eu-2')]);
    });

    it('touched clusters of earlier waves are restored too', () => {
      const wave1 = [
        ...weightDone,
        ...[1, 2, 3, 4].map((s) => [stageStarted(0, s), stageCompleted(0, s, 'skipped')]).flat(),
        stageStarted(1, 0),
        clusterStarted('us-1', 1, 0),
        gateFailed('us-1: boom', 'us-1'),
      ];
      given(rolloutDecider, wave1).when(startRestore('eu-1')).then([restoreStarted('eu-1')]);
      given(rolloutDecider, wave1).when(startRestore('us-1')).then([restoreStarted('us-1')]);
    });

    it('StartClusterRestore drops an untouched cluster', () => {
      given(rolloutDecider, aborting).when(startRestore('us-1')).then([]);
      given(rolloutDecider, [...progressing, abortRequested]).when(startRestore('eu-1')).then([]);
    });

    it('StartClusterRestore drops a second start', () => {
      given(rolloutDecider, [...aborting, restoreStarted('eu-1')]).when(startRestore('eu-1')).then([]);
    });

    it('every restore command does nothing unless aborting', () => {
      for (const history of [eu1Applied, [...eu1Applied, pausedByBob]]) {
        given(rolloutDecider, history).when(startRestore('eu-1')).then([]);
      }
      const progressingAgain = [...eu1Applied, restoreStarted('eu-1'), restoreAppliedEvent('eu-1')];
      given(rolloutDecider, [...eu1Applied, restoreStarted('eu-1')]).when(restoreApplied('eu-1')).then([]);
      given(rolloutDecider, progressingAgain).when(restored('eu-1')).then([]);
      given(rolloutDecider, progressingAgain).when(restoreFailure('eu-1')).then([]);
    });

    it('RecordRestoreApplied after a started restore', () => {
      given(rolloutDecider, [...aborting, restoreStarted('eu-1')]).when(restoreApplied('eu-1')).then([restoreAppliedEvent('eu-1')]);
    });

    it('RecordRestoreApplied drops a restore not started, or already applied', () => {
      given(rolloutDecider, aborting).when(restoreApplied('eu-1')).then([]);
      given(rolloutDecider, [...aborting, restoreStarted('eu-1'), restoreAppliedEvent('eu-1')]).when(restoreApplied('eu-1')).then([]);
    });

    it('RecordClusterRestored after an applied restore', () => {
      given(rolloutDecider, [...aborting, restoreStarted('eu-1'), restoreAppliedEvent('eu-1')])
        .when(restored('eu-1'))
        .then([clusterRestored('eu-1')]);
    });

    it('RecordClusterRestored drops a restore not applied yet, or already done', () => {
      given(rolloutDecider, [...aborting, restoreStarted('eu-1')]).when(restored('eu-1')).then([]);
      given(rolloutDecider, [...aborting, restoreStarted('eu-1'), restoreAppliedEvent('eu-1'), clusterRestored('eu-1')])
        .when(restored('eu-1'))
        .then([]);
    });

    it('RecordRestoreFailure for a started or applied restore', () => {
      given(rolloutDecider, [...aborting, restoreStarted('eu-1')]).when(restoreFailure('eu-1')).then([restoreFailed('eu-1')]);
      given(rolloutDecider, [...aborting, restoreStarted('eu-1'), restoreAppliedEvent('eu-1')])
        .when(restoreFailure('eu-1'))
        .then([restoreFailed('eu-1')]);
    });

    it('RecordRestoreFailure drops a restore not started, done, or already failed', () => {
      given(rolloutDecider, aborting).when(restoreFailure('eu-1')).then([]);
      given(rolloutDecider, [...aborting, restoreStarted('eu-1'), restoreAppliedEvent('eu-1'), clusterRestored('eu-1')])
        .when(restoreFailure('eu-1'))
        .then([]);
      given(rolloutDecider, [...aborting, restoreStarted('eu-1'), restoreFailed('eu-1')]).when(restoreFailure('eu-1')).then([]);
    });

    it('drops restore reports once the rollout has ended', () => {
      const ended: RolloutEvent[] = [
        ...aborting,
        restoreStarted('eu-1'),
        restoreStarted('eu-2'),
        restoreFailed('eu-1'),
        restoreAppliedEvent('eu-2'),
        { type: 'RolloutAborted', data: { rolloutId: r, reason: 'wrong build', at: AT } },
      ];
      given(rolloutDecider, ended).when(restored('eu-2')).then([]);
      given(rolloutDecider, ended).when(startRestore('eu-1')).then([]);
    });
  });

  describe('steering', () => {
    it('after an onFailure pause, a resume lets the failed cluster start again', () => {
      const history = [requested({ onFailure: 'pause' }), ...eu1Applied.slice(1), clusterFailed('eu-1'), pausedByCircle('x')];
      given(rolloutDecider, history).when(startCluster('eu-1')).then([]);
      given(rolloutDecider, [...history, resumed]).when(startCluster('eu-1')).then([clusterStarted('eu-1')]);
    });

    it('after an onFailure pause on an analysis, a resume forgets the failed measurements', () => {
      const history = [requested({ onFailure: 'pause' }), ...analysisStage.slice(1), measured('fail'), measured('fail'), pausedByCircle('x')];
      given(rolloutDecider, [...history, resumed]).when(measure('fail')).then([measured('fail')]);
    });

    it("a person's pause and resume during an analysis forgives no failure", () => {
      const history = [...analysisStage, measured('fail'), measured('pass'), pausedByBob, resumed];
      given(rolloutDecider, history)
        .when(measure('fail', 0, 1, 'HTTP 503'))
        .then([measured('fail', 0, 1, 'HTTP 503'), gateFailed("analysis 'http-ok' failed 2 time(s), limit 1: HTTP 503", null)]);
    });

    it('engine commands on an unknown rollout are rejected', () => {
      given(rolloutDecider, []).when(startStage(0, 0)).thenRejects('ROLLOUT_NOT_FOUND');
      given(rolloutDecider, []).when(startRestore('eu-1')).thenRejects('ROLLOUT_NOT_FOUND');
    });

    it('after an onFailure pause, a promote (which also un-pauses) lets the failed cluster start again', () => {
      const history = [requested({ onFailure: 'pause' }), ...eu1Applied.slice(1), clusterFailed('eu-1'), pausedByCircle('x')];
      given(rolloutDecider, [...history, promoted]).when(startCluster('eu-1')).then([clusterStarted('eu-1')]);
    });
  });
});
