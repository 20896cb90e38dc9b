import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '#infra/logging/logger.js';
import { PROBLEM_CONTENT_TYPE, problem, problemFromKnownError, type ProblemDetails } from './problem.js';

/** Fastify's own rejections (body parsing, limits) carry these codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', detail: 'the request body is larger than 1 MiB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'MALFORMED_REQUEST', detail: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', detail: 'the body is empty but Content-Type says JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', detail: 'the body is not valid JSON' },
};

export function toProblem(error: unknown, logger: Logger, request: FastifyRequest): ProblemDetails {
  const known = problemFromKnownError(error);
  if (known?.code === 'DATABASE_UNAVAILABLE') logger.warn({ err: error, correlationId: request.id, method: request.method, url: request.url }, 'database unavailable');
  if (known) return known;
  const fastifyCode = (error as { code?: string }).code;
  if (fastifyCode && FASTIFY_CODES[fastifyCode]) {
    const { status, code, detail } = FASTIFY_CODES[fastifyCode];
    return problem(status, code, detail);
  }
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return problem(400, 'MALFORMED_JSON', `the body is not valid JSON: ${error.message}`);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Nest wraps Fastify's body-parser errors; the original keeps the precise code.
    const cause = (error as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== error) return toProblem(cause, logger, request);
    if (status === 404) return problem(404, 'ROUTE_NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
    if (status < 500) return problem(status, `HTTP_${status}`, error.message);
  }
  // Anything else is our bug, not the client's: log it in full with the correlation id
  // the client gets, and tell the client nothing about internals.
  logger.error({ err: error, correlationId: request.id, method: request.method, url: request.url }, 'unhandled error');
  return problem(500, 'INTERNAL_ERROR', 'an unexpected error occurred; quote the correlationId when reporting it');
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, body: ProblemDetails): void {
  const full: ProblemDetails = { ...body, instance: request.url.split('?')[0], correlationId: String(request.id) };
  if (full.status === 503 && full.code === 'DATABASE_UNAVAILABLE') void reply.header('retry-after', '1');
  void reply.status(full.status).header('content-type', PROBLEM_CONTENT_TYPE).send(full);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    sendProblem(http.getResponse<FastifyReply>(), request, toProblem(error, this.logger, request));
  }
}
