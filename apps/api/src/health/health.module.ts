import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from '#infra/nest/database.health.js';
import { HealthHttpController } from './health.http.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthHttpController],
  providers: [DatabaseHealthIndicator],
})
export class HealthModule {}
