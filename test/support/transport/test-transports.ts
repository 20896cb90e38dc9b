import type pg from 'pg';
import type { EventTransport } from '#domain';
import { KafkaTransport } from '#infra/transport/kafka-transport.js';
import { PostgresLogTransport } from '#infra/transport/postgres-log-transport.js';

export type TransportKind = 'postgres-log' | 'kafka';

export interface TestTransportSettings {
  kind: TransportKind;
  pool: pg.Pool;
  partitions: number;
  brokers?: string[];
  topic?: string;
  memberId?: string;
  /** Short enough that failover tests run in seconds. */
  leaseMs?: number;
  sessionTimeoutMs?: number;
  maxAttempts?: number;
  relay?: boolean;
}

export interface TestTransport extends EventTransport {
  assignedPartitions(handler: string): number[];
}

/** The transports with the short timings tests use; child consumer processes build theirs here too. */
export function createTestTransport(settings: TestTransportSettings): TestTransport {
  const retry = { maxAttempts: settings.maxAttempts ?? 3, initialDelayMs: 20, maxDelayMs: 100 };
  if (settings.kind === 'postgres-log') {
    return new PostgresLogTransport({
      pool: settings.pool,
      partitions: settings.partitions,
      leaseMs: settings.leaseMs ?? 1500,
      commitIntervalMs: 100,
      pollIntervalMs: 250,
      retry,
      ...(settings.memberId ? { memberId: settings.memberId } : {}),
    });
  }
  const sessionTimeoutMs = settings.sessionTimeoutMs ?? 3000;
  return new KafkaTransport({
    pool: settings.pool,
    brokers: settings.brokers ?? [],
    clientId: settings.memberId ?? 'circle-test',
    topic: settings.topic ?? 'circle.events',
    partitions: settings.partitions,
    replicationFactor: 1,
    sessionTimeoutMs,
    heartbeatIntervalMs: Math.floor(sessionTimeoutMs / 10),
    rebalanceTimeoutMs: sessionTimeoutMs * 2,
    maxWaitTimeMs: 250,
    pollIntervalMs: 250,
    standbyRetryMs: 250,
    retry,
    relay: settings.relay ?? true,
  });
}
