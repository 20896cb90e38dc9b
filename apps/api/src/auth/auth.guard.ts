import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/problem.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './auth.decorators.js';
import { roleAtLeast, type Principal, type Role } from './principal.js';
import { TokenService } from './token.service.js';

/**
 * Every route needs a bearer token unless marked @Public; a route without @RequireRole
 * needs at least `viewer`. Failing closed means a new route is never accidentally open.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { principal?: Principal }>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer realm="circle"');
      throw new ApiError(401, 'UNAUTHENTICATED', 'send an API token as "Authorization: Bearer <token>"');
    }
    const principal = await this.tokens.verify(match[1]!);
    if (!principal) {
      void http.getResponse<FastifyReply>().header('www-authenticate', 'Bearer realm="circle", error="invalid_token"');
      throw new ApiError(401, 'INVALID_TOKEN', 'the token is unknown, expired or revoked');
    }
    request.principal = principal;
    const required = this.reflector.getAllAndOverride<Role>(REQUIRED_ROLE, targets) ?? 'viewer';
    if (!roleAtLeast(principal.role, required)) {
      throw new ApiError(403, 'FORBIDDEN', `this needs the ${required} role; token '${principal.name}' has ${principal.role}`, {
        requiredRole: required,
      });
    }
    return true;
  }
}
