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
import { createEventTransport, type TransportSettings } from '../transport/create-event-transport.js';
import { EVENT_HANDLERS, EVENT_TRANSPORT, PG_POOL } from './tokens.js';

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

  constructor(
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    @Inject(EVENT_HANDLERS) private readonly handlers: readonly EventHandler[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.transport.start();
    for (const handler of this.handlers) this.subscriptions.push(await this.transport.subscribe(handler));
  }

  async beforeApplicationShutdown(): Promise<void> {
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
          useFactory: (pool: pg.Pool) => createEventTransport(options.settings, pool, options.logger?.child({ component: 'transport' })),
          inject: [PG_POOL],
        },
        TransportLifecycle,
      ],
      exports: [EVENT_TRANSPORT],
    };
  }
}
