/**
 * Dead letters live in a table of the transport, but asking for a replay is an operator's
 * act, so it is told in the log like every other change, under `dead-letter-<id>`. The
 * worker appends the outcome to the same stream (apps/worker/src/dead-letters).
 */
export type DeadLetterEvent = {
  type: 'DeadLetterReplayRequested';
  data: {
    deadLetterId: string;
    replayId: string;
    handler: string;
    eventId: string;
    eventType: string;
    streamId: string;
    streamVersion: number;
    requestedAt: string;
  };
};

export const deadLetterStreamId = (id: string): string => `dead-letter-${id}`;

export const deadLetterLinks = (id: string) => ({ self: `/v1/dead-letters/${id}`, replay: `/v1/dead-letters/${id}/replay` });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids; anything else cannot name a dead letter (and must not reach a uuid column as a 500). */
export const isDeadLetterId = (id: string): boolean => UUID.test(id);
