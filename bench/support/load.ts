import autocannon from 'autocannon';
import { summarize, type Summary } from './stats.js';

export interface LoadRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A fresh body per request (each deploy must name a stream nobody used yet). */
  body?: () => string;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  /** Answers with a 2xx status, per second of the run. */
  okPerSecond: number;
  ok: number;
  /** Answers by status, 2xx included, plus transport errors and timeouts. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Latency of the 2xx answers, ms (from autocannon's per-response timing). */
  latency: Summary;
}

/**
 * Closed-loop HTTP load with autocannon: `connections` clients, each sending its next
 * request as soon as the previous answer arrived, for `seconds`. Only 2xx answers count
 * as done work; everything else is reported by status.
 */
export async function runLoad(options: { url: string; connections: number; seconds: number; request: LoadRequest }): Promise<LoadResult> {
  const { request } = options;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let finish: (error: Error | null, result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error) : resolve(result));
  });
  const instance = autocannon(
    {
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    timeout: 30,
    requests: [
      {
        method: request.method ?? 'GET',
        path: request.path,
        headers: { ...(request.body ? { 'content-type': 'application/json' } : {}), ...request.headers },
        ...(request.body
          ? {
              setupRequest: (req: autocannon.Request) => ({ ...req, body: request.body!() }),
            }
          : {}),
      },
    ],
    },
    (error, result) => finish(error, result),
  );
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await done;
  if (result.errors > 0) statuses['error'] = result.errors;
  if (result.timeouts > 0) statuses['timeout'] = result.timeouts;
  return {
    connections: options.connections,
    seconds: result.duration,
    okPerSecond: latencies.length / result.duration,
    ok: latencies.length,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: summarize(latencies),
  };
}

export const non2xx = (r: LoadResult): number =>
  Object.entries(r.statuses).reduce((n, [status, count]) => (/^2\d\d$/.test(status) ? n : n + count), 0);
