import { createHash, randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  applicationDecider,
  applicationStreamId,
  DomainError,
  fold,
  releaseStreamId,
  rolloutDecider,
  rolloutStreamId,
  type ApplicationEvent,
  type Clock,
  type NewEvent,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutPhase,
  type StreamAppend,
  type Strategy,
} from '#domain';
import { CLOCK } from '#infra/nest/tokens.js';
import { CommandExecutor } from '../common/command-executor.js';
import { ApiError } from '../common/problem.js';
import { eventMetadata, type RequestContext } from '../common/request-context.js';
import { PromotionGate } from './promotion-gate.js';
import { RolloutTargets } from './rollout-targets.js';
import { rolloutLinks } from './rollouts.queries.js';

export interface StartRolloutInput {
  kind: 'deploy' | 'upgrade' | 'rollback';
  application: string;
  version: string;
  environment?: string;
  clusters?: string[];
  selector?: Record<string, string>;
  strategy: Strategy;
  reason?: string;
  supersede: boolean;
  override?: { reason: string };
}

export interface RolloutAcceptedResult {
  rolloutId: string;
  phase: RolloutPhase;
  waves: string[][];
  skippedClusters: string[];
  superseded: string | null;
  position: number;
  links: { self: string; events: string; wait: string };
}

export class StartRollout extends Command<RolloutAcceptedResult> {
  constructor(
    readonly input: StartRolloutInput,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export type RolloutOperation =
  | { type: 'promote'; full: boolean }
  | { type: 'pause'; reason: string | null }
  | { type: 'resume' }
  | { type: 'abort'; reason: string }
  | { type: 'approve'; comment: string | null };

export interface RolloutOperationResult {
  rolloutId: string;
  phase: RolloutPhase;
  position: number;
}

export class OperateRollout extends Command<RolloutOperationResult> {
  constructor(
    readonly rolloutId: string,
    readonly operation: RolloutOperation,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

/**
 * A retried request (same Idempotency-Key) must find the rollout it already started,
 * not start a second one, even if the first attempt died before recording its answer;
 * so the id is derived from the key when there is one.
 */
function rolloutIdFor(ctx: RequestContext): string {
  if (ctx.idempotencyKey === null) return randomUUID();
  const hex = createHash('sha256').update(`${ctx.principal.tokenId}\n${ctx.idempotencyKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const toNew = (events: readonly { type: string; data: unknown }[], ctx: RequestContext): NewEvent[] =>
  events.map((event) => ({ event, metadata: eventMetadata(ctx) }));

const versionOf = (history: readonly unknown[]): number | 'no_stream' => (history.length === 0 ? 'no_stream' : history.length);

@CommandHandler(StartRollout)
export class StartRolloutHandler implements ICommandHandler<StartRollout> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(RolloutTargets) private readonly targets: RolloutTargets,
    @Inject(PromotionGate) private readonly gate: PromotionGate,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: StartRollout): Promise<RolloutAcceptedResult> {
    const { principal } = ctx;
    if (principal.role === 'deployer' && principal.environments.length > 0) {
      if (input.environment === undefined || !principal.environments.includes(input.environment)) {
        throw new ApiError(403, 'ENVIRONMENT_NOT_ALLOWED', `token '${principal.name}' may deploy only into ${principal.environments.join(', ')}; name one of them as environment`, {
          allowedEnvironments: principal.environments,
        });
      }
    }
    if (input.environment === undefined && (input.clusters === undefined || input.clusters.length === 0)) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'name an environment, clusters, or both', {
        errors: [{ field: 'environment', message: 'environment or clusters is required' }],
      });
    }
    const store = this.commands.store;
    const release = await store.readStream(releaseStreamId(input.application, input.version));
    if (release.length === 0) {
      throw new DomainError('ROLLOUT_RELEASE_UNKNOWN', `${input.application}@${input.version} is not a registered release`, {
        application: input.application,
        version: input.version,
      });
    }
    const promotionOverride = await this.gate.check({ ...input, principal });
    const targets = await this.targets.resolve(input);
    const rolloutId = rolloutIdFor(ctx);
    const now = this.clock.now();

    return this.commands.runMany(async () => {
      const appHistory = await store.readStream(applicationStreamId(input.application));
      const appState = fold(applicationDecider, appHistory as unknown as ApplicationEvent[]);
      const rolloutHistory = await store.readStream(rolloutStreamId(rolloutId));
      const rolloutState = fold(rolloutDecider, rolloutHistory as unknown as RolloutEvent[]);

      const requested = rolloutDecider.decide(
        {
          type: 'RequestRollout',
          data: {
            rolloutId,
            kind: input.kind,
            application: input.application,
            version: input.version,
            currentVersion: targets.currentVersion,
            environment: input.environment ?? null,
            strategy: input.strategy,
            waves: targets.waves,
            skippedClusters: targets.skippedClusters,
            maxParallel: targets.plan.maxParallel,
            bakeSeconds: targets.plan.bakeSeconds,
            onFailure: targets.plan.onFailure,
            requiredApprovals: targets.requiredApprovals,
            requestedBy: principal.name,
            reason: input.reason ?? null,
            ...(promotionOverride ? { promotionOverride } : {}),
            now,
          },
        },
        rolloutState,
      );
      const claimed = requested.length === 0
        ? []
        : applicationDecider.decide(
            {
              type: 'ClaimClusters',
              data: { name: input.application, rolloutId, clusters: targets.waves.flat(), supersede: input.supersede, now },
            },
            appState,
          );
      const appends: StreamAppend[] = [
        { streamId: applicationStreamId(input.application), expectedVersion: versionOf(appHistory), events: toNew(claimed, ctx) },
        { streamId: rolloutStreamId(rolloutId), expectedVersion: versionOf(rolloutHistory), events: toNew(requested, ctx) },
      ];
      // A superseded rollout is told to abort in the same transaction that takes its
      // clusters, so there is never a moment with two rollouts owning one cluster.
      const superseded = claimed.flatMap((e) => (e.type === 'ApplicationClaimSuperseded' ? [e.data.rolloutId] : []));
      for (const oldId of superseded) {
        const history = await store.readStream(rolloutStreamId(oldId));
        const abort = rolloutDecider.decide(
          { type: 'AbortRollout', data: { rolloutId: oldId, actor: principal.name, reason: `superseded by rollout ${rolloutId}`, supersededBy: rolloutId, now } },
          fold(rolloutDecider, history as unknown as RolloutEvent[]),
        );
        appends.push({ streamId: rolloutStreamId(oldId), expectedVersion: versionOf(history), events: toNew(abort, ctx) });
      }
      const state = requested.reduce(rolloutDecider.evolve, rolloutState);
      return {
        appends,
        result: (position): RolloutAcceptedResult => ({
          rolloutId,
          phase: state.phase,
          waves: state.request?.waves ?? targets.waves,
          skippedClusters: state.request?.skippedClusters ?? targets.skippedClusters,
          superseded: superseded[0] ?? null,
          // An idempotent repeat appends nothing; it still answers with its rollout's position.
          position: position > 0 ? position : (rolloutHistory[rolloutHistory.length - 1]?.globalPosition ?? 0),
          links: rolloutLinks(rolloutId),
        }),
      };
    });
  }
}

@CommandHandler(OperateRollout)
export class OperateRolloutHandler implements ICommandHandler<OperateRollout> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ rolloutId, operation, ctx }: OperateRollout): Promise<RolloutOperationResult> {
    const actor = ctx.principal.name;
    const now = this.clock.now();
    const command: RolloutCommand = (() => {
      switch (operation.type) {
        case 'promote':
          return { type: 'PromoteRollout', data: { rolloutId, actor, full: operation.full, now } };
        case 'pause':
          return { type: 'PauseRollout', data: { rolloutId, actor, reason: operation.reason, now } };
        case 'resume':
          return { type: 'ResumeRollout', data: { rolloutId, actor, now } };
        case 'abort':
          return { type: 'AbortRollout', data: { rolloutId, actor, reason: operation.reason, supersededBy: null, now } };
        case 'approve':
          return { type: 'ApproveRollout', data: { rolloutId, actor, comment: operation.comment, now } };
      }
    })();
    const handled = await this.commands.run(rolloutDecider, rolloutStreamId(rolloutId), command, ctx);
    return { rolloutId, phase: handled.state.phase, position: handled.globalPosition };
  }
}

export const rolloutCommandHandlers = [StartRolloutHandler, OperateRolloutHandler];
