import { ConcurrencyError, DomainError, type DomainErrorKind } from '#domain';
import { EventDataRefusedError } from '#infra/event-store/postgres-event-store.js';

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. "images.0.digest". */
  field: string;
  message: string;
}

/** RFC 9457 problem details, with circle's stable `code` and the request's correlation id. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  validation: 400,
  not_found: 404,
  conflict: 409,
  rule: 422,
};

/** An error the API raises itself (auth, idempotency, limits) with a stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function problem(
  status: number,
  code: string,
  detail: string,
  extensions: Partial<ProblemDetails> & Record<string, unknown> = {},
): ProblemDetails {
  return {
    type: `https://circle.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extensions,
  };
}

/**
 * Errors that mean "the database is not there right now" (restart, failover, network),
 * found anywhere in the error's cause chain: pg's connection-exception (08) and
 * operator-intervention (57P) SQLSTATEs, refused or reset sockets, and pg's own messages
 * for a connection that died under a request.
 */
function databaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (/^(08|57P)/.test(code) || code === 'ECONNREFUSED' || code === 'ECONNRESET')) return true;
    if (/Connection terminated|not queryable|timeout exceeded when trying to connect/.test(e.message)) return true;
  }
  return false;
}

/** The one place where a domain or infrastructure error becomes an HTTP status. */
export function problemFromKnownError(error: unknown): ProblemDetails | null {
  if (databaseUnavailable(error)) {
    // Not the client's fault and not a bug: a retry (with the same Idempotency-Key) is
    // safe and soon succeeds, which 503 with Retry-After says and 500 does not.
    return problem(503, 'DATABASE_UNAVAILABLE', 'the database is not reachable right now; retry the request with the same Idempotency-Key');
  }
  if (error instanceof DomainError) {
    return problem(STATUS_BY_KIND[error.kind], error.code, error.message, Object.keys(error.details).length ? { details: error.details } : {});
  }
  if (error instanceof EventDataRefusedError) {
    return problem(400, error.code, 'a value in the request cannot be stored (a character or number the database refuses); change it and retry');
  }
  if (error instanceof ConcurrencyError) {
    return problem(409, error.code, `${error.streamId} was changed by another request at the same time; read it again and retry`, {
      details: { stream: error.streamId },
    });
  }
  if (error instanceof ApiError) {
    return problem(error.status, error.code, error.message, error.extensions);
  }
  return null;
}
