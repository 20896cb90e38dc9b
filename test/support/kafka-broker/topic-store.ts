import { EventEmitter } from 'node:events';
import { decodeRecords, withBaseOffset, type BatchInfo, type DecodedRecord } from './protocol/record-batch.js';

interface StoredBatch {
  baseOffset: number;
  /** One past the batch's last offset. */
  nextOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

/** One partition's log: batches kept as the producer encoded them, base offsets rewritten. */
export class PartitionLog {
  private readonly batches: StoredBatch[] = [];
  logStartOffset = 0;
  highWatermark = 0;

  append(batches: readonly BatchInfo[]): number {
    const base = this.highWatermark;
    for (const b of batches) {
      const baseOffset = this.highWatermark;
      this.highWatermark += b.offsetCount;
      this.batches.push({ baseOffset, nextOffset: this.highWatermark, maxTimestamp: b.maxTimestamp, bytes: withBaseOffset(b.bytes, baseOffset) });
    }
    return base;
  }

  /**
   * Batches from the one holding `offset` on, up to `maxBytes` — but always at least one batch,
   * so a consumer whose limit is smaller than a batch still makes progress (KIP-74).
   */
  read(offset: number, maxBytes: number): Buffer[] {
    const out: Buffer[] = [];
    let size = 0;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const bytes = this.batches[i]!.bytes;
      if (out.length > 0 && size + bytes.length > maxBytes) break;
      out.push(bytes);
      size += bytes.length;
    }
    return out;
  }

  /** First offset whose batch may hold a record at or after `timestamp`; the high watermark if none. */
  offsetForTimestamp(timestamp: number): number {
    for (const b of this.batches) {
      if (b.maxTimestamp < timestamp) continue;
      const hit = decodeRecords(b.bytes).find((r) => r.timestamp >= timestamp);
      return hit?.offset ?? b.baseOffset;
    }
    return this.highWatermark;
  }

  records(): DecodedRecord[] {
    return this.batches.flatMap((b) => decodeRecords(b.bytes));
  }

  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.nextOffset <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface TopicInfo {
  name: string;
  partitions: { partition: number; logStartOffset: number; highWatermark: number }[];
}

/**
 * All topics of the broker. Emits 'append' after every write so long-polling fetches wake up
 * as soon as data arrives instead of sleeping out their maxWaitTime.
 */
export class TopicStore extends EventEmitter {
  private readonly topics = new Map<string, PartitionLog[]>();

  constructor() {
    super();
    // One listener per parked fetch; many idle consumers are normal, not a leak.
    this.setMaxListeners(0);
  }

  has(name: string): boolean {
    return this.topics.has(name);
  }

  names(): string[] {
    return [...this.topics.keys()].sort();
  }

  partitions(name: string): PartitionLog[] | undefined {
    return this.topics.get(name);
  }

  partition(name: string, index: number): PartitionLog | undefined {
    return this.topics.get(name)?.[index];
  }

  create(name: string, partitionCount: number): void {
    this.topics.set(
      name,
      Array.from({ length: partitionCount }, () => new PartitionLog()),
    );
  }

  delete(name: string): boolean {
    return this.topics.delete(name);
  }

  append(name: string, index: number, batches: readonly BatchInfo[]): number {
    const log = this.partition(name, index);
    if (!log) throw new Error(`no partition ${name}/${index}`);
    const base = log.append(batches);
    this.emit('append', name, index);
    return base;
  }

  describe(): TopicInfo[] {
    return this.names().map((name) => ({
      name,
      partitions: this.topics.get(name)!.map((log, partition) => ({
        partition,
        logStartOffset: log.logStartOffset,
        highWatermark: log.highWatermark,
      })),
    }));
  }
}

/** Kafka's legal topic names: up to 249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function isValidTopicName(name: string): boolean {
  return /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..';
}
