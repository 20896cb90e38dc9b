import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from '#infra/nest/database.health.js';
import { HealthHttpController, WORKER_READINESS, type WorkerReadiness } from './health.http.controller.js';

@Module({})
export class HealthModule {
  /** `worker`: the worker running in this process (npm start), whose readiness the API's includes. */
  static forRoot(worker: WorkerReadiness | null): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthHttpController],
      providers: [DatabaseHealthIndicator, { provide: WORKER_READINESS, useValue: worker }],
    };
  }
}
