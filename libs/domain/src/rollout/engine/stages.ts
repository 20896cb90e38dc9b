import type { AnalysisCheck } from '../strategy.js';

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

/** A stage as people read it in progress views and logs: "canary 25%", "pause 30s". */
export function describeStage(stage: Stage): string {
  if (stage.type === 'action') {
    const action = stage.action;
    switch (action.kind) {
      case 'install':
        return 'install';
      case 'canaryWeight':
        return `canary ${action.weight}%`;
      case 'canaryFinalize':
        return 'make canary stable';
      case 'blueGreenPreview':
        return 'preview new colour';
      case 'blueGreenPromote':
        return 'switch traffic to new colour';
      case 'blueGreenScaleDown':
        return 'scale down old colour';
    }
  }
  const gate = stage.gate;
  switch (gate.kind) {
    case 'pause':
      return gate.seconds === null ? 'pause until promoted' : `pause ${gate.seconds}s`;
    case 'analysis':
      return `analysis ${gate.check.name}`;
    case 'delay':
      return gate.reason === 'bake' ? `bake ${gate.seconds}s` : `scale-down delay ${gate.seconds}s`;
  }
}
