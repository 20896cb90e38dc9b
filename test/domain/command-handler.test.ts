import { describe, expect, it } from '@jest/globals';
import {
  ConcurrencyError,
  DomainError,
  applicationDecider,
  handleCommand,
  type AppendResult,
  type ApplicationCommand,
  type ApplicationEvent,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type StoredEvent,
  type StreamAppend,
} from '#domain';
import { AT, NOW } from '../support/given-when-then.js';

/** In-memory store for this unit test only; records each append call so tests can check the expected version. */
class FakeEventStore implements EventStore {
  readonly events: StoredEvent[] = [];
  readonly appendCalls: { streamId: string; expectedVersion: ExpectedVersion; events: readonly NewEvent[] }[] = [];
  /** Set to make the next append fail as if another writer got there first. */
  concurrentWriter = false;

  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    this.appendCalls.push({ streamId, expectedVersion, events });
    const current = this.events.filter((e) => e.streamId === streamId).length;
    const ok = expectedVersion === 'any' || (expectedVersion === 'no_stream' ? current === 0 : expectedVersion === current);
    if (this.concurrentWriter || !ok) throw new ConcurrencyError(streamId, expectedVersion, this.concurrentWriter ? current + 1 : current);
    events.forEach(({ event, metadata, eventId }, i) => {
      this.events.push({
        eventId: eventId ?? `e${this.events.length + 1}`,
        globalPosition: this.events.length + 1,
        streamId,
        streamVersion: current + i + 1,
        type: event.type,
        data: (event as { data: unknown }).data,
        metadata,
        recordedAt: NOW,
      });
    });
    return { streamVersion: current + events.length, globalPosition: this.events.length };
  }
  async appendMany(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const a of appends) results.push(await this.append(a.streamId, a.events, a.expectedVersion));
    return results;
  }
  async readStream(streamId: string, afterVersion = 0): Promise<StoredEvent[]> {
    return this.events.filter((e) => e.streamId === streamId && e.streamVersion > afterVersion);
  }
  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    return this.events.filter((e) => e.globalPosition > afterPosition).slice(0, limit);
  }
  async headPosition(): Promise<number> {
    return this.events.length;
  }
  async lastPositionOf(types: readonly string[]): Promise<number> {
    return Math.max(0, ...this.events.filter((e) => types.includes(e.type)).map((e) => e.globalPosition));
  }
}

const metadata: EventMetadata = { actor: 'alice', source: 'api', correlationId: 'req-1' };
const STREAM = 'application-shop';
const create: ApplicationCommand = { type: 'CreateApplication', data: { name: 'shop', team: 'payments', description: 'storefront', now: NOW } };
const created: ApplicationEvent = { type: 'ApplicationCreated', data: { name: 'shop', team: 'payments', description: 'storefront', createdAt: AT } };
const update: ApplicationCommand = { type: 'UpdateApplication', data: { name: 'shop', team: 'checkout', now: NOW } };
const updated: ApplicationEvent = {
  type: 'ApplicationUpdated',
  data: { name: 'shop', team: 'checkout', description: 'storefront', updatedAt: AT },
};

describe('handleCommand', () => {
  it('appends the events of a new stream with no_stream and returns the new state and positions', async () => {
    const store = new FakeEventStore();
    const result = await handleCommand(store, applicationDecider, STREAM, create, metadata);

    expect(store.appendCalls).toEqual([{ streamId: STREAM, expectedVersion: 'no_stream', events: [{ event: created, metadata }] }]);
    expect(result).toEqual({
      events: [created],
      state: applicationDecider.evolve(applicationDecider.initialState(), created),
      streamVersion: 1,
      globalPosition: 1,
    });
  });

  it('decides on the stored history and appends with the version it read', async () => {
    const store = new FakeEventStore();
    await store.append('application-other', [{ event: { type: 'Noise', data: {} }, metadata }], 'no_stream');
    await handleCommand(store, applicationDecider, STREAM, create, metadata);

    const result = await handleCommand(store, applicationDecider, STREAM, update, metadata);

    expect(store.appendCalls[2]).toEqual({ streamId: STREAM, expectedVersion: 1, events: [{ event: updated, metadata }] });
    expect(result.events).toEqual([updated]);
    expect(result.streamVersion).toBe(2);
    expect(result.globalPosition).toBe(3);
    expect(result.state).toEqual(applicationDecider.evolve(applicationDecider.evolve(applicationDecider.initialState(), created), updated));
    expect((await store.readStream(STREAM)).map((e) => e.type)).toEqual(['ApplicationCreated', 'ApplicationUpdated']);
  });

  it('appends nothing and returns the position of the event that already recorded it when the decider emits no events', async () => {
    const store = new FakeEventStore();
    await handleCommand(store, applicationDecider, STREAM, create, metadata);

    const result = await handleCommand(store, applicationDecider, STREAM, create, metadata);

    expect(result).toEqual({
      events: [],
      state: applicationDecider.evolve(applicationDecider.initialState(), created),
      streamVersion: 1,
      globalPosition: 1,
    });
    expect(store.appendCalls).toHaveLength(1);
    expect(store.events).toHaveLength(1);
  });

  it('propagates a ConcurrencyError from the store', async () => {
    const store = new FakeEventStore();
    await handleCommand(store, applicationDecider, STREAM, create, metadata);
    store.concurrentWriter = true;

    const outcome = handleCommand(store, applicationDecider, STREAM, update, metadata);

    await expect(outcome).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(outcome).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT', streamId: STREAM, expectedVersion: 1, actualVersion: 2 });
    expect(store.events).toHaveLength(1);
  });

  it('propagates a rejection from the decider without appending', async () => {
    const store = new FakeEventStore();

    const outcome = handleCommand(store, applicationDecider, STREAM, update, metadata);

    await expect(outcome).rejects.toBeInstanceOf(DomainError);
    await expect(outcome).rejects.toMatchObject({ code: 'APPLICATION_NOT_FOUND' });
    expect(store.appendCalls).toEqual([]);
  });
});
