import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  environmentDecider,
  environmentStreamId,
  fold,
  type Clock,
  type EnvironmentEvent,
  type EnvironmentState,
} from '#domain';
import { CLOCK } from '#infra/nest/tokens.js';
import { CommandExecutor } from '../common/command-executor.js';
import { eventMetadata, type RequestContext } from '../common/request-context.js';
import type { EnvironmentCommandResult, PolicyDto } from './environment.dto.js';
import { mergePolicy, newPolicy, policyView } from './policy.mapping.js';

function result(state: EnvironmentState, position: number): EnvironmentCommandResult {
  const definition = state.definition!;
  return {
    name: definition.name,
    rank: definition.rank,
    description: definition.description,
    policy: policyView(definition.policy),
    position,
  };
}

export class DefineEnvironment extends Command<{ created: boolean; environment: EnvironmentCommandResult }> {
  constructor(
    readonly input: { name: string; rank: number; description: string; policy?: PolicyDto },
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export class UpdateEnvironment extends Command<EnvironmentCommandResult> {
  constructor(
    readonly name: string,
    readonly changes: { rank?: number; description?: string; policy?: PolicyDto },
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(DefineEnvironment)
export class DefineEnvironmentHandler implements ICommandHandler<DefineEnvironment> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: DefineEnvironment): Promise<{ created: boolean; environment: EnvironmentCommandResult }> {
    const { policy, ...definition } = input;
    const handled = await this.commands.run(
      environmentDecider,
      environmentStreamId(input.name),
      { type: 'DefineEnvironment', data: { ...definition, policy: newPolicy(policy), now: this.clock.now() } },
      ctx,
    );
    return { created: handled.events.length > 0, environment: result(handled.state, handled.globalPosition) };
  }
}

@CommandHandler(UpdateEnvironment)
export class UpdateEnvironmentHandler implements ICommandHandler<UpdateEnvironment> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  // The patch is merged into the policy read in the same attempt that appends, so a
  // concurrent update is either seen or turns into a retry, never silently overwritten.
  async execute({ name, changes, ctx }: UpdateEnvironment): Promise<EnvironmentCommandResult> {
    const streamId = environmentStreamId(name);
    return this.commands.runMany(async () => {
      const history = await this.commands.store.readStream(streamId);
      const state = fold(environmentDecider, history.map(({ type, data }) => ({ type, data }) as EnvironmentEvent));
      const { policy, ...rest } = changes;
      const merged = state.definition && policy ? mergePolicy(state.definition.policy, policy) : undefined;
      const events = environmentDecider.decide(
        { type: 'UpdateEnvironment', data: { ...rest, ...(merged ? { policy: merged } : {}), name, now: this.clock.now() } },
        state,
      );
      const last = history[history.length - 1];
      return {
        appends: [
          {
            streamId,
            expectedVersion: last ? last.streamVersion : 'no_stream',
            events: events.map((event) => ({ event, metadata: eventMetadata(ctx) })),
          },
        ],
        // An update that changes nothing appends nothing; its position is the stream's last.
        result: (position) => result(events.reduce(environmentDecider.evolve, state), position || (last?.globalPosition ?? 0)),
      };
    });
  }
}

export const environmentCommandHandlers = [DefineEnvironmentHandler, UpdateEnvironmentHandler];
