import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface CpuSummary {
  file: string;
  /** Time the process was busy (samples not in `(idle)`); shares below are of this. */
  totalMs: number;
  /** Waiting for I/O or for work, including the phases of a benchmark that do not load this process. */
  idleMs: number;
  /** Self time by function, biggest first. */
  functions: { frame: string; selfMs: number; share: number }[];
  /** Self time by package (node_modules/<name>), circle's own code, or node internals. */
  packages: { name: string; selfMs: number; share: number }[];
}

/**
 * Where a .cpuprofile (node --cpu-prof) spent its busy samples, by function and by
 * package. Idle time is left out of the shares: a profile covers the process's whole
 * life, including start-up and the phases where the benchmark loads something else.
 */
export function summarizeCpuProfile(file: string, top = 15): CpuSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byFrame = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += hits;
      continue;
    }
    const where = url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
    const frame = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + hits);
    const pkg = packageOf(where, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    total += hits;
  }
  const rank = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, hits]) => ({ k, selfMs: Math.round(hits * msPerSample), share: Number((hits / total).toFixed(3)) }));
  return {
    file,
    totalMs: Math.round(total * msPerSample),
    idleMs: Math.round(idle * msPerSample),
    functions: rank(byFrame).map(({ k, ...r }) => ({ frame: k, ...r })),
    packages: rank(byPackage).map(({ k, ...r }) => ({ name: k, ...r })),
  };
}

function packageOf(where: string, functionName: string): string {
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (nm) return nm[1]!;
  if (where.startsWith('dist/')) return `circle: ${where.split('/').slice(1, 3).join('/')}`;
  if (where.startsWith('node:')) return 'node internals';
  if (where === '') return functionName.startsWith('(') ? functionName : 'native';
  return where;
}
