import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import { CLOCK, PG_POOL } from '#infra/nest/tokens.js';
import { PgListener } from '#infra/postgres/pg-listener.js';
import type { Clock } from '#domain';
import { ApiError } from '../common/problem.js';
import type { Principal, Role } from './principal.js';
import { VerifiedTokens } from './verified-tokens.js';

/** Every revocation or expiry change is announced here (payload: the token id) to every API process. */
export const TOKEN_CHANGES_CHANNEL = 'circle_tokens';

/** last_used_at is bookkeeping: writing it once a minute per token is precise enough. */
const LAST_USE_RESOLUTION_MS = 60_000;

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

/**
 * Issues, verifies, expires and revokes API tokens; only hashes are stored.
 *
 * Verified tokens are cached in memory so that authenticating a request costs no
 * database round trip. Revocation stays immediate: this process forgets the token
 * before the revoking request is answered, and every other API process forgets it as
 * soon as Postgres delivers the NOTIFY sent in the same statement. While this
 * process's LISTEN connection is down it cannot hear revocations, so it caches nothing.
 */
@Injectable()
export class TokenService implements OnModuleInit, OnModuleDestroy {
  private readonly verified = new VerifiedTokens();
  private readonly changes: PgListener;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.changes = new PgListener(pool, TOKEN_CHANGES_CHANNEL, {
      onNotify: (tokenId) => this.verified.forget(tokenId),
      onListening: () => {
        this.verified.enabled = true;
      },
      onLost: () => {
        this.verified.enabled = false;
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.changes.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.changes.stop();
  }

  /** The caller behind a bearer secret, or null when unknown, expired or revoked. */
  async verify(secret: string): Promise<Principal | null> {
    const hash = hashSecret(secret);
    const now = this.clock.now();
    const cached = this.verified.get(hash, now.getTime());
    if (cached) {
      if (now.getTime() - cached.lastUseRecordedAt >= LAST_USE_RESOLUTION_MS) {
        cached.lastUseRecordedAt = now.getTime();
        await this.pool
          .query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [cached.principal.tokenId, now])
          .catch(() => undefined); // bookkeeping must not fail a request the token is good for
      }
      return cached.principal;
    }
    const generation = this.verified.currentGeneration;
    const { rows } = await this.pool.query<TokenRow>(
      `UPDATE api_tokens SET last_used_at = $2
       WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
       RETURNING id, name, role, environments, expires_at`,
      [hash, now],
    );
    const row = rows[0];
    if (!row) return null;
    const principal: Principal = { tokenId: row.id, name: row.name, role: row.role, environments: row.environments };
    this.verified.put(hash, generation, { principal, expiresAt: row.expires_at?.getTime() ?? null, lastUseRecordedAt: now.getTime() });
    return principal;
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

  /** Takes effect at once: see the class comment. Revoking twice keeps the first time. */
  async revoke(id: string): Promise<TokenRecord> {
    const record = await this.changeAndAnnounce('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING *', [id, this.clock.now()]);
    if (!record) throw new ApiError(404, 'TOKEN_NOT_FOUND', `token ${id} does not exist`);
    return record;
  }

  /** Moves a live token's expiry (a time already past expires it now); a revoked token stays revoked. */
  async expire(id: string, expiresAt: Date): Promise<TokenRecord> {
    const record = await this.changeAndAnnounce('UPDATE api_tokens SET expires_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING *', [id, expiresAt]);
    if (record) return record;
    const { rowCount } = await this.pool.query('SELECT 1 FROM api_tokens WHERE id = $1', [id]);
    if ((rowCount ?? 0) === 0) throw new ApiError(404, 'TOKEN_NOT_FOUND', `token ${id} does not exist`);
    throw new ApiError(409, 'TOKEN_REVOKED', `token ${id} is revoked; its expiry no longer matters`);
  }

  /** The change and its NOTIFY commit together, so no other process can miss one without the other. */
  private async changeAndAnnounce(update: string, params: unknown[]): Promise<TokenRecord | null> {
    const { rows } = await this.pool.query<TokenRow>(
      `WITH changed AS (${update}), announced AS (SELECT pg_notify('${TOKEN_CHANGES_CHANNEL}', id) FROM changed)
       SELECT changed.* FROM changed, announced`,
      params,
    );
    const row = rows[0];
    if (!row) return null;
    this.verified.forget(row.id);
    return toRecord(row);
  }

  async hasActiveAdmin(): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `SELECT 1 FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1`,
    );
    return (rowCount ?? 0) > 0;
  }
}
