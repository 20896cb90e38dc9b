import { Inject, Injectable } from '@nestjs/common';
import { ConcurrencyError, handleCommand, type Decider, type EventStore, type HandledCommand, type StreamAppend } from '#domain';
import { EVENT_STORE } from '#infra/nest/tokens.js';
import { eventMetadata, type RequestContext } from './request-context.js';

const ATTEMPTS = 3;

/**
 * Runs a command through its decider. A version conflict means someone else changed the
 * stream between our read and our append; deciding again on fresh state is always
 * safe (the decider sees their change), so a couple of retries turn most races into
 * either success or a proper domain rejection instead of a 409.
 */
@Injectable()
export class CommandExecutor {
  constructor(@Inject(EVENT_STORE) readonly store: EventStore) {}

  async run<C, E extends { type: string; data: unknown }, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    command: C,
    ctx: RequestContext,
  ): Promise<HandledCommand<E, S>> {
    return this.retrying(() => handleCommand(this.store, decider, streamId, command, eventMetadata(ctx)));
  }

  /** For commands spanning streams: `plan` reads, decides and returns appends; all commit or none. */
  async runMany<T>(plan: () => Promise<{ appends: StreamAppend[]; result: (position: number) => T }>): Promise<T> {
    return this.retrying(async () => {
      const { appends, result } = await plan();
      const written = await this.store.appendMany(appends.filter((a) => a.events.length > 0));
      return result(Math.max(0, ...written.map((w) => w.globalPosition)));
    });
  }

  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= ATTEMPTS) throw error;
      }
    }
  }
}
