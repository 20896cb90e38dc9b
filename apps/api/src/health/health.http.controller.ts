import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from '#infra/nest/database.health.js';
import { Public } from '../auth/auth.decorators.js';

export const WORKER_READINESS = Symbol('WorkerReadiness');

/** What a worker in the same process adds to the API's readiness (its transport and group membership). */
export interface WorkerReadiness {
  indicators(): HealthIndicatorFunction[];
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthHttpController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(DatabaseHealthIndicator) private readonly database: DatabaseHealthIndicator,
    @Inject(WORKER_READINESS) private readonly worker: WorkerReadiness | null,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness (same as /health/ready): 200 when circle can serve, 503 naming the failing part otherwise' })
  readiness(): Promise<HealthCheckResult> {
    return this.check();
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database, and with a worker in this process its transport connection and consumer-group membership; 503 names the failing part',
  })
  ready(): Promise<HealthCheckResult> {
    return this.check();
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: 200 while the process answers at all' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  private check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.check(), ...(this.worker?.indicators() ?? [])]);
  }
}
