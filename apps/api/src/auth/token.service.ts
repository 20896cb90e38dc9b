import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { CLOCK, PG_POOL } from '#infra/nest/tokens.js';
import type { Clock } from '#domain';
import { ApiError } from '../common/problem.js';
import type { Principal, Role } from './principal.js';

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  environments: string[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A row of api_tokens without its secret hash (never selected outside verification). */
export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  environments: string[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const toRecord = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  environments: r.environments,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

// Tokens are 256-bit random strings, so a plain SHA-256 is the right hash: there is
// nothing to brute-force, and a slow password hash would cost every request.
const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Issues, verifies and revokes API tokens; only hashes are stored. */
@Injectable()
export class TokenService {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The caller behind a bearer secret, or null when unknown, expired or revoked. */
  async verify(secret: string): Promise<Principal | null> {
    const { rows } = await this.pool.query<TokenRow>(
      `UPDATE api_tokens SET last_used_at = $2
       WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
       RETURNING id, name, role, environments`,
      [hashSecret(secret), this.clock.now()],
    );
    const row = rows[0];
    return row ? { tokenId: row.id, name: row.name, role: row.role, environments: row.environments } : null;
  }

  /** Creates a token; the secret is returned here once and never again. */
  async issue(input: {
    name: string;
    role: Role;
    environments?: string[];
    expiresAt?: Date | null;
    createdBy: string;
    secret?: string;
  }): Promise<{ record: TokenRecord; secret: string }> {
    const secret = input.secret ?? `circle_${randomBytes(32).toString('base64url')}`;
    const id = `tok_${randomBytes(8).toString('hex')}`;
    try {
      const { rows } = await this.pool.query<TokenRow>(
        `INSERT INTO api_tokens (id, name, role, environments, secret_hash, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [id, input.name, input.role, JSON.stringify(input.environments ?? []), hashSecret(secret), input.createdBy, this.clock.now(), input.expiresAt ?? null],
      );
      return { record: toRecord(rows[0]!), secret };
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new ApiError(409, 'TOKEN_NAME_TAKEN', `a token named '${input.name}' already exists`);
      }
      throw error;
    }
  }

  async list(): Promise<TokenRecord[]> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id');
    return rows.map(toRecord);
  }

  /** Revocation is checked on every request, so it takes effect at once. */
  async revoke(id: string): Promise<TokenRecord> {
    const { rows } = await this.pool.query<TokenRow>(
      'UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING *',
      [id, this.clock.now()],
    );
    if (!rows[0]) throw new ApiError(404, 'TOKEN_NOT_FOUND', `token ${id} does not exist`);
    return toRecord(rows[0]);
  }

  async hasActiveAdmin(): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`,
    );
    return (rowCount ?? 0) > 0;
  }
}
