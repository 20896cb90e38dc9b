import type { StoredEvent } from '#domain';

/** What the audit trail says about one event; null for engine progress nobody commanded. */
export interface AuditEntry {
  action: string;
  outcome: 'accepted' | 'succeeded' | 'failed' | 'aborted' | 'gate failed';
  application: string | null;
  clusters: string[];
  environment: string | null;
  target: string;
  reason: string | null;
}

/** Rollout events after the request name only the rollout; the projection fills in where it ran. */
export interface RolloutScope {
  application: string;
  environment: string | null;
  clusters: string[];
}

/** Events people (or CI, or webhooks) caused; their outcome is that the command was accepted. */
export const COMMAND_EVENT_TYPES = [
  'ApplicationCreated', 'ApplicationUpdated', 'ApplicationDependenciesDeclared',
  'ReleaseRegistered',
  'ClusterRegistered', 'ClusterLabelsUpdated', 'ClusterCordoned', 'ClusterUncordoned', 'ClusterRemoved',
  'EnvironmentDefined', 'EnvironmentUpdated',
  'RolloutRequested', 'RolloutApprovalGiven', 'RolloutApproved', 'RolloutPaused', 'RolloutResumed', 'RolloutPromoted',
  'RolloutAbortRequested',
  'ApiTokenIssued', 'ApiTokenRevoked', 'ApiTokenExpiryChanged', 'DeadLetterReplayRequested',
  'WebhookRuleCreated', 'WebhookRuleDeleted', 'WebhookSecretRotated', 'WebhookDeliveryRecorded',
] as const;

/** How the commands above ended, as the engine reported it. */
export const OUTCOME_EVENT_TYPES = ['RolloutGateFailed', 'RolloutSucceeded', 'RolloutAborted', 'RolloutFailed'] as const;

const OUTCOMES: Record<(typeof OUTCOME_EVENT_TYPES)[number], AuditEntry['outcome']> = {
  RolloutGateFailed: 'gate failed',
  RolloutSucceeded: 'succeeded',
  RolloutAborted: 'aborted',
  RolloutFailed: 'failed',
};

type Data = Record<string, unknown>;
const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/** Reads target and reason out of an event's data; `scope` is the rollout's, for rollout events. */
export function auditEntry(event: StoredEvent, scope: RolloutScope | null): AuditEntry {
  const data = event.data as Data;
  const type = event.type;
  const outcome = (OUTCOMES as Record<string, AuditEntry['outcome']>)[type] ?? 'accepted';
  const reason = str(data.reason) ?? str(data.comment);
  if (type.startsWith('Rollout')) {
    const rolloutId = String(data.rolloutId);
    const gateCluster = str(data.cluster);
    return {
      action: type,
      outcome,
      application: scope?.application ?? null,
      clusters: gateCluster ? [gateCluster] : (scope?.clusters ?? []),
      environment: scope?.environment ?? null,
      target: `rollout/${rolloutId}`,
      reason,
    };
  }
  if (type.startsWith('Application')) {
    return { action: type, outcome, application: str(data.name), clusters: [], environment: null, target: `application/${String(data.name)}`, reason };
  }
  if (type === 'ReleaseRegistered') {
    return {
      action: type, outcome, application: str(data.application), clusters: [], environment: null,
      target: `release/${String(data.application)}@${String(data.version)}`, reason: str(data.notes),
    };
  }
  if (type.startsWith('Cluster')) {
    return {
      action: type, outcome, application: null, clusters: [String(data.name)], environment: str(data.environment),
      target: `cluster/${String(data.name)}`, reason,
    };
  }
  if (type.startsWith('Environment')) {
    return { action: type, outcome, application: null, clusters: [], environment: str(data.name), target: `environment/${String(data.name)}`, reason };
  }
  if (type.startsWith('ApiToken')) {
    return { action: type, outcome, application: null, clusters: [], environment: null, target: `token/${String(data.name ?? data.id)}`, reason };
  }
  if (type === 'WebhookDeliveryRecorded') {
    // What a push caused (or why it caused nothing) is the answer to "why did (not) this deploy?".
    const result = data.outcome as { status: string; reason: string | null; releases: { application: string; version: string }[]; rollouts: { application: string; environment: string; rolloutId: string }[] };
    const caused = [
      ...result.releases.map((r) => `release ${r.application}@${r.version}`),
      ...result.rollouts.map((r) => `rollout ${r.rolloutId} into ${r.environment}`),
    ];
    return {
      action: type,
      outcome,
      application: result.releases[0]?.application ?? result.rollouts[0]?.application ?? null,
      clusters: [],
      environment: result.rollouts[0]?.environment ?? null,
      target: `webhook-delivery/${String(data.provider)}/${String(data.deliveryId)}`,
      reason: result.reason ?? (caused.length > 0 ? caused.join('; ') : null),
    };
  }
  if (type.startsWith('Webhook')) {
    const target = type === 'WebhookSecretRotated' ? `webhook-secret/${String(data.repository)}` : `webhook-rule/${String(data.id)}`;
    return { action: type, outcome, application: str(data.application), clusters: [], environment: null, target, reason };
  }
  return { action: type, outcome, application: null, clusters: [], environment: null, target: `${type}/${String(data.id ?? event.streamId)}`, reason };
}
