import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import type { Clock } from '#domain';
import { CLOCK, PG_POOL } from '#infra/nest/tokens.js';
import type { Role } from '../auth/principal.js';
import { TokenService, type TokenRecord } from '../auth/token.service.js';
import { CommandExecutor } from '../common/command-executor.js';
import { ApiError } from '../common/problem.js';
import { eventMetadata, type RequestContext } from '../common/request-context.js';
import type { IssuedToken, TokenView } from './token.dto.js';
import { tokenStreamId, type TokenEvent } from './token.events.js';

export const tokenView = (r: TokenRecord): TokenView => ({
  id: r.id,
  name: r.name,
  role: r.role,
  environments: r.environments,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt?.toISOString() ?? null,
  revokedAt: r.revokedAt?.toISOString() ?? null,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
});

export class IssueToken extends Command<{ token: IssuedToken; position: number }> {
  constructor(
    readonly input: { name: string; role: Role; environments: string[]; expiresAt: Date | null },
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export class RevokeToken extends Command<{ token: TokenView; position: number }> {
  constructor(
    readonly id: string,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export class ChangeTokenExpiry extends Command<{ token: TokenView; position: number }> {
  constructor(
    readonly id: string,
    readonly expiresAt: Date,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(IssueToken)
export class IssueTokenHandler implements ICommandHandler<IssueToken> {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: IssueToken): Promise<{ token: IssuedToken; position: number }> {
    // A replayed answer would have to be stored, secret included, in idempotency_keys;
    // the secret must exist only in this one response.
    if (ctx.idempotencyKey !== null) {
      throw new ApiError(
        400,
        'IDEMPOTENCY_KEY_NOT_SUPPORTED',
        'issuing a token cannot be replayed (its secret is never stored); send it without Idempotency-Key and list tokens to see whether an earlier attempt succeeded',
      );
    }
    if (input.expiresAt !== null && input.expiresAt <= this.clock.now()) {
      throw new ApiError(400, 'VALIDATION_FAILED', '1 field failed validation', {
        errors: [{ field: 'expiresAt', message: 'expiresAt must be in the future' }],
      });
    }
    const { record, secret } = await this.tokens.issue({ ...input, createdBy: ctx.principal.name });
    const issued: TokenEvent = {
      type: 'ApiTokenIssued',
      data: {
        id: record.id,
        name: record.name,
        role: record.role,
        environments: record.environments,
        expiresAt: record.expiresAt?.toISOString() ?? null,
        issuedAt: record.createdAt.toISOString(),
      },
    };
    try {
      const { globalPosition } = await this.commands.store.append(
        tokenStreamId(record.id),
        [{ event: issued, metadata: eventMetadata(ctx) }],
        'no_stream',
      );
      return { token: { ...tokenView(record), token: secret }, position: globalPosition };
    } catch (error) {
      // A token the log does not know about would be an unaudited credential; the client
      // never saw its secret, so removing it outright is safe.
      await this.pool.query('DELETE FROM api_tokens WHERE id = $1', [record.id]).catch(() => undefined);
      throw error;
    }
  }
}

/**
 * Records a change already made to api_tokens. The change comes first: it must hold even
 * if recording it fails, and repeating it is harmless. Tokens made outside the API (the
 * bootstrap admin) have no stream yet.
 */
function recordTokenChange(
  commands: CommandExecutor,
  record: TokenRecord,
  event: TokenEvent,
  ctx: RequestContext,
  alreadyRecorded: (history: readonly { type: string; data: unknown }[]) => boolean,
): Promise<{ token: TokenView; position: number }> {
  const streamId = tokenStreamId(record.id);
  return commands.runMany(async () => {
    const history = await commands.store.readStream(streamId);
    const last = history[history.length - 1];
    return {
      appends: [
        {
          streamId,
          expectedVersion: last ? last.streamVersion : 'no_stream',
          events: alreadyRecorded(history) ? [] : [{ event, metadata: eventMetadata(ctx) }],
        },
      ],
      result: (position) => ({ token: tokenView(record), position: position || (last?.globalPosition ?? 0) }),
    };
  });
}

@CommandHandler(RevokeToken)
export class RevokeTokenHandler implements ICommandHandler<RevokeToken> {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
  ) {}

  async execute({ id, ctx }: RevokeToken): Promise<{ token: TokenView; position: number }> {
    const record = await this.tokens.revoke(id);
    const revoked: TokenEvent = { type: 'ApiTokenRevoked', data: { id, name: record.name, revokedAt: record.revokedAt!.toISOString() } };
    return recordTokenChange(this.commands, record, revoked, ctx, (history) => history.some((e) => e.type === 'ApiTokenRevoked'));
  }
}

@CommandHandler(ChangeTokenExpiry)
export class ChangeTokenExpiryHandler implements ICommandHandler<ChangeTokenExpiry> {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
  ) {}

  async execute({ id, expiresAt, ctx }: ChangeTokenExpiry): Promise<{ token: TokenView; position: number }> {
    const record = await this.tokens.expire(id, expiresAt);
    const at = record.expiresAt!.toISOString();
    const changed: TokenEvent = { type: 'ApiTokenExpiryChanged', data: { id, name: record.name, expiresAt: at } };
    // A retried request must not tell the same change twice.
    const same = (e: { type: string; data: unknown }): boolean => e.type === 'ApiTokenExpiryChanged' && (e.data as { expiresAt: string }).expiresAt === at;
    return recordTokenChange(this.commands, record, changed, ctx, (history) => history.length > 0 && same(history[history.length - 1]!));
  }
}

export const tokenCommandHandlers = [IssueTokenHandler, RevokeTokenHandler, ChangeTokenExpiryHandler];
