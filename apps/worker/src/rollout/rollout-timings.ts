import { waveStages, type RolloutEvent, type RolloutRequest, type RolloutState } from '#domain';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';

const seconds = (from: string, to: string): number => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/**
 * Step and wave durations of one rollout, from the engine's own events and times (its
 * clock), so a worker that takes a rollout over mid-wave still times the wave from its
 * real start: the start is read back from the stream, not remembered in memory.
 */
export class RolloutTimings {
  private waveStartedAt: string | null = null;

  constructor(
    private readonly metrics: CircleMetrics | undefined,
    private readonly request: RolloutRequest,
  ) {}

  /** Events read from the stream (history, or what others appended meanwhile). */
  seen(events: readonly { type: string; data: unknown }[]): void {
    for (const event of events) {
      if (event.type !== 'RolloutStageStarted') continue;
      const data = event.data as { stage: number; at: string };
      if (data.stage === 0) this.waveStartedAt = data.at;
    }
  }

  /** An event this worker records, with the rollout's state before and after it. */
  recorded(event: RolloutEvent, before: RolloutState, after: RolloutState): void {
    this.seen([event]);
    if (event.type !== 'RolloutStageCompleted' || !this.metrics) return;
    const strategy = this.request.strategy.kind;
    const started = before.progress.stageStartedAt;
    if (started !== null) {
      const stage = waveStages(this.request, event.data.wave)[event.data.stage];
      const step = stage === undefined ? 'unknown' : stage.type === 'action' ? stage.action.kind : stage.gate.kind;
      this.metrics.stepDuration.observe({ strategy, step }, seconds(started, event.data.at));
    }
    if (after.progress.wave > event.data.wave && this.waveStartedAt !== null) {
      this.metrics.waveDuration.observe({ strategy }, seconds(this.waveStartedAt, event.data.at));
      this.waveStartedAt = null;
    }
  }
}
