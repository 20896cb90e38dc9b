import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { PermanentHandlerError, type StoredEvent, type Subscription } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/processes.js';
import { createEffectTables, RecordingHandler, type RecordingHandlerOptions } from '../support/transport/recording-handler.js';
import { createTestTransport, type TestTransport, type TestTransportSettings, type TransportKind } from '../support/transport/test-transports.js';

/** What the contract needs to know about one adapter. */
export interface ContractTarget {
  kind: TransportKind;
  partitions: number;
  beforeAll?(): Promise<void>;
  afterAll?(): Promise<void>;
  /** Adapter settings (brokers, topic) for in-process transports. */
  settings(): Partial<TestTransportSettings>;
  /** Environment for a child consumer process (beyond the database and handler). */
  childEnv(): Record<string, string>;
  /** Makes already handled events of `group` arrive again at its next subscription. */
  redeliver(db: TestDatabase, group: string): Promise<void>;
}

export interface ContractContext {
  db: TestDatabase;
  store: PostgresEventStore;
  run: string;
  transport(overrides?: Partial<TestTransportSettings>): Promise<TestTransport>;
  append(streams: readonly string[], perStream: number, options?: { concurrent?: boolean }): Promise<void>;
  effects(handler: string): Promise<{ stream_id: string; stream_version: number; worker: string }[]>;
  waitForEffects(handler: string, count: number, timeoutMs?: number): Promise<void>;
  handler(options: Omit<RecordingHandlerOptions, 'pool'>): RecordingHandler;
}

interface Child {
  process: ChildProcess;
  partitions: number[];
  ready: Promise<void>;
  output: () => string;
}

/**
 * The transport contract, run against every adapter: what the worker relies on whichever
 * transport carries the log. `extra` adds adapter-specific tests with the same fixtures.
 */
export function transportContract(target: ContractTarget, extra?: (ctx: () => ContractContext) => void): void {
  describe(`${target.kind} transport contract`, () => {
    let db: TestDatabase;
    let store: PostgresEventStore;
    const run = randomBytes(3).toString('hex');
    let transports: TestTransport[] = [];
    let subscriptions: Subscription[] = [];
    let children: Child[] = [];

    beforeAll(async () => {
      db = await createTestDatabase();
      store = new PostgresEventStore(db.pool);
      await createEffectTables(db.pool);
      await target.beforeAll?.();
    });

    afterEach(async () => {
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
      children = [];
      await Promise.all(subscriptions.map((s) => s.close().catch(() => undefined)));
      subscriptions = [];
      await Promise.all(transports.map((t) => t.stop().catch(() => undefined)));
      transports = [];
    });

    afterAll(async () => {
      await target.afterAll?.();
      await db.drop();
    });

    const transport = async (overrides: Partial<TestTransportSettings> = {}): Promise<TestTransport> => {
      const t = createTestTransport({ kind: target.kind, pool: db.pool, partitions: target.partitions, ...target.settings(), ...overrides });
      transports.push(t);
      await t.start();
      return t;
    };
    const subscribe = async (t: TestTransport, handler: RecordingHandler): Promise<Subscription> => {
      const s = await t.subscribe(handler);
      subscriptions.push(s);
      return s;
    };
    const handler = (options: Omit<RecordingHandlerOptions, 'pool'>): RecordingHandler => new RecordingHandler({ ...options, pool: db.pool });
    const event = (streamId: string, n: number) => ({
      event: { type: 'TestHappened', data: { streamId, n } },
      metadata: { actor: 'contract-test', source: 'system' as const, correlationId: `corr-${streamId}` },
    });
    /** Appends `perStream` more events to each stream, one event per append, interleaving the streams. */
    const append = async (streams: readonly string[], perStream: number, options: { concurrent?: boolean } = {}): Promise<void> => {
      const one = async (streamId: string): Promise<void> => {
        for (let i = 0; i < perStream; i += 1) await store.append(streamId, [event(streamId, i)], 'any');
      };
      if (options.concurrent) await Promise.all(streams.map(one));
      else for (let i = 0; i < perStream; i += 1) for (const s of streams) await store.append(s, [event(s, i)], 'any');
    };
    const effects = async (name: string) =>
      (
        await db.pool.query<{ stream_id: string; stream_version: number; worker: string }>(
          `SELECT stream_id, stream_version, worker FROM test_effects WHERE handler = $1 AND stream_id LIKE $1 || '-s%' ORDER BY seq`,
          [name],
        )
      ).rows;
    const count = async (table: 'test_effects' | 'test_calls' | 'test_gaps', name: string): Promise<number> =>
            (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE handler = $1 AND stream_id LIKE $1 || '-s%'`, [name]))
        .rows[0]!.n;
    const waitForEffects = async (name: string, n: number, timeoutMs = 20_000): Promise<void> => {
      await eventually(async () => ((await count('test_effects', name)) >= n ? true : undefined), timeoutMs, `${n} effects of ${name}`);
    };
    /** Streams of one test are named after its handler, so its counts ignore the events other tests appended. */
    const streamsOf = (name: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${name}-s${i}`);
    const versionsOf = (calls: readonly StoredEvent[], streamId: string): number[] =>
      calls.filter((c) => c.streamId === streamId).map((c) => c.streamVersion);
    const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    /** Starts a consumer in a process of its own (compiled by `npm run build`). */
    const startChild = (name: string, worker: string, delayMs: number): Child => {
      const child = spawn(process.execPath, ['dist/test/support/transport/consumer-process.js'], {
        env: {
          ...process.env,
          ...target.childEnv(),
          TRANSPORT: target.kind,
          DATABASE_URL: db.url,
          PARTITIONS: String(target.partitions),
          HANDLER: name,
          WORKER: worker,
          DELAY_MS: String(delayMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      let buffered = '';
      const record: Child = { process: child, partitions: [], ready: Promise.resolve(), output: () => output };
      record.ready = new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          buffered += chunk.toString();
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            const message = JSON.parse(line) as { ready?: boolean; partitions?: number[] };
            if (message.ready) resolve();
            if (message.partitions) record.partitions = message.partitions;
          }
        });
        child.once('exit', (code) => reject(new Error(`consumer ${worker} exited (${code}) before it was ready:\n${output}`)));
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      children.push(record);
      return record;
    };

    const partitionsSplit = (held: number[][]): boolean => {
      const all = held.flat();
      return held.every((p) => p.length > 0) && all.length === target.partitions && new Set(all).size === target.partitions;
    };

    it('delivers each stream’s events in order while many streams are appended concurrently', async () => {
      const t = await transport();
      const h = handler({ name: `order-${run}`, worker: 'a' });
      await subscribe(t, h);
      const streams = streamsOf(`order-${run}`, 12);
      await append(streams, 15, { concurrent: true });
      await waitForEffects(h.name, 180);
      for (const s of streams) expect(versionsOf(h.calls, s)).toEqual(range(1, 15));
      expect(await count('test_gaps', h.name)).toBe(0);
    });

    it('resumes from its checkpoint after a graceful close: nothing handled is delivered again', async () => {
      const name = `resume-${run}`;
      const streams = streamsOf(`resume-${run}`, 4);
      const first = await transport();
      const before = handler({ name, worker: 'a' });
      const subscription = await first.subscribe(before);
      await append(streams, 5);
      await waitForEffects(name, 20);
      await subscription.close();
      await first.stop();

      await append(streams, 5);
      const second = await transport();
      const after = handler({ name, worker: 'b' });
      await subscribe(second, after);
      await waitForEffects(name, 40);
      for (const s of streams) expect(versionsOf(after.calls, s)).toEqual(range(6, 10));
    });

    it('does not repeat a visible effect when events are delivered again', async () => {
      const name = `dedupe-${run}`;
      const streams = streamsOf(`dedupe-${run}`, 3);
      const first = await transport();
      const subscription = await first.subscribe(handler({ name, worker: 'a' }));
      await append(streams, 5);
      await waitForEffects(name, 15);
      await subscription.close();
      await first.stop();

      await target.redeliver(db, name);
      const second = await transport();
      const again = handler({ name, worker: 'b' });
      await subscribe(second, again);
      await eventually(async () => (streams.every((s) => versionsOf(again.calls, s).length === 5) ? true : undefined), 20_000, 'redelivery');
      expect(await count('test_effects', name)).toBe(15);
      expect(await count('test_gaps', name)).toBe(0);
    });

    it('retries transient errors, dead-letters an event that keeps failing, and keeps the other streams moving', async () => {
      const name = `poison-${run}`;
      const [poison, permanent, flaky, ...healthy] = streamsOf(`poison-${run}`, 6) as [string, string, string, ...string[]];
      let poisonHeals = false;
      const t = await transport({ maxAttempts: 3 });
      const h = handler({
        name,
        worker: 'a',
        beforeEffect: (e, attempt) => {
          if (e.streamId === poison && e.streamVersion === 2 && !poisonHeals) throw new Error(`boom on attempt ${attempt}`);
          if (e.streamId === permanent && e.streamVersion === 1 && !poisonHeals) throw new PermanentHandlerError('not for me');
          if (e.streamId === flaky && e.streamVersion === 1 && attempt < 3) throw new Error('flaky');
        },
      });
      await subscribe(t, h);
      await append([poison, permanent, flaky, ...healthy], 5);
      // 30 events, of which the poison's v2 and the permanent failure's v1 never take effect.
      await waitForEffects(name, 28);
      const letters = await t.deadLetters(name);
      expect(letters.map((l) => [l.streamId, l.streamVersion, l.attempts])).toEqual(
        expect.arrayContaining([
          [poison, 2, 3],
          [permanent, 1, 1],
        ]),
      );
      expect(letters).toHaveLength(2);
      const poisonLetter = letters.find((l) => l.streamId === poison)!;
      expect(poisonLetter.error).toContain('boom on attempt 3');
      expect(poisonLetter.replayedAt).toBeNull();
      expect(letters.find((l) => l.streamId === permanent)!.error).toContain('PermanentHandlerError: not for me');
      // The poisoned stream moved on past its dead letter; the flaky one made it on its third try.
      expect(versionsOf(h.calls, poison).filter((v) => v > 2)).toEqual([3, 4, 5]);
      expect(versionsOf(h.calls, flaky)).toEqual([1, 1, 1, 2, 3, 4, 5]);
      for (const s of healthy) expect(versionsOf(h.calls, s)).toEqual(range(1, 5));
      expect((await effects(name)).filter((e) => e.stream_id === flaky)).toHaveLength(5);

      // Replay: a letter that still fails rejects with its error and stays listed as not replayed.
      const permanentLetter = letters.find((l) => l.streamId === permanent)!;
      await expect(t.replayDeadLetter(poisonLetter.id)).rejects.toThrow('boom');
      poisonHeals = true;
      const callsBefore = h.calls.length;
      await t.replayDeadLetter(poisonLetter.id);
      // (The subscription is still running and may be handing over other tests' events.)
      expect(h.calls.slice(callsBefore).filter((c) => c.streamId === poison).map((c) => c.eventId)).toEqual([poisonLetter.eventId]);
      const replayed = await t.deadLetters(name);
      expect(replayed.find((l) => l.id === poisonLetter.id)!.replayedAt).toBeInstanceOf(Date);
      expect(replayed.find((l) => l.id === permanentLetter.id)!.replayedAt).toBeNull();
      await expect(t.replayDeadLetter('00000000-0000-4000-8000-000000000000')).rejects.toThrow('no dead letter');
    });

    it('splits the partitions between two consumers of one group, each stream on one of them', async () => {
      const name = `split-${run}`;
      const a = await transport({ memberId: `split-a-${run}` });
      const b = await transport({ memberId: `split-b-${run}` });
      await subscribe(a, handler({ name, worker: 'a' }));
      await subscribe(b, handler({ name, worker: 'b' }));
      await eventually(
        async () => (partitionsSplit([a.assignedPartitions(name), b.assignedPartitions(name)]) ? true : undefined),
        20_000,
        'two consumers splitting the partitions',
      );
      const streams = streamsOf(`split-${run}`, 24);
      await append(streams, 3);
      await waitForEffects(name, 72);
      const rows = await effects(name);
      const workersByStream = new Map<string, Set<string>>();
      for (const row of rows) workersByStream.set(row.stream_id, (workersByStream.get(row.stream_id) ?? new Set()).add(row.worker));
      expect([...workersByStream.values()].every((w) => w.size === 1)).toBe(true);
      expect(new Set(rows.map((r) => r.worker))).toEqual(new Set(['a', 'b']));
    });

    it('loses nothing when the only consumer is SIGKILLed mid-work: the next one redelivers what was not committed', async () => {
      const name = `crash-${run}`;
      const child = startChild(name, `crash-a-${run}`, 15);
      await child.ready;
      await eventually(async () => (child.partitions.length === target.partitions ? true : undefined), 20_000, 'the child holding every partition');
      const streams = streamsOf(`crash-${run}`, 6);
      await append(streams, 20);
      await waitForEffects(name, 30);
      child.process.kill('SIGKILL');
      await once(child.process, 'exit');
      const handledByChild = await count('test_effects', name);
      expect(handledByChild).toBeLessThan(120);

      const survivor = await transport({ memberId: `crash-b-${run}` });
      await subscribe(survivor, handler({ name, worker: 'b' }));
      await waitForEffects(name, 120, 30_000);
      const rows = await effects(name);
      expect(rows).toHaveLength(120);
      for (const s of streams) expect(rows.filter((r) => r.stream_id === s).map((r) => r.stream_version)).toEqual(range(1, 20));
      expect(await count('test_gaps', name)).toBe(0);
      expect(await count('test_calls', name)).toBeGreaterThanOrEqual(120);
    });

    it('moves a SIGKILLed consumer’s partitions to the survivor while events keep arriving', async () => {
      const name = `failover-${run}`;
      const a = startChild(name, `failover-a-${run}`, 2);
      const b = startChild(name, `failover-b-${run}`, 2);
      await Promise.all([a.ready, b.ready]);
      await eventually(async () => (partitionsSplit([a.partitions, b.partitions]) ? true : undefined), 20_000, 'two processes splitting the partitions');
      const streams = streamsOf(`failover-${run}`, 12);
      await append(streams, 5);
      // Both start by working through the log other tests left behind: kill the victim
      // only once it has handled some of this test's streams.
      await eventually(
        async () => (new Set((await effects(name)).map((r) => r.worker)).size === 2 ? true : undefined),
        20_000,
        'both processes handling this test’s streams',
      );
      const victimPartitions = [...a.partitions];
      a.process.kill('SIGKILL');
      await once(a.process, 'exit');
      await append(streams, 10);
      await waitForEffects(name, 180, 30_000);
      await eventually(async () => (b.partitions.length === target.partitions ? true : undefined), 10_000, 'the survivor holding every partition');

      const rows = await effects(name);
      expect(rows).toHaveLength(180);
      for (const s of streams) expect(rows.filter((r) => r.stream_id === s).map((r) => r.stream_version)).toEqual(range(1, 15));
      expect(await count('test_gaps', name)).toBe(0);
      expect(victimPartitions.length).toBeGreaterThan(0);
      // Streams the victim had been handling were finished by the survivor.
      const victimStreams = new Set(rows.filter((r) => r.worker === `failover-a-${run}`).map((r) => r.stream_id));
      expect(victimStreams.size).toBeGreaterThan(0);
      for (const s of victimStreams) expect(rows.some((r) => r.stream_id === s && r.worker === `failover-b-${run}`)).toBe(true);

      // SIGTERM is the graceful path: the survivor finishes, commits and exits cleanly.
      b.process.kill('SIGTERM');
      const [code] = (await once(b.process, 'exit')) as [number | null];
      expect(code).toBe(0);
    });

    extra?.(() => ({ db, store, run, transport, append, effects, waitForEffects, handler }));
  });
}
