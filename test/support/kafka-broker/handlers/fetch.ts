import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import type { TopicStore } from '../topic-store.js';
import type { ApiHandler, BrokerContext } from './handler.js';

interface PartitionFetch {
  index: number;
  fetchOffset: number;
  maxBytes: number;
}

interface PartitionData {
  index: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  records: Buffer;
}

/**
 * v4 is the first version with last_stable_offset and isolation levels; v7 adds fetch
 * sessions, which we decline by always answering session_id 0 (full fetches, which the
 * protocol allows any broker to insist on); v11 adds rack-aware replica selection.
 */
export const fetchHandler: ApiHandler = {
  apiKey: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,
  async handle(body, ctx) {
    const v = ctx.version;
    body.int32(); // replica_id
    const maxWaitMs = body.int32();
    const minBytes = body.int32();
    const maxBytes = body.int32();
    body.int8(); // isolation_level: without transactions every offset is stable
    if (v >= 7) {
      body.int32(); // session_id
      body.int32(); // session_epoch
    }
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r): PartitionFetch => {
        const index = r.int32();
        if (v >= 9) r.int32(); // current_leader_epoch
        const fetchOffset = Number(r.int64());
        if (v >= 5) r.int64(); // log_start_offset: only followers send a meaningful one
        return { index, fetchOffset, maxBytes: r.int32() };
      }),
    }));
    // forgotten_topics_data (v7+) and rack_id (v11+) follow; with no sessions they mean nothing.

    // Long poll: park until minBytes are available, the wait expires, or the connection goes.
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    let data = collect(ctx.broker, topics, maxBytes);
    while (size(data) < minBytes && Date.now() < deadline && !ctx.signal.aborted) {
      await appendOrTimeout(ctx.broker.store, topics, deadline - Date.now(), ctx.signal);
      data = collect(ctx.broker, topics, maxBytes);
    }
    if (ctx.signal.aborted) return null;

    const w = new Writer().int32(0);
    if (v >= 7) w.int16(ErrorCode.NONE).int32(0);
    w.array(data, (w, t) => {
      w.string(t.name).array(t.partitions, (w, p) => {
        w.int32(p.index).int16(p.errorCode).int64(BigInt(p.highWatermark));
        w.int64(BigInt(p.highWatermark)); // last_stable_offset: no open transactions, so = HW
        if (v >= 5) w.int64(BigInt(p.logStartOffset));
        w.array([], () => undefined); // aborted_transactions
        if (v >= 11) w.int32(-1); // preferred_read_replica: none
        w.bytes(p.records);
      });
    });
    return w;
  },
};

function collect(b: BrokerContext, topics: { name: string; partitions: PartitionFetch[] }[], maxBytes: number) {
  let budget = maxBytes;
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): PartitionData => {
      const log = b.store.partition(t.name, p.index);
      if (!log) return { index: p.index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, records: Buffer.alloc(0) };
      const base = { index: p.index, highWatermark: log.highWatermark, logStartOffset: log.logStartOffset };
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.highWatermark) {
        return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: Buffer.alloc(0) };
      }
      // The first partition with data may exceed max_bytes by one batch so consumers always progress (KIP-74).
      const limit = budget === maxBytes ? p.maxBytes : Math.min(p.maxBytes, budget);
      const batches = limit > 0 ? log.read(p.fetchOffset, limit) : [];
      const records = Buffer.concat(batches);
      budget = Math.max(0, budget - records.length);
      return { ...base, errorCode: ErrorCode.NONE, records };
    }),
  }));
}

function size(data: { partitions: PartitionData[] }[]): number {
  let n = 0;
  for (const t of data) for (const p of t.partitions) n += p.records.length;
  return n;
}

function appendOrTimeout(store: TopicStore, topics: { name: string; partitions: PartitionFetch[] }[], ms: number, signal: AbortSignal): Promise<void> {
  const watched = new Set(topics.flatMap((t) => t.partitions.map((p) => `${t.name}\u0000${p.index}`)));
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      store.off('append', onAppend);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const onAppend = (topic: string, index: number): void => {
      if (watched.has(`${topic}\u0000${index}`)) done();
    };
    const timer = setTimeout(done, ms);
    store.on('append', onAppend);
    signal.addEventListener('abort', done);
  });
}
