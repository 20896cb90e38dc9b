import { DomainError, type DomainErrorCode } from './domain-error.js';

// Names become Kubernetes object names and label values, so they follow RFC 1123 DNS
// labels (what Kubernetes itself demands of a Service name): lower-case alphanumerics
// and '-', starting and ending alphanumeric, at most 63 characters.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function assertDnsLabel(value: string, code: DomainErrorCode, what: string): void {
  if (!DNS_LABEL.test(value)) {
    throw new DomainError(
      code,
      `${what} '${value}' must be a DNS label: lower-case letters, digits and '-', 1-63 characters, starting and ending with a letter or digit`,
      { value },
    );
  }
}

// Kubernetes label syntax: an optional DNS-subdomain prefix and '/', then a name of
// at most 63 characters; values are empty or 63 characters of [A-Za-z0-9._-] framed by
// alphanumerics. Validating here keeps a bad selector from reaching a cluster later.
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function assertLabels(labels: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const keyOk = LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && LABEL_PREFIX.test(prefix)));
    const valueOk = value === '' || LABEL_NAME.test(value);
    if (!keyOk || !valueOk) {
      throw new DomainError('LABEL_INVALID', `label '${key}=${value}' is not a valid Kubernetes label`, { key, value });
    }
  }
}

/** A label selector matches when every key/value it names is present on the labels. */
export function matchesSelector(
  labels: Readonly<Record<string, string>>,
  selector: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

export function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
