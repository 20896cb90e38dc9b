import { TaskCancelledError } from 'cockatiel';
import { ClusterGatewayError, type ClusterErrorCode } from '#domain/ports/cluster-gateway.port.js';
import { httpStatusOf, isCircuitOpen, isNetworkError } from './cluster-resilience.js';

/** The `Status` object a Kubernetes API server puts in an error response, as far as we read it. */
interface StatusBody {
  message?: string;
  reason?: string;
}

function statusBody(error: unknown): StatusBody | null {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as unknown;
      return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : null;
    } catch {
      return null;
    }
  }
  return typeof body === 'object' && body !== null ? (body as StatusBody) : null;
}

/** The `reason` of a Kubernetes error response (Conflict, AlreadyExists, NotFound...), if any. */
export function statusReason(error: unknown): string | null {
  return statusBody(error)?.reason ?? null;
}

function codeForStatus(status: number): ClusterErrorCode {
  if (status === 404) return 'CLUSTER_NOT_FOUND';
  if (status === 409) return 'CLUSTER_CONFLICT';
  if (status === 401 || status === 403) return 'CLUSTER_UNAUTHORIZED';
  if (status === 400 || status === 405 || status === 415 || status === 422) return 'CLUSTER_INVALID_REQUEST';
  return 'CLUSTER_REQUEST_FAILED';
}

/**
 * Wraps whatever client-node, node-fetch or cockatiel threw into a
 * ClusterGatewayError with the cluster and operation. The detail is built from the
 * HTTP status, the server's Status message, or the network error code, never from
 * the client's own message, which may carry request options.
 */
export function toClusterError(error: unknown, cluster: string, operation: string, timeoutMs: number): ClusterGatewayError {
  if (error instanceof ClusterGatewayError) return error;
  if (isCircuitOpen(error)) {
    return new ClusterGatewayError('CLUSTER_CIRCUIT_OPEN', cluster, operation, 'circuit open after repeated failures; failing fast until the half-open trial');
  }
  if (error instanceof TaskCancelledError) {
    return new ClusterGatewayError('CLUSTER_UNREACHABLE', cluster, operation, `no answer within ${timeoutMs} ms`);
  }
  const status = httpStatusOf(error);
  if (status !== null) {
    const body = statusBody(error);
    const message = body?.message ? `: ${body.message.slice(0, 300)}` : '';
    return new ClusterGatewayError(codeForStatus(status), cluster, operation, `HTTP ${status}${body?.reason ? ` ${body.reason}` : ''}${message}`, status);
  }
  if (isNetworkError(error)) {
    const e = error as { code?: string; errno?: string; name?: string; cause?: { code?: string } };
    const code = e.code ?? e.errno ?? e.cause?.code ?? e.name ?? 'network error';
    return new ClusterGatewayError('CLUSTER_UNREACHABLE', cluster, operation, `connection failed (${code})`);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ClusterGatewayError('CLUSTER_REQUEST_FAILED', cluster, operation, `unexpected ${name}`);
}
