import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FINAL_PHASES, rolloutStreamId, type EventStore, type RolloutPhase } from '#domain';
import { EVENT_STORE } from '#infra/nest/tokens.js';
import { ApiProblems } from '../common/openapi.decorators.js';
import { ApiError } from '../common/problem.js';
import { RolloutView } from './rollout.dto.js';
import { GetRollout } from './rollouts.queries.js';

const ENDINGS = ['RolloutSucceeded', 'RolloutAborted', 'RolloutFailed'];
const POLL_MS = 200;
const HEARTBEAT_MS = 15_000;

export class WaitQuery {
  @ApiPropertyOptional({ default: 60, minimum: 1, maximum: 900, description: 'Longest time to hold the request open.' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(900)
  timeoutSeconds?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Following a rollout from CI: a long-poll that answers at the end, and a live event stream. */
@ApiTags('rollouts')
@Controller('v1/rollouts')
export class RolloutProgressHttpController {
  constructor(
    @Inject(QueryBus) private readonly queries: QueryBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** The rollout's view; null while it exists in the log but not yet in the read model. */
  private async current(id: string): Promise<RolloutView | null> {
    try {
      return await this.queries.execute(new GetRollout(id));
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'ROLLOUT_NOT_FOUND') throw error;
      if ((await this.store.readStream(rolloutStreamId(id), 0)).length === 0) throw error;
      return null;
    }
  }

  @Get(':id/wait')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Wait for a rollout to end',
    description:
      '200 with the rollout once it is Succeeded, Aborted or Failed; 202 with its current state when timeoutSeconds ' +
      'passed first (call again). A CI job fails itself unless phase is Succeeded.',
  })
  @ApiOkResponse({ type: RolloutView })
  @ApiResponse({ status: 202, type: RolloutView, description: 'Still running when the timeout passed' })
  @ApiProblems(400, 404)
  async wait(@Param('id') id: string, @Query() query: WaitQuery, @Res({ passthrough: true }) reply: FastifyReply): Promise<RolloutView> {
    const deadline = Date.now() + (query.timeoutSeconds ?? 60) * 1000;
    for (;;) {
      const view = await this.current(id);
      if (view === null) {
        if (Date.now() >= deadline) throw new ApiError(503, 'READ_MODEL_BEHIND', 'the rollout is not in the read models yet; retry shortly');
        await sleep(POLL_MS);
        continue;
      }
      if (FINAL_PHASES.includes(view.phase as RolloutPhase)) return view;
      if (Date.now() >= deadline || reply.raw.destroyed) {
        void reply.status(202);
        return view;
      }
      await sleep(POLL_MS);
    }
  }

  @Get(':id/events')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Stream a rollout\'s events (Server-Sent Events) until it ends',
    description:
      'Each message: `id` is the event\'s version in the rollout, `event` its type, `data` its JSON. Reconnect with ' +
      'Last-Event-ID to resume. The stream closes after Succeeded, Aborted or Failed.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of the rollout\'s events', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiProblems(404)
  async events(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // The log, not the read model, decides whether the rollout exists: a client may
    // follow a rollout the moment it was accepted.
    if ((await this.store.readStream(rolloutStreamId(id), 0)).length === 0) {
      throw new ApiError(404, 'ROLLOUT_NOT_FOUND', `rollout ${id} does not exist`);
    }
    const resumeFrom = Number(request.headers['last-event-id'] ?? 0);
    let after = Number.isInteger(resumeFrom) && resumeFrom > 0 ? resumeFrom : 0;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-correlation-id': String(request.id),
    });
    let open = true;
    raw.on('close', () => (open = false));
    let lastWrite = Date.now();
    while (open) {
      const events = await this.store.readStream(rolloutStreamId(id), after);
      for (const event of events) {
        raw.write(`id: ${event.streamVersion}\nevent: ${event.type}\ndata: ${JSON.stringify({ type: event.type, data: event.data, actor: event.metadata.actor, recordedAt: event.recordedAt, position: event.globalPosition })}\n\n`);
        after = event.streamVersion;
        lastWrite = Date.now();
        if (ENDINGS.includes(event.type)) open = false;
      }
      if (!open) break;
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        raw.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await sleep(POLL_MS);
    }
    raw.end();
  }
}
