/**
 * `npm run bench`: every benchmark, one after the other, each in a process of its own
 * (so one's leftovers cannot slow the next), going on past a failure; then how long each
 * took against the suite's budget of 10 minutes. Each benchmark prints its own table and
 * writes bench/results/<name>-<time>.json.
 *
 *   npm run bench
 *   BENCHES=ingest,http npm run bench
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { printTable } from './support/report.js';

const ALL = ['transport', 'rollout', 'queries', 'ingest', 'http', 'latency'];
const BUDGET_S = 600;

async function main(): Promise<void> {
  const names = (process.env['BENCHES'] ?? ALL.join(',')).split(',').filter(Boolean);
  const unknown = names.filter((n) => !ALL.includes(n));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  const rows: [string, number, string][] = [];
  const t0 = performance.now();
  for (const name of names) {
    process.stdout.write(`\n=== bench:${name} ===\n`);
    const started = performance.now();
    const child = spawn(process.execPath, ['--enable-source-maps', '--expose-gc', `dist/bench/${name}.js`], { stdio: 'inherit' });
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    rows.push([name, Math.round((performance.now() - started) / 1000), code === 0 ? 'ok' : `failed (${code ?? signal})`]);
  }
  const total = Math.round((performance.now() - t0) / 1000);
  process.stdout.write('\n=== suite ===\n\n');
  printTable(['benchmark', 'seconds', 'outcome'], [...rows, ['total', total, total <= BUDGET_S ? `within ${BUDGET_S} s` : `over the ${BUDGET_S} s budget`]]);
  if (rows.some((r) => r[2] !== 'ok')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
