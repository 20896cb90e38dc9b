import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

const LATEST = -1;
const EARLIEST = -2;

/** v0 returns offset arrays (a pre-0.10.1 layout no current client needs), so we start at v1. */
export const listOffsetsHandler: ApiHandler = {
  apiKey: ApiKey.ListOffsets,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 5,
  handle(body, ctx) {
    const v = ctx.version;
    const store = ctx.broker.store;
    body.int32(); // replica_id
    if (v >= 2) body.int8(); // isolation_level
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const index = r.int32();
        if (v >= 4) r.int32(); // current_leader_epoch
        return { index, timestamp: Number(r.int64()) };
      }),
    }));

    const w = throttleIf(new Writer(), v >= 2);
    w.array(topics, (w, t) => {
      w.string(t.name).array(t.partitions, (w, p) => {
        const log = store.partition(t.name, p.index);
        let errorCode: number = ErrorCode.NONE;
        let offset = -1;
        if (!log) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (p.timestamp === LATEST) offset = log.highWatermark;
        else if (p.timestamp === EARLIEST) offset = log.logStartOffset;
        else offset = log.offsetForTimestamp(p.timestamp);
        w.int32(p.index).int16(errorCode).int64(-1n).int64(BigInt(offset));
        if (v >= 4) w.int32(0); // leader_epoch
      });
    });
    return w;
  },
};
