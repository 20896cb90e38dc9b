import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

export const offsetCommitHandler: ApiHandler = {
  apiKey: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 7,
  handle(body, ctx) {
    const v = ctx.version;
    const b = ctx.broker;
    const groupId = body.string();
    // v0 commits carry no membership: they are "simple" commits, like generation -1.
    const generationId = v >= 1 ? body.int32() : -1;
    const memberId = v >= 1 ? body.string() : '';
    if (v >= 7) body.nullableString(); // group_instance_id
    if (v >= 2 && v <= 4) body.int64(); // retention_time_ms: offsets are kept for the broker's lifetime
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const index = r.int32();
        const offset = Number(r.int64());
        if (v >= 6) r.int32(); // committed_leader_epoch
        if (v === 1) r.int64(); // commit_timestamp
        return { index, offset, metadata: r.nullableString() };
      }),
    }));

    const check = b.groups.commitCheck(groupId, generationId, memberId);
    const w = throttleIf(new Writer(), v >= 3);
    w.array(topics, (w, t) => {
      w.string(t.name).array(t.partitions, (w, p) => {
        let errorCode = check;
        if (errorCode === ErrorCode.NONE && !b.store.partition(t.name, p.index)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        if (errorCode === ErrorCode.NONE) b.groups.commit(groupId, t.name, p.index, { offset: p.offset, metadata: p.metadata });
        w.int32(p.index).int16(errorCode);
      });
    });
    return w;
  },
};
