import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RebuildResult } from '#infra/projections/projection-rebuild.js';
import { RequireRole } from '../auth/auth.decorators.js';
import { ApiCommand } from '../common/openapi.decorators.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { RebuildProjections } from './admin.commands.js';
import { ProjectionRebuildResult } from './projection-rebuild.dto.js';

@ApiTags('admin')
@Controller('v1/admin')
export class AdminHttpController {
  constructor(@Inject(CommandBus) private readonly commands: CommandBus) {}

  @Post('projections/rebuild')
  @HttpCode(202)
  @RequireRole('admin')
  @ApiOperation({
    summary: 'Replay the whole log into fresh read-model tables and swap them in',
    description:
      'Runs to the end before answering: the rebuilt tables are filled beside the live ones and swapped in with one ' +
      'transaction, so reads keep working throughout. A second request while one runs is a 409 REBUILD_IN_PROGRESS.',
  })
  @ApiAcceptedResponse({ type: ProjectionRebuildResult })
  @ApiCommand()
  rebuild(@Ctx() ctx: RequestContext): Promise<RebuildResult> {
    return this.commands.execute(new RebuildProjections(ctx));
  }
}
