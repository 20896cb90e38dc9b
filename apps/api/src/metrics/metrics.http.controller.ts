import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { METRICS } from '#infra/nest/tokens.js';
import { Public } from '../auth/auth.decorators.js';

/**
 * Prometheus scrapes without a token, like every exporter: serve the API on an internal
 * network or keep /metrics from the outside at the ingress (see README, Metrics). It
 * tells counts and cluster names, never secrets or payloads.
 */
@ApiTags('observability')
@Public()
@Controller('metrics')
export class MetricsHttpController {
  constructor(@Inject(METRICS) private readonly metrics: CircleMetrics) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics of this process (text exposition format); with the worker in the same process, its metrics too' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format 0.0.4', schema: { type: 'string' } })
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const text = await this.metrics.scrape();
    void reply.header('content-type', this.metrics.contentType);
    return text;
  }
}
