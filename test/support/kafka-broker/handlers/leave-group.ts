import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

/** v3 (KIP-345) turns the single member into a batch with per-member error codes. */
export const leaveGroupHandler: ApiHandler = {
  apiKey: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 3,
  handle(body, ctx) {
    const v = ctx.version;
    const groups = ctx.broker.groups;
    const groupId = body.string();
    const w = throttleIf(new Writer(), v >= 1);
    if (v < 3) return w.int16(groups.leave(groupId, body.string()));

    const members = body.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }));
    const results = members.map((m) => ({ ...m, errorCode: groups.leave(groupId, m.memberId) }));
    w.int16(ErrorCode.NONE);
    return w.array(results, (w, m) => w.string(m.memberId).string(m.groupInstanceId).int16(m.errorCode));
  },
};
