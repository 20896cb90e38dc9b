import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type pg from 'pg';
import { PG_POOL } from './tokens.js';

@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(HealthIndicatorService) private readonly health: HealthIndicatorService,
  ) {}

  /** Up when a round trip to PostgreSQL succeeds within the timeout; reports the latency. */
  async check(timeoutMs = 2000): Promise<HealthIndicatorResult<'database'>> {
    const session = this.health.check('database');
    const started = performance.now();
    try {
      await Promise.race([
        this.pool.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      return session.up({ latencyMs: Math.round((performance.now() - started) * 10) / 10 });
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
