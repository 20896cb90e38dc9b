import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError, fold, rolloutDecider, rolloutStreamId, type EventStore, type RolloutEvent } from '#domain';
import { EVENT_STORE } from '#infra/nest/tokens.js';
import type { RequestContext } from '../common/request-context.js';
import { StartRollout, type RolloutAcceptedResult } from './rollouts.commands.js';

export class RetryRollout extends Command<RolloutAcceptedResult> {
  constructor(
    readonly rolloutId: string,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

/**
 * A failed or aborted rollout is retried as a new rollout with the same release,
 * strategy and clusters (named, so the targets are exactly the old ones even if the
 * environment gained clusters since). The old rollout stays as it ended, for the audit.
 */
@CommandHandler(RetryRollout)
export class RetryRolloutHandler implements ICommandHandler<RetryRollout> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CommandBus) private readonly commands: CommandBus,
  ) {}

  async execute({ rolloutId, ctx }: RetryRollout): Promise<RolloutAcceptedResult> {
    const history = await this.store.readStream(rolloutStreamId(rolloutId));
    const state = fold(rolloutDecider, history as unknown as RolloutEvent[]);
    const request = state.request;
    if (request === null) throw new DomainError('ROLLOUT_NOT_FOUND', `rollout ${rolloutId} does not exist`, { rolloutId });
    if (state.phase !== 'Failed' && state.phase !== 'Aborted') {
      throw new DomainError('ROLLOUT_INVALID_PHASE', `only a Failed or Aborted rollout can be retried; ${rolloutId} is ${state.phase}`, {
        rolloutId,
        phase: state.phase,
      });
    }
    return this.commands.execute(
      new StartRollout(
        {
          kind: request.kind,
          application: request.application,
          version: request.version,
          ...(request.environment !== null ? { environment: request.environment } : {}),
          clusters: request.waves.flat(),
          strategy: request.strategy,
          reason: `retry of rollout ${rolloutId}${request.reason ? `: ${request.reason}` : ''}`,
          supersede: false,
          // A gate that was overridden once is overridden again, by whoever retries (the
          // gate check still demands the release-manager role for that).
          ...(request.promotionOverride ? { override: { reason: request.promotionOverride.reason } } : {}),
        },
        ctx,
      ),
    );
  }
}
