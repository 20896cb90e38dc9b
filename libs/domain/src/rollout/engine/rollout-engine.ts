import { assertNever } from '../../shared/decider.js';
import type { EngineCommand, RolloutRequest } from '../rollout.commands.js';
import type { MeasurementOutcome, RolloutEvent } from '../rollout.events.js';
import type { AnalysisCheck } from '../strategy.js';
import type { RolloutPhase } from '../rollout-phase.js';
import type { RolloutProgress } from './rollout-progress.js';
import { waveStages } from './rollout-program.js';

interface EngineView {
  request: RolloutRequest;
  phase: RolloutPhase;
  progress: RolloutProgress;
}

const onCurrentStage = (view: EngineView, data: { wave: number; stage: number }): boolean =>
  view.progress.wave === data.wave && view.progress.stage === data.stage;

/** Why the measurements so far fail the check, or null while it holds. */
function analysisVerdict(check: AnalysisCheck, outcomes: MeasurementOutcome[]): string | null {
  const failures = outcomes.filter((o) => o === 'fail').length;
  let errorsInRow = 0;
  for (let i = outcomes.length - 1; i >= 0 && outcomes[i] === 'error'; i -= 1) errorsInRow += 1;
  if (failures > check.failureLimit) return `analysis '${check.name}' failed ${failures} time(s), limit ${check.failureLimit}`;
  if (errorsInRow > check.consecutiveErrorLimit) return `analysis '${check.name}' got no answer ${errorsInRow} time(s) in a row`;
  return null;
}

/**
 * Going on after an onFailure: pause (a resume, or a promote, which also un-pauses)
 * retries what failed: failed clusters start again, and an analysis that hit a limit
 * measures again from its passes. A person's own pause and resume forgives nothing:
 * failures measured before it still count against the limits.
 */
function retryFailed(progress: RolloutProgress, request: RolloutRequest | null): RolloutProgress {
  const clusters = Object.fromEntries(Object.entries(progress.clusters).filter(([, step]) => step.status !== 'failed'));
  const current = request === null ? undefined : waveStages(request, progress.wave)[progress.stage];
  const analysisFailed =
    current?.type === 'gate' &&
    current.gate.kind === 'analysis' &&
    analysisVerdict(current.gate.check, progress.measurements.map((m) => m.outcome)) !== null;
  return {
    ...progress,
    clusters,
    measurements: analysisFailed ? progress.measurements.filter((m) => m.outcome === 'pass') : progress.measurements,
  };
}

/**
 * A check that failed: abort and roll back (default), or stop and wait for a person,
 * as the wave plan's onFailure says.
 */
function failure(view: EngineView, rolloutId: string, cluster: string | null, reason: string, at: string): RolloutEvent[] {
  return view.request.onFailure === 'pause'
    ? [{ type: 'RolloutPaused', data: { rolloutId, actor: 'circle', reason, at } }]
    : [{ type: 'RolloutGateFailed', data: { rolloutId, reason, cluster, at } }];
}

/**
 * The engine's half of the rollout decider. Reports about a stage the rollout has
 * already left, or arriving after the rollout stopped progressing, are dropped rather
 * than rejected: they are the normal echo of a worker that raced an abort or a crash.
 */
export function decideEngine(command: EngineCommand, view: EngineView): RolloutEvent[] {
  const at = command.data.now.toISOString();
  const { rolloutId } = command.data;
  const progressing = view.phase === 'Progressing';
  const aborting = view.phase === 'Aborting';
  switch (command.type) {
    case 'StartStage': {
      const { wave, stage, until } = command.data;
      if (!progressing || !onCurrentStage(view, command.data) || view.progress.stageStartedAt !== null) return [];
      return [{ type: 'RolloutStageStarted', data: { rolloutId, wave, stage, until: until?.toISOString() ?? null, at } }];
    }
    case 'StartClusterAction': {
      const { wave, stage, cluster, deadline } = command.data;
      if (!progressing || !onCurrentStage(view, command.data) || view.progress.clusters[cluster] !== undefined) return [];
      if (!view.request.waves[wave]?.includes(cluster)) return [];
      return [{ type: 'ClusterActionStarted', data: { rolloutId, wave, stage, cluster, deadline: deadline.toISOString(), at } }];
    }
    case 'RecordClusterApplied': {
      const { wave, stage, cluster, note } = command.data;
      if (!progressing || !onCurrentStage(view, command.data) || view.progress.clusters[cluster]?.status !== 'started') return [];
      return [{ type: 'ClusterActionApplied', data: { rolloutId, wave, stage, cluster, note, at } }];
    }
    case 'RecordClusterReady': {
      const { wave, stage, cluster } = command.data;
      if (!progressing || !onCurrentStage(view, command.data) || view.progress.clusters[cluster]?.status !== 'applied') return [];
      return [{ type: 'ClusterActionSucceeded', data: { rolloutId, wave, stage, cluster, at } }];
    }
    case 'RecordClusterFailure': {
      const { wave, stage, cluster, reason } = command.data;
      const status = view.progress.clusters[cluster]?.status;
      if (!progressing || !onCurrentStage(view, command.data) || (status !== 'started' && status !== 'applied')) return [];
      return [
        { type: 'ClusterActionFailed', data: { rolloutId, wave, stage, cluster, reason, at } },
        ...failure(view, rolloutId, cluster, `${cluster}: ${reason}`, at),
      ];
    }
    case 'RecordMeasurement': {
      const { wave, stage, outcome, detail } = command.data;
      const current = waveStages(view.request, wave)[stage];
      if (!progressing || !onCurrentStage(view, command.data) || current?.type !== 'gate' || current.gate.kind !== 'analysis') return [];
      const check = current.gate.check;
      const measured: RolloutEvent = { type: 'AnalysisMeasured', data: { rolloutId, wave, stage, check: check.name, outcome, detail, at } };
      const verdict = analysisVerdict(check, [...view.progress.measurements.map((m) => m.outcome), outcome]);
      return verdict === null ? [measured] : [measured, ...failure(view, rolloutId, null, `${verdict}: ${detail}`, at)];
    }
    case 'CompleteStage': {
      const { wave, stage, how } = command.data;
      if (!progressing || !onCurrentStage(view, command.data) || view.progress.stageStartedAt === null) return [];
      return [{ type: 'RolloutStageCompleted', data: { rolloutId, wave, stage, how, at } }];
    }
    case 'StartClusterRestore': {
      const { cluster, deadline } = command.data;
      if (!aborting || view.progress.touched[cluster] === undefined || view.progress.restores[cluster] !== undefined) return [];
      return [{ type: 'ClusterRestoreStarted', data: { rolloutId, cluster, deadline: deadline.toISOString(), at } }];
    }
    case 'RecordRestoreApplied': {
      const { cluster } = command.data;
      if (!aborting || view.progress.restores[cluster]?.status !== 'started') return [];
      return [{ type: 'ClusterRestoreApplied', data: { rolloutId, cluster, at } }];
    }
    case 'RecordClusterRestored': {
      const { cluster } = command.data;
      if (!aborting || view.progress.restores[cluster]?.status !== 'applied') return [];
      return [{ type: 'ClusterRestored', data: { rolloutId, cluster, at } }];
    }
    case 'RecordRestoreFailure': {
      const { cluster, reason } = command.data;
      const status = view.progress.restores[cluster]?.status;
      if (!aborting || (status !== 'started' && status !== 'applied')) return [];
      return [{ type: 'ClusterRestoreFailed', data: { rolloutId, cluster, reason, at } }];
    }
    default:
      return assertNever(command);
  }
}

/** Folds the engine's events (and the operations that steer it) into the progress. */
export function evolveProgress(progress: RolloutProgress, event: RolloutEvent, request: RolloutRequest | null): RolloutProgress {
  switch (event.type) {
    case 'RolloutStageStarted':
      return { ...progress, stageStartedAt: event.data.at, until: event.data.until };
    case 'ClusterActionStarted':
      return {
        ...progress,
        clusters: { ...progress.clusters, [event.data.cluster]: { status: 'started', deadline: event.data.deadline } },
        touched: { ...progress.touched, [event.data.cluster]: progress.touched[event.data.cluster] ?? {} },
      };
    case 'ClusterActionApplied': {
      const step = progress.clusters[event.data.cluster];
      return {
        ...progress,
        clusters: step ? { ...progress.clusters, [event.data.cluster]: { ...step, status: 'applied' } } : progress.clusters,
        touched: { ...progress.touched, [event.data.cluster]: { ...progress.touched[event.data.cluster], ...event.data.note } },
      };
    }
    case 'ClusterActionSucceeded':
    case 'ClusterActionFailed': {
      const step = progress.clusters[event.data.cluster];
      const status = event.type === 'ClusterActionSucceeded' ? 'ready' : 'failed';
      return step ? { ...progress, clusters: { ...progress.clusters, [event.data.cluster]: { ...step, status } } } : progress;
    }
    case 'AnalysisMeasured':
      return { ...progress, measurements: [...progress.measurements, { outcome: event.data.outcome, at: event.data.at }] };
    case 'RolloutStageCompleted': {
      const stages = request ? waveStages(request, event.data.wave).length : 0;
      const next = event.data.stage + 1 < stages ? { wave: event.data.wave, stage: event.data.stage + 1 } : { wave: event.data.wave + 1, stage: 0 };
      return {
        ...progress,
        ...next,
        stageStartedAt: null,
        until: null,
        clusters: {},
        measurements: [],
        // A promote is spent on the gate it completed; one that arrived during an
        // action stage waits for the next gate.
        promotePending: event.data.how === 'promoted' ? false : progress.promotePending,
      };
    }
    case 'RolloutPromoted': {
      // A promote un-pauses too (see the decider); without the retry, a cluster that
      // failed under onFailure: pause would stay failed and the wave would wait forever.
      const retried = retryFailed(progress, request);
      return event.data.full ? { ...retried, skipGates: true } : { ...retried, promotePending: true };
    }
    case 'RolloutResumed':
      return retryFailed(progress, request);
    case 'ClusterRestoreStarted':
      return { ...progress, restores: { ...progress.restores, [event.data.cluster]: { status: 'started', deadline: event.data.deadline } } };
    case 'ClusterRestoreApplied':
    case 'ClusterRestored':
    case 'ClusterRestoreFailed': {
      const restore = progress.restores[event.data.cluster];
      const status = event.type === 'ClusterRestoreApplied' ? 'applied' : event.type === 'ClusterRestored' ? 'done' : 'failed';
      return restore ? { ...progress, restores: { ...progress.restores, [event.data.cluster]: { ...restore, status } } } : progress;
    }
    default:
      return progress;
  }
}
