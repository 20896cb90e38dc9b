import { Module } from '@nestjs/common';
import { WebhookReceiver } from './webhook-receiver.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { webhookCommandHandlers } from './webhooks.commands.js';
import { WebhookReceiversHttpController, WebhookRulesHttpController } from './webhooks.http.controller.js';
import { webhookQueryHandlers } from './webhooks.queries.js';

@Module({
  controllers: [WebhookRulesHttpController, WebhookReceiversHttpController],
  providers: [
    WebhookSecrets,
    WebhookReceiver,
    ...webhookCommandHandlers,
    ...webhookQueryHandlers,
  ],
})
export class WebhooksModule {}
