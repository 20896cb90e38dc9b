import type { Dependency } from './application.commands.js';

export type ApplicationEvent =
  | { type: 'ApplicationCreated'; data: { name: string; team: string; description: string; createdAt: string } }
  | { type: 'ApplicationUpdated'; data: { name: string; team: string; description: string; updatedAt: string } }
  | { type: 'ApplicationDependenciesDeclared'; data: { name: string; dependencies: Dependency[]; declaredAt: string } }
  | { type: 'ApplicationClustersClaimed'; data: { name: string; rolloutId: string; clusters: string[]; claimedAt: string } }
  | {
      type: 'ApplicationClaimSuperseded';
      data: { name: string; rolloutId: string; supersededBy: string; clusters: string[]; at: string };
    }
  | { type: 'ApplicationClustersReleased'; data: { name: string; rolloutId: string; releasedAt: string } };

export const applicationStreamId = (name: string): string => `application-${name}`;
