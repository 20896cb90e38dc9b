import semver from 'semver';
import { canonicalJson } from '../shared/canonical-json.js';
import { assertNever, type Decider } from '../shared/decider.js';
import { DomainError } from '../shared/domain-error.js';
import { decideEngine, evolveProgress } from './engine/rollout-engine.js';
import { initialProgress, type RolloutProgress } from './engine/rollout-progress.js';
import type { RolloutCommand, RolloutRequest } from './rollout.commands.js';
import type { RolloutEvent } from './rollout.events.js';
import { FINAL_PHASES, type RolloutPhase } from './rollout-phase.js';

export { FINAL_PHASES, type RolloutPhase } from './rollout-phase.js';
import { validateStrategy } from './strategy.js';


export interface RolloutState {
  request: RolloutRequest | null;
  phase: RolloutPhase;
  approvers: string[];
  /** Why the rollout is aborting or failed; null while all is well. */
  /**
   * Why the rollout is aborting or failed. A superseded rollout hands its clusters to
   * the rollout that replaced it instead of rolling them back, so the two never act
   * on one cluster at the same time.
   */
  failure: { reason: string; automatic: boolean; supersededBy: string | null } | null;
  /** How far the engine got; see engine/rollout-engine.ts. */
  progress: RolloutProgress;
}

const initialState = (): RolloutState => ({
  request: null,
  phase: 'AwaitingApproval',
  approvers: [],
  failure: null,
  progress: initialProgress(),
});

function existing(state: RolloutState, rolloutId: string): RolloutRequest {
  if (state.request === null) {
    throw new DomainError('ROLLOUT_NOT_FOUND', `rollout ${rolloutId} does not exist`, { rolloutId });
  }
  return state.request;
}

function notFinished(state: RolloutState, rolloutId: string, action: string): void {
  existing(state, rolloutId);
  if (FINAL_PHASES.includes(state.phase)) {
    throw new DomainError('ROLLOUT_FINISHED', `cannot ${action} rollout ${rolloutId}: it already ended (${state.phase})`, {
      rolloutId,
      phase: state.phase,
    });
  }
}

function validateRequest(request: RolloutRequest): void {
  if (semver.valid(request.version) === null) {
    throw new DomainError('RELEASE_VERSION_INVALID', `'${request.version}' is not a semantic version`);
  }
  // semver.gt/lt below throw a bare TypeError on an invalid version; report it as a domain error.
  if (request.currentVersion !== null && semver.valid(request.currentVersion) === null) {
    throw new DomainError('RELEASE_VERSION_INVALID', `current version '${request.currentVersion}' is not a semantic version`);
  }
  if (request.waves.flat().length === 0) {
    throw new DomainError('ROLLOUT_TARGETS_EMPTY', 'no cluster matches the target of this rollout', {
      skippedClusters: request.skippedClusters,
    });
  }
  validateStrategy(request.strategy);
  const { kind, version, currentVersion } = request;
  const mismatch = (message: string): never => {
    throw new DomainError('ROLLOUT_KIND_MISMATCH', message, { kind, version, currentVersion });
  };
  // The kind is the caller's statement of intent; checking it against what is live
  // catches a CI job that "upgrades" to an older build by mistake.
  if (kind === 'deploy' && currentVersion !== null) {
    mismatch(`${request.application} already runs ${currentVersion} there; use upgrade or rollback`);
  }
  if (kind === 'upgrade' && (currentVersion === null || !semver.gt(version, currentVersion))) {
    mismatch(
      currentVersion === null
        ? `${request.application} is not installed there yet; use deploy`
        : `upgrade needs a version newer than ${currentVersion}; use rollback to go back`,
    );
  }
  if (kind === 'rollback' && (currentVersion === null || !semver.lt(version, currentVersion))) {
    mismatch(
      currentVersion === null
        ? `${request.application} is not installed there; nothing to roll back`
        : `rollback needs a version older than ${currentVersion}`,
    );
  }
}

function decide(command: RolloutCommand, state: RolloutState): RolloutEvent[] {
  const at = command.data.now.toISOString();
  const { rolloutId } = command.data;
  switch (command.type) {
    case 'RequestRollout': {
      const { now: _now, ...request } = command.data;
      if (state.request !== null) {
        if (canonicalJson(state.request) === canonicalJson(request)) return [];
        throw new DomainError('ROLLOUT_ALREADY_EXISTS', `rollout ${rolloutId} already exists`, { rolloutId });
      }
      validateRequest(request);
      return [{ type: 'RolloutRequested', data: { ...request, requestedAt: at } }];
    }
    case 'ApproveRollout': {
      const { actor, comment } = command.data;
      notFinished(state, rolloutId, 'approve');
      const request = existing(state, rolloutId);
      if (state.phase !== 'AwaitingApproval') {
        throw new DomainError('ROLLOUT_NOT_AWAITING_APPROVAL', `rollout ${rolloutId} is ${state.phase}, not awaiting approval`, {
          rolloutId,
          phase: state.phase,
        });
      }
      // Four eyes: whoever asked for the rollout cannot also be the one who approves it.
      if (actor === request.requestedBy) {
        throw new DomainError('ROLLOUT_SELF_APPROVAL', 'the requester of a rollout cannot approve it', { rolloutId, actor });
      }
      if (state.approvers.includes(actor)) {
        throw new DomainError('ROLLOUT_ALREADY_APPROVED_BY_ACTOR', `${actor} has already approved rollout ${rolloutId}`, {
          rolloutId,
          actor,
        });
      }
      const approvers = [...state.approvers, actor];
      const given: RolloutEvent = { type: 'RolloutApprovalGiven', data: { rolloutId, actor, comment, at } };
      return approvers.length >= request.requiredApprovals
        ? [given, { type: 'RolloutApproved', data: { rolloutId, approvers, at } }]
        : [given];
    }
    case 'PauseRollout': {
      notFinished(state, rolloutId, 'pause');
      if (state.phase === 'Paused') return [];
      if (state.phase === 'AwaitingApproval') {
        throw new DomainError('ROLLOUT_AWAITING_APPROVAL', `rollout ${rolloutId} has not started: it still needs approvals`, {
          rolloutId,
          missing: existing(state, rolloutId).requiredApprovals - state.approvers.length,
        });
      }
      if (state.phase !== 'Progressing') {
        throw new DomainError('ROLLOUT_INVALID_PHASE', `cannot pause rollout ${rolloutId} while it is ${state.phase}`, {
          rolloutId,
          phase: state.phase,
        });
      }
      return [{ type: 'RolloutPaused', data: { rolloutId, actor: command.data.actor, reason: command.data.reason, at } }];
    }
    case 'ResumeRollout': {
      notFinished(state, rolloutId, 'resume');
      if (state.phase !== 'Paused') {
        throw new DomainError('ROLLOUT_NOT_PAUSED', `rollout ${rolloutId} is ${state.phase}, not paused`, {
          rolloutId,
          phase: state.phase,
        });
      }
      return [{ type: 'RolloutResumed', data: { rolloutId, actor: command.data.actor, at } }];
    }
    case 'PromoteRollout': {
      notFinished(state, rolloutId, 'promote');
      if (state.phase === 'AwaitingApproval') {
        throw new DomainError('ROLLOUT_AWAITING_APPROVAL', `rollout ${rolloutId} still needs approvals`, {
          rolloutId,
          missing: existing(state, rolloutId).requiredApprovals - state.approvers.length,
        });
      }
      if (state.phase === 'Aborting') {
        throw new DomainError('ROLLOUT_INVALID_PHASE', `rollout ${rolloutId} is aborting and cannot be promoted`, { rolloutId });
      }
      return [{ type: 'RolloutPromoted', data: { rolloutId, actor: command.data.actor, full: command.data.full, at } }];
    }
    case 'AbortRollout': {
      notFinished(state, rolloutId, 'abort');
      const { actor, reason, supersededBy } = command.data;
      if (reason.trim() === '') {
        throw new DomainError('ROLLOUT_REASON_REQUIRED', 'an abort needs a reason, for the audit trail');
      }
      if (state.phase === 'Aborting') return [];
      const requested: RolloutEvent = { type: 'RolloutAbortRequested', data: { rolloutId, actor, reason, supersededBy, at } };
      // Nothing has touched a cluster before approval, so there is nothing to roll back.
      return state.phase === 'AwaitingApproval'
        ? [requested, { type: 'RolloutAborted', data: { rolloutId, reason, at } }]
        : [requested];
    }
    case 'FailRollout': {
      notFinished(state, rolloutId, 'fail');
      // A gate that fails while an abort is already rolling back adds nothing new.
      if (state.phase === 'Aborting') return [];
      return [{ type: 'RolloutGateFailed', data: { rolloutId, reason: command.data.reason, cluster: command.data.cluster, at } }];
    }
    case 'CompleteRollout': {
      notFinished(state, rolloutId, 'complete');
      if (state.phase !== 'Progressing') {
        throw new DomainError('ROLLOUT_INVALID_PHASE', `rollout ${rolloutId} cannot complete while ${state.phase}`, {
          rolloutId,
          phase: state.phase,
        });
      }
      return [{ type: 'RolloutSucceeded', data: { rolloutId, at } }];
    }
    case 'FinishRollback': {
      notFinished(state, rolloutId, 'finish the rollback of');
      if (state.phase !== 'Aborting' || state.failure === null) {
        throw new DomainError('ROLLOUT_INVALID_PHASE', `rollout ${rolloutId} is ${state.phase}, not rolling back`, {
          rolloutId,
          phase: state.phase,
        });
      }
      const { reason, automatic } = state.failure;
      return automatic
        ? [{ type: 'RolloutFailed', data: { rolloutId, reason, at } }]
        : [{ type: 'RolloutAborted', data: { rolloutId, reason, at } }];
    }
    case 'StartStage':
    case 'StartClusterAction':
    case 'RecordClusterApplied':
    case 'RecordClusterReady':
    case 'RecordClusterFailure':
    case 'RecordMeasurement':
    case 'CompleteStage':
    case 'StartClusterRestore':
    case 'RecordRestoreApplied':
    case 'RecordClusterRestored':
    case 'RecordRestoreFailure': {
      const request = existing(state, rolloutId);
      return decideEngine(command, { request, phase: state.phase, progress: state.progress });
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: RolloutState, event: RolloutEvent): RolloutState {
  const next = evolvePhase(state, event);
  return { ...next, progress: evolveProgress(next.progress, event, next.request) };
}

function evolvePhase(state: RolloutState, event: RolloutEvent): RolloutState {
  switch (event.type) {
    case 'RolloutRequested': {
      const { requestedAt: _at, ...request } = event.data;
      return { ...state, request, phase: request.requiredApprovals > 0 ? 'AwaitingApproval' : 'Progressing' };
    }
    case 'RolloutApprovalGiven':
      return { ...state, approvers: [...state.approvers, event.data.actor] };
    case 'RolloutApproved':
    case 'RolloutResumed':
      return { ...state, phase: 'Progressing' };
    case 'RolloutPromoted':
      return state.phase === 'Paused' ? { ...state, phase: 'Progressing' } : state;
    case 'RolloutPaused':
      return { ...state, phase: 'Paused' };
    case 'RolloutAbortRequested':
      return { ...state, phase: 'Aborting', failure: { reason: event.data.reason, automatic: false, supersededBy: event.data.supersededBy } };
    case 'RolloutGateFailed':
      return { ...state, phase: 'Aborting', failure: { reason: event.data.reason, automatic: true, supersededBy: null } };
    case 'RolloutSucceeded':
      return { ...state, phase: 'Succeeded' };
    case 'RolloutAborted':
      return { ...state, phase: 'Aborted' };
    case 'RolloutFailed':
      return { ...state, phase: 'Failed' };
    case 'RolloutStageStarted':
    case 'ClusterActionStarted':
    case 'ClusterActionApplied':
    case 'ClusterActionSucceeded':
    case 'ClusterActionFailed':
    case 'AnalysisMeasured':
    case 'RolloutStageCompleted':
    case 'ClusterRestoreStarted':
    case 'ClusterRestoreApplied':
    case 'ClusterRestored':
    case 'ClusterRestoreFailed':
      return state;
    default:
      return assertNever(event);
  }
}

export const rolloutDecider: Decider<RolloutCommand, RolloutEvent, RolloutState> = {
  decide,
  evolve,
  initialState,
};
