import {
  ConcurrencyError,
  fold,
  nextIntentions,
  rolloutDecider,
  rolloutStreamId,
  type ClusterGateway,
  type ClusterRef,
  type Clock,
  type EventMetadata,
  type EventStore,
  type Intention,
  type RolloutCommand,
  type RolloutEvent,
  type RolloutState,
} from '#domain';
import type pg from 'pg';
import type { ClusterDirectory } from '#infra/clusters/cluster-directory.js';
import type { Logger } from '#infra/logging/logger.js';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { measure } from './analysis-runner.js';
import { ClusterActions, type Observation } from './cluster-actions.js';
import { loadRolloutContext, type RolloutContext } from './rollout-context.js';
import type { RolloutTimers } from './rollout-timers.js';
import { RolloutTimings } from './rollout-timings.js';

export interface ReconcilerOptions {
  /** How soon to look again at a cluster that is still rolling. */
  observeIntervalMs?: number;
  /** How soon to retry a cluster call that failed but is still within its deadline. */
  retryIntervalMs?: number;
  /** Safety bound on passes per reconcile; a rollout never needs this many in a row. */
  maxPasses?: number;
  /**
   * Waits up to this long are slept through in-process, keeping the folded state,
   * instead of going through the timer table and rebuilding everything from the log.
   */
  inProcessWaitMs?: number;
  /** While sleeping in-process, the safety timer stands this far past the wake-up (see drive). */
  safetyTimerMs?: number;
}

const WORKER_META = (rolloutId: string): EventMetadata => ({
  actor: 'circle-worker',
  source: 'worker',
  correlationId: rolloutId,
  causationId: rolloutId,
});

/** A 32-bit key for pg advisory locks, per rollout. */
function lockKey(rolloutId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < rolloutId.length; i += 1) hash = Math.imul(hash ^ rolloutId.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/**
 * Drives one rollout as far as it can go right now: fold its events, ask the workflow
 * what to do, do it (cluster calls, measurements), record the results through the
 * decider, and repeat until it has to wait — then leave a durable timer. Only one
 * worker drives a rollout at a time (an advisory lock); all progress is in events, so
 * any worker can take over from any point.
 */
export class RolloutReconciler {
  private readonly actions: ClusterActions;
  private readonly observeIntervalMs: number;
  private readonly retryIntervalMs: number;
  private readonly maxPasses: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    gateway: ClusterGateway,
    private readonly directory: ClusterDirectory,
    private readonly timers: RolloutTimers,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: ReconcilerOptions = {},
    private readonly metrics?: CircleMetrics,
  ) {
    this.actions = new ClusterActions(gateway, (cluster) => directory.labels(cluster));
    this.observeIntervalMs = options.observeIntervalMs ?? 250;
    this.retryIntervalMs = options.retryIntervalMs ?? 2000;
    this.maxPasses = options.maxPasses ?? 10_000;
    this.inProcessWaitMs = options.inProcessWaitMs ?? 2000;
    this.safetyTimerMs = options.safetyTimerMs ?? 30_000;
  }

  private readonly inProcessWaitMs: number;
  private readonly safetyTimerMs: number;

  async reconcile(rolloutId: string): Promise<void> {
    const lock = await this.pool.connect();
    try {
      const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [lockKey(rolloutId)]);
      if (!rows[0]?.ok) {
        // Another worker is driving it; make sure someone looks again soon, in case
        // what woke us arrived after that worker's last read.
        await this.timers.wakeAt(rolloutId, this.clock.now());
        return;
      }
      try {
        await this.drive(rolloutId);
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1)', [lockKey(rolloutId)]);
      }
    } finally {
      lock.release();
    }
  }

  private async drive(rolloutId: string): Promise<void> {
    const streamId = rolloutStreamId(rolloutId);
    const history = await this.store.readStream(streamId);
    if (history.length === 0) return;
    let version = history.length;
    let state: RolloutState = fold(rolloutDecider, history as unknown as RolloutEvent[]);
    if (state.request === null) return;
    const ctx = await loadRolloutContext(this.store, state.request);
    const timings = new RolloutTimings(this.metrics, state.request);
    timings.seen(history);
    const refs = new Map<string, Promise<ClusterRef>>();
    const ref = (cluster: string): Promise<ClusterRef> => {
      if (!refs.has(cluster)) refs.set(cluster, this.directory.ref(cluster));
      return refs.get(cluster)!;
    };

    /** Decides the commands on the local state and appends all their events at once. */
    const record = async (commands: RolloutCommand[]): Promise<boolean> => {
      const events: RolloutEvent[] = [];
      const states: RolloutState[] = [state];
      let next = state;
      for (const command of commands) {
        for (const event of rolloutDecider.decide(command, next)) {
          events.push(event);
          next = rolloutDecider.evolve(next, event);
          states.push(next);
        }
      }
      if (events.length === 0) return false;
      await this.store.append(streamId, events.map((event) => ({ event, metadata: WORKER_META(rolloutId) })), version);
      version += events.length;
      // Timed only once appended: a conflict discards these events, and they are decided again.
      events.forEach((event, i) => timings.recorded(event, states[i]!, states[i + 1]!));
      state = next;
      return true;
    };

    for (let pass = 0; pass < this.maxPasses; pass += 1) {
      const now = this.clock.now();
      const intentions = nextIntentions(state, now);
      if (intentions.length === 0) {
        await this.timers.clear(rolloutId);
        return;
      }
      const wakeUps: Date[] = [];
      let results: RolloutCommand[][];
      try {
        results = await Promise.all(intentions.map((intention) => this.perform(intention, ctx, state, ref, now, wakeUps)));
      } catch (error) {
        this.logger.error({ err: error, rolloutId }, 'rollout step failed unexpectedly; will retry');
        await this.timers.wakeAt(rolloutId, new Date(now.getTime() + this.retryIntervalMs));
        return;
      }
      try {
        const moved = await record(results.flat());
        if (moved) continue;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        // Someone else appended (an operation from the API): start over on fresh state.
        const fresh = await this.store.readStream(streamId);
        timings.seen(fresh.slice(version));
        version = fresh.length;
        state = fold(rolloutDecider, fresh as unknown as RolloutEvent[]);
        continue;
      }
      const next = wakeUps.reduce<Date | null>((a, b) => (a === null || b < a ? b : a), null);
      if (next === null) return;
      const waitMs = next.getTime() - this.clock.now().getTime();
      if (waitMs > this.inProcessWaitMs) {
        await this.timers.wakeAt(rolloutId, next);
        return;
      }
      // A short wait (a cluster still rolling) is slept through here. The timer left
      // behind fires only if this worker dies meanwhile; it stands well past the
      // wake-up so other workers do not keep bumping into this one's lock.
      await this.timers.wakeAt(rolloutId, new Date(next.getTime() + this.safetyTimerMs));
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      // Catch up with what others appended meanwhile (a pause or abort from the API).
      const tail = await this.store.readStream(streamId, version);
      timings.seen(tail);
      version += tail.length;
      state = (tail as unknown as RolloutEvent[]).reduce(rolloutDecider.evolve, state);
    }
    this.logger.warn({ rolloutId }, 'rollout reconcile reached its pass limit; continuing later');
    await this.timers.wakeAt(rolloutId, new Date(this.clock.now().getTime() + this.retryIntervalMs));
  }

  /** Performs one intention; returns the commands that record its outcome (none while waiting). */
  private async perform(
    intention: Intention,
    ctx: RolloutContext,
    state: RolloutState,
    ref: (cluster: string) => Promise<ClusterRef>,
    now: Date,
    wakeUps: Date[],
  ): Promise<RolloutCommand[]> {
    const rolloutId = ctx.rolloutId;
    const later = (ms: number): RolloutCommand[] => {
      wakeUps.push(new Date(now.getTime() + ms));
      return [];
    };
    switch (intention.kind) {
      case 'record':
        return [intention.command];
      case 'wakeAt':
        wakeUps.push(intention.at);
        return [];
      case 'measure': {
        const result = await measure(intention.check, { rolloutId, application: ctx.application, version: ctx.target.version });
        return [{ type: 'RecordMeasurement', data: { rolloutId, wave: intention.wave, stage: intention.stage, ...result, now } }];
      }
      case 'apply':
      case 'observe': {
        const { cluster, wave, stage, action, deadline } = intention;
        const at = { rolloutId, wave, stage, cluster, now };
        const fail = (reason: string): RolloutCommand[] => [{ type: 'RecordClusterFailure', data: { ...at, reason } }];
        try {
          const target = await ref(cluster);
          const note = state.progress.touched[cluster] ?? {};
          if (intention.kind === 'apply') {
            const applied = await this.actions.apply(target, ctx, action, state.progress.wave * 1000 + stage, note);
            await this.actions.applyNoted(target, ctx, action, { ...note, ...applied });
            const recorded: RolloutCommand = { type: 'RecordClusterApplied', data: { ...at, note: applied } };
            // Follow this cluster until it is ready (for a short while) instead of waiting
            // for the whole pass: each cluster's readiness is seen as soon as it happens.
            const until = Date.now() + this.inProcessWaitMs;
            for (;;) {
              const seen = await this.actions.observe(target, ctx, action, { ...note, ...applied });
              const when = this.clock.now();
              if (seen.state === 'ready') return [recorded, { type: 'RecordClusterReady', data: { ...at, now: when } }];
              if (seen.state === 'failed') return [recorded, { type: 'RecordClusterFailure', data: { ...at, now: when, reason: seen.reason } }];
              if (Date.now() >= until) return [recorded];
              await new Promise((r) => setTimeout(r, this.observeIntervalMs));
            }
          }
          const seen = await this.actions.observe(target, ctx, action, note);
          return this.outcome(seen, now, deadline, {
            ready: () => [{ type: 'RecordClusterReady', data: at }],
            fail,
            later,
          });
        } catch (error) {
          return now >= deadline ? fail(describe(error)) : later(this.retryIntervalMs);
        }
      }
      case 'restore':
      case 'observeRestore': {
        const { cluster, note, deadline } = intention;
        const at = { rolloutId, cluster, now };
        const fail = (reason: string): RolloutCommand[] => [{ type: 'RecordRestoreFailure', data: { ...at, reason } }];
        try {
          const target = await ref(cluster);
          if (intention.kind === 'restore') {
            await this.actions.restore(target, ctx, note, 999_999);
            return [{ type: 'RecordRestoreApplied', data: at }];
          }
          const seen = await this.actions.observeRestore(target, ctx, note);
          return this.outcome(seen, now, deadline, {
            ready: () => [{ type: 'RecordClusterRestored', data: at }],
            fail,
            later,
          });
        } catch (error) {
          return now >= deadline ? fail(describe(error)) : later(this.retryIntervalMs);
        }
      }
    }
  }

  private outcome(
    seen: Observation,
    now: Date,
    deadline: Date,
    on: { ready: () => RolloutCommand[]; fail: (reason: string) => RolloutCommand[]; later: (ms: number) => RolloutCommand[] },
  ): RolloutCommand[] {
    if (seen.state === 'ready') return on.ready();
    if (seen.state === 'failed') return on.fail(seen.reason);
    if (now >= deadline) return on.fail(`not ready by its progress deadline (${seen.detail})`);
    return on.later(this.observeIntervalMs);
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  return `${code ? `${code}: ` : ''}${(error as Error).message ?? String(error)}`;
}
