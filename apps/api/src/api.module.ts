import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { DatabaseModule, type DatabaseModuleOptions } from '#infra/nest/database.module.js';
import type { Logger } from '#infra/logging/logger.js';
import { ApplicationsModule } from './applications/applications.module.js';
import { ClustersModule } from './clusters/clusters.module.js';
import { EnvironmentsModule } from './environments/environments.module.js';
import { ReleasesModule } from './releases/releases.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { RolloutsModule } from './rollouts/rollouts.module.js';
import { DeadLettersModule } from './dead-letters/dead-letters.module.js';
import { InsightsModule } from './insights/insights.module.js';
import { AdminModule } from './admin/admin.module.js';
import { DriftModule } from './drift/drift.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CommonModule } from './common/common.module.js';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { createValidationPipe } from './common/validation.js';
import { HealthModule } from './health/health.module.js';
import type { WorkerReadiness } from './health/health.http.controller.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor.js';

export interface ApiModuleOptions extends DatabaseModuleOptions {
  ownsPool: boolean;
  /** The worker in this process, if any: the API's readiness then includes its parts. */
  worker?: WorkerReadiness;
}

/** The resource modules; each owns its controller, commands and queries. */
export const RESOURCE_MODULES = [ApplicationsModule, RolloutsModule, ReleasesModule, ClustersModule, EnvironmentsModule, TokensModule, DeadLettersModule, InsightsModule, DriftModule, AdminModule, WebhooksModule];

@Module({})
export class ApiModule {
  static forRoot(options: ApiModuleOptions & { logger: Logger }): DynamicModule {
    const { logger, worker, ...database } = options;
    return {
      module: ApiModule,
      imports: [DatabaseModule.forRoot({ ...database, logger }), CqrsModule.forRoot(), CommonModule, AuthModule, HealthModule.forRoot(worker ?? null), MetricsModule, ...RESOURCE_MODULES],
      providers: [
        { provide: APP_FILTER, useValue: new ProblemDetailsFilter(logger) },
        { provide: APP_PIPE, useValue: createValidationPipe() },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
