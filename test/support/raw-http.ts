import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * One HTTP request with the path sent byte for byte: fetch and supertest normalise
 * `..` segments and re-encode, which would hide exactly the paths a fuzz pass wants to send.
 */
export function rawRequest(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: hostname, port, method: options.method, path: options.path, headers: { ...options.headers, ...(options.body ? { 'content-length': String(options.body.length) } : {}) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.setTimeout(options.timeoutMs ?? 20_000, () => request.destroy(new Error(`no answer within ${options.timeoutMs ?? 20_000} ms`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

export function closeRawAgent(): void {
  agent.destroy();
}
