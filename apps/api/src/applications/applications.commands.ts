import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  applicationDecider,
  applicationStreamId,
  DomainError,
  type ApplicationState,
  type Clock,
  type Dependency,
} from '#domain';
import { CLOCK } from '#infra/nest/tokens.js';
import { CommandExecutor } from '../common/command-executor.js';
import type { RequestContext } from '../common/request-context.js';

export interface ApplicationResult {
  name: string;
  team: string;
  description: string;
  dependencies: Dependency[];
  position: number;
}

const result = (state: ApplicationState, position: number): ApplicationResult => ({
  name: state.name,
  team: state.team,
  description: state.description,
  dependencies: state.dependencies,
  position,
});

export class CreateApplication extends Command<ApplicationResult> {
  constructor(
    readonly input: { name: string; team: string; description: string },
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export class UpdateApplication extends Command<ApplicationResult> {
  constructor(
    readonly name: string,
    readonly changes: { team?: string; description?: string },
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export class DeclareDependencies extends Command<ApplicationResult> {
  constructor(
    readonly name: string,
    readonly dependencies: Dependency[],
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(CreateApplication)
export class CreateApplicationHandler implements ICommandHandler<CreateApplication> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ input, ctx }: CreateApplication): Promise<ApplicationResult> {
    const handled = await this.commands.run(
      applicationDecider,
      applicationStreamId(input.name),
      { type: 'CreateApplication', data: { ...input, now: this.clock.now() } },
      ctx,
    );
    return result(handled.state, handled.globalPosition);
  }
}

@CommandHandler(UpdateApplication)
export class UpdateApplicationHandler implements ICommandHandler<UpdateApplication> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ name, changes, ctx }: UpdateApplication): Promise<ApplicationResult> {
    const handled = await this.commands.run(
      applicationDecider,
      applicationStreamId(name),
      { type: 'UpdateApplication', data: { name, ...changes, now: this.clock.now() } },
      ctx,
    );
    return result(handled.state, handled.globalPosition);
  }
}

@CommandHandler(DeclareDependencies)
export class DeclareDependenciesHandler implements ICommandHandler<DeclareDependencies> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ name, dependencies, ctx }: DeclareDependencies): Promise<ApplicationResult> {
    // Another application's existence is not this aggregate's state, so it is checked
    // here against the log (not a read model, which may lag behind a create just made).
    for (const dependency of dependencies) {
      if (dependency.application === name) continue; // the decider explains that one
      const events = await this.commands.store.readStream(applicationStreamId(dependency.application));
      if (events.length === 0) {
        throw new DomainError('DEPENDENCY_UNKNOWN_APPLICATION', `'${dependency.application}' is not a known application`, {
          application: dependency.application,
        });
      }
    }
    const handled = await this.commands.run(
      applicationDecider,
      applicationStreamId(name),
      { type: 'DeclareDependencies', data: { name, dependencies, now: this.clock.now() } },
      ctx,
    );
    return result(handled.state, handled.globalPosition);
  }
}

export const applicationCommandHandlers = [CreateApplicationHandler, UpdateApplicationHandler, DeclareDependenciesHandler];
