import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { isValidTopicName } from '../topic-store.js';
import { throttleIf, type ApiHandler, type BrokerContext } from './handler.js';

export const metadataHandler: ApiHandler = {
  apiKey: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 6,
  handle(body, ctx) {
    const v = ctx.version;
    const b = ctx.broker;
    const requested = v === 0 ? body.array((r) => r.string()) : body.nullableArray((r) => r.string());
    // v0 has no null array: an empty list is how it asks for all topics.
    const all = requested === null || (v === 0 && requested.length === 0);
    const allowAutoCreate = v >= 4 ? body.bool() : true;
    const names = all ? b.store.names() : requested;

    const w = throttleIf(new Writer(), v >= 3);
    w.array([b], (w, br) => {
      w.int32(br.nodeId).string(br.host).int32(br.port);
      if (v >= 1) w.string(null);
    });
    if (v >= 2) w.string(b.clusterId);
    if (v >= 1) w.int32(b.nodeId);
    w.array(names, (w, name) => {
      const errorCode = ensureTopic(b, name, allowAutoCreate);
      w.int16(errorCode).string(name);
      if (v >= 1) w.bool(false);
      const count = errorCode === ErrorCode.NONE ? (b.store.partitions(name)?.length ?? 0) : 0;
      w.array(Array.from({ length: count }, (_, i) => i), (w, index) => {
        w.int16(ErrorCode.NONE).int32(index).int32(b.nodeId);
        w.array([b.nodeId], (w, id) => w.int32(id));
        w.array([b.nodeId], (w, id) => w.int32(id));
        if (v >= 5) w.array([], () => undefined);
      });
    });
    return w;
  },
};

/**
 * Kafka auto-creates a topic named in a Metadata request when the broker allows it
 * (auto.create.topics.enable) and, from v4, the client asks for it.
 */
function ensureTopic(b: BrokerContext, name: string, clientAllows: boolean): number {
  if (b.store.has(name)) return ErrorCode.NONE;
  if (!isValidTopicName(name)) return ErrorCode.INVALID_TOPIC_EXCEPTION;
  if (!b.autoCreateTopics || !clientAllows) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  b.store.create(name, b.defaultPartitions);
  b.log.info(`auto-created topic ${name} with ${b.defaultPartitions} partition(s)`);
  return ErrorCode.NONE;
}
