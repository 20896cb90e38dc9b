/** Who caused an event and through which door; the audit trail is read from these. */
export interface EventMetadata {
  /** Name of the acting API token, webhook delivery source, or worker. */
  actor: string;
  source: 'api' | 'webhook' | 'worker' | 'system';
  /** Shared by every event that one external request caused, across streams. */
  correlationId: string;
  /** Id of the event (or request) that directly caused this one. */
  causationId?: string;
  [extra: string]: unknown;
}

export interface NewEvent<E extends { type: string } = { type: string; data: unknown }> {
  /** Chosen by the writer so a retried append can be recognised (dedupe by id). */
  eventId?: string;
  event: E;
  metadata: EventMetadata;
}

export interface StoredEvent<E extends { type: string } = { type: string; data: unknown }> {
  eventId: string;
  /** Position in the whole log; readers may treat it as a total order with no late arrivals. */
  globalPosition: number;
  streamId: string;
  /** 1 for the first event of a stream. */
  streamVersion: number;
  type: E['type'];
  data: E extends { data: infer D } ? D : unknown;
  metadata: EventMetadata;
  recordedAt: Date;
}

/**
 * `no_stream`: the stream must not exist yet; a number: the stream's current version
 * must equal it (0 = empty); `any`: no check.
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface AppendResult {
  /** The stream's version after the append; pass it as the next expected version. */
  streamVersion: number;
  /** Global position of the last appended event; read models can wait for it. */
  globalPosition: number;
}

export interface StreamAppend {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: readonly NewEvent[];
}

export interface EventStore {
  /** Appends atomically to one stream; throws ConcurrencyError if the version check fails. */
  append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult>;
  /**
   * Appends to several streams in one transaction: all or none. Used when one command
   * must change two aggregates together (claim clusters for a rollout and start it).
   */
  appendMany(appends: readonly StreamAppend[]): Promise<AppendResult[]>;
  /** Every event of one stream in version order, optionally starting after a version. */
  readStream(streamId: string, afterVersion?: number): Promise<StoredEvent[]>;
  /** Up to `limit` events of the whole log with position > `afterPosition`, in order. */
  readAll(afterPosition: number, limit: number): Promise<StoredEvent[]>;
  /** Highest committed global position (0 for an empty log). */
  headPosition(): Promise<number>;
  /** Position of the newest event of any of these types (0 when none): how far a reader of what they change must wait. */
  lastPositionOf(types: readonly string[]): Promise<number>;
}

/** The stream's version did not match; the caller reloads and decides again, or reports 409. */
export class ConcurrencyError extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';

  constructor(
    readonly streamId: string,
    readonly expectedVersion: ExpectedVersion,
    readonly actualVersion: number,
  ) {
    super(`stream ${streamId} is at version ${actualVersion}, expected ${String(expectedVersion)}`);
    this.name = 'ConcurrencyError';
  }
}
