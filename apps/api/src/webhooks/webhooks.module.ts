import { Module } from '@nestjs/common';
import { loadConfig } from '#infra/config/circle-config.js';
import { SECRET_CIPHER, SecretCipher } from './secret-cipher.js';
import { WebhookReceiver } from './webhook-receiver.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { webhookCommandHandlers } from './webhooks.commands.js';
import { WebhookReceiversHttpController, WebhookRulesHttpController } from './webhooks.http.controller.js';
import { webhookQueryHandlers } from './webhooks.queries.js';

@Module({
  controllers: [WebhookRulesHttpController, WebhookReceiversHttpController],
  providers: [
    // The API is not handed its configuration; the key is read where it is needed, once.
    { provide: SECRET_CIPHER, useFactory: () => SecretCipher.fromConfig(loadConfig()) },
    WebhookSecrets,
    WebhookReceiver,
    ...webhookCommandHandlers,
    ...webhookQueryHandlers,
  ],
})
export class WebhooksModule {}
