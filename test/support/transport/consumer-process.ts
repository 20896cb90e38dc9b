import { createPool } from '#infra/postgres/pool.js';
import { RecordingHandler } from './recording-handler.js';
import { createTestTransport, type TransportKind } from './test-transports.js';

/**
 * A consumer in a process of its own, so a test can SIGKILL it (no close, no commit, no
 * leave) and watch the others take its partitions over. Reports on stdout as JSON lines:
 * `{"ready":true}` once subscribed, then `{"partitions":[…]}` whenever its share changes.
 * SIGTERM closes it gracefully.
 */
async function main(): Promise<void> {
  const env = process.env;
  const pool = createPool({ databaseUrl: env['DATABASE_URL']!, max: 10 });
  const transport = createTestTransport({
    kind: env['TRANSPORT'] as TransportKind,
    pool,
    partitions: Number(env['PARTITIONS']),
    memberId: env['WORKER']!,
    ...(env['KAFKA_BROKERS'] ? { brokers: env['KAFKA_BROKERS'].split(',') } : {}),
    ...(env['KAFKA_TOPIC'] ? { topic: env['KAFKA_TOPIC'] } : {}),
    ...(env['SESSION_TIMEOUT_MS'] ? { sessionTimeoutMs: Number(env['SESSION_TIMEOUT_MS']) } : {}),
  });
  const handler = new RecordingHandler({
    name: env['HANDLER']!,
    pool,
    worker: env['WORKER']!,
    delayMs: Number(env['DELAY_MS'] ?? 0),
  });
  await transport.start();
  const subscription = await transport.subscribe(handler);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  let last = '';
  const report = setInterval(() => {
    const now = JSON.stringify(transport.assignedPartitions(handler.name));
    if (now !== last) process.stdout.write(`${JSON.stringify({ partitions: JSON.parse(now) as number[] })}\n`);
    last = now;
  }, 50);
  process.once('SIGTERM', () => {
    clearInterval(report);
    void (async () => {
      await subscription.close();
      await transport.stop();
      await pool.end();
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`consumer process failed: ${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});
