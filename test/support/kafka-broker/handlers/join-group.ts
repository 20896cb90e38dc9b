import { ApiKey } from '../protocol/api-keys.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

export const joinGroupHandler: ApiHandler = {
  apiKey: ApiKey.JoinGroup,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 5,
  async handle(body, ctx) {
    const v = ctx.version;
    const groupId = body.string();
    const sessionTimeoutMs = body.int32();
    // v0 has no rebalance timeout; Kafka then uses the session timeout for both.
    const rebalanceTimeoutMs = v >= 1 ? body.int32() : sessionTimeoutMs;
    const memberId = body.string();
    const groupInstanceId = v >= 5 ? body.nullableString() : null;
    const protocolType = body.string();
    const protocols = body.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));

    const res = await ctx.broker.groups.join({
      groupId,
      memberId,
      groupInstanceId,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      protocolType,
      protocols,
      requireKnownMemberId: v >= 4,
    });

    const w = throttleIf(new Writer(), v >= 2);
    w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leaderId).string(res.memberId);
    w.array(res.members, (w, m) => {
      w.string(m.memberId);
      if (v >= 5) w.string(m.groupInstanceId);
      w.bytes(m.metadata);
    });
    return w;
  },
};
