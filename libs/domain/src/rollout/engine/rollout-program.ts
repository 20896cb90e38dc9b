import type { AnalysisCheck } from '../strategy.js';
import type { RolloutRequest } from '../rollout.commands.js';
import { blueGreenStages } from './blue-green.program.js';
import { canaryStages } from './canary.program.js';

/**
 * What the worker does to one cluster; every action is idempotent (apply by spec), so
 * doing one again after a crash changes nothing a user could see.
 */
export type ClusterAction =
  /** No version runs yet: the new version takes the whole workload at once. */
  | { kind: 'install' }
  /** Canary track at this share of the replicas, stable keeps the rest. */
  | { kind: 'canaryWeight'; weight: number }
  /** Stable runs the new version at full size, then the canary track goes away. */
  | { kind: 'canaryFinalize' }
  /** The new colour comes up at full size behind the preview Service. */
  | { kind: 'blueGreenPreview' }
  /** The active Service switches to the new colour. */
  | { kind: 'blueGreenPromote' }
  /** The old colour is scaled to zero. */
  | { kind: 'blueGreenScaleDown' };

/** Something the whole wave waits for before its next stage. */
export type Gate =
  /** `seconds: null` waits for a promote. */
  | { kind: 'pause'; seconds: number | null }
  | { kind: 'analysis'; check: AnalysisCheck }
  | { kind: 'delay'; seconds: number; reason: 'bake' | 'scaleDownDelay' };

export type Stage = { type: 'action'; action: ClusterAction } | { type: 'gate'; gate: Gate };

/**
 * The stages one wave goes through, in order. Every wave runs the same strategy; a bake
 * delay follows each wave but the last, so a bad version shows itself on the first
 * clusters before it reaches the rest.
 */
export function waveStages(request: RolloutRequest, wave: number): Stage[] {
  // With nothing running yet there is no baseline to compare a canary against and no
  // old colour to switch from: a first deploy installs directly (as Argo Rollouts does).
  const strategyStages: Stage[] =
    request.currentVersion === null
      ? [{ type: 'action', action: { kind: 'install' } }]
      : request.strategy.kind === 'canary'
        ? canaryStages(request.strategy)
        : blueGreenStages(request.strategy);
  const last = wave === request.waves.length - 1;
  return last || request.bakeSeconds === 0
    ? strategyStages
    : [...strategyStages, { type: 'gate', gate: { kind: 'delay', seconds: request.bakeSeconds, reason: 'bake' } }];
}
