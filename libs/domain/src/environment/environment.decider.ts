import { assertNever, type Decider } from '../shared/decider.js';
import { DomainError } from '../shared/domain-error.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { assertDnsLabel, assertLabels } from '../shared/names.js';
import type { EnvironmentCommand, EnvironmentDefinition } from './environment.commands.js';
import type { EnvironmentEvent } from './environment.events.js';
import { validateWavePlan } from './wave-plan.js';

export interface EnvironmentState {
  definition: EnvironmentDefinition | null;
}

const MAX_SOAK_SECONDS = 90 * 24 * 3600;
/** Promotion stages are a handful (dev 1, staging 2, prod 3); the bound keeps rank inside the read model's int column. */
const MAX_RANK = 1000;

function validate(definition: EnvironmentDefinition): void {
  assertDnsLabel(definition.name, 'ENVIRONMENT_NAME_INVALID', 'environment name');
  const { rank, policy } = definition;
  const fail = (message: string): never => {
    throw new DomainError('ENVIRONMENT_POLICY_INVALID', message, { environment: definition.name });
  };
  if (!Number.isInteger(rank) || rank < 0 || rank > MAX_RANK) fail(`rank must be a whole number from 0 to ${MAX_RANK}`);
  if (!Number.isInteger(policy.requiredSoakSeconds) || policy.requiredSoakSeconds < 0 || policy.requiredSoakSeconds > MAX_SOAK_SECONDS) {
    fail(`requiredSoakSeconds must be a whole number from 0 to ${MAX_SOAK_SECONDS} (90 days)`);
  }
  if (!Number.isInteger(policy.requiredApprovals) || policy.requiredApprovals < 0 || policy.requiredApprovals > 10) {
    fail('requiredApprovals must be a whole number from 0 to 10');
  }
  assertLabels(policy.clusterSelector);
  validateWavePlan(policy.wavePlan);
}

function decide(command: EnvironmentCommand, state: EnvironmentState): EnvironmentEvent[] {
  switch (command.type) {
    case 'DefineEnvironment': {
      const { now, ...definition } = command.data;
      validate(definition);
      if (state.definition !== null) {
        if (canonicalJson(state.definition) === canonicalJson(definition)) return [];
        throw new DomainError('ENVIRONMENT_ALREADY_EXISTS', `environment '${definition.name}' already exists`, {
          environment: definition.name,
        });
      }
      return [{ type: 'EnvironmentDefined', data: { ...definition, definedAt: now.toISOString() } }];
    }
    case 'UpdateEnvironment': {
      const { now, name, ...changes } = command.data;
      if (state.definition === null) {
        throw new DomainError('ENVIRONMENT_NOT_FOUND', `environment '${name}' does not exist`, { environment: name });
      }
      const current = state.definition;
      const next: EnvironmentDefinition = {
        name,
        rank: changes.rank ?? current.rank,
        description: changes.description ?? current.description,
        policy: changes.policy ?? current.policy,
      };
      validate(next);
      if (canonicalJson(next) === canonicalJson(current)) return [];
      return [{ type: 'EnvironmentUpdated', data: { ...next, updatedAt: now.toISOString() } }];
    }
    default:
      return assertNever(command);
  }
}

function evolve(_state: EnvironmentState, event: EnvironmentEvent): EnvironmentState {
  switch (event.type) {
    case 'EnvironmentDefined': {
      const { definedAt: _at, ...definition } = event.data;
      return { definition };
    }
    case 'EnvironmentUpdated': {
      const { updatedAt: _at, ...definition } = event.data;
      return { definition };
    }
    default:
      return assertNever(event);
  }
}

export const environmentDecider: Decider<EnvironmentCommand, EnvironmentEvent, EnvironmentState> = {
  decide,
  evolve,
  initialState: () => ({ definition: null }),
};
