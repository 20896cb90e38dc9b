import type { AppendResult, EventMetadata, EventStore } from '../ports/event-store.port.js';
import { fold, type Decider } from './decider.js';

export interface HandledCommand<Event, State> {
  /** Events the command produced; empty when it changed nothing (an idempotent repeat). */
  events: Event[];
  /** State after the new events. */
  state: State;
  /** Stream version after the append (unchanged when there were no events). */
  streamVersion: number;
  /**
   * Log position of the stream's latest event: the one just appended, or, for an
   * idempotent repeat, the one that already recorded it (0 for a stream still empty).
   * Readers wait for it to read their own write.
   */
  globalPosition: number;
}

/**
 * Load → decide → append with the version that was read. A concurrent writer to the
 * same stream makes the append fail with ConcurrencyError rather than overwrite: the
 * caller reports 409 or decides again on fresh state.
 */
export async function handleCommand<Command, Event extends { type: string; data: unknown }, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
  streamId: string,
  command: Command,
  metadata: EventMetadata,
): Promise<HandledCommand<Event, State>> {
  const history = await store.readStream(streamId);
  // Stored events carry type and data like domain events; the rest is envelope.
  const state = fold(decider, history.map(({ type, data }) => ({ type, data }) as unknown as Event));
  const events = decider.decide(command, state);
  const version = history.length === 0 ? 0 : history[history.length - 1]!.streamVersion;
  if (events.length === 0) {
    return { events, state, streamVersion: version, globalPosition: history[history.length - 1]?.globalPosition ?? 0 };
  }
  const result: AppendResult = await store.append(
    streamId,
    events.map((event) => ({ event, metadata })),
    version === 0 ? 'no_stream' : version,
  );
  return {
    events,
    state: events.reduce(decider.evolve, state),
    streamVersion: result.streamVersion,
    globalPosition: result.globalPosition,
  };
}
