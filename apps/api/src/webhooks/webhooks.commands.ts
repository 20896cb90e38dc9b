import { randomBytes } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { applicationStreamId, ConcurrencyError, DomainError, type Clock } from '#domain';
import { CLOCK, PG_POOL } from '#infra/nest/tokens.js';
import type { Principal } from '../auth/principal.js';
import { CommandExecutor } from '../common/command-executor.js';
import { ApiError } from '../common/problem.js';
import { eventMetadata, type RequestContext } from '../common/request-context.js';
import { RegisterRelease } from '../releases/releases.commands.js';
import { StartRollout } from '../rollouts/rollouts.commands.js';
import { toStrategy } from '../rollouts/strategy.dto.js';
import type { DeliveryView, WebhookRuleView, WebhookSecretView } from './webhook.dto.js';
import {
  webhookDeliveryStreamId,
  webhookRuleStreamId,
  webhookSecretStreamId,
  type DeliveryOutcome,
  type DeliveryRecord,
  type WebhookEvent,
} from './webhook.events.js';
import type { ParsedEvent } from './webhook-payloads.js';
import { formRelease, ruleMatches, type Provider, type RuleSpec, type WebhookRule } from './webhook-rules.js';
import { WebhookSecrets } from './webhook-secrets.js';

export interface RuleRow {
  id: string;
  spec: RuleSpec;
  created_by: string;
  created_at: Date;
}

export const ruleView = (r: RuleRow): WebhookRuleView => ({
  id: r.id,
  ...r.spec,
  strategy: r.spec.strategy,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

export class CreateWebhookRule extends Command<{ rule: WebhookRuleView; position: number }> {
  constructor(
    readonly spec: RuleSpec,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export class DeleteWebhookRule extends Command<{ rule: WebhookRuleView; position: number }> {
  constructor(
    readonly id: string,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export class RotateWebhookSecret extends Command<{ secret: WebhookSecretView; position: number }> {
  constructor(
    readonly repository: string,
    readonly secret: string,
    readonly graceSeconds: number,
    readonly ctx: RequestContext,
  ) {
    super();
  }
}

export interface DeliveryResult {
  delivery: DeliveryView;
  replayed: boolean;
  /** Log position of the recorded outcome (after any release it registered); null for a replay. */
  position: number | null;
}

/** An authenticated delivery: dedupe, match rules, act, record the outcome. */
export class ProcessDelivery extends Command<DeliveryResult> {
  constructor(
    readonly provider: Provider,
    readonly deliveryId: string,
    readonly event: string,
    readonly parsed: ParsedEvent,
    readonly correlationId: string,
  ) {
    super();
  }
}

@CommandHandler(CreateWebhookRule)
export class CreateWebhookRuleHandler implements ICommandHandler<CreateWebhookRule> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ spec, ctx }: CreateWebhookRule): Promise<{ rule: WebhookRuleView; position: number }> {
    const application = await this.commands.store.readStream(applicationStreamId(spec.application));
    if (application.length === 0) {
      throw new DomainError('APPLICATION_NOT_FOUND', `application '${spec.application}' does not exist`, { application: spec.application });
    }
    // A template that cannot form a release would only fail later, on a push nobody watches.
    const samples = [
      ...(spec.branchPattern !== null ? [{ repository: spec.repository, kind: 'branch' as const, name: 'main', commit: 'a1b2c3d'.padEnd(40, '0') }] : []),
      ...(spec.tagPattern !== null ? [{ repository: spec.repository, kind: 'tag' as const, name: 'v1.2.3', commit: 'a1b2c3d'.padEnd(40, '0') }] : []),
    ];
    for (const sample of samples) {
      const formed = formRelease(spec, sample);
      if ('refused' in formed) {
        throw new ApiError(400, 'VALIDATION_FAILED', '1 field failed validation', {
          errors: [{ field: spec.versionTemplate !== null && formed.refused.includes('semantic') ? 'versionTemplate' : 'image', message: `for a ${sample.kind} ${sample.name}: ${formed.refused}` }],
        });
      }
    }
    const id = `whr_${randomBytes(8).toString('hex')}`;
    const now = this.clock.now();
    const created: WebhookEvent = { type: 'WebhookRuleCreated', data: { ...spec, id, createdAt: now.toISOString() } };
    const { globalPosition } = await this.commands.store.append(webhookRuleStreamId(id), [{ event: created, metadata: eventMetadata(ctx) }], 'no_stream');
    const row: RuleRow = { id, spec, created_by: ctx.principal.name, created_at: now };
    await this.pool.query(
      'INSERT INTO webhook_rules (id, repository, provider, application, spec, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [id, spec.repository.toLowerCase(), spec.provider, spec.application, JSON.stringify(spec), row.created_by, now],
    );
    return { rule: ruleView(row), position: globalPosition };
  }
}

@CommandHandler(DeleteWebhookRule)
export class DeleteWebhookRuleHandler implements ICommandHandler<DeleteWebhookRule> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ id, ctx }: DeleteWebhookRule): Promise<{ rule: WebhookRuleView; position: number }> {
    const { rows } = await this.pool.query<RuleRow>('DELETE FROM webhook_rules WHERE id = $1 RETURNING id, spec, created_by, created_at', [id]);
    const row = rows[0];
    if (!row) throw new ApiError(404, 'WEBHOOK_RULE_NOT_FOUND', `webhook rule '${id}' does not exist`);
    const deleted: WebhookEvent = {
      type: 'WebhookRuleDeleted',
      data: { id, repository: row.spec.repository, application: row.spec.application, deletedAt: this.clock.now().toISOString() },
    };
    const { globalPosition } = await this.commands.store.append(webhookRuleStreamId(id), [{ event: deleted, metadata: eventMetadata(ctx) }], 'any');
    return { rule: ruleView(row), position: globalPosition };
  }
}

@CommandHandler(RotateWebhookSecret)
export class RotateWebhookSecretHandler implements ICommandHandler<RotateWebhookSecret> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(WebhookSecrets) private readonly secrets: WebhookSecrets,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ repository, secret, graceSeconds, ctx }: RotateWebhookSecret): Promise<{ secret: WebhookSecretView; position: number }> {
    const { rotatedAt, previousValidUntil } = await this.secrets.rotate(repository, secret, graceSeconds, this.clock.now());
    const rotated: WebhookEvent = {
      type: 'WebhookSecretRotated',
      data: { repository, rotatedAt: rotatedAt.toISOString(), previousValidUntil: previousValidUntil?.toISOString() ?? null },
    };
    const { globalPosition } = await this.commands.store.append(webhookSecretStreamId(repository), [{ event: rotated, metadata: eventMetadata(ctx) }], 'any');
    return {
      secret: { repository, rotatedAt: rotatedAt.toISOString(), previousValidUntil: previousValidUntil?.toISOString() ?? null },
      position: globalPosition,
    };
  }
}

interface DeliveryRow {
  provider: Provider;
  delivery_id: string;
  event: string;
  repository: string | null;
  commit_sha: string | null;
  ref: string | null;
  outcome: DeliveryOutcome | null;
  received_at: Date;
}

export const deliveryView = (r: DeliveryRow & { outcome: DeliveryOutcome }, replayed: boolean): DeliveryView => ({
  provider: r.provider,
  deliveryId: r.delivery_id,
  event: r.event,
  repository: r.repository,
  commit: r.commit_sha,
  ref: r.ref,
  outcome: r.outcome,
  receivedAt: r.received_at.toISOString(),
  replayed,
});

const failure = (error: unknown): { code: string; message: string } | null => {
  if (error instanceof DomainError || error instanceof ApiError) return { code: error.code, message: error.message };
  if (error instanceof ConcurrencyError) return { code: error.code, message: error.message };
  return null;
};

/** Far longer than any delivery takes (GitHub itself gives up after 10 s). */
const ABANDONED_CLAIM_MS = 60_000;

@CommandHandler(ProcessDelivery)
export class ProcessDeliveryHandler implements ICommandHandler<ProcessDelivery> {
  constructor(
    @Inject(CommandExecutor) private readonly commands: CommandExecutor,
    @Inject(CommandBus) private readonly bus: CommandBus,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(command: ProcessDelivery): Promise<DeliveryResult> {
    const { provider, deliveryId, event, parsed } = command;
    const repository = parsed.kind === 'change' ? parsed.change.repository : parsed.repository;
    const ref = parsed.kind === 'change' ? parsed.ref : parsed.kind === 'ignored' ? parsed.ref : null;
    const commit = parsed.kind === 'change' ? parsed.change.commit : parsed.kind === 'ignored' ? parsed.commit : null;
    const now = this.clock.now();
    // The claim row is what makes a redelivery a no-op, also when two copies race. A claim
    // without an outcome long after it was taken belongs to a process that died (or lost
    // its database) mid-delivery: the redelivery takes it over, and acting again is safe
    // because the rollout ids derive from the delivery id.
    const claimed = await this.pool.query(
      `INSERT INTO webhook_deliveries (provider, delivery_id, event, repository, commit_sha, ref, outcome, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)
       ON CONFLICT (provider, delivery_id) DO UPDATE SET received_at = EXCLUDED.received_at
         WHERE webhook_deliveries.outcome IS NULL AND webhook_deliveries.received_at < $8`,
      [provider, deliveryId, event, repository, commit, ref, now, new Date(now.getTime() - ABANDONED_CLAIM_MS)],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await this.pool.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2', [provider, deliveryId]);
      const row = rows[0];
      if (!row || row.outcome === null) {
        throw new ApiError(409, 'WEBHOOK_DELIVERY_IN_PROGRESS', `delivery ${deliveryId} is still being processed; redeliver it shortly`);
      }
      return { delivery: deliveryView({ ...row, outcome: row.outcome }, true), replayed: true, position: null };
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.act(command);
    } catch (error) {
      // Unexpected (database down): forget the claim so the provider's redelivery runs it again.
      await this.pool.query('DELETE FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2', [provider, deliveryId]).catch(() => undefined);
      throw error;
    }
    const record: DeliveryRecord = { provider, deliveryId, event, repository, commit, ref, outcome, receivedAt: now.toISOString() };
    const recorded: WebhookEvent = { type: 'WebhookDeliveryRecorded', data: record };
    const { globalPosition } = await this.commands.store.append(
      webhookDeliveryStreamId(provider, deliveryId),
      [{ event: recorded, metadata: eventMetadata(this.context(command, repository)) }],
      'any',
    );
    await this.pool.query('UPDATE webhook_deliveries SET outcome = $3 WHERE provider = $1 AND delivery_id = $2', [provider, deliveryId, JSON.stringify(outcome)]);
    return {
      delivery: deliveryView({ provider, delivery_id: deliveryId, event, repository, commit_sha: commit, ref, outcome, received_at: now }, false),
      replayed: false,
      position: globalPosition,
    };
  }

  /** Webhooks act as a release manager named after the repository, so the audit trail says where a rollout came from. */
  private context(command: ProcessDelivery, repository: string | null, ruleId?: string): RequestContext {
    const principal: Principal = {
      tokenId: `webhook:${command.provider}`,
      name: `webhook:${command.provider}:${repository ?? 'unknown'}`,
      role: 'release-manager',
      environments: [],
    };
    // The key makes the rollout id derive from the delivery: a retry after a crash finds the same rollout.
    return { principal, correlationId: command.correlationId, idempotencyKey: ruleId ? `${command.provider}:${command.deliveryId}:${ruleId}` : null };
  }

  private async act(command: ProcessDelivery): Promise<DeliveryOutcome> {
    const { parsed } = command;
    const outcome: DeliveryOutcome = { status: 'ignored', reason: null, releases: [], rollouts: [], refused: [] };
    if (parsed.kind === 'ping') return { ...outcome, reason: 'ping: the webhook reaches circle' };
    if (parsed.kind === 'ignored') return { ...outcome, reason: parsed.reason };
    const { change } = parsed;
    const { rows } = await this.pool.query<RuleRow>(
      'SELECT id, spec, created_by, created_at FROM webhook_rules WHERE repository = lower($1) AND provider = $2 ORDER BY created_at, id',
      [change.repository, command.provider],
    );
    const rules: WebhookRule[] = rows.map((r) => ({ ...r.spec, id: r.id, createdBy: r.created_by, createdAt: r.created_at.toISOString() }));
    const matching = rules.filter((rule) => ruleMatches(rule, change, command.provider));
    if (matching.length === 0) {
      return { ...outcome, reason: `no rule matches ${command.provider} ${change.repository} ${parsed.ref}` };
    }
    for (const rule of matching) {
      const formed = formRelease(rule, change);
      if ('refused' in formed) {
        outcome.refused.push({ ruleId: rule.id, application: rule.application, code: 'WEBHOOK_RELEASE_NOT_FORMED', message: formed.refused });
        continue;
      }
      const ctx = this.context(command, change.repository, rule.id);
      try {
        const { created, release } = await this.bus.execute(
          new RegisterRelease(
            { application: rule.application, version: formed.version, images: [formed.image], ...(change.commit ? { gitCommit: change.commit } : {}) },
            ctx,
          ),
        );
        outcome.releases.push({ ruleId: rule.id, application: rule.application, version: release.version, created });
      } catch (error) {
        const known = failure(error);
        if (!known) throw error;
        outcome.refused.push({ ruleId: rule.id, application: rule.application, ...known });
        continue;
      }
      if (rule.action !== 'deploy' || rule.environment === null) continue;
      try {
        const accepted = await this.bus.execute(
          new StartRollout(
            {
              kind: 'deploy',
              application: rule.application,
              version: formed.version,
              environment: rule.environment,
              strategy: rule.strategy ?? toStrategy(undefined),
              reason: `${command.provider} ${parsed.ref} at ${change.commit ?? 'unknown commit'} (delivery ${command.deliveryId}, rule ${rule.id})`,
              supersede: rule.supersede,
            },
            ctx,
          ),
        );
        outcome.rollouts.push({ ruleId: rule.id, application: rule.application, environment: rule.environment, rolloutId: accepted.rolloutId });
      } catch (error) {
        const known = failure(error);
        if (!known) throw error;
        outcome.refused.push({ ruleId: rule.id, application: rule.application, ...known });
      }
    }
    const acted = outcome.releases.length > 0;
    return {
      ...outcome,
      status: acted ? 'processed' : 'ignored',
      reason: acted && outcome.refused.length === 0 ? null : outcome.refused.map((r) => `${r.code}: ${r.message}`).join('; ') || null,
    };
  }
}

export const webhookCommandHandlers = [CreateWebhookRuleHandler, DeleteWebhookRuleHandler, RotateWebhookSecretHandler, ProcessDeliveryHandler];
