import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Clock } from '#domain';
import { withLogContext } from '#infra/logging/log-context.js';
import type { Logger } from '#infra/logging/logger.js';
import { CLOCK, LOGGER } from '#infra/nest/tokens.js';
import { RolloutReconciler } from './rollout-reconciler.js';
import { RolloutTimers } from './rollout-timers.js';

export const ENGINE_OPTIONS = Symbol('EngineOptions');

export interface EngineOptions {
  /** How often due timers are looked for. */
  timerPollMs: number;
  /** Rollouts driven at the same time by one worker. */
  concurrency: number;
  /** How long a claimed timer stays claimed (see RolloutTimers). */
  timerLeaseMs: number;
}

/**
 * Fires durable timers: pauses that end, measurements that are due, clusters to look
 * at again. Time comes from the injectable clock, so tests move it forward instead of
 * sleeping through a 30-minute soak.
 */
@Injectable()
export class RolloutTimerPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running = new Set<Promise<void>>();
  private ticking = false;

  constructor(
    @Inject(RolloutTimers) private readonly timers: RolloutTimers,
    @Inject(RolloutReconciler) private readonly reconciler: RolloutReconciler,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ENGINE_OPTIONS) private readonly options: EngineOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.options.timerPollMs);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.running]);
  }

  /** Claims what is due (up to the free slots) and drives each rollout; exposed for tests. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const free = this.options.concurrency - this.running.size;
      if (free <= 0) return;
      for (const rolloutId of await this.timers.claimDue(this.clock.now(), free)) {
        // Timer-driven work has no request behind it; the reconciler's own events are
        // correlated by rollout id, so its log lines are too.
        const run = withLogContext({ correlationId: rolloutId, rolloutId }, () => this.reconciler.reconcile(rolloutId))
          .catch((error: unknown) => this.logger.error({ err: error, rolloutId }, 'rollout reconcile failed'))
          .finally(() => this.running.delete(run));
        this.running.add(run);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'timer poll failed');
    } finally {
      this.ticking = false;
    }
  }
}
