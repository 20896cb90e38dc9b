import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { systemClock, type Clock } from '#domain';
import { loadConfig } from '../config/circle-config.js';
import { SECRET_CIPHER, SecretCipher } from '../crypto/secret-cipher.js';
import { PostgresEventStore } from '../event-store/postgres-event-store.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { CircleMetrics } from '../metrics/circle-metrics.js';
import { InstrumentedEventStore } from '../metrics/instrumented-event-store.js';
import { CLOCK, EVENT_STORE, LOGGER, METRICS, PG_POOL } from './tokens.js';

export interface DatabaseModuleOptions {
  pool: pg.Pool;
  clock?: Clock;
  /** Shared JSON logger for providers that log (silent when omitted). */
  logger?: Logger;
  /** Seals secrets at rest; from CIRCLE_SECRET_KEY (or the data dir's key file) when omitted. */
  secretCipher?: SecretCipher;
  /**
   * Where this app counts; pass the same instance to the API and the worker of one
   * process so one /metrics shows both. A fresh one when omitted.
   */
  metrics?: CircleMetrics;
}

class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * The pool is created by whoever starts the process (it may be shared by the API and
 * a worker in one process); the module that receives it owns closing it when
 * `ownsPool` is set.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions & { ownsPool: boolean }): DynamicModule {
    const clock = options.clock ?? systemClock;
    const metrics = options.metrics ?? new CircleMetrics();
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: PG_POOL, useValue: options.pool },
        { provide: CLOCK, useValue: clock },
        { provide: LOGGER, useValue: options.logger ?? createLogger({ level: 'silent' }) },
        { provide: METRICS, useValue: metrics },
        { provide: EVENT_STORE, useFactory: () => new InstrumentedEventStore(new PostgresEventStore(options.pool, clock), metrics) },
        // Neither app is handed its configuration; the key is read where it is needed, once.
        { provide: SECRET_CIPHER, useFactory: () => options.secretCipher ?? SecretCipher.fromConfig(loadConfig()) },
        ...(options.ownsPool ? [PoolCloser] : []),
      ],
      exports: [PG_POOL, CLOCK, EVENT_STORE, LOGGER, METRICS, SECRET_CIPHER],
    };
  }
}
