import { Global, Module } from '@nestjs/common';
import { CommandExecutor } from './command-executor.js';
import { CommandMetrics } from './command-metrics.js';
import { ReadModels } from './read-models.js';

@Global()
@Module({
  providers: [CommandExecutor, ReadModels, CommandMetrics],
  exports: [CommandExecutor, ReadModels],
})
export class CommonModule {}
