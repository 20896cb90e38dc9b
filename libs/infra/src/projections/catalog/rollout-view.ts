import { describeStage, waveStages, type RolloutEvent, type RolloutRequest } from '#domain';

export interface ClusterProgressView {
  wave: number;
  step: string | null;
  status: 'pending' | 'in progress' | 'ready' | 'failed' | 'restoring' | 'restored' | 'restore failed';
  reason?: string;
}

/** The mutable part of a rollout's row: what GET /v1/rollouts/{id} reports. */
export interface RolloutView {
  phase: string;
  message: string;
  approvers: string[];
  updatedAt: string;
  endedAt: string | null;
  currentWave: number;
  currentStep: string | null;
  clusters: Record<string, ClusterProgressView>;
}

export function initialView(request: RolloutRequest, at: string): RolloutView {
  const clusters: Record<string, ClusterProgressView> = {};
  request.waves.forEach((wave, index) => wave.forEach((c) => (clusters[c] = { wave: index + 1, step: null, status: 'pending' })));
  const n = request.requiredApprovals;
  return {
    phase: n > 0 ? 'AwaitingApproval' : 'Progressing',
    message: n > 0 ? `waiting for ${n} approval${n === 1 ? '' : 's'}` : 'rollout requested',
    approvers: [],
    updatedAt: at,
    endedAt: null,
    currentWave: 0,
    currentStep: null,
    clusters,
  };
}

function readyCount(view: RolloutView, wave: number): string {
  const inWave = Object.values(view.clusters).filter((c) => c.wave === wave);
  return `${inWave.filter((c) => c.status === 'ready').length}/${inWave.length} clusters ready`;
}

/** Folds one event into the view; a person reads `message`, a program the fields. */
export function evolveView(view: RolloutView, request: RolloutRequest, event: RolloutEvent): RolloutView {
  const at = event.type === 'RolloutRequested' ? event.data.requestedAt : event.data.at;
  const next: RolloutView = { ...view, updatedAt: at, clusters: { ...view.clusters } };
  const setCluster = (cluster: string, patch: Partial<ClusterProgressView>) => {
    const current = next.clusters[cluster];
    if (current) next.clusters[cluster] = { ...current, ...patch };
  };
  const waves = request.waves.length;
  switch (event.type) {
    case 'RolloutRequested':
      return initialView(request, at);
    case 'RolloutApprovalGiven':
      return { ...next, message: `approved by ${event.data.actor}`, approvers: next.approvers.includes(event.data.actor) ? next.approvers : [...next.approvers, event.data.actor] };
    case 'RolloutApproved':
      return { ...next, phase: 'Progressing', message: `approved by ${event.data.approvers.join(', ')}` };
    case 'RolloutPaused':
      return { ...next, phase: 'Paused', message: `paused by ${event.data.actor}${event.data.reason ? `: ${event.data.reason}` : ''}` };
    case 'RolloutResumed':
      return { ...next, phase: 'Progressing', message: `resumed by ${event.data.actor}` };
    case 'RolloutPromoted':
      return { ...next, phase: next.phase === 'Paused' ? 'Progressing' : next.phase, message: `${event.data.full ? 'fully promoted' : 'promoted'} by ${event.data.actor}` };
    case 'RolloutAbortRequested':
      return { ...next, phase: 'Aborting', message: `aborting: ${event.data.reason}` };
    case 'RolloutGateFailed':
      return { ...next, phase: 'Aborting', message: `health gate failed${event.data.cluster ? ` on ${event.data.cluster}` : ''}: ${event.data.reason}` };
    case 'RolloutSucceeded':
      return { ...next, phase: 'Succeeded', message: 'rollout succeeded', endedAt: at, currentStep: null };
    case 'RolloutAborted':
      return { ...next, phase: 'Aborted', message: `aborted: ${event.data.reason}`, endedAt: at, currentStep: null };
    case 'RolloutFailed':
      return { ...next, phase: 'Failed', message: `failed and rolled back: ${event.data.reason}`, endedAt: at, currentStep: null };
    case 'RolloutStageStarted': {
      const stage = waveStages(request, event.data.wave)[event.data.stage];
      const step = stage ? describeStage(stage) : null;
      const until = event.data.until ? ` until ${event.data.until}` : '';
      return { ...next, currentWave: event.data.wave + 1, currentStep: step, message: `wave ${event.data.wave + 1}/${waves}: ${step}${until}` };
    }
    case 'ClusterActionStarted':
      setCluster(event.data.cluster, { status: 'in progress', step: next.currentStep });
      return next;
    case 'ClusterActionSucceeded':
      setCluster(event.data.cluster, { status: 'ready', step: next.currentStep });
      return { ...next, message: `wave ${event.data.wave + 1}/${waves}: ${next.currentStep}: ${readyCount(next, event.data.wave + 1)}` };
    case 'ClusterActionFailed':
      setCluster(event.data.cluster, { status: 'failed', reason: event.data.reason });
      return next;
    case 'AnalysisMeasured':
      return { ...next, message: `wave ${event.data.wave + 1}/${waves}: analysis ${event.data.check}: ${event.data.outcome} (${event.data.detail})` };
    case 'ClusterRestoreStarted':
      setCluster(event.data.cluster, { status: 'restoring' });
      return next;
    case 'ClusterRestored':
      setCluster(event.data.cluster, { status: 'restored' });
      return next;
    case 'ClusterRestoreFailed':
      setCluster(event.data.cluster, { status: 'restore failed', reason: event.data.reason });
      return next;
    case 'ClusterActionApplied':
    case 'ClusterRestoreApplied':
    case 'RolloutStageCompleted':
      return next;
    default:
      return next;
  }
}
