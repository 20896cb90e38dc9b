import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { EventTransport } from '#domain';
import { hasDiagnostics } from '../transport/transport-diagnostics.js';
import { EVENT_TRANSPORT } from './tokens.js';

/** Readiness of a worker's transport: the connection events arrive on, and its consumer-group membership. */
@Injectable()
export class TransportHealthIndicator {
  constructor(
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    @Inject(HealthIndicatorService) private readonly health: HealthIndicatorService,
  ) {}

  connection(): HealthIndicatorResult<'transport'> {
    return this.report('transport', hasDiagnostics(this.transport) ? this.transport.connection() : null);
  }

  membership(): HealthIndicatorResult<'membership'> {
    return this.report('membership', hasDiagnostics(this.transport) ? this.transport.membership() : null);
  }

  private report<K extends string>(key: K, check: { up: boolean; detail: string } | null): HealthIndicatorResult<K> {
    const session = this.health.check(key);
    if (check === null) return session.up({ message: 'transport reports no diagnostics' });
    return check.up ? session.up({ message: check.detail }) : session.down({ message: check.detail });
  }
}
