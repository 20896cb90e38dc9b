import type { EnvironmentDefinition } from './environment.commands.js';

export type EnvironmentEvent =
  | { type: 'EnvironmentDefined'; data: EnvironmentDefinition & { definedAt: string } }
  | { type: 'EnvironmentUpdated'; data: EnvironmentDefinition & { updatedAt: string } };

export const environmentStreamId = (name: string): string => `environment-${name}`;
