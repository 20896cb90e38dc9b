import type { RolloutRequest, Strategy } from '#domain';

/** A rollout request for domain tests: shop 1.4.2 → 1.5.0 in prod, two one-cluster waves. */
export const rolloutRequest = (strategy: Strategy, overrides: Partial<RolloutRequest> = {}): RolloutRequest => ({
  rolloutId: 'r1',
  kind: 'upgrade',
  application: 'shop',
  version: '1.5.0',
  currentVersion: '1.4.2',
  environment: 'prod',
  strategy,
  waves: [['eu-1'], ['us-1']],
  skippedClusters: [],
  maxParallel: 2,
  bakeSeconds: 0,
  onFailure: 'rollback',
  requiredApprovals: 0,
  requestedBy: 'alice',
  reason: null,
  ...overrides,
});
