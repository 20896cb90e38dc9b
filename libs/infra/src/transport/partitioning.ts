import { Partitioners, type PartitionMetadata } from 'kafkajs';

/**
 * Kafka's default partitioner (murmur2 of the key, as the Java client computes it). The
 * relay produces with it and the Postgres log partitions with it, so with the same
 * partition count a stream lands on the same partition number on both transports.
 */
const partitioner = Partitioners.DefaultPartitioner();
const metadataBySize = new Map<number, PartitionMetadata[]>();

function metadata(partitions: number): PartitionMetadata[] {
  let list = metadataBySize.get(partitions);
  if (!list) {
    list = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    metadataBySize.set(partitions, list);
  }
  return list;
}

/** Partition of a stream among `partitions`; the same number Kafka's default partitioner picks for key = stream id. */
export function partitionOf(streamId: string, partitions: number): number {
  return partitioner({ topic: '', partitionMetadata: metadata(partitions), message: { key: streamId, value: null } });
}
