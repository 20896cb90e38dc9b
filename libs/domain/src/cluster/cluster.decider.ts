import { assertNever, type Decider } from '../shared/decider.js';
import { DomainError } from '../shared/domain-error.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { assertDnsLabel, assertLabels, sameRecord } from '../shared/names.js';
import type { ClusterCommand, ClusterRegistration } from './cluster.commands.js';
import type { ClusterEvent } from './cluster.events.js';

export type ClusterState =
  | { status: 'absent' }
  | { status: 'active' | 'cordoned'; registration: ClusterRegistration }
  | { status: 'removed'; registration: ClusterRegistration };

function registered(state: ClusterState, name: string): Extract<ClusterState, { status: 'active' | 'cordoned' }> {
  if (state.status === 'active' || state.status === 'cordoned') return state;
  throw new DomainError('CLUSTER_NOT_FOUND', `cluster '${name}' is not registered`, { cluster: name });
}

const sameRegistration = (a: ClusterRegistration, b: ClusterRegistration): boolean =>
  a.environment === b.environment &&
  a.region === b.region &&
  sameRecord(a.labels, b.labels) &&
  canonicalJson(a.connection) === canonicalJson(b.connection);

function decide(command: ClusterCommand, state: ClusterState): ClusterEvent[] {
  switch (command.type) {
    case 'RegisterCluster': {
      const { now, ...registration } = command.data;
      assertDnsLabel(registration.name, 'CLUSTER_NAME_INVALID', 'cluster name');
      assertDnsLabel(registration.environment, 'ENVIRONMENT_NAME_INVALID', 'environment name');
      assertLabels(registration.labels);
      if (state.status === 'active' || state.status === 'cordoned') {
        if (sameRegistration(state.registration, registration)) return [];
        throw new DomainError('CLUSTER_ALREADY_EXISTS', `cluster '${registration.name}' is already registered`, {
          cluster: registration.name,
        });
      }
      // A removed cluster may be registered again: same name, fresh life.
      return [{ type: 'ClusterRegistered', data: { ...registration, registeredAt: now.toISOString() } }];
    }
    case 'UpdateClusterLabels': {
      const { name, labels, now } = command.data;
      const current = registered(state, name);
      assertLabels(labels);
      if (sameRecord(current.registration.labels, labels)) return [];
      return [{ type: 'ClusterLabelsUpdated', data: { name, labels, updatedAt: now.toISOString() } }];
    }
    case 'CordonCluster': {
      const { name, reason, now } = command.data;
      if (registered(state, name).status === 'cordoned') return [];
      return [{ type: 'ClusterCordoned', data: { name, reason: reason ?? null, cordonedAt: now.toISOString() } }];
    }
    case 'UncordonCluster': {
      const { name, now } = command.data;
      if (registered(state, name).status === 'active') return [];
      return [{ type: 'ClusterUncordoned', data: { name, uncordonedAt: now.toISOString() } }];
    }
    case 'RemoveCluster': {
      const { name, reason, now } = command.data;
      registered(state, name);
      return [{ type: 'ClusterRemoved', data: { name, reason: reason ?? null, removedAt: now.toISOString() } }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(state: ClusterState, event: ClusterEvent): ClusterState {
  switch (event.type) {
    case 'ClusterRegistered': {
      const { registeredAt: _at, ...registration } = event.data;
      return { status: 'active', registration };
    }
    case 'ClusterLabelsUpdated':
      return state.status === 'absent' ? state : { ...state, registration: { ...state.registration, labels: event.data.labels } };
    case 'ClusterCordoned':
      return state.status === 'active' ? { ...state, status: 'cordoned' } : state;
    case 'ClusterUncordoned':
      return state.status === 'cordoned' ? { ...state, status: 'active' } : state;
    case 'ClusterRemoved':
      return state.status === 'absent' ? state : { status: 'removed', registration: state.registration };
    default:
      return assertNever(event);
  }
}

export const clusterDecider: Decider<ClusterCommand, ClusterEvent, ClusterState> = {
  decide,
  evolve,
  initialState: () => ({ status: 'absent' }),
};
