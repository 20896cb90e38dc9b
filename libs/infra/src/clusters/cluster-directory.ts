import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import type { ClusterConnection, ClusterRef } from '#domain';
import type { SecretCipher } from '../crypto/secret-cipher.js';

export class ClusterDirectoryError extends Error {
  readonly code = 'CLUSTER_CONNECTION_UNAVAILABLE';

  constructor(cluster: string, why: string) {
    super(`cannot reach cluster ${cluster}: ${why}`);
    this.name = 'ClusterDirectoryError';
  }
}

/**
 * Turns a registered cluster's name into what the gateway needs to reach it. The
 * kubeconfig is looked up when needed (a secret row, a file, an environment variable)
 * and never kept in events or logs.
 */
export class ClusterDirectory {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cipher: SecretCipher,
  ) {}

  async ref(cluster: string): Promise<ClusterRef> {
    const { rows } = await this.pool.query<{ connection: ClusterConnection }>('SELECT connection FROM rm_clusters WHERE name = $1', [
      cluster,
    ]);
    const connection = rows[0]?.connection;
    if (!connection) throw new ClusterDirectoryError(cluster, 'it is not registered (or was removed)');
    return { name: cluster, kubeconfig: await this.kubeconfig(cluster, connection) };
  }

  /**
   * The cluster's labels as registered (e.g. `circle.dev/gateway`, which says the
   * cluster routes canary traffic through a Gateway API Gateway). A cluster that is
   * not registered (any more) has none.
   */
  async labels(cluster: string): Promise<Record<string, string>> {
    const { rows } = await this.pool.query<{ labels: Record<string, string> | null }>('SELECT labels FROM rm_clusters WHERE name = $1', [cluster]);
    return { ...(rows[0]?.labels ?? {}) };
  }

  private async kubeconfig(cluster: string, connection: ClusterConnection): Promise<string> {
    switch (connection.kind) {
      case 'secret': {
        const { rows } = await this.pool.query<{ kubeconfig: string }>('SELECT kubeconfig FROM cluster_secrets WHERE id = $1', [
          connection.secretId,
        ]);
        if (!rows[0]) throw new ClusterDirectoryError(cluster, 'its stored kubeconfig is missing');
        try {
          return this.cipher.reveal(rows[0].kubeconfig);
        } catch {
          throw new ClusterDirectoryError(cluster, 'its stored kubeconfig cannot be decrypted (is CIRCLE_SECRET_KEY the key it was stored with?)');
        }
      }
      case 'file':
        try {
          return await readFile(connection.path, 'utf8');
        } catch {
          throw new ClusterDirectoryError(cluster, `its kubeconfig file cannot be read`);
        }
      case 'env': {
        const value = process.env[connection.variable];
        if (!value) throw new ClusterDirectoryError(cluster, `environment variable ${connection.variable} is not set`);
        return value;
      }
    }
  }
}
