import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Connection } from './connection.js';
import { GroupCoordinator, type GroupDescription } from './group-coordinator.js';
import { apiVersionsHandler } from './handlers/api-versions.js';
import { createTopicsHandler } from './handlers/create-topics.js';
import { deleteTopicsHandler } from './handlers/delete-topics.js';
import { describeGroupsHandler } from './handlers/describe-groups.js';
import { fetchHandler } from './handlers/fetch.js';
import { findCoordinatorHandler } from './handlers/find-coordinator.js';
import type { ApiHandler, BrokerContext } from './handlers/handler.js';
import { heartbeatHandler } from './handlers/heartbeat.js';
import { joinGroupHandler } from './handlers/join-group.js';
import { leaveGroupHandler } from './handlers/leave-group.js';
import { listOffsetsHandler } from './handlers/list-offsets.js';
import { metadataHandler } from './handlers/metadata.js';
import { offsetCommitHandler } from './handlers/offset-commit.js';
import { offsetFetchHandler } from './handlers/offset-fetch.js';
import { produceHandler } from './handlers/produce.js';
import { syncGroupHandler } from './handlers/sync-group.js';
import { silentLogger, type BrokerLogger } from './logger.js';
import type { DecodedRecord } from './protocol/record-batch.js';
import { TopicStore, type TopicInfo } from './topic-store.js';

export interface KafkaTestBrokerOptions {
  /** 0 (default) picks a free port on first start; restarts keep whatever port was bound. */
  port?: number;
  host?: string;
  nodeId?: number;
  /** Partitions for topics auto-created by Metadata or created with num_partitions -1. */
  defaultPartitions?: number;
  autoCreateTopics?: boolean;
  /**
   * Kafka's group.min.session.timeout.ms defaults to 6 s; tests want shorter sessions so
   * failover runs in seconds, hence 1 s here.
   */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  /** Kafka's group.initial.rebalance.delay.ms; 0 (default) rebalances as soon as a group forms. */
  initialRebalanceDelayMs?: number;
  logger?: BrokerLogger;
}

const HANDLERS: readonly ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
];

/**
 * In-process, single-node Kafka look-alike speaking the real wire protocol over TCP, for tests
 * (and `npm run test-broker`). State lives in memory and survives stop()/start(), so a test can
 * take the broker away from connected clients and bring it back as a restarted Kafka would.
 */
export class KafkaTestBroker {
  private readonly handlers = new Map(HANDLERS.map((h) => [h.apiKey, h]));
  private readonly ctx: BrokerContext;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private connectionSeq = 0;

  constructor(options: KafkaTestBrokerOptions = {}) {
    const log = options.logger ?? silentLogger;
    this.ctx = {
      nodeId: options.nodeId ?? 1,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      clusterId: `circle-test-${randomUUID()}`,
      store: new TopicStore(),
      groups: new GroupCoordinator(
        {
          minSessionTimeoutMs: options.minSessionTimeoutMs ?? 1000,
          maxSessionTimeoutMs: options.maxSessionTimeoutMs ?? 300_000,
          initialRebalanceDelayMs: options.initialRebalanceDelayMs ?? 0,
        },
        log,
      ),
      autoCreateTopics: options.autoCreateTopics ?? true,
      defaultPartitions: options.defaultPartitions ?? 1,
      log,
      requestCounts: new Map(),
      apis: HANDLERS.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })).sort((a, b) => a.apiKey - b.apiKey),
    };
  }

  get port(): number {
    return this.ctx.port;
  }

  /** Bootstrap list for kafkajs' `brokers` option. */
  get brokers(): string[] {
    return [`${this.ctx.host}:${this.ctx.port}`];
  }

  get running(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      const conn = new Connection(socket, ++this.connectionSeq, this.ctx, this.handlers);
      this.connections.add(conn);
      socket.on('close', () => this.connections.delete(conn));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.ctx.port, this.ctx.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === 'object') this.ctx.port = address.port;
    this.server = server;
    this.ctx.groups.resume();
    this.ctx.log.info(`kafka test broker listening on ${this.brokers[0]}`);
  }

  /** Drops every connection and stops listening; topics, offsets and groups are kept for start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.ctx.groups.suspend();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.connections) c.close();
    this.connections.clear();
    await closed;
    this.ctx.log.info(`kafka test broker on port ${this.ctx.port} stopped`);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  createTopic(name: string, partitions = this.ctx.defaultPartitions): void {
    if (!this.ctx.store.has(name)) this.ctx.store.create(name, partitions);
  }

  topics(): TopicInfo[] {
    return this.ctx.store.describe();
  }

  /** Records of one partition, decoded (uncompressed and gzip batches). */
  records(topic: string, partition: number): DecodedRecord[] {
    return this.ctx.store.partition(topic, partition)?.records() ?? [];
  }

  /** Committed offsets as `{ topic: { partition: offset } }`. */
  committedOffsets(groupId: string): Record<string, Record<number, number>> {
    const out: Record<string, Record<number, number>> = {};
    for (const [topic, byPartition] of this.ctx.groups.committed(groupId)) {
      out[topic] = Object.fromEntries([...byPartition].map(([p, c]) => [p, c.offset]));
    }
    return out;
  }

  describeGroup(groupId: string): GroupDescription {
    return this.ctx.groups.describe(groupId);
  }

  /** How many requests of one API (by protocol name, e.g. 'Fetch') were served so far. */
  requestCount(apiName: string): number {
    return this.ctx.requestCounts.get(apiName) ?? 0;
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}
