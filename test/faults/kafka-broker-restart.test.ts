import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { KafkaTestBroker } from '../support/kafka-broker/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/processes.js';
import { createEffectTables, RecordingHandler } from '../support/transport/recording-handler.js';
import { createTestTransport, type TestTransport } from '../support/transport/test-transports.js';

const PARTITIONS = 6;
const STREAMS = Array.from({ length: 12 }, (_, i) => `restart-s${i}`);

/**
 * Kafka delivers at least once (DESIGN.md: "every handler is idempotent"): a batch fetched
 * but not yet committed when the broker went away comes again. What must hold is what a
 * user sees: every appended event took effect, and none took effect twice.
 */
describe('Kafka broker stopped and restarted while events are being appended', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let broker: KafkaTestBroker;
  let transport: TestTransport | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PostgresEventStore(db.pool);
    await createEffectTables(db.pool);
    broker = new KafkaTestBroker({ defaultPartitions: PARTITIONS });
    await broker.start();
  });

  afterAll(async () => {
    await transport?.stop();
    await broker?.stop();
    await db?.drop();
  });

  it('applies every event appended before, during and after the outage exactly once, in order per stream (delivery is at least once; the handler dedupes by stream version)', async () => {
    transport = createTestTransport({ kind: 'kafka', pool: db.pool, partitions: PARTITIONS, brokers: broker.brokers, topic: 'circle.events.restart', sessionTimeoutMs: 3000 });
    await transport.start();
    // A slowish handler keeps a backlog, so the broker goes away with fetched, uncommitted work.
    const handler = new RecordingHandler({ name: 'restart', pool: db.pool, worker: 'w', delayMs: 5 });
    const subscription = await transport.subscribe(handler);

    let appending = true;
    let appended = 0;
    const appender = (async () => {
      for (let round = 0; appending; round += 1) {
        for (const streamId of STREAMS) {
          await store.append(streamId, [{ event: { type: 'TestHappened', data: { streamId, round } }, metadata: { actor: 'fault-test', source: 'system', correlationId: streamId } }], 'any');
          appended += 1;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const effects = async (): Promise<number> =>
      (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM test_effects WHERE handler = 'restart'`)).rows[0]!.n;
    // Mid-stream: some events handled, more arriving.
    await eventually(async () => ((await effects()) >= 60 ? true : undefined), 20_000, 'the first events to be handled');
    const port = broker.port;
    await broker.stop();
    const appendedWhileDown = appended;
    await new Promise((r) => setTimeout(r, 2_000));
    expect(appended).toBeGreaterThan(appendedWhileDown); // the log kept accepting events during the outage
    await broker.start();
    expect(broker.port).toBe(port);
    await new Promise((r) => setTimeout(r, 1_000));
    appending = false;
    await appender;

    await eventually(async () => ((await effects()) >= appended ? true : undefined), 30_000, `all ${appended} events to take effect`);
    // Let anything still in flight land, so a late duplicate would be seen.
    await new Promise((r) => setTimeout(r, 500));
    await subscription.close();

    const { rows } = await db.pool.query<{ stream_id: string; versions: number[] }>(
      `SELECT stream_id, array_agg(stream_version ORDER BY seq) AS versions FROM test_effects WHERE handler = 'restart' GROUP BY stream_id`,
    );
    const logged = await db.pool.query<{ stream_id: string; n: number }>(
      `SELECT stream_id, count(*)::int AS n FROM events WHERE stream_id LIKE 'restart-s%' GROUP BY stream_id`,
    );
    expect(logged.rows.reduce((n, r) => n + r.n, 0)).toBe(appended);
    const expected = Object.fromEntries(logged.rows.map((r) => [r.stream_id, Array.from({ length: r.n }, (_, i) => i + 1)]));
    expect(Object.fromEntries(rows.map((r) => [r.stream_id, r.versions]))).toEqual(expected);
    expect((await db.pool.query(`SELECT * FROM test_gaps WHERE handler = 'restart'`)).rows).toEqual([]);
    const calls = (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM test_calls WHERE handler = 'restart'`)).rows[0]!.n;
    process.stdout.write(`kafka restart: ${appended} events appended, ${appended - appendedWhileDown} during/after the outage, ${calls - appended} redelivered\n`);
  }, 60_000);
});
