import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { EventHandler } from '#domain';
import type { Logger } from '#infra/logging/logger.js';
import { DatabaseHealthIndicator } from '#infra/nest/database.health.js';
import { DatabaseModule, type DatabaseModuleOptions } from '#infra/nest/database.module.js';
import { ProjectionsModule } from '#infra/nest/projections.module.js';
import { TransportHealthIndicator } from '#infra/nest/transport.health.js';
import { TransportModule } from '#infra/nest/transport.module.js';
import type { TransportSettings } from '#infra/transport/create-event-transport.js';
import { DeadLetterReplayPoller } from './dead-letters/dead-letter-replay.poller.js';
import { WorkerHealth } from './health/worker-health.js';
import { RolloutProcessHandler } from './rollout/rollout-process.handler.js';
import { RolloutModule, type RolloutModuleOptions } from './rollout/rollout.module.js';
import { WorkerMetrics } from './worker-metrics.js';

/** Handlers the worker subscribes to the event transport, one consumer group each. */
export const WORKER_EVENT_HANDLERS: readonly Type<EventHandler>[] = [RolloutProcessHandler];

export interface WorkerModuleOptions extends DatabaseModuleOptions {
  ownsPool: boolean;
  transport: TransportSettings;
  /** Engine tuning and, in tests, a gateway of their own. */
  rollout?: RolloutModuleOptions;
  /** Handlers beyond WORKER_EVENT_HANDLERS (tests). */
  extraHandlers?: readonly Type<EventHandler>[];
  logger?: Logger;
}

@Module({})
export class WorkerModule {
  static forRoot(options: WorkerModuleOptions): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        DatabaseModule.forRoot(options),
        TerminusModule.forRoot({ logger: false }),
        ProjectionsModule,
        RolloutModule.forRoot(options.rollout),
        TransportModule.forRoot({
          settings: options.transport,
          handlers: [...WORKER_EVENT_HANDLERS, ...(options.extraHandlers ?? [])],
          ...(options.logger ? { logger: options.logger } : {}),
        }),
      ],
      providers: [DeadLetterReplayPoller, WorkerMetrics, DatabaseHealthIndicator, TransportHealthIndicator, WorkerHealth],
    };
  }
}
