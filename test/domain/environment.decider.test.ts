import { describe, expect, it } from '@jest/globals';
import { DEFAULT_WAVE_PLAN, environmentDecider, type DomainErrorCode, type EnvironmentDefinition, type EnvironmentEvent, type PromotionPolicy } from '#domain';
import { AT, NOW, given } from '../support/given-when-then.js';

const policy: PromotionPolicy = {
  requiredSoakSeconds: 3600,
  requiredApprovals: 1,
  clusterSelector: { tier: 'gold' },
  wavePlan: { waves: [{ kind: 'count', count: 1 }, { kind: 'percent', percent: 25 }, { kind: 'rest' }], maxParallel: 2, bakeSeconds: 300, onFailure: 'rollback' },
};
const prod: EnvironmentDefinition = { name: 'prod', rank: 3, description: 'production', policy };

const define = (overrides: Partial<EnvironmentDefinition> = {}) =>
  ({ type: 'DefineEnvironment', data: { ...prod, ...overrides, now: NOW } }) as const;
const defineWithPolicy = (overrides: Partial<PromotionPolicy>) => define({ policy: { ...policy, ...overrides } });
const update = (changes: Partial<Omit<EnvironmentDefinition, 'name'>>) =>
  ({ type: 'UpdateEnvironment', data: { name: 'prod', ...changes, now: NOW } }) as const;

const defined: EnvironmentEvent = { type: 'EnvironmentDefined', data: { ...prod, definedAt: AT } };

describe('environment decider', () => {
  describe('DefineEnvironment', () => {
    it('defines a new environment', () => {
      given(environmentDecider).when(define()).then([defined]);
    });
    it('accepts the edges of every range', () => {
      const edges: EnvironmentDefinition = {
        name: 'dev',
        rank: 0,
        description: '',
        policy: { requiredSoakSeconds: 90 * 24 * 3600, requiredApprovals: 10, clusterSelector: {}, wavePlan: DEFAULT_WAVE_PLAN },
      };
      given(environmentDecider)
        .when({ type: 'DefineEnvironment', data: { ...edges, now: NOW } })
        .then([{ type: 'EnvironmentDefined', data: { ...edges, definedAt: AT } }]);
      given(environmentDecider)
        .when({ type: 'DefineEnvironment', data: { ...edges, policy: { ...edges.policy, requiredSoakSeconds: 0, requiredApprovals: 0 }, now: NOW } })
        .then([
          { type: 'EnvironmentDefined', data: { ...edges, policy: { ...edges.policy, requiredSoakSeconds: 0, requiredApprovals: 0 }, definedAt: AT } },
        ]);
    });
    it('treats the same definition again as a retry, keys in any order', () => {
      given(environmentDecider, [defined])
        .when({
          type: 'DefineEnvironment',
          data: { now: NOW, policy: { wavePlan: policy.wavePlan, clusterSelector: { tier: 'gold' }, requiredApprovals: 1, requiredSoakSeconds: 3600 }, description: 'production', rank: 3, name: 'prod' },
        })
        .then([]);
    });
    it.each<[string, Partial<EnvironmentDefinition>]>([
      ['another rank', { rank: 4 }],
      ['another description', { description: 'live' }],
      ['another policy', { policy: { ...policy, requiredApprovals: 2 } }],
      ['another wave plan', { policy: { ...policy, wavePlan: DEFAULT_WAVE_PLAN } }],
    ])('rejects defining an existing environment with %s', (_what, overrides) => {
      const error = given(environmentDecider, [defined]).when(define(overrides)).thenRejects('ENVIRONMENT_ALREADY_EXISTS', /'prod' already exists/);
      expect(error.details).toEqual({ environment: 'prod' });
    });
    it.each(['Prod', 'prod_eu', '-prod', '', 'p'.repeat(64)])('rejects the name %p', (name) => {
      given(environmentDecider).when(define({ name })).thenRejects('ENVIRONMENT_NAME_INVALID');
    });
    it.each([-1, 1.5, Number.NaN, 1001, 2 ** 31, 2 ** 53])('rejects the rank %p', (rank) => {
      const error = given(environmentDecider).when(define({ rank })).thenRejects('ENVIRONMENT_POLICY_INVALID', /^rank must be a whole number from 0 to 1000$/);
      expect(error.details).toEqual({ environment: 'prod' });
    });
    it.each([-1, 0.5, 90 * 24 * 3600 + 1, Number.POSITIVE_INFINITY])('rejects requiredSoakSeconds %p', (requiredSoakSeconds) => {
      given(environmentDecider)
        .when(defineWithPolicy({ requiredSoakSeconds }))
        .thenRejects('ENVIRONMENT_POLICY_INVALID', /^requiredSoakSeconds must be a whole number from 0 to 7776000 \(90 days\)$/);
    });
    it.each([-1, 1.5, 11])('rejects requiredApprovals %p', (requiredApprovals) => {
      given(environmentDecider)
        .when(defineWithPolicy({ requiredApprovals }))
        .thenRejects('ENVIRONMENT_POLICY_INVALID', /^requiredApprovals must be a whole number from 0 to 10$/);
    });
    it('rejects an invalid cluster selector', () => {
      given(environmentDecider).when(defineWithPolicy({ clusterSelector: { tier: 'gold!' } })).thenRejects('LABEL_INVALID');
    });
    it.each<[string, PromotionPolicy['wavePlan']]>([
      ['no waves', { ...DEFAULT_WAVE_PLAN, waves: [] }],
      ['rest first', { ...DEFAULT_WAVE_PLAN, waves: [{ kind: 'rest' }, { kind: 'count', count: 1 }] }],
      ['maxParallel 0', { ...DEFAULT_WAVE_PLAN, maxParallel: 0 }],
      ['negative bake', { ...DEFAULT_WAVE_PLAN, bakeSeconds: -5 }],
      ['an empty wave', { ...DEFAULT_WAVE_PLAN, waves: [{ kind: 'count', count: 0 }, { kind: 'rest' }] }],
    ])('rejects a wave plan with %s', (_what, wavePlan) => {
      given(environmentDecider).when(defineWithPolicy({ wavePlan })).thenRejects('WAVE_PLAN_INVALID');
    });
    it('validates before comparing with the existing environment', () => {
      given(environmentDecider, [defined]).when(define({ rank: -1 })).thenRejects('ENVIRONMENT_POLICY_INVALID');
    });
  });

  describe('UpdateEnvironment', () => {
    it('records the full definition with the changed fields and keeps the others', () => {
      given(environmentDecider, [defined])
        .when(update({ description: 'live traffic' }))
        .then([{ type: 'EnvironmentUpdated', data: { ...prod, description: 'live traffic', updatedAt: AT } }]);
    });
    it('replaces the whole policy when one is given', () => {
      const next: PromotionPolicy = { ...policy, requiredApprovals: 2, wavePlan: DEFAULT_WAVE_PLAN };
      given(environmentDecider, [defined])
        .when(update({ rank: 4, policy: next }))
        .then([{ type: 'EnvironmentUpdated', data: { ...prod, rank: 4, policy: next, updatedAt: AT } }]);
    });
    it('accepts rank 0 and an empty description as changes, not as missing', () => {
      given(environmentDecider, [defined])
        .when(update({ rank: 0, description: '' }))
        .then([{ type: 'EnvironmentUpdated', data: { ...prod, rank: 0, description: '', updatedAt: AT } }]);
    });
    it('emits nothing when nothing changes', () => {
      given(environmentDecider, [defined]).when(update({})).then([]);
      given(environmentDecider, [defined]).when(update({ rank: 3, policy: { ...policy } })).then([]);
    });
    it('compares with the definition after the last update', () => {
      const updated: EnvironmentEvent = { type: 'EnvironmentUpdated', data: { ...prod, description: 'live', updatedAt: AT } };
      given(environmentDecider, [defined, updated]).when(update({ description: 'live' })).then([]);
      given(environmentDecider, [defined, updated])
        .when(update({ description: 'production' }))
        .then([{ type: 'EnvironmentUpdated', data: { ...prod, updatedAt: AT } }]);
    });
    it('rejects an update of an unknown environment', () => {
      const error = given(environmentDecider).when(update({ rank: 1 })).thenRejects('ENVIRONMENT_NOT_FOUND', /'prod' does not exist/);
      expect(error.details).toEqual({ environment: 'prod' });
    });
    it.each<[string, Partial<Omit<EnvironmentDefinition, 'name'>>, DomainErrorCode]>([
      ['a negative rank', { rank: -1 }, 'ENVIRONMENT_POLICY_INVALID'],
      ['too many approvals', { policy: { ...policy, requiredApprovals: 11 } }, 'ENVIRONMENT_POLICY_INVALID'],
      ['a soak beyond 90 days', { policy: { ...policy, requiredSoakSeconds: 90 * 24 * 3600 + 1 } }, 'ENVIRONMENT_POLICY_INVALID'],
      ['an invalid selector', { policy: { ...policy, clusterSelector: { '': 'x' } } }, 'LABEL_INVALID'],
      ['an invalid wave plan', { policy: { ...policy, wavePlan: { ...DEFAULT_WAVE_PLAN, waves: [] } } }, 'WAVE_PLAN_INVALID'],
    ])('rejects an update to %s', (_what, changes, code) => {
      given(environmentDecider, [defined]).when(update(changes)).thenRejects(code);
    });
  });
});
