import type { Strategy } from '../strategy.js';
import type { Stage } from './stages.js';

/**
 * Canary, as a straight list: each setWeight moves replicas to the canary track, each
 * pause or analysis holds the wave, and the end makes the new version the stable one.
 * A trailing setWeight 100 is folded into the finalize step (it would only run the
 * whole fleet twice).
 */
export function canaryStages(strategy: Extract<Strategy, { kind: 'canary' }>): Stage[] {
  const stages: Stage[] = strategy.steps.map((step): Stage => {
    switch (step.kind) {
      case 'setWeight':
        return { type: 'action', action: { kind: 'canaryWeight', weight: step.weight } };
      case 'pause':
        return { type: 'gate', gate: { kind: 'pause', seconds: step.seconds } };
      case 'analysis':
        return { type: 'gate', gate: { kind: 'analysis', check: step.check } };
    }
  });
  const last = stages[stages.length - 1];
  if (last?.type === 'action' && last.action.kind === 'canaryWeight' && last.action.weight === 100) stages.pop();
  return [...stages, { type: 'action', action: { kind: 'canaryFinalize' } }];
}
