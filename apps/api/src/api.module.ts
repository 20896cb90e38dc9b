import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, type DatabaseModuleOptions } from '#infra/nest/database.module.js';
import { HealthModule } from './health/health.module.js';

export interface ApiModuleOptions extends DatabaseModuleOptions {
  ownsPool: boolean;
}

@Module({})
export class ApiModule {
  static forRoot(options: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [DatabaseModule.forRoot(options), HealthModule],
    };
  }
}
