import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { throttleIf, type ApiHandler } from './handler.js';

/** A single-node cluster coordinates every group (and transaction id) itself. */
export const findCoordinatorHandler: ApiHandler = {
  apiKey: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  handle(body, ctx) {
    const v = ctx.version;
    const b = ctx.broker;
    body.string(); // key
    if (v >= 1) body.int8(); // key_type
    const w = throttleIf(new Writer(), v >= 1).int16(ErrorCode.NONE);
    if (v >= 1) w.string(null);
    return w.int32(b.nodeId).string(b.host).int32(b.port);
  },
};
