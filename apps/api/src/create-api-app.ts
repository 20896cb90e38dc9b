import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { Readable } from 'node:stream';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Logger } from '#infra/logging/logger.js';
import { PinoNestLogger } from '#infra/nest/pino-nest-logger.js';
import { withLogContext } from '#infra/logging/log-context.js';
import { ApiModule, type ApiModuleOptions } from './api.module.js';
import { bootstrapAdminToken } from './auth/bootstrap-admin.js';
import type { Principal } from './auth/principal.js';
import { TokenService } from './auth/token.service.js';
import { ApiError } from './common/problem.js';
import { sendProblem, toProblem } from './common/problem-details.filter.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

export interface ApiAppOptions extends ApiModuleOptions {
  logger: Logger;
  /** CIRCLE_ADMIN_TOKEN; see bootstrapAdminToken. */
  adminToken?: string;
  /** Where the first-start admin token is printed (tests capture it). */
  print?: (line: string) => void;
  /** Requests per minute per token (per source address for webhooks and anonymous calls); 0 turns limiting off. */
  rateLimitPerMinute?: number;
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('circle')
    .setDescription(
      'Release management for many Kubernetes clusters. Every write is an event in an append-only log; ' +
        'errors are application/problem+json (RFC 9457) with a stable `code`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API token (viewer, deployer, release-manager or admin).' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/**
 * Builds the HTTP app without listening, so tests drive over real HTTP exactly the app
 * production serves.
 */
export async function createApiApp(options: ApiAppOptions): Promise<NestFastifyApplication> {
  const { adminToken, print, rateLimitPerMinute = 1200, ...moduleOptions } = options;
  const logger = options.logger.child({ component: 'api' });
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: false,
    // A caller's correlation id is kept so its logs and ours can be joined; otherwise one is made.
    requestIdHeader: false,
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot({ ...moduleOptions, logger }), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // First hook of all, so every later hook, guard, handler and error path runs inside
  // the request's log context (the pattern @fastify/request-context uses).
  fastify.addHook('onRequest', (request, _reply, done) => {
    withLogContext({ correlationId: String(request.id) }, done);
  });
  fastify.addHook('onResponse', (request: FastifyRequest & { principal?: Principal }, reply, done) => {
    const quiet = request.url.startsWith('/health') || request.url === '/metrics';
    logger[quiet ? 'debug' : 'info'](
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        actor: request.principal?.name,
      },
      'request completed',
    );
    done();
  });
  // Security headers on every answer. No CSP here: the JSON API has no documents to
  // protect, and /docs (Swagger UI) needs its inline script.
  await app.register(helmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
  if (rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: rateLimitPerMinute,
      timeWindow: '1 minute',
      // Per token, so one busy CI system cannot starve the others; webhooks and calls
      // without a token count per source address. Only a hash of the token is kept.
      keyGenerator: (request) => {
        const auth = request.headers.authorization;
        if (typeof auth === 'string' && !request.url.startsWith('/v1/webhooks/')) {
          return `token:${createHash('sha256').update(auth).digest('base64url')}`;
        }
        return `${request.url.startsWith('/v1/webhooks/') ? 'webhook' : 'anonymous'}:${request.ip}`;
      },
      // Probes and scrapes come every few seconds from the platform, not from users.
      allowList: (request) => request.url.startsWith('/health') || request.url.startsWith('/metrics'),
      errorResponseBuilder: (_request, context) =>
        new ApiError(429, 'RATE_LIMITED', `more than ${context.max} requests per ${context.after}; retry after the Retry-After header`),
    });
  }
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-correlation-id', String(request.id));
    // The API speaks JSON only. Fastify would parse text/plain into a string and let
    // validation call it a bad body; the honest answer is 415.
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (hasBody && !JSON_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
    }
  });
  // Webhook signatures cover the exact bytes sent, which JSON.parse does not keep; the
  // receivers alone get the raw body (bounded by the same limit) beside the parsed one.
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (request.method !== 'POST' || !request.url.startsWith('/v1/webhooks/')) return payload;
    const tooLarge = () => new ApiError(413, 'PAYLOAD_TOO_LARGE', 'the request body is larger than 1 MiB');
    if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    (request as FastifyRequest & { rawBody?: Buffer }).rawBody = raw;
    const replay = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
    replay.receivedEncodedLength = raw.length;
    return replay;
  });
  // Errors raised before a route handler runs (body too large, bad JSON, wrong content
  // type) never reach Nest's filters; they get the same problem+json here.
  fastify.setErrorHandler((error, request: FastifyRequest, reply) => {
    sendProblem(reply, request, toProblem(error, logger, request));
  });

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', raw: ['json'] });

  await app.init();
  await bootstrapAdminToken(app.get(TokenService), { secret: adminToken, logger, print });
  return app;
}
