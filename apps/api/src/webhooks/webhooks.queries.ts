import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { PG_POOL } from '#infra/nest/tokens.js';
import { ApiError } from '../common/problem.js';
import type { DeliveryView, WebhookRuleList } from './webhook.dto.js';
import { deliveryView, ruleView, type RuleRow } from './webhooks.commands.js';
import type { DeliveryOutcome } from './webhook.events.js';

export class ListWebhookRules extends Query<WebhookRuleList> {
  constructor(readonly repository?: string) {
    super();
  }
}

export class GetWebhookDelivery extends Query<DeliveryView> {
  constructor(
    readonly provider: string,
    readonly deliveryId: string,
  ) {
    super();
  }
}

// Rules and deliveries are tables written synchronously (no projection), so there is no position to wait for.
@QueryHandler(ListWebhookRules)
export class ListWebhookRulesHandler implements IQueryHandler<ListWebhookRules> {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async execute({ repository }: ListWebhookRules): Promise<WebhookRuleList> {
    const { rows } = await this.pool.query<RuleRow>(
      'SELECT id, spec, created_by, created_at FROM webhook_rules WHERE $1::text IS NULL OR repository = lower($1) ORDER BY repository, created_at, id LIMIT 1000',
      [repository ?? null],
    );
    return { items: rows.map(ruleView) };
  }
}

@QueryHandler(GetWebhookDelivery)
export class GetWebhookDeliveryHandler implements IQueryHandler<GetWebhookDelivery> {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async execute({ provider, deliveryId }: GetWebhookDelivery): Promise<DeliveryView> {
    const { rows } = await this.pool.query(
      'SELECT * FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2 AND outcome IS NOT NULL',
      [provider, deliveryId],
    );
    const row = rows[0];
    if (!row) throw new ApiError(404, 'WEBHOOK_DELIVERY_NOT_FOUND', `no ${provider} delivery '${deliveryId}' was recorded`);
    return deliveryView({ ...row, outcome: row.outcome as DeliveryOutcome }, false);
  }
}

export const webhookQueryHandlers = [ListWebhookRulesHandler, GetWebhookDeliveryHandler];
