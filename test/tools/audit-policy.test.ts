import { describe, expect, it } from '@jest/globals';
import { judgeAudit, parseAllowList, type AllowListEntry } from '../../tools/audit/audit-policy.js';

/** Shaped like `npm audit --json` (auditReportVersion 2) for a tree with two vulnerable packages. */
const report = {
  auditReportVersion: 2,
  vulnerabilities: {
    'fast-xml': {
      name: 'fast-xml',
      severity: 'critical',
      isDirect: false,
      via: [
        { source: 1096355, name: 'fast-xml', dependency: 'fast-xml', title: 'Prototype pollution in fast-xml', url: 'https://github.com/advisories/GHSA-x3mh-jvjw-3xwx', severity: 'critical', range: '<4.2.4' },
      ],
      effects: ['sdk'],
      range: '<4.2.4',
      fixAvailable: true,
    },
    sdk: { name: 'sdk', severity: 'critical', isDirect: true, via: ['fast-xml'], effects: [], range: '*', fixAvailable: true },
    'tiny-lru': {
      name: 'tiny-lru',
      severity: 'moderate',
      isDirect: false,
      via: [{ source: 1099001, name: 'tiny-lru', title: 'ReDoS in tiny-lru', url: 'https://github.com/advisories/GHSA-9c47-m6qq-7p4h', severity: 'moderate' }],
      effects: [],
      range: '<2',
      fixAvailable: false,
    },
  },
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 0, critical: 2, total: 3 } },
};

const allow = (overrides: Partial<AllowListEntry> = {}): AllowListEntry => ({
  advisory: 'GHSA-x3mh-jvjw-3xwx',
  package: 'fast-xml',
  reason: 'only parses our own static files',
  reviewBy: '2027-01-31',
  ...overrides,
});

describe('dependency audit policy', () => {
  it('fails on a critical advisory, reported once under the package that has it, and not on moderate ones', () => {
    const verdict = judgeAudit(report, [], '2026-11-22');
    expect(verdict).toEqual({
      kind: 'checked',
      failing: [{ advisory: 'GHSA-x3mh-jvjw-3xwx', package: 'fast-xml', severity: 'critical', title: 'Prototype pollution in fast-xml', url: 'https://github.com/advisories/GHSA-x3mh-jvjw-3xwx' }],
      allowed: [],
      expiredEntries: [],
      lowerSeverity: 1,
    });
  });

  it('passes an advisory the allow-list names until its review date, then fails it again', () => {
    expect(judgeAudit(report, [allow()], '2027-01-31')).toMatchObject({ kind: 'checked', failing: [], allowed: [{ advisory: 'GHSA-x3mh-jvjw-3xwx' }] });
    const late = judgeAudit(report, [allow()], '2027-02-01');
    expect(late).toMatchObject({ kind: 'checked', failing: [{ advisory: 'GHSA-x3mh-jvjw-3xwx' }], expiredEntries: [allow()] });
  });

  it('does not let an entry for one package allow the same advisory in another', () => {
    expect(judgeAudit(report, [allow({ package: 'sdk' })], '2026-11-22')).toMatchObject({ failing: [{ package: 'fast-xml' }] });
  });

  it('tells an audit that could not run apart from a clean one', () => {
    const refused = { message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 };
    expect(judgeAudit(refused, [], '2026-11-22')).toEqual({ kind: 'unavailable', why: refused.message });
    expect(judgeAudit({ vulnerabilities: {} }, [], '2026-11-22')).toEqual({ kind: 'checked', failing: [], allowed: [], expiredEntries: [], lowerSeverity: 0 });
  });

  it('refuses an allow-list entry without a reason or a review date', () => {
    expect(() => parseAllowList([{ advisory: 'GHSA-x3mh-jvjw-3xwx', package: 'fast-xml', reviewBy: '2027-01-31' }])).toThrow(/reason is required/);
    expect(() => parseAllowList([{ ...allow(), reviewBy: 'soon' }])).toThrow(/YYYY-MM-DD/);
    expect(() => parseAllowList({})).toThrow(/array/);
    expect(parseAllowList([allow()])).toEqual([allow()]);
  });
});
