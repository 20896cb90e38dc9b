import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import type { EventStore } from '#domain';
import type { Logger } from '#infra/logging/logger.js';
import { EVENT_STORE, LOGGER, PG_POOL } from '#infra/nest/tokens.js';
import { rebuildProjections, RebuildInProgressError, type RebuildResult } from '#infra/projections/projection-rebuild.js';
import { ApiError } from '../common/problem.js';
import type { RequestContext } from '../common/request-context.js';

export class RebuildProjections extends Command<RebuildResult> {
  constructor(readonly ctx: RequestContext) {
    super();
  }
}

@CommandHandler(RebuildProjections)
export class RebuildProjectionsHandler implements ICommandHandler<RebuildProjections, RebuildResult> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async execute(command: RebuildProjections): Promise<RebuildResult> {
    this.logger.info({ actor: command.ctx.principal.name, correlationId: command.ctx.correlationId }, 'projection rebuild requested');
    try {
      return await rebuildProjections(this.pool, this.store, { logger: this.logger });
    } catch (error) {
      if (error instanceof RebuildInProgressError) throw new ApiError(409, 'REBUILD_IN_PROGRESS', error.message);
      throw error;
    }
  }
}

export const adminCommandHandlers = [RebuildProjectionsHandler];
