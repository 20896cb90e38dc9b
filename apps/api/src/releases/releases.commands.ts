import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  applicationStreamId,
  DomainError,
  releaseDecider,
  releaseStreamId,
  type Clock,
  type ReleaseContent,
  type ReleaseImage,
} from '#domain';
import { CLOCK } from '#infra/nest/tokens.js';
import { CommandExecutor } from '../common/command-executor.js';
import type { RequestContext } from '../common/request-context.js';

export interface ReleaseResult {
  application: string;
  version: string;
  images: ReleaseImage[];
  gitCommit: string | null;
  notes: string | null;
  position: number;
}

export class RegisterRelease extends Command<{ created: boolean; release: ReleaseResult }> {
  constructor(
    readonly content: ReleaseContent,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

@CommandHandler(RegisterRelease)
export class RegisterReleaseHandler implements ICommandHandler<RegisterRelease> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ content, ctx }: RegisterRelease): Promise<{ created: boolean; release: ReleaseResult }> {
    // The log, not the read model: CI often creates the application and registers its
    // first release back to back, faster than the projection follows.
    const application = await this.commands.store.readStream(applicationStreamId(content.application));
    if (application.length === 0) {
      throw new DomainError('APPLICATION_NOT_FOUND', `application '${content.application}' does not exist`, {
        application: content.application,
      });
    }
    const handled = await this.commands.run(
      releaseDecider,
      releaseStreamId(content.application, content.version),
      { type: 'RegisterRelease', data: { ...content, createdBy: ctx.principal.name, now: this.clock.now() } },
      ctx,
    );
    const stored = handled.state.content!;
    return {
      created: handled.events.length > 0,
      release: {
        application: stored.application,
        version: stored.version,
        images: stored.images,
        gitCommit: stored.gitCommit ?? null,
        notes: stored.notes ?? null,
        position: handled.globalPosition,
      },
    };
  }
}

export const releaseCommandHandlers = [RegisterReleaseHandler];
