import { Inject, Injectable } from '@nestjs/common';
import { verifyWithFallback } from '@octokit/webhooks-methods';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '#domain';
import type { Logger } from '#infra/logging/logger.js';
import { CLOCK, LOGGER } from '#infra/nest/tokens.js';
import { ApiError } from '../common/problem.js';
import { tokenMatches } from './webhook-signatures.js';
import { genericRepository, githubRepository, gitlabRepository, parseGeneric, parseGithub, parseGitlab, type ParsedEvent } from './webhook-payloads.js';
import type { Provider } from './webhook-rules.js';
import { WebhookSecrets } from './webhook-secrets.js';

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const EVENT_NAME = /^[A-Za-z0-9 _.-]{1,64}$/;
const WARN_EVERY_MS = 60_000;

/** The raw bytes the signature covers, kept by the preParsing hook in create-api-app.ts. */
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

const header = (request: FastifyRequest, name: string): string | null => {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
};

export interface AuthenticatedDelivery {
  deliveryId: string;
  event: string;
  parsed: ParsedEvent;
}

/** Checks who sent a delivery; everything before the signature check is untrusted, so nothing is recorded for it. */
@Injectable()
export class WebhookReceiver {
  private readonly lastWarned = new Map<string, number>();
  private readonly logger: Logger;

  constructor(
    @Inject(WebhookSecrets) private readonly secrets: WebhookSecrets,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'webhooks' });
  }

  async authenticate(provider: Provider, request: RawBodyRequest): Promise<AuthenticatedDelivery> {
    const raw = request.rawBody;
    const body: unknown = request.body;
    if (raw === undefined || raw.length === 0 || body === undefined || body === null) {
      throw new ApiError(400, 'WEBHOOK_BODY_REQUIRED', 'a webhook delivery needs a JSON body');
    }
    const repository = provider === 'github' ? githubRepository(body) : provider === 'gitlab' ? gitlabRepository(body) : genericRepository(body);
    const candidates = repository === null ? { secrets: [], hashes: [] } : await this.secrets.candidates(repository, this.clock.now());
    if (!(await this.verify(provider, request, raw.toString('utf8'), candidates))) {
      this.warn(provider, request, repository);
      throw new ApiError(401, 'WEBHOOK_SIGNATURE_INVALID', 'the delivery is not signed with the secret configured for its repository');
    }
    const deliveryId =
      provider === 'github'
        ? header(request, 'x-github-delivery')
        : provider === 'gitlab'
          ? (header(request, 'x-gitlab-event-uuid') ?? header(request, 'idempotency-key'))
          : (header(request, 'x-delivery-id') ?? header(request, 'idempotency-key'));
    if (deliveryId === null || !DELIVERY_ID.test(deliveryId)) {
      throw new ApiError(400, 'WEBHOOK_DELIVERY_ID_REQUIRED', 'the delivery id header is missing or malformed (1-128 of A-Za-z0-9._:-)');
    }
    const event = provider === 'github' ? header(request, 'x-github-event') : provider === 'gitlab' ? header(request, 'x-gitlab-event') : 'push';
    if (event === null || !EVENT_NAME.test(event)) throw new ApiError(400, 'WEBHOOK_EVENT_REQUIRED', 'the event header is missing or malformed');
    const parsed = provider === 'github' ? parseGithub(event, body) : provider === 'gitlab' ? parseGitlab(event, body) : parseGeneric(body);
    return { deliveryId, event, parsed };
  }

  private async verify(provider: Provider, request: FastifyRequest, payload: string, candidates: { secrets: string[]; hashes: string[] }): Promise<boolean> {
    if (provider === 'gitlab') {
      const token = header(request, 'x-gitlab-token');
      // Every hash is compared, so the time taken does not tell which one matched.
      return token !== null && candidates.hashes.map((h) => tokenMatches(token, h)).includes(true);
    }
    const signature = header(request, provider === 'github' ? 'x-hub-signature-256' : 'x-signature-256');
    const [current, ...previous] = candidates.secrets;
    if (signature === null || current === undefined) return false;
    try {
      return Boolean(await verifyWithFallback(current, payload, signature, previous.length > 0 ? previous : undefined));
    } catch {
      return false;
    }
  }

  /** A scan or a misconfigured hook must not flood the log: one line per source and minute. */
  private warn(provider: Provider, request: FastifyRequest, repository: string | null): void {
    const source = `${provider}:${request.ip}`;
    const now = Date.now();
    if ((this.lastWarned.get(source) ?? -Infinity) > now - WARN_EVERY_MS) return;
    if (this.lastWarned.size > 10_000) this.lastWarned.clear();
    this.lastWarned.set(source, now);
    this.logger.warn({ provider, source: request.ip, repository, correlationId: String(request.id) }, 'webhook delivery with a missing or wrong signature refused (further ones from this source are not logged for a minute)');
  }
}
