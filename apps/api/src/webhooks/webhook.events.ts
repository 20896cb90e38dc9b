import type { Provider, RuleSpec } from './webhook-rules.js';

/**
 * Rules and secrets live in tables (secrets must be rotatable and never logged), but
 * who changed which rule or rotated which secret, and what each delivery caused, is
 * audit history, so it is told in the log too. No event carries a secret or its hash.
 */
export type WebhookEvent =
  | { type: 'WebhookRuleCreated'; data: RuleSpec & { id: string; createdAt: string } }
  | { type: 'WebhookRuleDeleted'; data: { id: string; repository: string; application: string; deletedAt: string } }
  | { type: 'WebhookSecretRotated'; data: { repository: string; previousValidUntil: string | null; rotatedAt: string } }
  | { type: 'WebhookDeliveryRecorded'; data: DeliveryRecord };

export interface DeliveryOutcome {
  status: 'processed' | 'ignored';
  /** Why nothing (or not everything) happened. */
  reason: string | null;
  releases: { ruleId: string; application: string; version: string; created: boolean }[];
  rollouts: { ruleId: string; application: string; environment: string; rolloutId: string }[];
  /** Rules that matched but whose release or rollout was refused, with the refusal. */
  refused: { ruleId: string; application: string; code: string; message: string }[];
}

export interface DeliveryRecord {
  provider: Provider;
  deliveryId: string;
  event: string;
  repository: string | null;
  commit: string | null;
  ref: string | null;
  outcome: DeliveryOutcome;
  receivedAt: string;
}

export const webhookRuleStreamId = (id: string): string => `webhook-rule-${id}`;
export const webhookSecretStreamId = (repository: string): string => `webhook-secret-${repository}`;
export const webhookDeliveryStreamId = (provider: string, deliveryId: string): string => `webhook-delivery-${provider}-${deliveryId}`;
