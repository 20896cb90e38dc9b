import type { GroupCoordinator } from '../group-coordinator.js';
import type { BrokerLogger } from '../logger.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { TopicStore } from '../topic-store.js';

/** What every handler may see of the running broker. */
export interface BrokerContext {
  nodeId: number;
  host: string;
  port: number;
  clusterId: string;
  store: TopicStore;
  groups: GroupCoordinator;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  log: BrokerLogger;
  /** Requests served per API name, for tests asserting that idle clients do not spin. */
  requestCounts: Map<string, number>;
  /** Version ranges advertised in ApiVersions; filled from the handler table. */
  apis: { apiKey: number; minVersion: number; maxVersion: number }[];
}

export interface RequestContext {
  version: number;
  clientId: string;
  clientHost: string;
  /** Aborted when the connection closes or the broker stops, so parked requests stop waiting. */
  signal: AbortSignal;
  broker: BrokerContext;
}

export interface ApiHandler {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /**
   * Returns the response body, or null when the protocol says no response is sent
   * (Produce with acks=0). Handlers only see versions inside [minVersion, maxVersion].
   */
  handle(body: Reader, ctx: RequestContext): Writer | null | Promise<Writer | null>;
}

/** Kafka sends throttle_time_ms from some version on; this broker never throttles. */
export function throttleIf(w: Writer, condition: boolean): Writer {
  return condition ? w.int32(0) : w;
}
