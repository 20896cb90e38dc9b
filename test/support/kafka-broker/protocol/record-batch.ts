import { gunzipSync } from 'node:zlib';
import { crc32c } from './crc32c.js';
import { MalformedFrameError } from './reader.js';

// RecordBatch v2 header layout (kafka.apache.org/documentation/#recordbatch). Offsets are
// byte positions inside one batch.
const BASE_OFFSET = 0;
const BATCH_LENGTH = 8;
const MAGIC = 16;
const CRC = 17;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const RECORD_COUNT = 57;
const HEADER_SIZE = 61;
/** batchLength counts the bytes after itself: everything from partitionLeaderEpoch on. */
const LOG_OVERHEAD = 12;

export class InvalidBatchError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface BatchInfo {
  /** The batch bytes, exactly as the producer sent them (base offset still the producer's). */
  bytes: Buffer;
  /** Number of offsets the batch occupies (lastOffsetDelta + 1), which is what the log advances by. */
  offsetCount: number;
  maxTimestamp: number;
}

/**
 * Splits a Produce request's records blob into batches. The CRC is checked because it is the
 * one place a client bug (or a bad test double) would otherwise be silently stored and served.
 */
export function splitBatches(blob: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  let pos = 0;
  while (pos < blob.length) {
    if (blob.length - pos < HEADER_SIZE) throw new InvalidBatchError(2, 'truncated record batch header');
    const length = blob.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    if (length < HEADER_SIZE || pos + length > blob.length) throw new InvalidBatchError(2, `bad batch length ${length}`);
    const bytes = blob.subarray(pos, pos + length);
    if (bytes.readInt8(MAGIC) !== 2) throw new InvalidBatchError(43, `record batch magic ${bytes.readInt8(MAGIC)} (only v2 is supported)`);
    if (crc32c(bytes.subarray(ATTRIBUTES)) !== bytes.readUInt32BE(CRC)) throw new InvalidBatchError(2, 'record batch CRC32C mismatch');
    out.push({
      bytes,
      offsetCount: bytes.readInt32BE(LAST_OFFSET_DELTA) + 1,
      maxTimestamp: Number(bytes.readBigInt64BE(MAX_TIMESTAMP)),
    });
    pos += length;
  }
  return out;
}

/** Copy of a batch with the broker-assigned base offset; the CRC does not cover it, so it stays valid. */
export function withBaseOffset(bytes: Buffer, baseOffset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeBigInt64BE(BigInt(baseOffset), BASE_OFFSET);
  return copy;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null>;
}

/** Decodes a stored batch for test inspection. Only uncompressed and gzip batches are decodable. */
export function decodeRecords(bytes: Buffer): DecodedRecord[] {
  const baseOffset = Number(bytes.readBigInt64BE(BASE_OFFSET));
  const baseTimestamp = Number(bytes.readBigInt64BE(BASE_TIMESTAMP));
  const count = bytes.readInt32BE(RECORD_COUNT);
  const codec = bytes.readInt16BE(ATTRIBUTES) & 0x07;
  const isControl = (bytes.readInt16BE(ATTRIBUTES) & 0x20) !== 0;
  if (isControl) return [];
  let body = bytes.subarray(HEADER_SIZE);
  if (codec === 1) body = gunzipSync(body);
  else if (codec !== 0) throw new Error(`inspection cannot decode compression codec ${codec}`);
  const v = new VarintCursor(body);
  const out: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    v.signed(); // record length: the fields below are self-delimiting
    v.skip(1); // attributes: unused in v2 records
    const timestampDelta = v.signed();
    const offsetDelta = v.signed();
    const key = v.bytes();
    const value = v.bytes();
    const headers: Record<string, Buffer | null> = {};
    const headerCount = v.signed();
    for (let h = 0; h < headerCount; h++) {
      const name = v.bytes()?.toString('utf8') ?? '';
      headers[name] = v.bytes();
    }
    out.push({ offset: baseOffset + offsetDelta, timestamp: baseTimestamp + timestampDelta, key, value, headers });
  }
  return out;
}

/** Zig-zag varints as used inside records (numbers stay below 2^53 in anything a test produces). */
class VarintCursor {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  skip(n: number): void {
    this.pos += n;
  }

  signed(): number {
    let u = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.buf.length || shift > 63) throw new MalformedFrameError('bad record varint');
      const byte = this.buf[this.pos++]!;
      u += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  bytes(): Buffer | null {
    const len = this.signed();
    if (len < 0) return null;
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
}
