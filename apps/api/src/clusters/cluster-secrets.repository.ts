import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#infra/nest/tokens.js';

/** Inline kubeconfigs: kept out of the immutable log, so they can be rotated and erased. */
@Injectable()
export class ClusterSecrets {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async save(cluster: string, kubeconfig: string): Promise<string> {
    const id = `sec_${randomBytes(12).toString('hex')}`;
    await this.pool.query('INSERT INTO cluster_secrets (id, cluster, kubeconfig) VALUES ($1, $2, $3)', [id, cluster, kubeconfig]);
    return id;
  }

  async kubeconfig(id: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ kubeconfig: string }>('SELECT kubeconfig FROM cluster_secrets WHERE id = $1', [id]);
    return rows[0]?.kubeconfig ?? null;
  }

  async delete(id: string): Promise<void> {
    await this.pool.query('DELETE FROM cluster_secrets WHERE id = $1', [id]);
  }
}
