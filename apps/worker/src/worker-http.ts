import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import type { CircleMetrics } from '#infra/metrics/circle-metrics.js';
import { METRICS } from '#infra/nest/tokens.js';
import { WorkerHealth, type HealthReport } from './health/worker-health.js';

export interface WorkerHttp {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker running alone (CIRCLE_ROLE=worker) has no API to carry its /metrics and
 * health, so it serves them on a port of its own (WORKER_METRICS_PORT): GET /metrics,
 * /health and /health/ready (readiness), /health/live. Nothing else, no auth: like
 * any Prometheus exporter it belongs on an internal network.
 */
export async function listenWorkerHttp(worker: INestApplicationContext, options: { port: number; host: string }): Promise<WorkerHttp> {
  const metrics = worker.get<CircleMetrics>(METRICS);
  const health = worker.get(WorkerHealth);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const json = (report: HealthReport) => {
      response.writeHead(report.status, { 'content-type': 'application/json' }).end(JSON.stringify(report.body));
    };
    const answer = async (): Promise<void> => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/metrics') {
        const text = await metrics.scrape();
        response.writeHead(200, { 'content-type': metrics.contentType }).end(text);
      } else if (path === '/health' || path === '/health/ready') {
        json(await health.ready());
      } else if (path === '/health/live') {
        json(await health.live());
      } else {
        response
          .writeHead(404, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, code: 'NOT_FOUND', detail: `no route ${path}; try /metrics or /health` }));
      }
    };
    answer().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`internal error: ${(error as Error).message}`);
    });
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
