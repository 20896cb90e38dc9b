import { ApiKey } from '../protocol/api-keys.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

export const heartbeatHandler: ApiHandler = {
  apiKey: ApiKey.Heartbeat,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 3,
  handle(body, ctx) {
    const groupId = body.string();
    const generationId = body.int32();
    const memberId = body.string();
    if (ctx.version >= 3) body.nullableString(); // group_instance_id
    const errorCode = ctx.broker.groups.heartbeat(groupId, generationId, memberId);
    return throttleIf(new Writer(), ctx.version >= 1).int16(errorCode);
  },
};
