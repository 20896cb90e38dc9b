import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

/** Bit set meaning "authorized operations not requested/known" (KIP-430). */
const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export const describeGroupsHandler: ApiHandler = {
  apiKey: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 4,
  handle(body, ctx) {
    const v = ctx.version;
    const groupIds = body.array((r) => r.string());
    const w = throttleIf(new Writer(), v >= 1);
    w.array(groupIds, (w, id) => {
      const g = ctx.broker.groups.describe(id);
      w.int16(ErrorCode.NONE).string(g.groupId).string(g.state).string(g.protocolType).string(g.protocolName);
      w.array(g.members, (w, m) => {
        w.string(m.memberId);
        if (v >= 4) w.string(null);
        w.string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment);
      });
      if (v >= 3) w.int32(AUTHORIZED_OPERATIONS_UNKNOWN);
    });
    return w;
  },
};
