/**
 * The dependency audit's policy, apart from running npm so it can be tested on recorded
 * reports: high and critical advisories in production dependencies fail the build
 * unless the allow-list names them, with a reason and a date by which to look again.
 */

export type Severity = 'info' | 'low' | 'moderate' | 'high' | 'critical';

export interface AllowListEntry {
  /** The advisory id, e.g. GHSA-xxxx-xxxx-xxxx. */
  advisory: string;
  package: string;
  /** Why it cannot hurt circle (the code path is not reached, no fix exists yet, ...). */
  reason: string;
  /** ISO date; past it the entry no longer applies and the build fails again. */
  reviewBy: string;
}

export interface Finding {
  advisory: string;
  package: string;
  severity: Severity;
  title: string;
  url: string;
}

export type AuditVerdict =
  | { kind: 'unavailable'; why: string }
  | { kind: 'checked'; failing: Finding[]; allowed: Finding[]; expiredEntries: AllowListEntry[]; lowerSeverity: number };

interface NpmAdvisory {
  source?: number;
  name?: string;
  title?: string;
  url?: string;
  severity?: string;
}

/** The parts of `npm audit --json` the policy reads; the rest is ignored. */
export interface NpmAuditReport {
  vulnerabilities?: Record<string, { via?: (NpmAdvisory | string)[] }>;
  statusCode?: number;
  message?: string;
  error?: unknown;
}

const SEVERITIES: readonly string[] = ['info', 'low', 'moderate', 'high', 'critical'] satisfies Severity[];
const FAILING: readonly Severity[] = ['high', 'critical'];
const isSeverity = (value: unknown): value is Severity => typeof value === 'string' && SEVERITIES.includes(value);

const advisoryId = (advisory: NpmAdvisory): string => /GHSA(-[23456789cfghjmpqrvwx]{4}){3}/.exec(advisory.url ?? '')?.[0] ?? `npm-${advisory.source ?? 'unknown'}`;

/** Judges `npm audit --json` output; `today` is YYYY-MM-DD. */
export function judgeAudit(report: NpmAuditReport, allowList: readonly AllowListEntry[], today: string): AuditVerdict {
  if (report.vulnerabilities === undefined) {
    return { kind: 'unavailable', why: report.message ?? 'npm audit returned no vulnerability report' };
  }
  const findings = new Map<string, Finding>();
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    for (const via of vulnerability.via ?? []) {
      // A string names another vulnerable package; its own advisories are listed under it.
      if (typeof via === 'string' || !isSeverity(via.severity)) continue;
      const finding: Finding = { advisory: advisoryId(via), package: via.name ?? 'unknown', severity: via.severity, title: via.title ?? '', url: via.url ?? '' };
      findings.set(`${finding.advisory}:${finding.package}`, finding);
    }
  }
  const live = allowList.filter((entry) => entry.reviewBy >= today);
  const isAllowed = (f: Finding) => live.some((entry) => entry.advisory === f.advisory && entry.package === f.package);
  const serious = [...findings.values()].filter((f) => FAILING.includes(f.severity));
  return {
    kind: 'checked',
    failing: serious.filter((f) => !isAllowed(f)),
    allowed: serious.filter(isAllowed),
    expiredEntries: allowList.filter((entry) => entry.reviewBy < today),
    lowerSeverity: findings.size - serious.length,
  };
}

/** Validates the allow-list file's shape, so a typo cannot silently allow nothing (or everything). */
export function parseAllowList(json: unknown): AllowListEntry[] {
  if (!Array.isArray(json)) throw new Error('the audit allow-list must be a JSON array');
  return json.map((entry: Partial<AllowListEntry>, i) => {
    for (const field of ['advisory', 'package', 'reason', 'reviewBy'] as const) {
      if (typeof entry[field] !== 'string' || entry[field].trim() === '') throw new Error(`allow-list entry ${i}: ${field} is required`);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(entry.reviewBy!)) throw new Error(`allow-list entry ${i}: reviewBy must be YYYY-MM-DD`);
    return entry as AllowListEntry;
  });
}
