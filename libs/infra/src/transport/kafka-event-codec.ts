import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { StoredEvent } from '#domain';

/** Header names on every relayed record, so consumers and tools (kcat) can route without parsing the value. */
export const HEADERS = {
  eventType: 'circle-event-type',
  eventId: 'circle-event-id',
  correlationId: 'circle-correlation-id',
} as const;

/** One log event as one Kafka record: key = stream id (so a stream stays on one partition). */
export function toKafkaMessage(event: StoredEvent): Message {
  const headers: IHeaders = {
    [HEADERS.eventType]: event.type,
    [HEADERS.eventId]: event.eventId,
  };
  if (event.metadata?.correlationId) headers[HEADERS.correlationId] = event.metadata.correlationId;
  return {
    key: event.streamId,
    value: JSON.stringify(event),
    headers,
    timestamp: String(event.recordedAt.getTime()),
  };
}

export function fromKafkaMessage(message: KafkaMessage): StoredEvent {
  if (!message.value) throw new Error(`record at offset ${message.offset} has no value`);
  const parsed = JSON.parse(message.value.toString('utf8')) as StoredEvent & { recordedAt: string };
  return { ...parsed, recordedAt: new Date(parsed.recordedAt) };
}
