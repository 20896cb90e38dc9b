import type { ClusterRegistration } from './cluster.commands.js';

export type ClusterEvent =
  | { type: 'ClusterRegistered'; data: ClusterRegistration & { registeredAt: string } }
  | { type: 'ClusterLabelsUpdated'; data: { name: string; labels: Record<string, string>; updatedAt: string } }
  | { type: 'ClusterCordoned'; data: { name: string; reason: string | null; cordonedAt: string } }
  | { type: 'ClusterUncordoned'; data: { name: string; uncordonedAt: string } }
  | { type: 'ClusterRemoved'; data: { name: string; reason: string | null; removedAt: string } };

export const clusterStreamId = (name: string): string => `cluster-${name}`;
