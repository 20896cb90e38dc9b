import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from '#infra/nest/tokens.js';
import { SECRET_CIPHER, type SecretCipher } from '#infra/crypto/secret-cipher.js';
import { hashSecret } from './webhook-signatures.js';

interface SecretRow {
  current_encrypted: string;
  current_hash: string;
  previous_encrypted: string | null;
  previous_hash: string | null;
  previous_valid_until: Date | null;
  rotated_at: Date;
}

/** The secrets a delivery may be signed with right now: the current one, then the previous one within its grace period. */
export interface SecretCandidates {
  secrets: string[];
  hashes: string[];
}

/** Per-repository webhook secrets: encrypted for HMAC, hashed for GitLab's token; never returned by the API. */
@Injectable()
export class WebhookSecrets {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  /** Sets a new secret; the one it replaces stays valid until `now + graceSeconds`. */
  async rotate(repository: string, secret: string, graceSeconds: number, now: Date): Promise<{ rotatedAt: Date; previousValidUntil: Date | null }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<SecretRow>('SELECT * FROM webhook_secrets WHERE repository = $1 FOR UPDATE', [repository]);
      const old = rows[0];
      const keepPrevious = old !== undefined && graceSeconds > 0;
      const validUntil = keepPrevious ? new Date(now.getTime() + graceSeconds * 1000) : null;
      await client.query(
        `INSERT INTO webhook_secrets (repository, current_encrypted, current_hash, previous_encrypted, previous_hash, previous_valid_until, rotated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (repository) DO UPDATE SET current_encrypted = $2, current_hash = $3, previous_encrypted = $4,
           previous_hash = $5, previous_valid_until = $6, rotated_at = $7`,
        [
          repository,
          this.cipher.encrypt(secret),
          hashSecret(secret),
          keepPrevious ? old.current_encrypted : null,
          keepPrevious ? old.current_hash : null,
          validUntil,
          now,
        ],
      );
      await client.query('COMMIT');
      return { rotatedAt: now, previousValidUntil: validUntil };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async candidates(repository: string, now: Date): Promise<SecretCandidates> {
    const { rows } = await this.pool.query<SecretRow>('SELECT * FROM webhook_secrets WHERE lower(repository) = lower($1)', [repository]);
    const row = rows[0];
    if (!row) return { secrets: [], hashes: [] };
    const previousValid = row.previous_encrypted !== null && row.previous_valid_until !== null && row.previous_valid_until > now;
    return {
      secrets: [this.cipher.decrypt(row.current_encrypted), ...(previousValid ? [this.cipher.decrypt(row.previous_encrypted!)] : [])],
      hashes: [row.current_hash, ...(previousValid ? [row.previous_hash!] : [])],
    };
  }
}
