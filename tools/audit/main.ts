import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { judgeAudit, parseAllowList, type NpmAuditReport } from './audit-policy.js';

/**
 * `npm run audit:deps`: npm audit of production dependencies against the allow-list in
 * .ci/audit-allowlist.json. Exit 1 on a high or critical advisory not allowed.
 *
 * When the registry refuses the advisory endpoint (some mirrors and proxies do: these
 * machines answer 405) there is nothing to judge; that prints a warning and exits 0,
 * unless CIRCLE_AUDIT_REQUIRED=1 makes a missing audit fail the build too.
 */
const allowListFile = process.argv[2] ?? '.ci/audit-allowlist.json';
const allowList = parseAllowList(JSON.parse(readFileSync(allowListFile, 'utf8')));
const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
let report: NpmAuditReport;
try {
  report = JSON.parse(run.stdout) as NpmAuditReport;
} catch {
  report = { message: `npm audit printed no JSON (exit ${run.status}): ${run.stderr.trim().split('\n').pop() ?? ''}` };
}
const verdict = judgeAudit(report, allowList, new Date().toISOString().slice(0, 10));

if (verdict.kind === 'unavailable') {
  console.warn(`audit: NOT CHECKED — the registry's advisory service is unavailable: ${verdict.why}`);
  process.exit(process.env.CIRCLE_AUDIT_REQUIRED === '1' ? 1 : 0);
}
for (const entry of verdict.expiredEntries) {
  console.warn(`audit: allow-list entry ${entry.advisory} (${entry.package}) passed its review date ${entry.reviewBy}; it no longer applies`);
}
for (const f of verdict.allowed) console.log(`audit: allowed ${f.severity} ${f.advisory} in ${f.package}: ${f.title}`);
for (const f of verdict.failing) console.error(`audit: ${f.severity} ${f.advisory} in ${f.package}: ${f.title} ${f.url}`);
console.log(`audit: ${verdict.failing.length} failing, ${verdict.allowed.length} allowed, ${verdict.lowerSeverity} below high`);
process.exit(verdict.failing.length > 0 ? 1 : 0);
