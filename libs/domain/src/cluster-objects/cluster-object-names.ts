import { CIRCLE_LABELS, CIRCLE_MANAGER } from './cluster-labels.js';

/** The workloads of one application: stable + canary, or blue + green. */
export type Track = 'stable' | 'canary' | 'blue' | 'green';
export const TRACKS: readonly Track[] = ['stable', 'canary', 'blue', 'green'];

/**
 * What a Service is for. Canary: `stable` and `canary` select one track each, `main`
 * selects every track so traffic splits by replica ratio. Blue-green: `active` takes
 * production traffic, `preview` the color being verified.
 */
export type ServiceRole = 'main' | 'stable' | 'canary' | 'active' | 'preview';
export const SERVICE_ROLES: readonly ServiceRole[] = ['main', 'stable', 'canary', 'active', 'preview'];

export function isTrack(value: unknown): value is Track {
  return typeof value === 'string' && (TRACKS as readonly string[]).includes(value);
}

export function isServiceRole(value: unknown): value is ServiceRole {
  return typeof value === 'string' && (SERVICE_ROLES as readonly string[]).includes(value);
}

/** Deployment name of one track: `checkout-canary`. */
export function workloadName(application: string, track: Track): string {
  return `${application}-${track}`;
}

/**
 * Service name of one role. The `main` Service carries the bare application name,
 * so in-cluster clients keep calling `http://checkout` whatever the strategy.
 */
export function serviceName(application: string, role: ServiceRole): string {
  return role === 'main' ? application : `${application}-${role}`;
}

/**
 * Labels a Deployment's pods are selected by. Deliberately without the version:
 * `spec.selector` of a Deployment is immutable, and the same `checkout-stable`
 * Deployment carries version after version.
 */
export function podSelector(application: string, track: Track): Record<string, string> {
  return { [CIRCLE_LABELS.application]: application, [CIRCLE_LABELS.track]: track };
}

/** Selector of a Service that targets one track, or every track when `track` is null. */
export function serviceSelector(application: string, track: Track | null): Record<string, string> {
  return track === null ? { [CIRCLE_LABELS.application]: application } : podSelector(application, track);
}

/** `managed-by` plus the application label: what every circle object carries. */
export function baseLabels(application: string): Record<string, string> {
  return { [CIRCLE_LABELS.managedBy]: CIRCLE_MANAGER, [CIRCLE_LABELS.application]: application };
}

/**
 * Turns any string into a valid label value: at most 63 characters of
 * `[A-Za-z0-9._-]`, beginning and ending alphanumeric. `1.4.0+build.7` becomes
 * `1.4.0_build.7`; the exact value lives in the annotation of the same key.
 */
export function toLabelValue(value: string): string {
  const replaced = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63);
  return replaced.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for a valid DNS-1123 label (namespace names, Service names): at most 63 chars. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}
