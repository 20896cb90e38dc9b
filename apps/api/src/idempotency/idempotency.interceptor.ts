import { createHash } from 'node:crypto';
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { ExponentialBackoff, handleAll, retry, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { canonicalJson } from '#domain';
import type { Logger } from '#infra/logging/logger.js';
import { LOGGER, PG_POOL } from '#infra/nest/tokens.js';
import { ApiError } from '../common/problem.js';
import type { Principal } from '../auth/principal.js';

/** Response headers worth replaying: where the resource is and which log position it produced. */
const REPLAYED_HEADERS = ['location', 'x-circle-position'];
/**
 * A request that crashed between acting and recording its answer leaves its key "in
 * progress"; after this long a retry may run it again. Commands are safe to repeat (the
 * deciders treat the same content as a retry, and rollout ids derive from the key).
 */
const ABANDONED_AFTER_MS = 60_000;

/** Background retries of recording or releasing a key: about as long as a key takes to count as abandoned. */
const SETTLE_RETRIES = wrap(
  timeout(ABANDONED_AFTER_MS, TimeoutStrategy.Aggressive),
  retry(handleAll, { maxAttempts: Infinity, backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 5_000 }) }),
);
const KEY = /^[\x21-\x7e]{1,255}$/;

interface StoredKey {
  request_hash: string;
  status: number | null;
  response: unknown;
  headers: Record<string, string> | null;
  created_at: Date;
}

/**
 * Stripe-style Idempotency-Key on every POST: the first request's answer is stored and
 * returned to every repeat with the same key and body; the same key with a different
 * body is a client bug and gets 422. Keys are scoped to the token, so two CI systems
 * cannot collide.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { principal?: Principal }>();
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.principal) return next.handle();
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw new ApiError(400, 'IDEMPOTENCY_KEY_INVALID', 'Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const reply = http.getResponse<FastifyReply>();
    return from(this.run(request.principal.tokenId, key, request, reply, next));
  }

  private async run(
    tokenId: string,
    key: string,
    request: FastifyRequest,
    reply: FastifyReply,
    next: CallHandler,
  ): Promise<unknown> {
    const path = request.url.split('?')[0]!;
    const hash = createHash('sha256').update(`${request.method} ${path}\n${canonicalJson(request.body ?? null)}`).digest('hex');
    let existing: StoredKey | null = null;
    // The row can vanish between a failed claim and the read (its request failed and
    // released the key), so claim again rather than trust the first answer.
    for (let attempt = 0; attempt < 3 && existing === null; attempt += 1) {
      if (await this.claim(tokenId, key, request.method, path, hash)) break;
      existing = await this.load(tokenId, key);
    }
    if (existing !== null) {
      if (existing.request_hash !== hash) {
        throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request; use a new key');
      }
      if (existing.status === null) {
        throw new ApiError(409, 'IDEMPOTENCY_KEY_IN_PROGRESS', 'a request with this Idempotency-Key is still running; retry shortly');
      }
      for (const [name, value] of Object.entries(existing.headers ?? {})) void reply.header(name, value);
      void reply.header('idempotent-replayed', 'true').status(existing.status);
      return existing.response;
    }
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      // Nothing is recorded for a failed request, so the client may simply retry it.
      await this.settle('release', () =>
        this.pool.query('DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2 AND status IS NULL', [tokenId, key]),
      );
      throw error;
    }
    const headers = Object.fromEntries(
      REPLAYED_HEADERS.flatMap((h) => (reply.getHeader(h) !== undefined ? [[h, String(reply.getHeader(h))]] : [])),
    );
    await this.settle('record', () =>
      this.pool.query(
        `UPDATE idempotency_keys SET status = $3, response = $4, headers = $5, completed_at = now()
         WHERE token_id = $1 AND key = $2`,
        // Nest sets the route's @HttpCode before the handler runs, and a handler may
        // change it (200 for a repeat of an existing release): what is on the reply now
        // is what the client gets.
        [tokenId, key, reply.statusCode, JSON.stringify(body ?? null), JSON.stringify(headers)],
      ),
    );
    // The command is done even if its answer could not be recorded yet: the client gets it.
    return body;
  }

  /**
   * Records or releases a key, and keeps trying in the background when the database is
   * away (a restart, a failover). Giving up at once would leave the key "in progress",
   * so every retry of the request would get 409 IDEMPOTENCY_KEY_IN_PROGRESS until the
   * key counts as abandoned (ABANDONED_AFTER_MS), although the database was back within
   * seconds. Past that bound a retry takes the key over anyway, so the trying stops.
   */
  private async settle(what: 'record' | 'release', work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch {
      void SETTLE_RETRIES.execute(work).catch((error: unknown) =>
        this.logger.warn({ err: error }, `could not ${what} an Idempotency-Key; it counts as abandoned after ${ABANDONED_AFTER_MS} ms`),
      );
    }
  }

  /** True when this request now owns the key (new, or an abandoned one taken over). */
  private async claim(tokenId: string, key: string, method: string, path: string, hash: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO idempotency_keys (token_id, key, method, path, request_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (token_id, key) DO UPDATE SET created_at = now()
         WHERE idempotency_keys.status IS NULL
           AND idempotency_keys.request_hash = EXCLUDED.request_hash
           AND idempotency_keys.created_at < now() - make_interval(secs => $6)`,
      [tokenId, key, method, path, hash, ABANDONED_AFTER_MS / 1000],
    );
    return (rowCount ?? 0) > 0;
  }

  private async load(tokenId: string, key: string): Promise<StoredKey | null> {
    const { rows } = await this.pool.query<StoredKey>(
      'SELECT request_hash, status, response, headers, created_at FROM idempotency_keys WHERE token_id = $1 AND key = $2',
      [tokenId, key],
    );
    return rows[0] ?? null;
  }
}

