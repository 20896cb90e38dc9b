import { Global, Module } from '@nestjs/common';
import { CommandExecutor } from './command-executor.js';
import { ReadModels } from './read-models.js';

@Global()
@Module({
  providers: [CommandExecutor, ReadModels],
  exports: [CommandExecutor, ReadModels],
})
export class CommonModule {}
