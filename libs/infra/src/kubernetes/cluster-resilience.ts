import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { ApiException } from '@kubernetes/client-node';
import type { CircuitState as PortCircuitState } from '#domain/ports/cluster-gateway.port.js';

export interface ResilienceOptions {
  /** Per attempt, covering connect and response. */
  readonly requestTimeoutMs: number;
  /** Retries after the first attempt, for transient failures only. */
  readonly retries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Consecutive transient failures (after retries) that open a cluster's circuit. */
  readonly breakAfterFailures: number;
  /** How long an open circuit fails fast before one trial request goes through. */
  readonly halfOpenAfterMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  requestTimeoutMs: 10_000,
  retries: 3,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
  breakAfterFailures: 5,
  halfOpenAfterMs: 15_000,
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** Status of an HTTP error from client-node (ApiException) or its Watch (plain Error + statusCode). */
export function httpStatusOf(error: unknown): number | null {
  if (error instanceof ApiException) return error.code;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : null;
}

/** Connection-level failure: refused, reset, DNS, timed out, aborted. */
export function isNetworkError(error: unknown): boolean {
  if (error instanceof TaskCancelledError) return true;
  const e = error as { name?: string; code?: string; errno?: string; type?: string; cause?: unknown } | null;
  if (!e) return false;
  if (e.name === 'AbortError' || e.name === 'FetchError' || e.type === 'system') return true;
  if ((e.code && NETWORK_CODES.has(e.code)) || (e.errno && NETWORK_CODES.has(e.errno))) return true;
  return e.cause !== undefined && e.cause !== error && isNetworkError(e.cause);
}

/** Worth retrying, and counted against the cluster's circuit: network errors, 429, 5xx. */
export function isTransient(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== null) return status === 429 || status >= 500;
  return isNetworkError(error);
}

export function isCircuitOpen(error: unknown): boolean {
  return error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError;
}

/**
 * The policy stack of one cluster, outermost first:
 *   retry (exponential backoff, transient errors only)
 *     → circuit breaker (opens after N consecutive transient failures)
 *       → timeout per attempt (aborts the HTTP request through its signal).
 * An open circuit throws BrokenCircuitError at once, which retry does not retry, so
 * a dead cluster costs its callers microseconds instead of timeouts × retries, and
 * since every cluster has its own stack, nothing queues behind it.
 */
export class ClusterResilience {
  readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy<{ signal: AbortSignal }>;
  private readonly single: IPolicy<{ signal: AbortSignal }>;

  constructor(readonly options: ResilienceOptions) {
    const transient = handleWhen(isTransient);
    this.breaker = circuitBreaker(transient, { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.breakAfterFailures) });
    const perAttempt = timeout(options.requestTimeoutMs, TimeoutStrategy.Aggressive);
    const retries = retry(transient, {
      maxAttempts: options.retries,
      backoff: new ExponentialBackoff({ initialDelay: options.initialBackoffMs, maxDelay: options.maxBackoffMs }),
    });
    this.policy = wrap(retries, this.breaker, perAttempt);
    this.single = wrap(this.breaker, timeout(options.requestTimeoutMs, TimeoutStrategy.Aggressive));
  }

  /** Runs one API call with retries, breaker and timeout; `signal` aborts the attempt on timeout. */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.policy.execute(({ signal }) => fn(signal));
  }

  /** One attempt, no retries (for ping: it should report, not insist). */
  executeOnce<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.single.execute(({ signal }) => fn(signal));
  }

  get circuit(): PortCircuitState {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Isolated:
        return 'isolated';
    }
  }
}
