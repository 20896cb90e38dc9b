import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { systemClock, type Clock } from '#domain';
import { loadConfig } from '../config/circle-config.js';
import { SECRET_CIPHER, SecretCipher } from '../crypto/secret-cipher.js';
import { PostgresEventStore } from '../event-store/postgres-event-store.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { CLOCK, EVENT_STORE, LOGGER, PG_POOL } from './tokens.js';

export interface DatabaseModuleOptions {
  pool: pg.Pool;
  clock?: Clock;
  /** Shared JSON logger for providers that log (silent when omitted). */
  logger?: Logger;
  /** Seals secrets at rest; from CIRCLE_SECRET_KEY (or the data dir's key file) when omitted. */
  secretCipher?: SecretCipher;
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
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: PG_POOL, useValue: options.pool },
        { provide: CLOCK, useValue: clock },
        { provide: LOGGER, useValue: options.logger ?? createLogger({ level: 'silent' }) },
        { provide: EVENT_STORE, useFactory: () => new PostgresEventStore(options.pool, clock) },
        // Neither app is handed its configuration; the key is read where it is needed, once.
        { provide: SECRET_CIPHER, useFactory: () => options.secretCipher ?? SecretCipher.fromConfig(loadConfig()) },
        ...(options.ownsPool ? [PoolCloser] : []),
      ],
      exports: [PG_POOL, CLOCK, EVENT_STORE, LOGGER, SECRET_CIPHER],
    };
  }
}
