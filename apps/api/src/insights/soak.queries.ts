import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Clock } from '#domain';
import { CLOCK } from '#infra/nest/tokens.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import type { SoakView } from './insight.dto.js';
import { requireApplication } from './placements.queries.js';

export class GetSoak extends Query<SoakView> {
  constructor(
    readonly application: string,
    readonly version: string,
    readonly environment: string,
    readonly position?: number,
  ) {
    super();
  }
}

/** Soak is computed at read time from the clock's start: the read model stores when, not how long. */
export async function soakOf(readModels: ReadModels, clock: Clock, application: string, version: string, environment: string): Promise<SoakView> {
  const env = await readModels.pool.query<{ policy: { requiredSoakSeconds: number } }>('SELECT policy FROM rm_environments WHERE name = $1', [environment]);
  if (!env.rows[0]) throw new ApiError(404, 'ENVIRONMENT_NOT_FOUND', `environment '${environment}' does not exist`);
  const required = env.rows[0].policy.requiredSoakSeconds;
  const { rows } = await readModels.pool.query<{ live_since: Date | null; clock_started_at: Date | null; last_reset_at: Date | null; last_reset_reason: string | null }>(
    'SELECT live_since, clock_started_at, last_reset_at, last_reset_reason FROM ri_soak WHERE application = $1 AND environment = $2 AND version = $3',
    [application, environment, version],
  );
  const row = rows[0];
  const soaked = row?.clock_started_at ? Math.max(0, Math.floor((clock.now().getTime() - row.clock_started_at.getTime()) / 1000)) : 0;
  const live = Boolean(row?.live_since);
  return {
    application,
    version,
    environment,
    live,
    liveSince: row?.live_since?.toISOString() ?? null,
    soakedSeconds: soaked,
    requiredSeconds: required,
    satisfied: live && soaked >= required,
    remainingSeconds: Math.max(0, required - soaked),
    lastResetAt: row?.last_reset_at?.toISOString() ?? null,
    lastResetReason: row?.last_reset_reason ?? null,
  };
}

@QueryHandler(GetSoak)
export class GetSoakHandler implements IQueryHandler<GetSoak> {
  constructor(
    @Inject(ReadModels) private readonly readModels: ReadModels,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ application, version, environment, position }: GetSoak): Promise<SoakView> {
    await this.readModels.caughtUp(position);
    await requireApplication(this.readModels, application);
    return soakOf(this.readModels, this.clock, application, version, environment);
  }
}
