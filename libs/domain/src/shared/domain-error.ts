/**
 * Every rule the domain enforces fails with one of these codes. They are part of the
 * public API (clients branch on them), so a code is never renamed once shipped.
 * `kind` tells the HTTP edge which status family applies without the domain knowing HTTP.
 */
export const DomainErrorKinds = {
  APPLICATION_NAME_INVALID: 'validation',
  APPLICATION_ALREADY_EXISTS: 'conflict',
  APPLICATION_NOT_FOUND: 'not_found',
  DEPENDENCY_RANGE_INVALID: 'validation',
  DEPENDENCY_ON_SELF: 'rule',
  DEPENDENCY_DUPLICATE: 'validation',
  DEPENDENCY_UNKNOWN_APPLICATION: 'rule',
  ROLLOUT_ALREADY_ACTIVE: 'conflict',
  RELEASE_VERSION_INVALID: 'validation',
  RELEASE_IMAGES_REQUIRED: 'validation',
  RELEASE_IMAGE_REFERENCE_INVALID: 'validation',
  RELEASE_ALREADY_EXISTS: 'conflict',
  RELEASE_NOT_FOUND: 'not_found',
  CLUSTER_NAME_INVALID: 'validation',
  CLUSTER_ALREADY_EXISTS: 'conflict',
  CLUSTER_NOT_FOUND: 'not_found',
  CLUSTER_CORDONED: 'rule',
  LABEL_INVALID: 'validation',
  ENVIRONMENT_NAME_INVALID: 'validation',
  ENVIRONMENT_ALREADY_EXISTS: 'conflict',
  ENVIRONMENT_NOT_FOUND: 'not_found',
  ENVIRONMENT_POLICY_INVALID: 'validation',
  WAVE_PLAN_INVALID: 'validation',
  ROLLOUT_NOT_FOUND: 'not_found',
  ROLLOUT_ALREADY_EXISTS: 'conflict',
  ROLLOUT_TARGETS_EMPTY: 'rule',
  ROLLOUT_STRATEGY_INVALID: 'validation',
  ROLLOUT_KIND_MISMATCH: 'rule',
  ROLLOUT_FINISHED: 'rule',
  ROLLOUT_INVALID_PHASE: 'rule',
  ROLLOUT_NOT_PAUSED: 'rule',
  ROLLOUT_AWAITING_APPROVAL: 'rule',
  ROLLOUT_NOT_AWAITING_APPROVAL: 'rule',
  ROLLOUT_SELF_APPROVAL: 'rule',
  ROLLOUT_ALREADY_APPROVED_BY_ACTOR: 'rule',
  ROLLOUT_REASON_REQUIRED: 'validation',
  ROLLOUT_RELEASE_UNKNOWN: 'rule',
  ROLLOUT_CLUSTER_UNKNOWN: 'rule',
  ROLLOUT_ENVIRONMENT_UNKNOWN: 'rule',
  PROMOTION_GATE_FAILED: 'rule',
  CLUSTER_ENVIRONMENT_UNKNOWN: 'rule',
} as const;

export type DomainErrorCode = keyof typeof DomainErrorKinds;
export type DomainErrorKind = (typeof DomainErrorKinds)[DomainErrorCode];

export class DomainError extends Error {
  readonly kind: DomainErrorKind;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.kind = DomainErrorKinds[code];
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
