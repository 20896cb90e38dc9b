import { describe, expect, it } from '@jest/globals';
import { clusterDecider, type ClusterEvent, type ClusterRegistration } from '#domain';
import { AT, NOW, given } from '../support/given-when-then.js';

const registration: ClusterRegistration = {
  name: 'eu-1',
  environment: 'prod',
  region: 'eu-west-1',
  labels: { tier: 'gold', 'topology.kubernetes.io/region': 'eu-west-1' },
  connection: { kind: 'secret', secretId: 'kubeconfig-eu-1' },
};
const register = (overrides: Partial<ClusterRegistration> = {}) =>
  ({ type: 'RegisterCluster', data: { ...registration, ...overrides, now: NOW } }) as const;

const registered: ClusterEvent = { type: 'ClusterRegistered', data: { ...registration, registeredAt: AT } };
const cordoned: ClusterEvent = { type: 'ClusterCordoned', data: { name: 'eu-1', reason: 'maintenance', cordonedAt: AT } };
const uncordoned: ClusterEvent = { type: 'ClusterUncordoned', data: { name: 'eu-1', uncordonedAt: AT } };
const removed: ClusterEvent = { type: 'ClusterRemoved', data: { name: 'eu-1', reason: null, removedAt: AT } };

const updateLabels = (labels: Record<string, string>) => ({ type: 'UpdateClusterLabels', data: { name: 'eu-1', labels, now: NOW } }) as const;
const cordon = (reason?: string) => ({ type: 'CordonCluster', data: { name: 'eu-1', ...(reason === undefined ? {} : { reason }), now: NOW } }) as const;
const uncordon = { type: 'UncordonCluster', data: { name: 'eu-1', now: NOW } } as const;
const remove = (reason?: string) => ({ type: 'RemoveCluster', data: { name: 'eu-1', ...(reason === undefined ? {} : { reason }), now: NOW } }) as const;

describe('cluster decider', () => {
  describe('RegisterCluster', () => {
    it('registers a new cluster', () => {
      given(clusterDecider).when(register()).then([registered]);
    });
    it('treats the same registration again as a retry, labels and connection in any key order', () => {
      given(clusterDecider, [registered])
        .when(
          register({
            labels: { 'topology.kubernetes.io/region': 'eu-west-1', tier: 'gold' },
            connection: { secretId: 'kubeconfig-eu-1', kind: 'secret' } as ClusterRegistration['connection'],
          }),
        )
        .then([]);
    });
    it('treats the same registration of a cordoned cluster as a retry', () => {
      given(clusterDecider, [registered, cordoned]).when(register()).then([]);
    });
    it.each<[string, Partial<ClusterRegistration>]>([
      ['another environment', { environment: 'staging' }],
      ['another region', { region: 'eu-central-1' }],
      ['other labels', { labels: { tier: 'silver' } }],
      ['an extra label', { labels: { ...registration.labels, zone: 'a' } }],
      ['another connection', { connection: { kind: 'file', path: '/etc/kube/eu-1' } }],
    ])('rejects registering an existing cluster with %s', (_what, overrides) => {
      const error = given(clusterDecider, [registered]).when(register(overrides)).thenRejects('CLUSTER_ALREADY_EXISTS', /'eu-1' is already registered/);
      expect(error.details).toEqual({ cluster: 'eu-1' });
    });
    it('registers a removed cluster again, as a fresh life', () => {
      given(clusterDecider, [registered, removed])
        .when(register({ region: 'eu-central-1', labels: {} }))
        .then([{ type: 'ClusterRegistered', data: { ...registration, region: 'eu-central-1', labels: {}, registeredAt: AT } }]);
    });
    it.each(['EU-1', 'eu_1', '-eu', '', 'a'.repeat(64)])('rejects the cluster name %p', (name) => {
      given(clusterDecider).when(register({ name })).thenRejects('CLUSTER_NAME_INVALID', /cluster name/);
    });
    it.each(['Prod', 'prod.', ''])('rejects the environment name %p', (environment) => {
      given(clusterDecider).when(register({ environment })).thenRejects('ENVIRONMENT_NAME_INVALID', /environment name/);
    });
    it.each<Record<string, string>>([{ '-tier': 'gold' }, { tier: 'gold!' }, { 'Acme.io/x': 'y' }])('rejects the labels %p', (labels) => {
      given(clusterDecider).when(register({ labels })).thenRejects('LABEL_INVALID');
    });
  });

  describe('UpdateClusterLabels', () => {
    it('records the new labels', () => {
      given(clusterDecider, [registered])
        .when(updateLabels({ tier: 'silver' }))
        .then([{ type: 'ClusterLabelsUpdated', data: { name: 'eu-1', labels: { tier: 'silver' }, updatedAt: AT } }]);
    });
    it('updates the labels of a cordoned cluster too', () => {
      given(clusterDecider, [registered, cordoned])
        .when(updateLabels({}))
        .then([{ type: 'ClusterLabelsUpdated', data: { name: 'eu-1', labels: {}, updatedAt: AT } }]);
    });
    it('emits nothing when the labels are the same', () => {
      given(clusterDecider, [registered]).when(updateLabels({ ...registration.labels })).then([]);
    });
    it('compares with the labels after the last update', () => {
      const updated: ClusterEvent = { type: 'ClusterLabelsUpdated', data: { name: 'eu-1', labels: { tier: 'silver' }, updatedAt: AT } };
      given(clusterDecider, [registered, updated]).when(updateLabels({ tier: 'silver' })).then([]);
      given(clusterDecider, [registered, updated])
        .when(updateLabels(registration.labels))
        .then([{ type: 'ClusterLabelsUpdated', data: { name: 'eu-1', labels: registration.labels, updatedAt: AT } }]);
    });
    it('rejects invalid labels', () => {
      given(clusterDecider, [registered]).when(updateLabels({ tier: 'gold silver' })).thenRejects('LABEL_INVALID');
    });
    it.each<[string, ClusterEvent[]]>([
      ['an unknown', []],
      ['a removed', [registered, removed]],
    ])('rejects an update of %s cluster', (_what, history) => {
      const error = given(clusterDecider, history).when(updateLabels({ tier: 'x' })).thenRejects('CLUSTER_NOT_FOUND', /'eu-1' is not registered/);
      expect(error.details).toEqual({ cluster: 'eu-1' });
    });
  });

  describe('CordonCluster / UncordonCluster', () => {
    it('cordons an active cluster with a reason', () => {
      given(clusterDecider, [registered]).when(cordon('maintenance')).then([cordoned]);
    });
    it('records a missing reason as null', () => {
      given(clusterDecider, [registered])
        .when(cordon())
        .then([{ type: 'ClusterCordoned', data: { name: 'eu-1', reason: null, cordonedAt: AT } }]);
    });
    it('ignores cordoning a cordoned cluster', () => {
      given(clusterDecider, [registered, cordoned]).when(cordon('again')).then([]);
    });
    it('uncordons a cordoned cluster', () => {
      given(clusterDecider, [registered, cordoned]).when(uncordon).then([uncordoned]);
    });
    it('ignores uncordoning an active cluster', () => {
      given(clusterDecider, [registered]).when(uncordon).then([]);
      given(clusterDecider, [registered, cordoned, uncordoned]).when(uncordon).then([]);
    });
    it('cordons again after an uncordon', () => {
      given(clusterDecider, [registered, cordoned, uncordoned]).when(cordon('maintenance')).then([cordoned]);
    });
    it.each<[string, ClusterEvent[]]>([
      ['an unknown', []],
      ['a removed', [registered, removed]],
      ['a removed cordoned', [registered, cordoned, removed]],
    ])('rejects cordon and uncordon of %s cluster', (_what, history) => {
      given(clusterDecider, history).when(cordon('x')).thenRejects('CLUSTER_NOT_FOUND');
      given(clusterDecider, history).when(uncordon).thenRejects('CLUSTER_NOT_FOUND');
    });
  });

  describe('RemoveCluster', () => {
    it('removes an active cluster', () => {
      given(clusterDecider, [registered]).when(remove()).then([removed]);
    });
    it('removes a cordoned cluster, with the reason', () => {
      given(clusterDecider, [registered, cordoned])
        .when(remove('decommissioned'))
        .then([{ type: 'ClusterRemoved', data: { name: 'eu-1', reason: 'decommissioned', removedAt: AT } }]);
    });
    it('rejects removing an unknown cluster', () => {
      given(clusterDecider).when(remove()).thenRejects('CLUSTER_NOT_FOUND');
    });
    it('rejects removing a cluster twice', () => {
      given(clusterDecider, [registered, removed]).when(remove()).thenRejects('CLUSTER_NOT_FOUND');
    });
    it('a cluster registered again after removal can be removed again', () => {
      given(clusterDecider, [registered, removed, registered]).when(remove()).then([removed]);
    });
  });
});
