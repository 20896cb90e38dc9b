import { Module } from '@nestjs/common';
import { RolloutTargets } from './rollout-targets.js';
import { rolloutCommandHandlers } from './rollouts.commands.js';
import { RolloutsHttpController } from './rollouts.http.controller.js';
import { rolloutQueryHandlers } from './rollouts.queries.js';

@Module({
  controllers: [RolloutsHttpController],
  providers: [RolloutTargets, ...rolloutCommandHandlers, ...rolloutQueryHandlers],
})
export class RolloutsModule {}
