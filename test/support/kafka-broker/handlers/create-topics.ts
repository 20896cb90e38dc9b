import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { Writer } from '../protocol/writer.js';
import { isValidTopicName } from '../topic-store.js';
import { throttleIf, type ApiHandler } from './handler.js';

const INVALID_REPLICATION_FACTOR = 38;

export const createTopicsHandler: ApiHandler = {
  apiKey: ApiKey.CreateTopics,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 4,
  handle(body, ctx) {
    const v = ctx.version;
    const b = ctx.broker;
    const topics = body.array((r) => ({
      name: r.string(),
      numPartitions: r.int32(),
      replicationFactor: r.int16(),
      assignments: r.array((r) => ({ index: r.int32(), brokers: r.array((r) => r.int32()) })),
      configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
    }));
    body.int32(); // timeout_ms: creation is immediate
    const validateOnly = v >= 1 ? body.bool() : false;

    const results = topics.map((t) => {
      const fail = (errorCode: number, message: string) => ({ name: t.name, errorCode, message });
      // -1 means "broker default" (KIP-464); explicit assignments fix the count themselves.
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? b.defaultPartitions : t.numPartitions;
      if (!isValidTopicName(t.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name '${t.name}'`);
      if (b.store.has(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`);
      if (partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1`);
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
        return fail(INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} larger than the 1 available broker`);
      }
      if (!validateOnly) {
        b.store.create(t.name, partitions);
        b.log.info(`created topic ${t.name} with ${partitions} partition(s)`);
      }
      return { name: t.name, errorCode: ErrorCode.NONE, message: null };
    });

    const w = throttleIf(new Writer(), v >= 2);
    w.array(results, (w, r) => {
      w.string(r.name).int16(r.errorCode);
      if (v >= 1) w.string(r.message);
    });
    return w;
  },
};
