import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

export const deleteTopicsHandler: ApiHandler = {
  apiKey: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 3,
  handle(body, ctx) {
    const b = ctx.broker;
    const names = body.array((r) => r.string());
    body.int32(); // timeout_ms
    const w = throttleIf(new Writer(), ctx.version >= 1);
    w.array(names, (w, name) => {
      const deleted = b.store.delete(name);
      if (deleted) b.log.info(`deleted topic ${name}`);
      w.string(name).int16(deleted ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    });
    return w;
  },
};
