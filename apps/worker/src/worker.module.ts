import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { EventHandler } from '#domain';
import type { Logger } from '#infra/logging/logger.js';
import { DatabaseModule, type DatabaseModuleOptions } from '#infra/nest/database.module.js';
import { TransportModule } from '#infra/nest/transport.module.js';
import type { TransportSettings } from '#infra/transport/create-event-transport.js';

/**
 * Handlers the worker subscribes to the event transport, one consumer group each. Empty
 * until a feature needs one (the rollout process adds its handler here).
 */
export const WORKER_EVENT_HANDLERS: readonly Type<EventHandler>[] = [];

export interface WorkerModuleOptions extends DatabaseModuleOptions {
  ownsPool: boolean;
  transport: TransportSettings;
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
        TransportModule.forRoot({
          settings: options.transport,
          handlers: [...WORKER_EVENT_HANDLERS, ...(options.extraHandlers ?? [])],
          ...(options.logger ? { logger: options.logger } : {}),
        }),
      ],
    };
  }
}
