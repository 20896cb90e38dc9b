import { describe, expect, it } from '@jest/globals';
import { applicationDecider, type ApplicationEvent } from '#domain';
import { AT, NOW, given } from '../support/given-when-then.js';

const created: ApplicationEvent = {
  type: 'ApplicationCreated',
  data: { name: 'shop', team: 'payments', description: 'storefront', createdAt: AT },
};

describe('application decider', () => {
  describe('CreateApplication', () => {
    it('creates a new application', () => {
      given(applicationDecider)
        .when({ type: 'CreateApplication', data: { name: 'shop', team: 'payments', description: 'storefront', now: NOW } })
        .then([created]);
    });
    it('treats the same create again as a retry', () => {
      given(applicationDecider, [created])
        .when({ type: 'CreateApplication', data: { name: 'shop', team: 'payments', description: 'storefront', now: NOW } })
        .then([]);
    });
    it('rejects a create that differs from the existing application', () => {
      given(applicationDecider, [created])
        .when({ type: 'CreateApplication', data: { name: 'shop', team: 'search', description: 'storefront', now: NOW } })
        .thenRejects('APPLICATION_ALREADY_EXISTS');
    });
    it.each(['Shop', '-shop', 'shop_1', '', 'a'.repeat(64)])('rejects the name %p', (name) => {
      given(applicationDecider)
        .when({ type: 'CreateApplication', data: { name, team: 't', description: '', now: NOW } })
        .thenRejects('APPLICATION_NAME_INVALID');
    });
  });

  describe('UpdateApplication', () => {
    it('records the changed fields and keeps the others', () => {
      given(applicationDecider, [created])
        .when({ type: 'UpdateApplication', data: { name: 'shop', team: 'checkout', now: NOW } })
        .then([{ type: 'ApplicationUpdated', data: { name: 'shop', team: 'checkout', description: 'storefront', updatedAt: AT } }]);
    });
    it('emits nothing when nothing changes', () => {
      given(applicationDecider, [created])
        .when({ type: 'UpdateApplication', data: { name: 'shop', team: 'payments', now: NOW } })
        .then([]);
    });
    it('rejects an update of an unknown application', () => {
      given(applicationDecider)
        .when({ type: 'UpdateApplication', data: { name: 'shop', team: 'x', now: NOW } })
        .thenRejects('APPLICATION_NOT_FOUND');
    });
  });

  describe('DeclareDependencies', () => {
    const declare = (dependencies: { application: string; range: string }[]) =>
      ({ type: 'DeclareDependencies', data: { name: 'shop', dependencies, now: NOW } }) as const;

    it('records dependencies sorted by application', () => {
      given(applicationDecider, [created])
        .when(declare([{ application: 'search', range: '^2.0.0' }, { application: 'cart', range: '>=1.2 <2' }]))
        .then([
          {
            type: 'ApplicationDependenciesDeclared',
            data: {
              name: 'shop',
              dependencies: [{ application: 'cart', range: '>=1.2 <2' }, { application: 'search', range: '^2.0.0' }],
              declaredAt: AT,
            },
          },
        ]);
    });
    it('emits nothing when the same set is declared again in another order', () => {
      const history: ApplicationEvent[] = [
        created,
        {
          type: 'ApplicationDependenciesDeclared',
          data: { name: 'shop', dependencies: [{ application: 'cart', range: '^1' }, { application: 'search', range: '^2' }], declaredAt: AT },
        },
      ];
      given(applicationDecider, history)
        .when(declare([{ application: 'search', range: '^2' }, { application: 'cart', range: '^1' }]))
        .then([]);
    });
    it('rejects a range that is not semver', () => {
      given(applicationDecider, [created]).when(declare([{ application: 'cart', range: 'latest' }])).thenRejects('DEPENDENCY_RANGE_INVALID');
    });
    it('rejects a dependency on itself', () => {
      given(applicationDecider, [created]).when(declare([{ application: 'shop', range: '^1' }])).thenRejects('DEPENDENCY_ON_SELF');
    });
    it('rejects the same dependency twice', () => {
      given(applicationDecider, [created])
        .when(declare([{ application: 'cart', range: '^1' }, { application: 'cart', range: '^2' }]))
        .thenRejects('DEPENDENCY_DUPLICATE');
    });
    it('rejects dependencies of an unknown application', () => {
      given(applicationDecider).when(declare([])).thenRejects('APPLICATION_NOT_FOUND');
    });
  });

  describe('ClaimClusters / ReleaseClusters', () => {
    const claim = (rolloutId: string, clusters: string[], supersede = false) =>
      ({ type: 'ClaimClusters', data: { name: 'shop', rolloutId, clusters, supersede, now: NOW } }) as const;
    const claimed = (rolloutId: string, clusters: string[]): ApplicationEvent => ({
      type: 'ApplicationClustersClaimed',
      data: { name: 'shop', rolloutId, clusters, claimedAt: AT },
    });

    it('claims free clusters for a rollout', () => {
      given(applicationDecider, [created]).when(claim('r1', ['eu-1', 'us-1'])).then([claimed('r1', ['eu-1', 'us-1'])]);
    });
    it('rejects a second rollout on a cluster that another rollout holds, naming it', () => {
      const error = given(applicationDecider, [created, claimed('r1', ['eu-1'])])
        .when(claim('r2', ['eu-1', 'us-1']))
        .thenRejects('ROLLOUT_ALREADY_ACTIVE');
      expect(error.details).toEqual({ application: 'shop', activeRolloutId: 'r1', clusters: ['eu-1'] });
    });
    it('allows rollouts on disjoint clusters', () => {
      given(applicationDecider, [created, claimed('r1', ['eu-1'])]).when(claim('r2', ['us-1'])).then([claimed('r2', ['us-1'])]);
    });
    it('supersedes the holder when asked, releasing all of its clusters', () => {
      given(applicationDecider, [created, claimed('r1', ['eu-1', 'ap-1'])])
        .when(claim('r2', ['eu-1'], true))
        .then([
          { type: 'ApplicationClaimSuperseded', data: { name: 'shop', rolloutId: 'r1', supersededBy: 'r2', clusters: ['eu-1', 'ap-1'], at: AT } },
          claimed('r2', ['eu-1']),
        ]);
    });
    it('frees the clusters when the rollout ends, so the next one may claim them', () => {
      const released: ApplicationEvent = { type: 'ApplicationClustersReleased', data: { name: 'shop', rolloutId: 'r1', releasedAt: AT } };
      given(applicationDecider, [created, claimed('r1', ['eu-1'])])
        .when({ type: 'ReleaseClusters', data: { name: 'shop', rolloutId: 'r1', now: NOW } })
        .then([released]);
      given(applicationDecider, [created, claimed('r1', ['eu-1']), released]).when(claim('r2', ['eu-1'])).then([claimed('r2', ['eu-1'])]);
    });
    it('ignores a repeated release', () => {
      given(applicationDecider, [created])
        .when({ type: 'ReleaseClusters', data: { name: 'shop', rolloutId: 'r1', now: NOW } })
        .then([]);
    });
    it('rejects a claim for an unknown application', () => {
      given(applicationDecider).when(claim('r1', ['eu-1'])).thenRejects('APPLICATION_NOT_FOUND');
    });
  });
});
