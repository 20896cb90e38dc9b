import type { AppendResult, EventStore, ExpectedVersion, NewEvent, StoredEvent, StreamAppend } from '#domain';
import type { CircleMetrics } from './circle-metrics.js';

/**
 * Counts what the store commits, by event type, without touching the store itself. Only
 * appends that resolved are counted: a rejected append (version conflict) wrote nothing.
 */
export class InstrumentedEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly metrics: CircleMetrics,
  ) {}

  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    const result = await this.inner.append(streamId, events, expectedVersion);
    this.count(events);
    return result;
  }

  async appendMany(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    const results = await this.inner.appendMany(appends);
    for (const append of appends) this.count(append.events);
    return results;
  }

  readStream(streamId: string, afterVersion?: number): Promise<StoredEvent[]> {
    return this.inner.readStream(streamId, afterVersion);
  }

  readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    return this.inner.readAll(afterPosition, limit);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  lastPositionOf(types: readonly string[]): Promise<number> {
    return this.inner.lastPositionOf(types);
  }

  private count(events: readonly NewEvent[]): void {
    for (const { event } of events) this.metrics.eventsAppended.inc({ type: event.type });
  }
}
