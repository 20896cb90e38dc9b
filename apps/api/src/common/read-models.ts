import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { readModelProjections } from '#infra/projections/read-model-projections.js';
import { ProjectionLagError, ProjectionStatus } from '#infra/projections/projection-status.js';
import { PG_POOL } from '#infra/nest/tokens.js';
import { ApiError } from './problem.js';

/** Gives read handlers the pool and the read-your-writes wait. */
@Injectable()
export class ReadModels {
  private readonly status: ProjectionStatus;

  constructor(@Inject(PG_POOL) readonly pool: pg.Pool) {
    this.status = new ProjectionStatus(pool, readModelProjections.map((p) => p.name));
  }

  async caughtUp(position: number | undefined): Promise<void> {
    if (position === undefined || position === 0) return;
    try {
      await this.status.waitFor(position);
    } catch (error) {
      if (error instanceof ProjectionLagError) {
        throw new ApiError(503, error.code, error.message, { wantedPosition: error.wanted, reachedPosition: error.reached });
      }
      throw error;
    }
  }
}
