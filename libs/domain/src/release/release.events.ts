import type { ReleaseContent } from './release.commands.js';

export type ReleaseEvent = {
  type: 'ReleaseRegistered';
  data: ReleaseContent & { createdBy: string; createdAt: string };
};

// '+' build metadata is legal in semver but not in a stream id that travels in URLs and
// Kafka keys unescaped; semver ignores build metadata for precedence anyway.
export const releaseStreamId = (application: string, version: string): string =>
  `release-${application}@${version}`;
