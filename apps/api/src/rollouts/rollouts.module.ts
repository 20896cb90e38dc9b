import { Module } from '@nestjs/common';
import { RolloutProgressHttpController } from './rollout-progress.http.controller.js';
import { PromotionGate } from './promotion-gate.js';
import { RolloutTargets } from './rollout-targets.js';
import { RetryRolloutHandler } from './retry-rollout.command.js';
import { rolloutCommandHandlers } from './rollouts.commands.js';
import { RolloutsHttpController } from './rollouts.http.controller.js';
import { rolloutQueryHandlers } from './rollouts.queries.js';

@Module({
  controllers: [RolloutsHttpController, RolloutProgressHttpController],
  providers: [RolloutTargets, PromotionGate, ...rolloutCommandHandlers, RetryRolloutHandler, ...rolloutQueryHandlers],
})
export class RolloutsModule {}
