import { ApiKey } from '../protocol/api-keys.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { InvalidBatchError, splitBatches } from '../protocol/record-batch.js';
import { Writer } from '../protocol/writer.js';
import type { ApiHandler, BrokerContext } from './handler.js';

const INVALID_REQUIRED_ACKS = 21;

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
}

/**
 * v3 is the first version that carries RecordBatch v2 (the only format stored here); v8 adds
 * per-record errors, which we never produce, so we stop at v7.
 */
export const produceHandler: ApiHandler = {
  apiKey: ApiKey.Produce,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 7,
  handle(body, ctx) {
    const v = ctx.version;
    body.nullableString(); // transactional_id: transactions are not supported, plain produce is
    const acks = body.int16();
    body.int32(); // timeout_ms: a single in-memory replica acknowledges at once
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
    }));
    const badAcks = acks !== 0 && acks !== 1 && acks !== -1;
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) =>
        badAcks ? failed(p.index, INVALID_REQUIRED_ACKS) : appendOne(ctx.broker, t.name, p.index, p.records),
      ),
    }));
    // acks=0: the client does not read a response, and an unsolicited one would desync it.
    if (acks === 0) return null;

    const w = new Writer();
    w.array(results, (w, t) => {
      w.string(t.name).array(t.partitions, (w, p) => {
        w.int32(p.index).int16(p.errorCode).int64(BigInt(p.baseOffset));
        w.int64(-1n); // log_append_time_ms: -1 because topics use CreateTime
        if (v >= 5) w.int64(BigInt(p.logStartOffset));
      });
    });
    return w.int32(0);
  },
};

function appendOne(b: BrokerContext, topic: string, index: number, records: Buffer | null): PartitionResult {
  const log = b.store.partition(topic, index);
  if (!log) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    const batches = splitBatches(records ?? Buffer.alloc(0));
    if (batches.length === 0) return failed(index, ErrorCode.CORRUPT_MESSAGE);
    const baseOffset = b.store.append(topic, index, batches);
    return { index, errorCode: ErrorCode.NONE, baseOffset, logStartOffset: log.logStartOffset };
  } catch (err) {
    if (!(err instanceof InvalidBatchError)) throw err;
    b.log.warn(`rejected produce to ${topic}/${index}: ${err.message}`);
    return failed(index, err.errorCode);
  }
}

function failed(index: number, errorCode: number): PartitionResult {
  return { index, errorCode, baseOffset: -1, logStartOffset: -1 };
}
