import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type Provider,
  type Type,
} from '@nestjs/common';
import type pg from 'pg';
import type { EventHandler, EventTransport, Subscription } from '#domain';
import type { Logger } from '../logging/logger.js';
import type { CircleMetrics } from '../metrics/circle-metrics.js';
import { createEventTransport, type TransportSettings } from '../transport/create-event-transport.js';
import { hasDiagnostics } from '../transport/transport-diagnostics.js';
import { EVENT_HANDLERS, EVENT_TRANSPORT, METRICS, PG_POOL } from './tokens.js';

export interface TransportModuleOptions {
  settings: TransportSettings;
  /** Handler classes; each becomes a provider and is subscribed once the app has started. */
  handlers: readonly Type<EventHandler>[];
  logger?: Logger;
}

/**
 * Starts the transport (and with Kafka the relay) once every module is initialised,
 * subscribes each handler, and on shutdown closes the subscriptions — stop fetching,
 * finish in-flight handlers, commit, leave the group — before the pool is closed
 * (beforeApplicationShutdown runs ahead of every onApplicationShutdown).
 */
@Injectable()
class TransportLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscriptions: Subscription[] = [];
  private unwatch: (() => void) | null = null;

  constructor(
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    @Inject(EVENT_HANDLERS) private readonly handlers: readonly EventHandler[],
    @Inject(METRICS) private readonly metrics: CircleMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.transport.start();
    for (const handler of this.handlers) this.subscriptions.push(await this.transport.subscribe(handler));
    const transport = this.transport;
    if (hasDiagnostics(transport)) {
      this.unwatch = this.metrics.transportLag.addProbe(async () =>
        (await transport.lag()).map((l) => ({ labels: { group: l.group, partition: String(l.partition) }, value: l.events })),
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unwatch?.();
    this.unwatch = null;
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    await Promise.all(subscriptions.map((s) => s.close()));
    await this.transport.stop();
  }
}

/**
 * The event transport for a worker: the Postgres log, or Kafka when KAFKA_BROKERS is set.
 * Handlers are a registry: a later feature adds its class to the list the worker passes
 * in, and it receives its events with the same retries, dead letters and partitioning.
 */
@Module({})
export class TransportModule {
  static forRoot(options: TransportModuleOptions): DynamicModule {
    const handlerProviders: Provider[] = [...options.handlers];
    return {
      module: TransportModule,
      providers: [
        ...handlerProviders,
        {
          provide: EVENT_HANDLERS,
          useFactory: (...handlers: EventHandler[]) => handlers,
          inject: [...options.handlers],
        },
        {
          provide: EVENT_TRANSPORT,
          useFactory: (pool: pg.Pool, metrics: CircleMetrics) =>
            createEventTransport(options.settings, pool, options.logger?.child({ component: 'transport' }), metrics),
          inject: [PG_POOL, METRICS],
        },
        TransportLifecycle,
      ],
      exports: [EVENT_TRANSPORT, EVENT_HANDLERS],
    };
  }
}
