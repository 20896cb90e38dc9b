import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

/** v0 reads ZooKeeper-stored offsets, which this broker never had; v1 reads Kafka-stored ones. */
export const offsetFetchHandler: ApiHandler = {
  apiKey: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 5,
  handle(body, ctx) {
    const v = ctx.version;
    const groupId = body.string();
    const requested = body.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }));
    const committed = ctx.broker.groups.committed(groupId);
    // v2+: a null topic list asks for everything the group has committed.
    const topics = requested ?? [...committed].map(([name, byPartition]) => ({ name, partitions: [...byPartition.keys()] }));

    const w = throttleIf(new Writer(), v >= 3);
    w.array(topics, (w, t) => {
      w.string(t.name).array(t.partitions, (w, index) => {
        // No commit yet is not an error: offset -1 tells the client to apply its reset policy.
        const c = committed.get(t.name)?.get(index);
        w.int32(index).int64(BigInt(c?.offset ?? -1));
        if (v >= 5) w.int32(-1); // committed_leader_epoch
        w.string(c ? c.metadata : '').int16(ErrorCode.NONE);
      });
    });
    if (v >= 2) w.int16(ErrorCode.NONE);
    return w;
  },
};
