/**
 * Keys of the labels and annotations circle puts on every object it touches, so
 * "what actually runs where" can be read back from a cluster and compared with the
 * read models. Shared by the Kubernetes adapter, the cluster simulator and the
 * projections; this file is the only place they are spelled.
 *
 * Labels are for selection (Services select pods by application + track; circle
 * lists its own objects by `managed-by`). Label values are restricted to 63
 * characters of `[A-Za-z0-9._-]`, so a version like `1.4.0+build.7` cannot be a
 * label value as is: the label carries a sanitized copy, the annotation of the same
 * key carries the exact value, and readers trust the annotation.
 */
export const CIRCLE_LABELS = {
  application: 'circle.dev/application',
  track: 'circle.dev/track',
  version: 'circle.dev/version',
  rolloutId: 'circle.dev/rollout-id',
  serviceRole: 'circle.dev/service-role',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const CIRCLE_ANNOTATIONS = {
  application: 'circle.dev/application',
  track: 'circle.dev/track',
  version: 'circle.dev/version',
  rolloutId: 'circle.dev/rollout-id',
  revision: 'circle.dev/revision',
} as const;

/** Value of the `app.kubernetes.io/managed-by` label on everything circle owns. */
export const CIRCLE_MANAGER = 'circle';

/** Label selector (Kubernetes syntax) matching every object circle manages. */
export const MANAGED_BY_CIRCLE_SELECTOR = `${CIRCLE_LABELS.managedBy}=${CIRCLE_MANAGER}`;
