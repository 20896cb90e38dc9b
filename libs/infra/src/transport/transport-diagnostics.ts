import type { EventTransport } from '#domain';

export interface PartitionLag {
  group: string;
  partition: number;
  /** Events (Postgres log: log positions) the group has not handled yet on this partition. */
  events: number;
}

export interface TransportCheck {
  up: boolean;
  /** What an operator reads in a 503: what is wrong, or what is fine. */
  detail: string;
}

/**
 * What a transport tells metrics and readiness about itself. Kept out of the domain
 * port: it is about operating an adapter, not about delivering events.
 */
export interface TransportDiagnostics {
  /** Lag of the partitions this process holds, for every group subscribed here. */
  lag(): Promise<PartitionLag[]>;
  /** The connection events arrive on (Postgres log: the LISTEN connection; Kafka: the consumers' broker connections). */
  connection(): TransportCheck;
  /** Whether every group subscribed here is a live member of its consumer group. */
  membership(): TransportCheck;
}

export function hasDiagnostics(transport: EventTransport): transport is EventTransport & TransportDiagnostics {
  const t = transport as Partial<TransportDiagnostics>;
  return typeof t.lag === 'function' && typeof t.connection === 'function' && typeof t.membership === 'function';
}
