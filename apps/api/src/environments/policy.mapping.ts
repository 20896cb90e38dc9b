import { DEFAULT_WAVE_PLAN, formatWaveSize, parseWaveSize, type PromotionPolicy } from '#domain';
import type { PolicyDto, PolicyView } from './environment.dto.js';

const DEFAULT_POLICY: PromotionPolicy = {
  requiredSoakSeconds: 0,
  requiredApprovals: 0,
  clusterSelector: {},
  wavePlan: DEFAULT_WAVE_PLAN,
};

/**
 * A policy from what the client sent laid over `base` field by field (the defaults for
 * a new environment, the current policy for an update), so a PATCH of bakeSeconds
 * alone keeps the waves. Wave sizes are parsed here: WAVE_PLAN_INVALID for "abc".
 */
export function mergePolicy(base: PromotionPolicy, given: PolicyDto | undefined): PromotionPolicy {
  if (!given) return base;
  const plan = given.wavePlan;
  return {
    requiredSoakSeconds: given.requiredSoakSeconds ?? base.requiredSoakSeconds,
    requiredApprovals: given.requiredApprovals ?? base.requiredApprovals,
    clusterSelector: given.clusterSelector ?? base.clusterSelector,
    wavePlan: {
      waves: plan?.waves ? plan.waves.map(parseWaveSize) : base.wavePlan.waves,
      maxParallel: plan?.maxParallel ?? base.wavePlan.maxParallel,
      bakeSeconds: plan?.bakeSeconds ?? base.wavePlan.bakeSeconds,
      onFailure: plan?.onFailure ?? base.wavePlan.onFailure,
    },
  };
}

export const newPolicy = (given: PolicyDto | undefined): PromotionPolicy => mergePolicy(DEFAULT_POLICY, given);

export function policyView(policy: PromotionPolicy): PolicyView {
  return {
    requiredSoakSeconds: policy.requiredSoakSeconds,
    requiredApprovals: policy.requiredApprovals,
    clusterSelector: policy.clusterSelector,
    wavePlan: { ...policy.wavePlan, waves: policy.wavePlan.waves.map(formatWaveSize) },
  };
}
