import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import type { ApiHandler, BrokerContext } from './handler.js';

/**
 * v3 is the first flexible version (compact arrays, tagged fields). librdkafka opens every
 * connection with it; kafkajs uses v0-v2.
 */
export const apiVersionsHandler: ApiHandler = {
  apiKey: ApiKey.ApiVersions,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  handle(_body, ctx) {
    const w = new Writer().int16(ErrorCode.NONE);
    const apis = ctx.broker.apis;
    if (ctx.version >= 3) {
      w.compactArray(apis, (w, a) => w.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion).emptyTaggedFields());
      return w.int32(0).emptyTaggedFields();
    }
    w.array(apis, (w, a) => w.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion));
    return ctx.version >= 1 ? w.int32(0) : w;
  },
};

/**
 * KIP-511: a client asking for an ApiVersions version we do not know gets the v0 layout with
 * UNSUPPORTED_VERSION and our ranges, so it can retry with one we do.
 */
export function unsupportedApiVersionsBody(broker: BrokerContext): Writer {
  return new Writer()
    .int16(ErrorCode.UNSUPPORTED_VERSION)
    .array(broker.apis, (w, a) => w.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion));
}
