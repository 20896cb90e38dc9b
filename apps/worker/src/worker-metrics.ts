import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type pg from 'pg';
import type { EventHandler } from '#domain';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { watchDatabase } from '#infra/metrics/database-probes.js';
import { EVENT_HANDLERS, METRICS, PG_POOL } from '#infra/nest/tokens.js';
import { readModelProjections } from '#infra/projections/read-model-projections.js';

/**
 * The levels the worker is responsible for (rollouts by phase, dead letters, projection
 * lag) are read from the database at scrape time while the worker runs; the probes go
 * before the pool closes.
 */
@Injectable()
export class WorkerMetrics implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private unwatch: (() => void) | null = null;

  constructor(
    @Inject(METRICS) private readonly metrics: CircleMetrics,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_HANDLERS) private readonly handlers: readonly EventHandler[],
  ) {}

  onApplicationBootstrap(): void {
    this.unwatch = watchDatabase(this.metrics, this.pool, {
      groups: this.handlers.map((h) => h.name),
      projections: readModelProjections.map((p) => p.name),
    });
  }

  beforeApplicationShutdown(): void {
    this.unwatch?.();
    this.unwatch = null;
  }
}
