import { Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import type { Page } from '../common/pagination.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { DeadLetterPage, DeadLetterReplayAccepted, DeadLetterView, ListDeadLettersQuery } from './dead-letter.dto.js';
import { RequestDeadLetterReplay } from './dead-letters.commands.js';
import { GetDeadLetter, ListDeadLetters } from './dead-letters.queries.js';

// Dead letters hold event payload references and handler errors that may name
// internals, and a replay re-runs side effects: operators only.
@ApiTags('dead-letters')
@Controller('v1/dead-letters')
@RequireRole('admin')
export class DeadLettersHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List events the workers gave up on, newest first', description: 'Each with its handler, error and replay status.' })
  @ApiOkResponse({ type: DeadLetterPage })
  @ApiProblems(400, 403)
  list(@Query() query: ListDeadLettersQuery): Promise<Page<DeadLetterView>> {
    return this.queries.execute(new ListDeadLetters({ handler: query.handler }, { limit: query.limit ?? 50, cursor: query.cursor }));
  }

  @Get(':id')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get a dead letter and the outcome of its last replay' })
  @ApiOkResponse({ type: DeadLetterView })
  @ApiProblems(400, 403, 404)
  get(@Param('id') id: string): Promise<DeadLetterView> {
    return this.queries.execute(new GetDeadLetter(id));
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Hand a dead-lettered event to its handler again',
    description:
      'Accepted at once: a worker that runs the handler replays it, once and without retries, and records the outcome ' +
      '(follow it at links.self: replayStatus and lastReplay). A request while one is pending answers with that one; ' +
      'a dead letter already replayed successfully is a 409 DEAD_LETTER_ALREADY_REPLAYED.',
  })
  @ApiAcceptedResponse({ type: DeadLetterReplayAccepted })
  @ApiCommand()
  @ApiProblems(404)
  async replay(
    @Param('id') id: string,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DeadLetterReplayAccepted> {
    const result = await this.commands.execute(new RequestDeadLetterReplay(id, ctx));
    describeWrite(reply, result.position, result.links.self);
    return result;
  }
}
