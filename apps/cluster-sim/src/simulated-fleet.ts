import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from './certificates.js';
import { findPodFault, type ImageFaultRule, type PodFault } from './pod-faults.js';
import { SimulatedCluster, type ClusterTls, type SimulatedClusterOptions } from './simulated-cluster.js';

export interface FleetOptions {
  readonly host?: string;
  /** First port; clusters take consecutive ports from here. 0 (default): any free port each. */
  readonly basePort?: number;
  /** Time for one pod to become ready. Realistic for demos: 500; tests: 10-20. */
  readonly msPerReplica?: number;
  /** Overrides every Deployment's progressDeadlineSeconds (tests: a few hundred ms). */
  readonly progressDeadlineMs?: number;
  /** How often watches that asked for bookmarks get one. Real API servers: about a minute. */
  readonly bookmarkIntervalMs?: number;
  /** Controller tick; defaults to a quarter of msPerReplica, between 2 and 100 ms. */
  readonly tickMs?: number;
  /**
   * Serve https with a throw-away CA made at startup (default false: plain http).
   * Needed for kubectl, which never sends a bearer token to an http:// server, and
   * for client-certificate kubeconfigs.
   */
  readonly tls?: boolean;
  /** Events each cluster keeps for watch resumption (default 2000). */
  readonly watchHistory?: number;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Many simulated clusters in one process, each on its own port with its own
 * kubeconfig. One timer drives the Deployment controllers of all of them (and it
 * skips clusters where nothing moves), so 200 clusters cost 200 idle sockets.
 */
export class SimulatedFleet {
  private readonly members = new Map<string, SimulatedCluster>();
  private readonly imageFaults: ImageFaultRule[] = [];
  private nextFaultId = 1;
  private nextPort: number;
  private started = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private bookmarkTimer: NodeJS.Timeout | null = null;
  private msPerReplica: number;
  private progressDeadlineMs: number | undefined;
  private readonly tls: ClusterTls | null;

  constructor(private readonly options: FleetOptions = {}) {
    this.nextPort = options.basePort ?? 0;
    this.msPerReplica = options.msPerReplica ?? 500;
    this.progressDeadlineMs = options.progressDeadlineMs;
    this.tls = options.tls ? makeTls(options.host ?? '127.0.0.1') : null;
  }

  /** PEM of the CA that signs the clusters' serving certificates (TLS fleets only). */
  get caPem(): string | null {
    return this.tls?.caPem ?? null;
  }

  /** Starts every added cluster's API server and the controller clock. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all([...this.members.values()].map((c) => c.start()));
    const tickMs = this.options.tickMs ?? Math.min(100, Math.max(2, Math.floor(this.msPerReplica / 4)));
    this.tickTimer = setInterval(() => this.tick(), tickMs);
    this.tickTimer.unref();
    this.bookmarkTimer = setInterval(() => {
      for (const c of this.members.values()) c.sendBookmarks();
    }, this.options.bookmarkIntervalMs ?? 60_000);
    this.bookmarkTimer.unref();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.tickTimer = this.bookmarkTimer = null;
    await Promise.all([...this.members.values()].map((c) => c.stop()));
  }

  /** Adds a cluster; its API server listens at once when the fleet is started. */
  async addCluster(name: string, opts: SimulatedClusterOptions = {}): Promise<SimulatedCluster> {
    if (!CLUSTER_NAME.test(name) || name.length > 63) throw new Error(`invalid cluster name "${name}": use lower-case letters, digits and '-'`);
    if (this.members.has(name)) throw new Error(`cluster "${name}" already exists`);
    let port = opts.port;
    if (port === undefined && this.nextPort > 0) port = this.nextPort++;
    const cluster = new SimulatedCluster(
      name,
      {
        timing: () => (this.progressDeadlineMs === undefined ? { msPerReplica: this.msPerReplica } : { msPerReplica: this.msPerReplica, progressDeadlineMs: this.progressDeadlineMs }),
        podFault: (clusterName, image) => findPodFault(this.imageFaults, clusterName, image),
      },
      {
        ...(this.options.watchHistory !== undefined ? { watchHistory: this.options.watchHistory } : {}),
        ...opts,
        ...(port !== undefined ? { port } : {}),
        host: opts.host ?? this.options.host ?? '127.0.0.1',
      },
      this.tls,
    );
    this.members.set(name, cluster);
    if (this.started) await cluster.start();
    return cluster;
  }

  /** Stops and forgets a cluster. */
  async removeCluster(name: string): Promise<void> {
    const c = this.members.get(name);
    this.members.delete(name);
    await c?.stop();
  }

  cluster(name: string): SimulatedCluster {
    const c = this.members.get(name);
    if (!c) throw new Error(`no simulated cluster "${name}"`);
    return c;
  }

  get clusters(): SimulatedCluster[] {
    return [...this.members.values()];
  }

  /** The kubeconfig (YAML) of one cluster: bearer token, or client certificate on a TLS fleet. */
  kubeconfig(name: string, opts: { auth?: 'token' | 'client-certificate' } = {}): string {
    return this.cluster(name).kubeconfig(opts);
  }

  /** Writes `<dir>/<cluster>.yaml` for every cluster; returns the paths. */
  async writeKubeconfigs(dir: string): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    return Promise.all(
      this.clusters.map(async (c) => {
        const path = join(dir, `${c.name}.yaml`);
        await writeFile(path, c.kubeconfig(), { mode: 0o600 });
        return path;
      }),
    );
  }

  /** Changes the simulated speed for pods created from now on. */
  setSpeed(opts: { msPerReplica?: number; progressDeadlineMs?: number | null }): void {
    if (opts.msPerReplica !== undefined) this.msPerReplica = opts.msPerReplica;
    if (opts.progressDeadlineMs !== undefined) this.progressDeadlineMs = opts.progressDeadlineMs ?? undefined;
  }

  /**
   * Makes pods of matching images misbehave (on `clusters` only, or everywhere).
   * Later rules win over earlier ones. Returns an id for removeImageFault.
   */
  injectImageFault(image: string | RegExp, fault: PodFault, opts: { clusters?: readonly string[] } = {}): number {
    const id = this.nextFaultId++;
    this.imageFaults.push({ id, image, fault, ...(opts.clusters ? { clusters: [...opts.clusters] } : {}) });
    return id;
  }

  removeImageFault(id: number): void {
    const i = this.imageFaults.findIndex((r) => r.id === id);
    if (i >= 0) this.imageFaults.splice(i, 1);
  }

  /** Removes every image fault and every cluster's API faults. */
  async clearFaults(): Promise<void> {
    this.imageFaults.splice(0);
    await Promise.all(this.clusters.map((c) => c.clearFaults()));
  }

  private tick(): void {
    const now = Date.now();
    for (const c of this.members.values()) c.tick(now);
  }
}

/** One CA and one serving certificate (loopback + the bind host) shared by all clusters of a fleet. */
function makeTls(host: string): ClusterTls {
  const ca = createCertificateAuthority();
  const ips = ['127.0.0.1'];
  const dns = ['localhost'];
  if (isIP(host) === 4 && !ips.includes(host)) ips.push(host);
  else if (isIP(host) === 0) dns.push(host);
  const server = issueServerCertificate(ca, { ips, dns });
  return {
    certPem: server.certPem,
    keyPem: server.keyPem,
    caPem: ca.certPem,
    issueClientCertificate: (user) => issueClientCertificate(ca, user),
  };
}
