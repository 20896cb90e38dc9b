import type { Strategy } from '../strategy.js';
import type { Stage } from './stages.js';

/**
 * Blue-green, as a straight list: bring the new colour up behind the preview Service,
 * check it, wait for a promote (or promote by itself after autoPromotionSeconds),
 * switch the active Service, and scale the old colour down after a delay during which
 * a rollback is only a selector switch away.
 */
export function blueGreenStages(strategy: Extract<Strategy, { kind: 'blueGreen' }>): Stage[] {
  return [
    { type: 'action', action: { kind: 'blueGreenPreview' } },
    ...(strategy.prePromotionAnalysis ? [{ type: 'gate', gate: { kind: 'analysis', check: strategy.prePromotionAnalysis } } as Stage] : []),
    { type: 'gate', gate: { kind: 'pause', seconds: strategy.autoPromotionSeconds } },
    { type: 'action', action: { kind: 'blueGreenPromote' } },
    ...(strategy.scaleDownDelaySeconds > 0
      ? [{ type: 'gate', gate: { kind: 'delay', seconds: strategy.scaleDownDelaySeconds, reason: 'scaleDownDelay' } } as Stage]
      : []),
    { type: 'action', action: { kind: 'blueGreenScaleDown' } },
  ];
}
