import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
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
  readiness(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.check(reply);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database, and with a worker in this process its transport connection and consumer-group membership; 503 names the failing part',
  })
  ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.check(reply);
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: 200 while the process answers at all' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * Terminus reports a failed check as a 503 exception carrying the full report; the
   * report itself is the answer (which part is down, and why), so it is sent as is
   * rather than through the problem filter, which hides 5xx details as internal errors.
   */
  private async check(reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database.check(), ...(this.worker?.indicators() ?? [])]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
