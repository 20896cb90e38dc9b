import type { MeasurementOutcome } from '../rollout.events.js';

export interface ClusterStep {
  /** started: slot taken, not yet applied; applied: waiting for ready; ready; failed. */
  status: 'started' | 'applied' | 'ready' | 'failed';
  deadline: string;
}

export interface ClusterRestore {
  status: 'started' | 'applied' | 'done' | 'failed';
  deadline: string;
}

/** Where the engine is inside the rollout's program; folded from the engine's events. */
export interface RolloutProgress {
  wave: number;
  stage: number;
  stageStartedAt: string | null;
  /** When a timed gate (pause, delay) of the current stage ends. */
  until: string | null;
  /** Per cluster of the current wave, for an action stage. */
  clusters: Record<string, ClusterStep>;
  /** Measurements of the current analysis gate, oldest first. */
  measurements: { outcome: MeasurementOutcome; at: string }[];
  /** A promote arrived; the next gate (or the current one) completes. */
  promotePending: boolean;
  /** A full promote arrived: every remaining gate completes at once. */
  skipGates: boolean;
  /** Every cluster the rollout has changed, with what the worker noted (e.g. colours). */
  touched: Record<string, Record<string, string>>;
  restores: Record<string, ClusterRestore>;
}

export const initialProgress = (): RolloutProgress => ({
  wave: 0,
  stage: 0,
  stageStartedAt: null,
  until: null,
  clusters: {},
  measurements: [],
  promotePending: false,
  skipGates: false,
  touched: {},
  restores: {},
});
