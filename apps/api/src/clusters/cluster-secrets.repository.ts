import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type pg from 'pg';
import { SECRET_CIPHER, SecretCipher } from '#infra/crypto/secret-cipher.js';
import { LOGGER, PG_POOL } from '#infra/nest/tokens.js';
import type { Logger } from '#infra/logging/logger.js';

/**
 * Inline kubeconfigs: kept out of the immutable log, so they can be rotated and erased,
 * and sealed with the secret key, so a database dump holds no cluster credentials.
 */
@Injectable()
export class ClusterSecrets implements OnApplicationBootstrap {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Rows written before kubeconfigs were encrypted are sealed on the first start that can. */
  async onApplicationBootstrap(): Promise<void> {
    const { rows } = await this.pool.query<{ id: string; kubeconfig: string }>(`SELECT id, kubeconfig FROM cluster_secrets WHERE kubeconfig NOT LIKE 'v1:%'`);
    for (const row of rows.filter((r) => !SecretCipher.isSealed(r.kubeconfig))) {
      await this.pool.query('UPDATE cluster_secrets SET kubeconfig = $2 WHERE id = $1 AND kubeconfig = $3', [row.id, this.cipher.encrypt(row.kubeconfig), row.kubeconfig]);
    }
    if (rows.length > 0) this.logger.info({ sealed: rows.length }, 'encrypted kubeconfigs stored before encryption at rest');
  }

  async save(cluster: string, kubeconfig: string): Promise<string> {
    const id = `sec_${randomBytes(12).toString('hex')}`;
    await this.pool.query('INSERT INTO cluster_secrets (id, cluster, kubeconfig) VALUES ($1, $2, $3)', [id, cluster, this.cipher.encrypt(kubeconfig)]);
    return id;
  }

  async kubeconfig(id: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ kubeconfig: string }>('SELECT kubeconfig FROM cluster_secrets WHERE id = $1', [id]);
    return rows[0] ? this.cipher.reveal(rows[0].kubeconfig) : null;
  }

  async delete(id: string): Promise<void> {
    await this.pool.query('DELETE FROM cluster_secrets WHERE id = $1', [id]);
  }
}
