import semver from 'semver';
import { assertNever, type Decider } from '../shared/decider.js';
import { DomainError } from '../shared/domain-error.js';
import { assertDnsLabel } from '../shared/names.js';
import type { ApplicationCommand, Dependency } from './application.commands.js';
import type { ApplicationEvent } from './application.events.js';

export interface ApplicationState {
  exists: boolean;
  name: string;
  team: string;
  description: string;
  dependencies: Dependency[];
  /**
   * Which rollout holds which cluster. The application is the consistency boundary for
   * "one active rollout per application and cluster": two concurrent upgrades both try
   * to append a claim to this one stream, and optimistic concurrency lets only one win.
   */
  claims: Record<string, string>;
}

const initialState = (): ApplicationState => ({
  exists: false,
  name: '',
  team: '',
  description: '',
  dependencies: [],
  claims: {},
});

function requireExisting(state: ApplicationState, name: string): void {
  if (!state.exists) {
    throw new DomainError('APPLICATION_NOT_FOUND', `application '${name}' does not exist`, { application: name });
  }
}

function validateDependencies(name: string, dependencies: Dependency[]): void {
  const seen = new Set<string>();
  for (const dep of dependencies) {
    if (dep.application === name) {
      throw new DomainError('DEPENDENCY_ON_SELF', `application '${name}' cannot depend on itself`);
    }
    if (seen.has(dep.application)) {
      throw new DomainError('DEPENDENCY_DUPLICATE', `dependency on '${dep.application}' is declared twice`, {
        application: dep.application,
      });
    }
    seen.add(dep.application);
    if (semver.validRange(dep.range) === null) {
      throw new DomainError('DEPENDENCY_RANGE_INVALID', `'${dep.range}' is not a semver range`, {
        application: dep.application,
        range: dep.range,
      });
    }
  }
}

const sameDependencies = (a: Dependency[], b: Dependency[]): boolean =>
  a.length === b.length && a.every((d, i) => d.application === b[i]?.application && d.range === b[i]?.range);

function decide(command: ApplicationCommand, state: ApplicationState): ApplicationEvent[] {
  switch (command.type) {
    case 'CreateApplication': {
      const { name, team, description, now } = command.data;
      assertDnsLabel(name, 'APPLICATION_NAME_INVALID', 'application name');
      if (state.exists) {
        // Re-sending the same create is a retry, not a conflict.
        if (state.team === team && state.description === description) return [];
        throw new DomainError('APPLICATION_ALREADY_EXISTS', `application '${name}' already exists`, { application: name });
      }
      return [{ type: 'ApplicationCreated', data: { name, team, description, createdAt: now.toISOString() } }];
    }
    case 'UpdateApplication': {
      const { name, now } = command.data;
      requireExisting(state, name);
      const team = command.data.team ?? state.team;
      const description = command.data.description ?? state.description;
      if (team === state.team && description === state.description) return [];
      return [{ type: 'ApplicationUpdated', data: { name, team, description, updatedAt: now.toISOString() } }];
    }
    case 'DeclareDependencies': {
      const { name, dependencies, now } = command.data;
      requireExisting(state, name);
      validateDependencies(name, dependencies);
      const sorted = [...dependencies].sort((a, b) => a.application.localeCompare(b.application));
      if (sameDependencies(sorted, state.dependencies)) return [];
      return [
        { type: 'ApplicationDependenciesDeclared', data: { name, dependencies: sorted, declaredAt: now.toISOString() } },
      ];
    }
    case 'ClaimClusters': {
      const { name, rolloutId, clusters, supersede, now } = command.data;
      requireExisting(state, name);
      const at = now.toISOString();
      const holders = new Map<string, string[]>();
      for (const cluster of clusters) {
        const holder = state.claims[cluster];
        if (holder !== undefined && holder !== rolloutId) holders.set(holder, [...(holders.get(holder) ?? []), cluster]);
      }
      if (holders.size > 0 && !supersede) {
        const [holder, busy] = [...holders.entries()][0]!;
        throw new DomainError(
          'ROLLOUT_ALREADY_ACTIVE',
          `rollout ${holder} is already active for '${name}' on ${busy.join(', ')}; pass supersede to replace it`,
          { application: name, activeRolloutId: holder, clusters: busy },
        );
      }
      const superseded: ApplicationEvent[] = [...holders.keys()].map((holder) => ({
        type: 'ApplicationClaimSuperseded',
        data: {
          name,
          rolloutId: holder,
          supersededBy: rolloutId,
          clusters: Object.keys(state.claims).filter((c) => state.claims[c] === holder),
          at,
        },
      }));
      return [...superseded, { type: 'ApplicationClustersClaimed', data: { name, rolloutId, clusters, claimedAt: at } }];
    }
    case 'ReleaseClusters': {
      const { name, rolloutId, now } = command.data;
      requireExisting(state, name);
      // Releasing twice (a redelivered "rollout ended") is harmless.
      if (!Object.values(state.claims).includes(rolloutId)) return [];
      return [{ type: 'ApplicationClustersReleased', data: { name, rolloutId, releasedAt: now.toISOString() } }];
    }
    default:
      return assertNever(command);
  }
}

const withoutRollout = (claims: Record<string, string>, rolloutId: string): Record<string, string> =>
  Object.fromEntries(Object.entries(claims).filter(([, holder]) => holder !== rolloutId));

function evolve(state: ApplicationState, event: ApplicationEvent): ApplicationState {
  switch (event.type) {
    case 'ApplicationCreated':
      return { ...state, exists: true, name: event.data.name, team: event.data.team, description: event.data.description };
    case 'ApplicationUpdated':
      return { ...state, team: event.data.team, description: event.data.description };
    case 'ApplicationDependenciesDeclared':
      return { ...state, dependencies: event.data.dependencies };
    case 'ApplicationClustersClaimed': {
      const claims = { ...state.claims };
      for (const cluster of event.data.clusters) claims[cluster] = event.data.rolloutId;
      return { ...state, claims };
    }
    case 'ApplicationClaimSuperseded':
    case 'ApplicationClustersReleased':
      return { ...state, claims: withoutRollout(state.claims, event.data.rolloutId) };
    default:
      return assertNever(event);
  }
}

export const applicationDecider: Decider<ApplicationCommand, ApplicationEvent, ApplicationState> = {
  decide,
  evolve,
  initialState,
};
