import { Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import type { EventStore } from '#domain';
import type { Logger } from '../logging/logger.js';
import { readModelProjections } from '../projections/read-model-projections.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import { EVENT_STORE, LOGGER, PG_POOL } from './tokens.js';

export const PROJECTION_RUNNER = Symbol('ProjectionRunner');

class ProjectionLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(PROJECTION_RUNNER) private readonly runner: ProjectionRunner) {}

  onApplicationBootstrap(): void {
    this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}

/** Runs the read-model projections in the worker; one worker at a time holds the lock. */
@Module({
  providers: [
    {
      provide: PROJECTION_RUNNER,
      inject: [PG_POOL, EVENT_STORE, LOGGER],
      useFactory: (pool: pg.Pool, store: EventStore, logger: Logger) =>
        new ProjectionRunner(pool, store, readModelProjections, { logger: logger.child({ component: 'projections' }) }),
    },
    ProjectionLifecycle,
  ],
  exports: [PROJECTION_RUNNER],
})
export class ProjectionsModule {}
