import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

/** What the numbers were measured on; the README's tables quote it. */
export function machine(): Record<string, unknown> {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    // Other sessions share these machines: a load average well above 0 at start says so.
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/** Writes bench/results/<name>-<time>.json (gitignored) and returns its path. */
export function writeResults(name: string, data: Record<string, unknown>): string {
  mkdirSync('bench/results', { recursive: true });
  const path = join('bench/results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, `${JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine: MACHINE, ...data }, null, 2)}\n`);
  return path;
}

const MACHINE = machine();

type Cell = string | number | null | undefined;

/** Prints a Markdown table, so a run's output pastes straight into bench/README.md. */
export function printTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  const cell = (c: Cell): string => (c === null || c === undefined ? '–' : typeof c === 'number' ? formatNumber(c) : c);
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** `PASS`/`MISS` against a target, for the printed tables. */
export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

export function env(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return n;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
