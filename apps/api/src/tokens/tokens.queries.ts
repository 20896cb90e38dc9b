import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { PG_POOL } from '#infra/nest/tokens.js';
import type { TokenRow } from '../auth/token.service.js';
import { decodeCursor, toPage, type Page } from '../common/pagination.js';
import type { TokenView } from './token.dto.js';

const view = (r: TokenRow): TokenView => ({
  id: r.id,
  name: r.name,
  role: r.role,
  environments: r.environments,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: r.expires_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
});

export class ListTokens extends Query<Page<TokenView>> {
  constructor(readonly page: { limit: number; cursor?: string }) {
    super();
  }
}

// api_tokens is written synchronously (it is no projection), so there is no position to wait for.
@QueryHandler(ListTokens)
export class ListTokensHandler implements IQueryHandler<ListTokens> {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async execute({ page }: ListTokens): Promise<Page<TokenView>> {
    const after = decodeCursor(page.cursor, ['string'] as const)?.[0] ?? '';
    // Columns named one by one: secret_hash never leaves the table.
    const { rows } = await this.pool.query<TokenRow>(
      `SELECT id, name, role, environments, created_by, created_at, expires_at, revoked_at, last_used_at
       FROM api_tokens WHERE name > $1 ORDER BY name LIMIT $2`,
      [after, page.limit + 1],
    );
    return toPage(rows, page.limit, view, (r) => [r.name]);
  }
}

export const tokenQueryHandlers = [ListTokensHandler];
