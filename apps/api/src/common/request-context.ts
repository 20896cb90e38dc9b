import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { EventMetadata } from '#domain';
import type { Principal } from '../auth/principal.js';

/** Who is asking and under which correlation id; every command carries it into event metadata. */
export interface RequestContext {
  principal: Principal;
  correlationId: string;
  /** The client's Idempotency-Key, when sent; also the causation id of the events. */
  idempotencyKey: string | null;
}

export function eventMetadata(ctx: RequestContext): EventMetadata {
  return {
    actor: ctx.principal.name,
    source: 'api',
    correlationId: ctx.correlationId,
    causationId: ctx.idempotencyKey ?? ctx.correlationId,
    tokenId: ctx.principal.tokenId,
  };
}

export const Ctx = createParamDecorator((_data: unknown, host: ExecutionContext): RequestContext => {
  const request = host.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
  if (!request.principal) throw new Error('route without authentication asked for a request context');
  const key = request.headers['idempotency-key'];
  return {
    principal: request.principal,
    correlationId: String(request.id),
    idempotencyKey: typeof key === 'string' ? key : null,
  };
});
