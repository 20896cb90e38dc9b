import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sleep } from './report.js';

export interface CircleProcess {
  child: ChildProcess;
  pid: number;
  /** Everything the process printed so far (it goes to a file, not through this process's event loop). */
  log(): string;
  /** Peak resident set since the process started (VmHWM), in MB. */
  peakRssMb(): number;
  /** SIGTERM, then waits for the exit (the launcher drains and, with --cpu-prof, writes the profile). */
  stop(): Promise<void>;
}

/**
 * Runs the compiled launcher (dist/apps/launcher/src/main.js) as a process of its own,
 * so the load generator and the server never share an event loop. `role` is
 * CIRCLE_ROLE; `nodeArgs` adds flags such as --cpu-prof.
 */
export async function startLauncher(options: {
  role: 'api' | 'worker' | 'all';
  env: Record<string, string>;
  logFile: string;
  /** Resolves when the process is ready: the API answers /health; a worker logged that it started. */
  port?: number;
  nodeArgs?: string[];
}): Promise<CircleProcess> {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), 'dist/apps/launcher/src/main.js'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env, CIRCLE_ROLE: options.role, CIRCLE_SIMULATED_CLUSTERS: 'off' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = once(child, 'exit');
  const proc: CircleProcess = {
    child,
    pid: child.pid!,
    log: () => readFileSync(options.logFile, 'utf8'),
    peakRssMb: () => peakRssMb(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`circle (${options.role}) exited with ${child.exitCode}:\n${proc.log().slice(-3000)}`);
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`circle (${options.role}) did not start in 60 s:\n${proc.log().slice(-3000)}`);
    }
    if (options.port !== undefined) {
      const ok = await fetch(`http://127.0.0.1:${options.port}/health`).then((r) => r.ok, () => false);
      if (ok) return proc;
    } else if (/"msg":"worker started"/.test(proc.log())) {
      return proc;
    }
    await sleep(100);
  }
}

/** Linux's own record of a process's peak resident set (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

/** Current resident set of a process, in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024);
}
