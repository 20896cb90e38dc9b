import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, type DatabaseModuleOptions } from '#infra/nest/database.module.js';

export interface WorkerModuleOptions extends DatabaseModuleOptions {
  ownsPool: boolean;
}

@Module({})
export class WorkerModule {
  static forRoot(options: WorkerModuleOptions): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DatabaseModule.forRoot(options)],
    };
  }
}
