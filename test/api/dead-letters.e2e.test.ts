import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { EventHandler, StoredEvent } from '#domain';
import { expectProblem } from '../support/api-expect.js';
import { startCircle, type CircleHarness } from '../support/circle-harness.js';
import { eventually } from '../support/processes.js';

/**
 * A notifier that fails for applications named poison-*, until the test "fixes" it. The
 * instance is Nest's, so what it saw and whether it is broken live out here.
 */
const probe = { broken: true, seen: [] as string[] };

@Injectable()
class PoisonSensitiveNotifier implements EventHandler {
  readonly name = 'test-poison-notifier';
  readonly eventTypes = ['ApplicationCreated'];

  async handle(event: StoredEvent): Promise<void> {
    const { name } = event.data as { name: string };
    if (probe.broken && name.startsWith('poison-')) throw new Error(`notifier endpoint refused ${name}`);
    probe.seen.push(name);
  }
}

interface DeadLetterBody {
  id: string;
  handler: string;
  eventId: string;
  eventType: string;
  streamId: string;
  streamVersion: number;
  globalPosition: number;
  attempts: number;
  error: string;
  failedAt: string;
  replayedAt: string | null;
  replayStatus: string;
  lastReplay: { id: string; requestedBy: string; outcome: string | null; error: string | null; completedAt: string | null } | null;
  links: { self: string; replay: string };
}

describe('dead letters API', () => {
  let circle: CircleHarness;
  let ops: string;
  let viewer: string;
  let deployer: string;
  let manager: string;
  let poisonA: DeadLetterBody;
  let poisonB: DeadLetterBody;
  let newestFirst: DeadLetterBody[];

  const get = (path: string, token = ops) => circle.http().get(path).auth(token, { type: 'bearer' });
  const replay = (id: string, token = ops) => circle.http().post(`/v1/dead-letters/${id}/replay`).auth(token, { type: 'bearer' }).send({});
  const streamTypes = async (streamId: string) =>
    (await circle.db.pool.query<{ type: string; metadata: { actor: string; source: string } }>(
      'SELECT type, metadata FROM events WHERE stream_id = $1 ORDER BY stream_version',
      [streamId],
    )).rows.map((r) => `${r.type} by ${r.metadata.actor}`);
  const waitForReplay = (id: string, status: string) =>
    eventually(
      async () => {
        const res = await get(`/v1/dead-letters/${id}`);
        return res.status === 200 && res.body.replayStatus === status ? (res.body as DeadLetterBody) : undefined;
      },
      15_000,
      `dead letter ${id} to be ${status}`,
    );

  beforeAll(async () => {
    circle = await startCircle({ extraHandlers: [PoisonSensitiveNotifier] });
    ops = await circle.token('admin', 'ops-olga');
    viewer = await circle.token('viewer', 'val');
    deployer = await circle.token('deployer', 'ci-shop');
    manager = await circle.token('release-manager', 'alice');
    for (const name of ['healthy', 'poison-a', 'poison-b']) {
      await circle.http().post('/v1/applications').auth(circle.admin, { type: 'bearer' }).send({ name, team: 'payments' }).expect(201);
    }
    // Each poisoned event is retried TRANSPORT_MAX_ATTEMPTS times with backoff, then set aside.
    const page = await eventually(
      async () => {
        const res = await get('/v1/dead-letters?handler=test-poison-notifier');
        return res.status === 200 && res.body.items.length === 2 ? (res.body.items as DeadLetterBody[]) : undefined;
      },
      20_000,
      'two dead letters',
    );
    newestFirst = page;
    // Their streams may sit on different partitions, retried side by side, so which one
    // gave up first is not known in advance.
    poisonA = page.find((d) => d.streamId === 'application-poison-a')!;
    poisonB = page.find((d) => d.streamId === 'application-poison-b')!;
  });
  afterAll(async () => {
    await circle?.close();
  });

  it('lists dead letters newest first with the event, the attempts and the handler\'s error', async () => {
    expect(probe.seen).toEqual(['healthy']);
    expect(poisonA).toEqual({
      id: expect.any(String),
      handler: 'test-poison-notifier',
      eventId: expect.any(String),
      eventType: 'ApplicationCreated',
      streamId: 'application-poison-a',
      streamVersion: 1,
      globalPosition: expect.any(Number),
      attempts: 5,
      error: 'Error: notifier endpoint refused poison-a',
      failedAt: expect.any(String),
      replayedAt: null,
      replayStatus: 'none',
      lastReplay: null,
      links: { self: `/v1/dead-letters/${poisonA.id}`, replay: `/v1/dead-letters/${poisonA.id}/replay` },
    });
    expect(poisonB).toMatchObject({ streamId: 'application-poison-b', replayStatus: 'none' });
    expect(Date.parse(newestFirst[0]!.failedAt)).toBeGreaterThanOrEqual(Date.parse(newestFirst[1]!.failedAt));

    const one = await get(`/v1/dead-letters/${poisonA.id}`).expect(200);
    expect(one.body).toEqual(poisonA);
  });

  it('pages with a cursor and filters by handler', async () => {
    const first = await get('/v1/dead-letters?limit=1').expect(200);
    expect(first.body.items.map((d: DeadLetterBody) => d.id)).toEqual([newestFirst[0]!.id]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/v1/dead-letters?limit=1&cursor=${first.body.nextCursor}`).expect(200);
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: newestFirst[1]!.id })], nextCursor: null });

    const other = await get('/v1/dead-letters?handler=rollout-process').expect(200);
    expect(other.body).toEqual({ items: [], nextCursor: null });
  });

  it('replays through a worker: a failed replay records the error, and once the handler is fixed it succeeds', async () => {
    const failing = await replay(poisonA.id).expect(202);
    expect(failing.body).toEqual({
      deadLetterId: poisonA.id,
      replayId: expect.any(String),
      replayStatus: 'pending',
      position: expect.any(Number),
      links: { self: `/v1/dead-letters/${poisonA.id}`, replay: `/v1/dead-letters/${poisonA.id}/replay` },
    });
    expect(failing.headers.location).toBe(`/v1/dead-letters/${poisonA.id}`);
    expect(failing.headers['x-circle-position']).toBe(String(failing.body.position));

    const failed = await waitForReplay(poisonA.id, 'failed');
    expect(failed.lastReplay).toEqual({
      id: failing.body.replayId,
      requestedAt: expect.any(String),
      requestedBy: 'ops-olga',
      outcome: 'failed',
      error: 'Error: notifier endpoint refused poison-a',
      completedAt: expect.any(String),
    });
    expect(failed.replayedAt).toBeNull();

    probe.broken = false;
    const fixed = await replay(poisonA.id).expect(202);
    expect(fixed.body.replayId).not.toBe(failing.body.replayId);
    const succeeded = await waitForReplay(poisonA.id, 'succeeded');
    expect(succeeded.lastReplay).toMatchObject({ id: fixed.body.replayId, outcome: 'succeeded', error: null, requestedBy: 'ops-olga' });
    expect(succeeded.replayedAt).toEqual(expect.any(String));
    // Delivery is at least once, so the handler may see an event twice; what matters is that it saw poison-a now.
    expect([...new Set(probe.seen)]).toEqual(['healthy', 'poison-a']);

    // The log tells who asked for each replay and what came of it.
    expect(await streamTypes(`dead-letter-${poisonA.id}`)).toEqual([
      'DeadLetterReplayRequested by ops-olga',
      'DeadLetterReplayFailed by circle-worker',
      'DeadLetterReplayRequested by ops-olga',
      'DeadLetterReplaySucceeded by circle-worker',
    ]);
    // The other dead letter was not touched.
    expect((await get(`/v1/dead-letters/${poisonB.id}`).expect(200)).body.replayStatus).toBe('none');
  });

  it('refuses to replay a dead letter that was already replayed successfully', async () => {
    await waitForReplay(poisonA.id, 'succeeded');
    const handled = probe.seen.length;
    const again = await replay(poisonA.id).expect(409);
    expectProblem(again, 409, 'DEAD_LETTER_ALREADY_REPLAYED');
    expect(again.body.replayedAt).toEqual(expect.any(String));
    expect((await get(`/v1/dead-letters/${poisonA.id}`).expect(200)).body.replayStatus).toBe('succeeded');
    expect(probe.seen).toHaveLength(handled);
  });

  it('answers 404 for an unknown dead letter, on reads and replays', async () => {
    const unknown = randomUUID();
    expectProblem(await replay(unknown), 404, 'DEAD_LETTER_NOT_FOUND');
    expectProblem(await replay('not-a-uuid'), 404, 'DEAD_LETTER_NOT_FOUND');
    expectProblem(await get(`/v1/dead-letters/${unknown}`), 404, 'DEAD_LETTER_NOT_FOUND');
    expect(await streamTypes(`dead-letter-${unknown}`)).toEqual([]);
  });

  it('is for admins only, and needs a token', async () => {
    for (const token of [viewer, deployer, manager]) {
      expectProblem(await get('/v1/dead-letters', token), 403, 'FORBIDDEN');
      expectProblem(await get(`/v1/dead-letters/${poisonB.id}`, token), 403, 'FORBIDDEN');
      expectProblem(await replay(poisonB.id, token), 403, 'FORBIDDEN');
    }
    expectProblem(await circle.http().get('/v1/dead-letters'), 401, 'UNAUTHENTICATED');
    expectProblem(await circle.http().post(`/v1/dead-letters/${poisonB.id}/replay`).send({}), 401, 'UNAUTHENTICATED');
    expect((await get(`/v1/dead-letters/${poisonB.id}`).expect(200)).body.replayStatus).toBe('none');
  });

  it('rejects a cursor it did not hand out', async () => {
    expectProblem(await get('/v1/dead-letters?cursor=bm90LWEtY3Vyc29y'), 400, 'CURSOR_INVALID');
    const forged = Buffer.from(JSON.stringify(['123', 'not-a-uuid'])).toString('base64url');
    expectProblem(await get(`/v1/dead-letters?cursor=${forged}`), 400, 'CURSOR_INVALID');
  });
});
