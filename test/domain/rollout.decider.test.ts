import { describe, expect, it } from '@jest/globals';
import { rolloutDecider, type RolloutCommand, type RolloutEvent, type RolloutRequest, type Strategy } from '#domain';
import { AT, NOW, given } from '../support/given-when-then.js';

const strategy: Strategy = {
  kind: 'canary',
  replicas: 7,
  steps: [{ kind: 'setWeight', weight: 10 }, { kind: 'pause', seconds: null }],
  trafficRouting: 'replicas',
  progressDeadlineSeconds: 600,
};
const request: RolloutRequest = {
  rolloutId: 'r1',
  kind: 'upgrade',
  application: 'shop',
  version: '1.5.0',
  currentVersion: '1.4.2',
  environment: 'prod',
  strategy,
  waves: [['eu-1'], ['us-1', 'ap-1']],
  skippedClusters: ['eu-2'],
  maxParallel: 2,
  bakeSeconds: 60,
  onFailure: 'rollback',
  requiredApprovals: 2,
  requestedBy: 'alice',
  reason: 'faster checkout',
};

// Commands
const requestRollout = (overrides: Partial<RolloutRequest> = {}): RolloutCommand => ({
  type: 'RequestRollout',
  data: { ...request, ...overrides, now: NOW },
});
const approve = (actor: string, comment: string | null = null): RolloutCommand => ({
  type: 'ApproveRollout',
  data: { rolloutId: 'r1', actor, comment, now: NOW },
});
const pause: RolloutCommand = { type: 'PauseRollout', data: { rolloutId: 'r1', actor: 'bob', reason: 'error rate', now: NOW } };
const resume: RolloutCommand = { type: 'ResumeRollout', data: { rolloutId: 'r1', actor: 'bob', now: NOW } };
const promote = (full = false): RolloutCommand => ({ type: 'PromoteRollout', data: { rolloutId: 'r1', actor: 'bob', full, now: NOW } });
const abort = (reason = 'wrong build', supersededBy: string | null = null): RolloutCommand => ({
  type: 'AbortRollout',
  data: { rolloutId: 'r1', actor: 'bob', reason, supersededBy, now: NOW },
});
const fail: RolloutCommand = { type: 'FailRollout', data: { rolloutId: 'r1', reason: 'http-ok failed 3 of 5', cluster: 'eu-1', now: NOW } };
const complete: RolloutCommand = { type: 'CompleteRollout', data: { rolloutId: 'r1', now: NOW } };
const finishRollback: RolloutCommand = { type: 'FinishRollback', data: { rolloutId: 'r1', now: NOW } };

// Events
const requested = (overrides: Partial<RolloutRequest> = {}): RolloutEvent => ({
  type: 'RolloutRequested',
  data: { ...request, ...overrides, requestedAt: AT },
});
const approvalGiven = (actor: string, comment: string | null = null): RolloutEvent => ({
  type: 'RolloutApprovalGiven',
  data: { rolloutId: 'r1', actor, comment, at: AT },
});
const approved = (approvers: string[]): RolloutEvent => ({ type: 'RolloutApproved', data: { rolloutId: 'r1', approvers, at: AT } });
const paused: RolloutEvent = { type: 'RolloutPaused', data: { rolloutId: 'r1', actor: 'bob', reason: 'error rate', at: AT } };
const resumed: RolloutEvent = { type: 'RolloutResumed', data: { rolloutId: 'r1', actor: 'bob', at: AT } };
const promoted = (full = false): RolloutEvent => ({ type: 'RolloutPromoted', data: { rolloutId: 'r1', actor: 'bob', full, at: AT } });
const abortRequested = (reason = 'wrong build', supersededBy: string | null = null): RolloutEvent => ({
  type: 'RolloutAbortRequested',
  data: { rolloutId: 'r1', actor: 'bob', reason, supersededBy, at: AT },
});
const gateFailed: RolloutEvent = { type: 'RolloutGateFailed', data: { rolloutId: 'r1', reason: 'http-ok failed 3 of 5', cluster: 'eu-1', at: AT } };
const succeeded: RolloutEvent = { type: 'RolloutSucceeded', data: { rolloutId: 'r1', at: AT } };
const aborted: RolloutEvent = { type: 'RolloutAborted', data: { rolloutId: 'r1', reason: 'wrong build', at: AT } };
const failed: RolloutEvent = { type: 'RolloutFailed', data: { rolloutId: 'r1', reason: 'http-ok failed 3 of 5', at: AT } };

// Histories that leave the rollout in each phase.
const awaitingApproval: RolloutEvent[] = [requested()];
const progressing: RolloutEvent[] = [requested(), approvalGiven('bob'), approvalGiven('carol'), approved(['bob', 'carol'])];
const pausedPhase: RolloutEvent[] = [...progressing, paused];
const aborting: RolloutEvent[] = [...progressing, abortRequested()];
const failing: RolloutEvent[] = [...progressing, gateFailed];
const terminal: [string, RolloutEvent[]][] = [
  ['Succeeded', [...progressing, succeeded]],
  ['Aborted', [...aborting, aborted]],
  ['Failed', [...failing, failed]],
];
const everyCommand: [string, RolloutCommand][] = [
  ['ApproveRollout', approve('dave')],
  ['PauseRollout', pause],
  ['ResumeRollout', resume],
  ['PromoteRollout', promote()],
  ['AbortRollout', abort()],
  ['FailRollout', fail],
  ['CompleteRollout', complete],
  ['FinishRollback', finishRollback],
];

describe('rollout decider', () => {
  describe('RequestRollout', () => {
    it('records the request', () => {
      given(rolloutDecider).when(requestRollout()).then([requested()]);
    });
    it('starts without approvals when none are required', () => {
      given(rolloutDecider).when(requestRollout({ requiredApprovals: 0 })).then([requested({ requiredApprovals: 0 })]);
      given(rolloutDecider, [requested({ requiredApprovals: 0 })]).when(pause).then([paused]);
    });
    it('accepts a first deploy where nothing runs yet', () => {
      given(rolloutDecider)
        .when(requestRollout({ kind: 'deploy', currentVersion: null }))
        .then([requested({ kind: 'deploy', currentVersion: null })]);
    });
    it('accepts a rollback to an older version', () => {
      given(rolloutDecider)
        .when(requestRollout({ kind: 'rollback', version: '1.3.0' }))
        .then([requested({ kind: 'rollback', version: '1.3.0' })]);
    });
    it('accepts an upgrade from a pre-release to its release', () => {
      given(rolloutDecider)
        .when(requestRollout({ version: '1.5.0', currentVersion: '1.5.0-rc.1' }))
        .then([requested({ currentVersion: '1.5.0-rc.1' })]);
    });
    it('treats the same request again as a retry, sent at another time', () => {
      given(rolloutDecider, [requested()])
        .when({ type: 'RequestRollout', data: { ...request, now: new Date('2027-01-01T00:00:00Z') } })
        .then([]);
    });
    it('treats the same request as a retry even after the rollout has moved on', () => {
      given(rolloutDecider, [...progressing, succeeded]).when(requestRollout()).then([]);
    });
    it.each<[string, Partial<RolloutRequest>]>([
      ['another version', { version: '1.6.0' }],
      ['other waves', { waves: [['eu-1', 'us-1', 'ap-1']] }],
      ['another requester', { requestedBy: 'bob' }],
    ])('rejects a different request under the same id: %s', (_what, overrides) => {
      const error = given(rolloutDecider, [requested()]).when(requestRollout(overrides)).thenRejects('ROLLOUT_ALREADY_EXISTS', /rollout r1 already exists/);
      expect(error.details).toEqual({ rolloutId: 'r1' });
    });
    it.each(['latest', '1.5', '', 'one'])('rejects the version %p', (version) => {
      given(rolloutDecider).when(requestRollout({ version })).thenRejects('RELEASE_VERSION_INVALID', /is not a semantic version/);
    });
    it.each(['main', '1.4'])('rejects the current version %p instead of failing inside semver', (currentVersion) => {
      given(rolloutDecider)
        .when(requestRollout({ currentVersion }))
        .thenRejects('RELEASE_VERSION_INVALID', new RegExp(`current version '${currentVersion}' is not a semantic version`));
    });
    it.each<[string, string[][]]>([
      ['no waves', []],
      ['only empty waves', [[], []]],
    ])('rejects a rollout with %s, naming the skipped clusters', (_what, waves) => {
      const error = given(rolloutDecider).when(requestRollout({ waves })).thenRejects('ROLLOUT_TARGETS_EMPTY');
      expect(error.details).toEqual({ skippedClusters: ['eu-2'] });
    });
    it('rejects an invalid strategy', () => {
      given(rolloutDecider)
        .when(requestRollout({ strategy: { ...strategy, steps: [] } }))
        .thenRejects('ROLLOUT_STRATEGY_INVALID', /at least one step/);
    });
    it.each<[string, Partial<RolloutRequest>, RegExp]>([
      ['a deploy over a running version', { kind: 'deploy', currentVersion: '1.4.2' }, /shop already runs 1\.4\.2 there; use upgrade or rollback/],
      ['an upgrade where nothing runs', { kind: 'upgrade', currentVersion: null }, /shop is not installed there yet; use deploy/],
      ['an upgrade to the running version', { kind: 'upgrade', version: '1.4.2' }, /upgrade needs a version newer than 1\.4\.2; use rollback to go back/],
      ['an upgrade to an older version', { kind: 'upgrade', version: '1.3.9' }, /upgrade needs a version newer than 1\.4\.2/],
      ['an upgrade to a pre-release of the running version', { kind: 'upgrade', version: '1.4.2-rc.1' }, /upgrade needs a version newer/],
      ['a rollback where nothing runs', { kind: 'rollback', version: '1.3.0', currentVersion: null }, /shop is not installed there; nothing to roll back/],
      ['a rollback to the running version', { kind: 'rollback', version: '1.4.2' }, /rollback needs a version older than 1\.4\.2/],
      ['a rollback to a newer version', { kind: 'rollback', version: '1.5.0' }, /rollback needs a version older than 1\.4\.2/],
    ])('rejects %s', (_what, overrides, message) => {
      const error = given(rolloutDecider).when(requestRollout(overrides)).thenRejects('ROLLOUT_KIND_MISMATCH', message);
      const expected = { ...request, ...overrides };
      expect(error.details).toEqual({ kind: expected.kind, version: expected.version, currentVersion: expected.currentVersion });
    });
  });

  describe('ApproveRollout', () => {
    it('records an approval and waits for the next one', () => {
      given(rolloutDecider, awaitingApproval).when(approve('bob', 'looks good')).then([approvalGiven('bob', 'looks good')]);
    });
    it('approves the rollout with the last required approval, listing the approvers in order', () => {
      given(rolloutDecider, [requested(), approvalGiven('carol')])
        .when(approve('bob'))
        .then([approvalGiven('bob'), approved(['carol', 'bob'])]);
    });
    it('approves at once when one approval is required', () => {
      given(rolloutDecider, [requested({ requiredApprovals: 1 })]).when(approve('bob')).then([approvalGiven('bob'), approved(['bob'])]);
    });
    it('starts the rollout once approved', () => {
      given(rolloutDecider, progressing).when(pause).then([paused]);
    });
    it('rejects approval by the requester (four eyes)', () => {
      const error = given(rolloutDecider, awaitingApproval).when(approve('alice')).thenRejects('ROLLOUT_SELF_APPROVAL');
      expect(error.details).toEqual({ rolloutId: 'r1', actor: 'alice' });
    });
    it('rejects a second approval by the same person', () => {
      const error = given(rolloutDecider, [requested(), approvalGiven('bob')])
        .when(approve('bob'))
        .thenRejects('ROLLOUT_ALREADY_APPROVED_BY_ACTOR', /bob has already approved rollout r1/);
      expect(error.details).toEqual({ rolloutId: 'r1', actor: 'bob' });
    });
    it.each<[string, RolloutEvent[]]>([
      ['Progressing after approval', progressing],
      ['Progressing without approvals', [requested({ requiredApprovals: 0 })]],
      ['Paused', pausedPhase],
      ['Aborting', aborting],
    ])('rejects an approval while %s', (_phase, history) => {
      given(rolloutDecider, history).when(approve('dave')).thenRejects('ROLLOUT_NOT_AWAITING_APPROVAL', /not awaiting approval/);
    });
  });

  describe('PauseRollout / ResumeRollout', () => {
    it('pauses a progressing rollout', () => {
      given(rolloutDecider, progressing).when(pause).then([paused]);
    });
    it('ignores pausing a paused rollout', () => {
      given(rolloutDecider, pausedPhase).when(pause).then([]);
    });
    it('resumes a paused rollout', () => {
      given(rolloutDecider, pausedPhase).when(resume).then([resumed]);
    });
    it('can pause again after a resume', () => {
      given(rolloutDecider, [...pausedPhase, resumed]).when(pause).then([paused]);
    });
    it('rejects pausing a rollout that still needs approvals', () => {
      const error = given(rolloutDecider, [requested(), approvalGiven('bob')]).when(pause).thenRejects('ROLLOUT_AWAITING_APPROVAL');
      expect(error.details).toEqual({ rolloutId: 'r1', missing: 1 });
    });
    it('rejects pausing a rollout that is rolling back', () => {
      given(rolloutDecider, aborting).when(pause).thenRejects('ROLLOUT_INVALID_PHASE', /cannot pause rollout r1 while it is Aborting/);
      given(rolloutDecider, failing).when(pause).thenRejects('ROLLOUT_INVALID_PHASE', /while it is Aborting/);
    });
    it.each<[string, RolloutEvent[]]>([
      ['Progressing', progressing],
      ['AwaitingApproval', awaitingApproval],
      ['Aborting', aborting],
    ])('rejects resuming a rollout that is %s', (phase, history) => {
      const error = given(rolloutDecider, history).when(resume).thenRejects('ROLLOUT_NOT_PAUSED', new RegExp(`rollout r1 is ${phase}, not paused`));
      expect(error.details).toEqual({ rolloutId: 'r1', phase });
    });
  });

  describe('PromoteRollout', () => {
    it('promotes a progressing rollout to its next step', () => {
      given(rolloutDecider, progressing).when(promote()).then([promoted()]);
    });
    it('promotes fully, skipping the remaining steps', () => {
      given(rolloutDecider, progressing).when(promote(true)).then([promoted(true)]);
    });
    it('promotes a paused rollout, which continues it', () => {
      given(rolloutDecider, pausedPhase).when(promote()).then([promoted()]);
      given(rolloutDecider, [...pausedPhase, promoted()]).when(resume).thenRejects('ROLLOUT_NOT_PAUSED');
      given(rolloutDecider, [...pausedPhase, promoted()]).when(complete).then([succeeded]);
    });
    it('rejects promoting a rollout that still needs approvals, saying how many', () => {
      const error = given(rolloutDecider, [requested(), approvalGiven('bob')])
        .when(promote())
        .thenRejects('ROLLOUT_AWAITING_APPROVAL', /still needs approvals/);
      expect(error.details).toEqual({ rolloutId: 'r1', missing: 1 });
    });
    it('rejects promoting a rollout that is rolling back', () => {
      given(rolloutDecider, aborting).when(promote()).thenRejects('ROLLOUT_INVALID_PHASE', /aborting and cannot be promoted/);
    });
  });

  describe('AbortRollout', () => {
    it.each<[string, RolloutEvent[]]>([
      ['Progressing', progressing],
      ['Paused', pausedPhase],
    ])('asks to abort a rollout that is %s', (_phase, history) => {
      given(rolloutDecider, history).when(abort()).then([abortRequested()]);
    });
    it('ends a rollout still awaiting approval at once: no cluster was touched, nothing to roll back', () => {
      given(rolloutDecider, awaitingApproval)
        .when(abort())
        .then([abortRequested(), aborted]);
    });
    it('records the rollout that supersedes this one', () => {
      given(rolloutDecider, progressing).when(abort('superseded by r2', 'r2')).then([abortRequested('superseded by r2', 'r2')]);
    });
    it('ignores a second abort while rolling back', () => {
      given(rolloutDecider, aborting).when(abort('again')).then([]);
      given(rolloutDecider, failing).when(abort()).then([]);
    });
    it.each(['', '   '])('rejects an abort without a reason (%p)', (reason) => {
      given(rolloutDecider, progressing).when(abort(reason)).thenRejects('ROLLOUT_REASON_REQUIRED', /needs a reason/);
    });
  });

  describe('FailRollout', () => {
    it.each<[string, RolloutEvent[]]>([
      ['Progressing', progressing],
      ['Paused', pausedPhase],
    ])('records a failed gate of a rollout that is %s', (_phase, history) => {
      given(rolloutDecider, history).when(fail).then([gateFailed]);
    });
    it('records a failed gate without a cluster', () => {
      given(rolloutDecider, progressing)
        .when({ type: 'FailRollout', data: { rolloutId: 'r1', reason: 'deadline', cluster: null, now: NOW } })
        .then([{ type: 'RolloutGateFailed', data: { rolloutId: 'r1', reason: 'deadline', cluster: null, at: AT } }]);
    });
    it('ignores a failed gate while an abort or earlier failure is rolling back', () => {
      given(rolloutDecider, aborting).when(fail).then([]);
      given(rolloutDecider, failing).when(fail).then([]);
    });
  });

  describe('CompleteRollout', () => {
    it('completes a progressing rollout', () => {
      given(rolloutDecider, progressing).when(complete).then([succeeded]);
    });
    it.each<[string, RolloutEvent[]]>([
      ['Paused', pausedPhase],
      ['AwaitingApproval', awaitingApproval],
      ['Aborting', aborting],
    ])('rejects completing a rollout that is %s', (phase, history) => {
      given(rolloutDecider, history).when(complete).thenRejects('ROLLOUT_INVALID_PHASE', new RegExp(`cannot complete while ${phase}`));
    });
  });

  describe('FinishRollback', () => {
    it('ends an abort as RolloutAborted, with the abort reason', () => {
      given(rolloutDecider, aborting).when(finishRollback).then([aborted]);
    });
    it('ends a failed gate as RolloutFailed, with the gate reason', () => {
      given(rolloutDecider, failing).when(finishRollback).then([failed]);
    });
    it('ends a rollback that began while paused by its cause', () => {
      given(rolloutDecider, [...pausedPhase, gateFailed]).when(finishRollback).then([failed]);
      given(rolloutDecider, [...pausedPhase, abortRequested('operator gave up')])
        .when(finishRollback)
        .then([{ type: 'RolloutAborted', data: { rolloutId: 'r1', reason: 'operator gave up', at: AT } }]);
    });
    it.each<[string, RolloutEvent[]]>([
      ['Progressing', progressing],
      ['Paused', pausedPhase],
      ['AwaitingApproval', awaitingApproval],
    ])('rejects finishing a rollback of a rollout that is %s', (phase, history) => {
      given(rolloutDecider, history).when(finishRollback).thenRejects('ROLLOUT_INVALID_PHASE', new RegExp(`rollout r1 is ${phase}, not rolling back`));
    });
  });

  describe('a finished rollout', () => {
    describe.each(terminal)('in phase %s', (phase, history) => {
      it.each(everyCommand)('rejects %s with ROLLOUT_FINISHED', (_name, command) => {
        const error = given(rolloutDecider, history).when(command).thenRejects('ROLLOUT_FINISHED', new RegExp(`it already ended \\(${phase}\\)`));
        expect(error.details).toEqual({ rolloutId: 'r1', phase });
      });
    });
  });

  describe('an unknown rollout', () => {
    it.each(everyCommand)('rejects %s with ROLLOUT_NOT_FOUND', (_name, command) => {
      const error = given(rolloutDecider).when(command).thenRejects('ROLLOUT_NOT_FOUND', /rollout r1 does not exist/);
      expect(error.details).toEqual({ rolloutId: 'r1' });
    });
  });

  it('walks the whole happy path: request, two approvals, pause, resume, promote, complete', () => {
    const history: RolloutEvent[] = [];
    const step = (command: RolloutCommand, expected: RolloutEvent[]): void => {
      given(rolloutDecider, history).when(command).then(expected);
      history.push(...expected);
    };
    step(requestRollout(), [requested()]);
    step(approve('bob'), [approvalGiven('bob')]);
    step(approve('carol'), [approvalGiven('carol'), approved(['bob', 'carol'])]);
    step(pause, [paused]);
    step(resume, [resumed]);
    step(promote(true), [promoted(true)]);
    step(complete, [succeeded]);
    given(rolloutDecider, history).when(pause).thenRejects('ROLLOUT_FINISHED');
  });
});
