import { Inject, Injectable } from '@nestjs/common';
import {
  applicationDecider,
  applicationStreamId,
  handleCommand,
  rolloutStreamId,
  type Clock,
  type EventHandler,
  type EventStore,
  type StoredEvent,
} from '#domain';
import { CLOCK, EVENT_STORE } from '#infra/nest/tokens.js';
import { RolloutReconciler } from './rollout-reconciler.js';

/** Events from outside the engine that change what a rollout should do next. */
const STEERING = ['RolloutRequested', 'RolloutApproved', 'RolloutPromoted', 'RolloutResumed', 'RolloutAbortRequested'];
const ENDINGS = ['RolloutSucceeded', 'RolloutAborted', 'RolloutFailed'];

/**
 * The rollout process on the transport: steering events wake the reconciler (the
 * engine's own progress events do not, it is already running), and a rollout's end
 * frees its clusters on the application so the next rollout may claim them.
 */
@Injectable()
export class RolloutProcessHandler implements EventHandler {
  readonly name = 'rollout-process';
  readonly eventTypes = [...STEERING, ...ENDINGS];

  constructor(
    @Inject(RolloutReconciler) private readonly reconciler: RolloutReconciler,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(event: StoredEvent): Promise<void> {
    const { rolloutId } = event.data as { rolloutId: string };
    if (ENDINGS.includes(event.type)) {
      const [requested] = await this.store.readStream(rolloutStreamId(rolloutId));
      const application = (requested?.data as { application?: string } | undefined)?.application;
      if (!application) return;
      // Idempotent: a redelivered ending finds the claim already released.
      await handleCommand(
        this.store,
        applicationDecider,
        applicationStreamId(application),
        { type: 'ReleaseClusters', data: { name: application, rolloutId, now: this.clock.now() } },
        { actor: 'circle-worker', source: 'worker', correlationId: event.metadata.correlationId, causationId: event.eventId },
      );
      return;
    }
    await this.reconciler.reconcile(rolloutId);
  }
}
