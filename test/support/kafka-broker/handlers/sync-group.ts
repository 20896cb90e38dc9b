import { ApiKey } from '../protocol/api-keys.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

export const syncGroupHandler: ApiHandler = {
  apiKey: ApiKey.SyncGroup,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,
  async handle(body, ctx) {
    const v = ctx.version;
    const groupId = body.string();
    const generationId = body.int32();
    const memberId = body.string();
    if (v >= 3) body.nullableString(); // group_instance_id: static membership is not supported
    const assignments = body.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) }));
    const res = await ctx.broker.groups.sync(groupId, generationId, memberId, assignments);
    return throttleIf(new Writer(), v >= 1).int16(res.errorCode).bytes(res.assignment);
  },
};
