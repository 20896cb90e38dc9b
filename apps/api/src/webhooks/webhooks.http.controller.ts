import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public, RequireRole } from '../auth/auth.decorators.js';
import { describeWrite } from '../common/command-response.js';
import { ApiCommand, ApiProblems } from '../common/openapi.decorators.js';
import { ApiError } from '../common/problem.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { toStrategy } from '../rollouts/strategy.dto.js';
import {
  CreateWebhookRuleRequest,
  DeliveryView,
  PutWebhookSecretRequest,
  REPOSITORY_PATTERN,
  WebhookRuleList,
  WebhookRuleView,
  WebhookSecretView,
} from './webhook.dto.js';
import { WebhookReceiver, type RawBodyRequest } from './webhook-receiver.js';
import { PROVIDERS, type Provider } from './webhook-rules.js';
import { CreateWebhookRule, DeleteWebhookRule, ProcessDelivery, RotateWebhookSecret } from './webhooks.commands.js';
import { GetWebhookDelivery, ListWebhookRules } from './webhooks.queries.js';

const DEFAULT_GRACE_SECONDS = 3600;

@ApiTags('webhooks')
@Controller('v1/webhooks')
@RequireRole('release-manager')
export class WebhookRulesHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(QueryBus) private readonly queries: QueryBus,
  ) {}

  @Post('rules')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a trigger rule', description: 'A push to a matching branch or tag registers a release of the application, and optionally deploys it.' })
  @ApiResponse({ status: 201, type: WebhookRuleView })
  @ApiCommand()
  @ApiProblems(404)
  async create(@Body() body: CreateWebhookRuleRequest, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebhookRuleView> {
    const { rule, position } = await this.commands.execute(
      new CreateWebhookRule(
        {
          repository: body.repository,
          provider: body.provider,
          application: body.application,
          branchPattern: body.branchPattern ?? null,
          tagPattern: body.tagPattern ?? null,
          image: body.image,
          container: body.container ?? body.application,
          versionTemplate: body.versionTemplate ?? null,
          action: body.deploy ? 'deploy' : 'register',
          environment: body.deploy?.environment ?? null,
          strategy: body.deploy?.strategy ? toStrategy(body.deploy.strategy) : null,
          supersede: body.deploy?.supersede ?? false,
        },
        ctx,
      ),
    );
    describeWrite(reply, position, `/v1/webhooks/rules/${rule.id}`);
    return rule;
  }

  @Get('rules')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List trigger rules' })
  @ApiQuery({ name: 'repository', required: false, example: 'acme/shop' })
  @ApiOkResponse({ type: WebhookRuleList })
  @ApiProblems(403)
  list(@Query('repository') repository?: string): Promise<WebhookRuleList> {
    return this.queries.execute(new ListWebhookRules(typeof repository === 'string' ? repository : undefined));
  }

  @Delete('rules/:id')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Delete a trigger rule', description: 'Answers 200 with the deleted rule.' })
  @ApiOkResponse({ type: WebhookRuleView })
  @ApiProblems(403, 404)
  async remove(@Param('id') id: string, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebhookRuleView> {
    const { rule, position } = await this.commands.execute(new DeleteWebhookRule(id, ctx));
    describeWrite(reply, position);
    return rule;
  }

  @Put('secrets/:owner/:repo')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Set or rotate the webhook secret of a repository',
    description: 'The secret it replaces stays valid for graceSeconds (default 3600), so the git server can be switched over meanwhile. The secret is never returned.',
  })
  @ApiOkResponse({ type: WebhookSecretView })
  @ApiProblems(400, 403, 413, 415)
  async putSecret(
    @Param('owner') owner: string,
    @Param('repo') repo: string,
    @Body() body: PutWebhookSecretRequest,
    @Ctx() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookSecretView> {
    const repository = `${owner}/${repo}`;
    if (!REPOSITORY_PATTERN.test(repository)) {
      throw new ApiError(400, 'VALIDATION_FAILED', '1 field failed validation', { errors: [{ field: 'repository', message: 'repository must be owner/name' }] });
    }
    const { secret, position } = await this.commands.execute(new RotateWebhookSecret(repository, body.secret, body.graceSeconds ?? DEFAULT_GRACE_SECONDS, ctx));
    describeWrite(reply, position);
    return secret;
  }

  @Get('deliveries/:provider/:deliveryId')
  @RequireRole('viewer')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'What a webhook delivery caused', description: 'The release registered, the rollout started, or why it was ignored.' })
  @ApiOkResponse({ type: DeliveryView })
  @ApiProblems(403, 404)
  delivery(@Param('provider') provider: string, @Param('deliveryId') deliveryId: string): Promise<DeliveryView> {
    if (!(PROVIDERS as readonly string[]).includes(provider)) {
      throw new ApiError(404, 'WEBHOOK_DELIVERY_NOT_FOUND', `unknown provider '${provider}' (${PROVIDERS.join(', ')})`);
    }
    return this.queries.execute(new GetWebhookDelivery(provider, deliveryId));
  }
}

const RECEIVER_PROBLEMS = ApiProblems(400, 409, 413, 415);

/** Git servers call these; they prove who they are by the signature over the body, not a bearer token. */
@ApiTags('webhooks')
@Controller('v1/webhooks')
@Public()
export class WebhookReceiversHttpController {
  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(WebhookReceiver) private readonly receiver: WebhookReceiver,
  ) {}

  @Post('github')
  @ApiOperation({ summary: 'GitHub webhook receiver', description: 'Signed with X-Hub-Signature-256; events ping, push, create (tag), release (published). A redelivery answers 200 with the first outcome.' })
  @ApiHeader({ name: 'X-Hub-Signature-256', required: true })
  @ApiHeader({ name: 'X-GitHub-Event', required: true })
  @ApiHeader({ name: 'X-GitHub-Delivery', required: true })
  @ApiResponse({ status: 200, type: DeliveryView, description: 'A ping, or a redelivery: the first outcome' })
  @ApiResponse({ status: 202, type: DeliveryView, description: 'Processed or ignored; the outcome says which and why' })
  @RECEIVER_PROBLEMS
  github(@Req() request: RawBodyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<DeliveryView> {
    return this.receive('github', request, reply);
  }

  @Post('gitlab')
  @ApiOperation({ summary: 'GitLab webhook receiver', description: 'Authenticated by X-Gitlab-Token; events Push Hook and Tag Push Hook. A redelivery answers 200 with the first outcome.' })
  @ApiHeader({ name: 'X-Gitlab-Token', required: true })
  @ApiHeader({ name: 'X-Gitlab-Event', required: true })
  @ApiHeader({ name: 'X-Gitlab-Event-UUID', required: false, description: 'Delivery id; Idempotency-Key when absent.' })
  @ApiResponse({ status: 200, type: DeliveryView, description: 'A redelivery: the first outcome' })
  @ApiResponse({ status: 202, type: DeliveryView, description: 'Processed or ignored; the outcome says which and why' })
  @RECEIVER_PROBLEMS
  gitlab(@Req() request: RawBodyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<DeliveryView> {
    return this.receive('gitlab', request, reply);
  }

  @Post('generic')
  @ApiOperation({ summary: 'Generic git webhook receiver', description: 'Body {"repository":"owner/name","ref":"refs/heads/main","commit":"<sha>"}, signed like GitHub in X-Signature-256: sha256=<hex HMAC>.' })
  @ApiHeader({ name: 'X-Signature-256', required: true })
  @ApiHeader({ name: 'X-Delivery-Id', required: false, description: 'Delivery id; Idempotency-Key when absent.' })
  @ApiResponse({ status: 200, type: DeliveryView, description: 'A redelivery: the first outcome' })
  @ApiResponse({ status: 202, type: DeliveryView, description: 'Processed or ignored; the outcome says which and why' })
  @RECEIVER_PROBLEMS
  generic(@Req() request: RawBodyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<DeliveryView> {
    return this.receive('generic', request, reply);
  }

  private async receive(provider: Provider, request: RawBodyRequest, reply: FastifyReply): Promise<DeliveryView> {
    const { deliveryId, event, parsed } = await this.receiver.authenticate(provider, request);
    const { delivery, replayed, position } = await this.commands.execute(new ProcessDelivery(provider, deliveryId, event, parsed, String(request.id)));
    if (position !== null) describeWrite(reply, position);
    void reply.status(replayed || parsed.kind === 'ping' ? 200 : 202);
    return delivery;
  }
}
