import type { RolloutRequest } from '../rollout.commands.js';
import { blueGreenStages } from './blue-green.program.js';
import { canaryStages } from './canary.program.js';
import type { Stage } from './stages.js';

export { describeStage, type ClusterAction, type Gate, type Stage } from './stages.js';

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
