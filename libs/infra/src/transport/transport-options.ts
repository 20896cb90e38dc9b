import type { Logger } from '../logging/logger.js';
import type { CircleMetrics } from '../metrics/circle-metrics.js';

/** Retry policy for a failing handler; the same for both adapters. */
export interface RetryOptions {
  /** Tries per event, the first included; after the last one the event is dead-lettered. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetry: RetryOptions = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 2000 };

export interface CommonTransportOptions {
  retry?: Partial<RetryOptions>;
  /** Events read from the log per query (Postgres log reader, Kafka relay). */
  batchSize?: number;
  /** How often the log is polled when no notification arrives (LISTEN connection lost, missed wake-up). */
  pollIntervalMs?: number;
  logger?: Logger;
  /** Handler timings, failures and dead letters are counted here when given. */
  metrics?: CircleMetrics;
}
