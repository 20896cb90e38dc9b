import { Inject, Injectable } from '@nestjs/common';
import { DomainError, type Clock } from '#domain';
import { CLOCK } from '#infra/nest/tokens.js';
import { roleAtLeast, type Principal } from '../auth/principal.js';
import { ApiError } from '../common/problem.js';
import { ReadModels } from '../common/read-models.js';
import { soakOf } from '../insights/soak.queries.js';

export interface PromotionOverride {
  by: string;
  reason: string;
  missing: string;
}

/**
 * A version reaches an environment only after it has soaked, live and healthy, in the
 * environment ranked just below (approvals are the rollout's own AwaitingApproval
 * phase). Rollbacks are exempt: going back to a known version must never wait for a
 * soak clock. A release manager may override with a reason, which the rollout carries
 * into the log.
 */
@Injectable()
export class PromotionGate {
  constructor(
    @Inject(ReadModels) private readonly readModels: ReadModels,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async check(input: {
    kind: 'deploy' | 'upgrade' | 'rollback';
    application: string;
    version: string;
    environment?: string;
    principal: Principal;
    override?: { reason: string };
  }): Promise<PromotionOverride | undefined> {
    if (input.kind === 'rollback' || input.environment === undefined) return this.unused(input);
    const { rows } = await this.readModels.pool.query<{ name: string }>(
      `SELECT previous.name FROM rm_environments target
       JOIN rm_environments previous ON previous.rank < target.rank
       WHERE target.name = $1 ORDER BY previous.rank DESC, previous.name LIMIT 1`,
      [input.environment],
    );
    const previous = rows[0]?.name;
    if (previous === undefined) return this.unused(input);
    const soak = await soakOf(this.readModels, this.clock, input.application, input.version, previous);
    if (soak.satisfied) return this.unused(input);
    const missing = soak.live
      ? `${input.application}@${input.version} has soaked ${soak.soakedSeconds}s of the ${soak.requiredSeconds}s ${previous} requires (${soak.remainingSeconds}s to go)`
      : `${input.application}@${input.version} is not live in ${previous}, the environment before ${input.environment}`;
    if (input.override === undefined) {
      throw new DomainError('PROMOTION_GATE_FAILED', `${missing}; a release manager may override with a reason`, {
        previousEnvironment: previous,
        live: soak.live,
        soakedSeconds: soak.soakedSeconds,
        requiredSeconds: soak.requiredSeconds,
        remainingSeconds: soak.remainingSeconds,
      });
    }
    if (!roleAtLeast(input.principal.role, 'release-manager')) {
      throw new ApiError(403, 'FORBIDDEN', 'overriding a promotion gate needs the release-manager role', { requiredRole: 'release-manager' });
    }
    return { by: input.principal.name, reason: input.override.reason, missing };
  }

  /** An override where no gate stands is refused, so the log never records one that did nothing. */
  private unused(input: { override?: { reason: string } }): undefined {
    if (input.override !== undefined) {
      throw new ApiError(422, 'PROMOTION_OVERRIDE_UNNEEDED', 'no promotion gate stands in the way of this rollout; leave out override');
    }
    return undefined;
  }
}
