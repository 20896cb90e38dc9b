import { createHash } from 'node:crypto';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi, Watch } from '@kubernetes/client-node';
import { ClusterGatewayError, type ClusterRef } from '#domain/ports/cluster-gateway.port.js';

/** The API clients of one cluster, built from its kubeconfig. */
export interface KubeClients {
  readonly cluster: string;
  readonly server: string;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  /** Custom resources (Gateway API HTTPRoutes). */
  readonly custom: CustomObjectsApi;
  readonly version: VersionApi;
  readonly watch: Watch;
}

export interface KubeClientFactoryOptions {
  /**
   * Allow kubeconfigs that run programs (`exec`, `auth-provider`) or read local files
   * (`tokenFile`, `client-certificate`, `certificate-authority` paths). Off by default:
   * kubeconfigs arrive through circle's API, and an `exec` entry would run a command of
   * the registrant's choosing inside the worker.
   */
  readonly allowLocalCredentials?: boolean;
}

/**
 * Builds one set of clients per registered cluster (token, client certificate, or
 * http for the simulator, whatever its kubeconfig says) and reuses it until the
 * kubeconfig changes. Error messages name the cluster, never kubeconfig content.
 */
export class KubeClientFactory {
  private readonly cache = new Map<string, { fingerprint: string; clients: KubeClients }>();

  constructor(private readonly options: KubeClientFactoryOptions = {}) {}

  clientsFor(cluster: ClusterRef): KubeClients {
    const fingerprint = createHash('sha256').update(cluster.kubeconfig).digest('hex');
    const cached = this.cache.get(cluster.name);
    if (cached && cached.fingerprint === fingerprint) return cached.clients;
    const clients = this.build(cluster);
    this.cache.set(cluster.name, { fingerprint, clients });
    return clients;
  }

  /** True when the kubeconfig of `cluster` differs from the one the cached clients were built from. */
  changed(cluster: ClusterRef): boolean {
    const cached = this.cache.get(cluster.name);
    return !cached || cached.fingerprint !== createHash('sha256').update(cluster.kubeconfig).digest('hex');
  }

  forget(clusterName: string): void {
    this.cache.delete(clusterName);
  }

  private build(cluster: ClusterRef): KubeClients {
    const invalid = (detail: string) => new ClusterGatewayError('CLUSTER_INVALID_KUBECONFIG', cluster.name, 'load kubeconfig', detail);
    const kc = new KubeConfig();
    try {
      kc.loadFromString(cluster.kubeconfig);
    } catch {
      // The parser's message may quote the offending line, which can be a secret.
      throw invalid('not a parsable kubeconfig');
    }
    const current = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (!kc.getCurrentContext() || !current) throw invalid('no current-context with a cluster');
    let url: URL;
    try {
      url = new URL(current.server);
    } catch {
      throw invalid('the cluster server is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`unsupported server scheme ${url.protocol}`);
    if (url.protocol === 'http:' && !current.skipTLSVerify) throw invalid('an http:// server needs insecure-skip-tls-verify: true');
    if (!this.options.allowLocalCredentials) {
      if (user?.exec || user?.authProvider) throw invalid('exec and auth-provider credentials are not accepted; use a token or a client certificate');
      if (user?.certFile || user?.keyFile || current.caFile || (user as { tokenFile?: string } | null)?.tokenFile) {
        throw invalid('file references are not accepted; embed the data (token, client-certificate-data, certificate-authority-data)');
      }
    }
    return {
      cluster: cluster.name,
      server: `${url.protocol}//${url.host}`,
      apps: kc.makeApiClient(AppsV1Api),
      core: kc.makeApiClient(CoreV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
      version: kc.makeApiClient(VersionApi),
      watch: new Watch(kc),
    };
  }
}
