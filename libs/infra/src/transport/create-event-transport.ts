import type pg from 'pg';
import type { EventTransport } from '#domain';
import type { CircleConfig } from '../config/circle-config.js';
import type { Logger } from '../logging/logger.js';
import type { CircleMetrics } from '../metrics/circle-metrics.js';
import { KafkaTransport } from './kafka-transport.js';
import { PostgresLogTransport } from './postgres-log-transport.js';

export type TransportSettings = Pick<
  CircleConfig,
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_TOPIC'
  | 'KAFKA_PARTITIONS'
  | 'KAFKA_REPLICATION_FACTOR'
  | 'KAFKA_SESSION_TIMEOUT_MS'
  | 'TRANSPORT_PARTITIONS'
  | 'TRANSPORT_LEASE_MS'
  | 'TRANSPORT_MAX_ATTEMPTS'
  | 'TRANSPORT_RETRY_DELAY_MS'
  | 'TRANSPORT_RETRY_MAX_DELAY_MS'
  | 'TRANSPORT_POLL_INTERVAL_MS'
>;

/** Kafka when KAFKA_BROKERS is set, otherwise the Postgres log. */
export function createEventTransport(settings: TransportSettings, pool: pg.Pool, logger?: Logger, metrics?: CircleMetrics): EventTransport {
  const common = {
    pool,
    pollIntervalMs: settings.TRANSPORT_POLL_INTERVAL_MS,
    retry: {
      maxAttempts: settings.TRANSPORT_MAX_ATTEMPTS,
      initialDelayMs: settings.TRANSPORT_RETRY_DELAY_MS,
      maxDelayMs: settings.TRANSPORT_RETRY_MAX_DELAY_MS,
    },
    ...(logger ? { logger } : {}),
    ...(metrics ? { metrics } : {}),
  };
  if (settings.KAFKA_BROKERS) {
    return new KafkaTransport({
      ...common,
      brokers: settings.KAFKA_BROKERS.split(','),
      clientId: settings.KAFKA_CLIENT_ID,
      topic: settings.KAFKA_TOPIC,
      partitions: settings.KAFKA_PARTITIONS,
      replicationFactor: settings.KAFKA_REPLICATION_FACTOR,
      sessionTimeoutMs: settings.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: Math.max(100, Math.floor(settings.KAFKA_SESSION_TIMEOUT_MS / 10)),
    });
  }
  return new PostgresLogTransport({ ...common, partitions: settings.TRANSPORT_PARTITIONS, leaseMs: settings.TRANSPORT_LEASE_MS });
}
