import type { EngineCommand, RolloutCommand } from '../rollout.commands.js';
import type { RolloutState } from '../rollout.decider.js';
import type { AnalysisCheck } from '../strategy.js';
import { waveStages, type ClusterAction } from './rollout-program.js';

/**
 * What the worker should do next for one rollout. The workflow is pure: it reads the
 * rollout's state and the time, and names intentions; the worker performs them and
 * reports back through the decider, whose new events lead to the next intentions.
 */
export type Intention =
  /** Append through the decider (start or complete a stage, finish the rollout). */
  | { kind: 'record'; command: RolloutCommand }
  /** Make the cluster look like the action says, then record RecordClusterApplied. */
  | { kind: 'apply'; cluster: string; wave: number; stage: number; action: ClusterAction; deadline: Date }
  /** Read the cluster: record ready, record a failure past the deadline, or look again later. */
  | { kind: 'observe'; cluster: string; wave: number; stage: number; action: ClusterAction; deadline: Date }
  /** Take one analysis measurement and record it. */
  | { kind: 'measure'; wave: number; stage: number; check: AnalysisCheck }
  /** Put the cluster back as it was before this rollout, then record RecordRestoreApplied. */
  | { kind: 'restore'; cluster: string; note: Record<string, string>; deadline: Date }
  /** Read the restored cluster: record restored, a failure past the deadline, or look again. */
  | { kind: 'observeRestore'; cluster: string; note: Record<string, string>; deadline: Date }
  /** Nothing to do before this instant (a pause, a bake, the next measurement). */
  | { kind: 'wakeAt'; at: Date };

const record = (command: EngineCommand | RolloutCommand): Intention => ({ kind: 'record', command });
const seconds = (from: Date, s: number): Date => new Date(from.getTime() + s * 1000);

export function nextIntentions(state: RolloutState, now: Date): Intention[] {
  const request = state.request;
  if (request === null) return [];
  const rolloutId = request.rolloutId;
  const progress = state.progress;

  if (state.phase === 'Aborting') {
    // The superseding rollout owns these clusters now and takes them on as they are.
    const touched = state.failure?.supersededBy ? [] : Object.keys(progress.touched);
    const restores = progress.restores;
    if (touched.every((c) => restores[c]?.status === 'done' || restores[c]?.status === 'failed')) {
      return [record({ type: 'FinishRollback', data: { rolloutId, now } })];
    }
    const intentions: Intention[] = [];
    let inFlight = touched.filter((c) => restores[c]?.status === 'started' || restores[c]?.status === 'applied').length;
    for (const cluster of touched) {
      const restore = restores[cluster];
      const note = progress.touched[cluster] ?? {};
      if (restore?.status === 'started') intentions.push({ kind: 'restore', cluster, note, deadline: new Date(restore.deadline) });
      else if (restore?.status === 'applied') intentions.push({ kind: 'observeRestore', cluster, note, deadline: new Date(restore.deadline) });
      else if (restore === undefined && inFlight < request.maxParallel) {
        inFlight += 1;
        const deadline = seconds(now, request.strategy.progressDeadlineSeconds);
        intentions.push(record({ type: 'StartClusterRestore', data: { rolloutId, cluster, deadline, now } }));
      }
    }
    return intentions;
  }

  if (state.phase !== 'Progressing') return [];
  const { wave, stage } = progress;
  if (wave >= request.waves.length) return [record({ type: 'CompleteRollout', data: { rolloutId, now } })];
  const current = waveStages(request, wave)[stage];
  if (current === undefined) return [];
  const at = { rolloutId, wave, stage, now };

  if (progress.stageStartedAt === null) {
    const timed = current.type === 'gate' && current.gate.kind !== 'analysis' ? current.gate.seconds : null;
    return [record({ type: 'StartStage', data: { ...at, until: timed === null ? null : seconds(now, timed) } })];
  }

  if (current.type === 'action') {
    const clusters = request.waves[wave]!;
    if (clusters.every((c) => progress.clusters[c]?.status === 'ready')) {
      return [record({ type: 'CompleteStage', data: { ...at, how: 'done' } })];
    }
    const intentions: Intention[] = [];
    let inFlight = clusters.filter((c) => ['started', 'applied'].includes(progress.clusters[c]?.status ?? '')).length;
    for (const cluster of clusters) {
      const step = progress.clusters[cluster];
      if (step?.status === 'started') {
        intentions.push({ kind: 'apply', cluster, wave, stage, action: current.action, deadline: new Date(step.deadline) });
      } else if (step?.status === 'applied') {
        intentions.push({ kind: 'observe', cluster, wave, stage, action: current.action, deadline: new Date(step.deadline) });
      } else if (step === undefined && inFlight < request.maxParallel) {
        inFlight += 1;
        const deadline = seconds(now, request.strategy.progressDeadlineSeconds);
        intentions.push(record({ type: 'StartClusterAction', data: { ...at, cluster, deadline } }));
      }
    }
    return intentions;
  }

  const gate = current.gate;
  if (progress.skipGates) return [record({ type: 'CompleteStage', data: { ...at, how: 'skipped' } })];
  if (progress.promotePending) return [record({ type: 'CompleteStage', data: { ...at, how: 'promoted' } })];
  if (gate.kind === 'pause' || gate.kind === 'delay') {
    if (progress.until === null) return []; // an indefinite pause waits for a promote
    const until = new Date(progress.until);
    return until <= now ? [record({ type: 'CompleteStage', data: { ...at, how: 'elapsed' } })] : [{ kind: 'wakeAt', at: until }];
  }
  const check = gate.check;
  const measured = progress.measurements.filter((m) => m.outcome !== 'error').length;
  if (measured >= check.count) return [record({ type: 'CompleteStage', data: { ...at, how: 'done' } })];
  const last = progress.measurements[progress.measurements.length - 1];
  const due = last === undefined ? new Date(progress.stageStartedAt) : seconds(new Date(last.at), check.intervalSeconds);
  return due <= now ? [{ kind: 'measure', wave, stage, check }] : [{ kind: 'wakeAt', at: due }];
}
