import { Inject, Injectable } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from '#infra/nest/database.health.js';
import { TransportHealthIndicator } from '#infra/nest/transport.health.js';

export type HealthReport = { status: 200 | 503; body: HealthCheckResult };

/**
 * The worker's liveness and readiness, in the same shape as the API's /health. Ready
 * means it can do its work: the database answers, events reach it, and it is a live
 * member of its consumer groups (others would otherwise take its partitions).
 */
@Injectable()
export class WorkerHealth {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(DatabaseHealthIndicator) private readonly database: DatabaseHealthIndicator,
    @Inject(TransportHealthIndicator) private readonly transport: TransportHealthIndicator,
  ) {}

  /** The worker's own parts; the API adds them to its readiness when both run in one process. */
  indicators(): HealthIndicatorFunction[] {
    return [() => this.transport.connection(), () => this.transport.membership()];
  }

  ready(): Promise<HealthReport> {
    return this.run([() => this.database.check(), ...this.indicators()]);
  }

  live(): Promise<HealthReport> {
    return this.run([]);
  }

  private async run(checks: HealthIndicatorFunction[]): Promise<HealthReport> {
    try {
      return { status: 200, body: await this.health.check(checks) };
    } catch (error) {
      // Terminus throws a 503 exception whose response is the full report.
      const response = (error as { getResponse?: () => unknown }).getResponse?.();
      if (response && typeof response === 'object' && 'status' in response) return { status: 503, body: response as HealthCheckResult };
      throw error;
    }
  }
}
