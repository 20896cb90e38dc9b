import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type ApiHarness } from '../support/api-harness.js';

/** Turns Fastify's route tree print-out into "METHOD /path" lines with parameters as {}. */
function routesFromRouter(tree: string): Set<string> {
  const routes = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─\s]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = Math.floor(match[1]!.length / 4);
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('').replace(/:[A-Za-z]+(\|:[A-Za-z]+)*/g, '{}');
    for (const method of match[3]!.split(', ')) {
      if (method !== 'HEAD') routes.add(`${method} ${path}`);
    }
  }
  return routes;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

describe('OpenAPI document', () => {
  let api: ApiHarness;
  let document: { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>> };

  beforeAll(async () => {
    api = await startApi();
    document = (await api.http().get('/openapi.json').expect(200)).body;
  });
  afterAll(async () => {
    await api.close();
  });

  it('is a valid OpenAPI 3 document', async () => {
    const copy = JSON.parse(JSON.stringify(document));
    await expect(SwaggerParser.validate(copy)).resolves.toBeDefined();
    expect((document as unknown as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('documents exactly the routes the router serves', () => {
    const router = api.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
    const served = [...routesFromRouter(router)].filter((r) => !/ \/docs|\/openapi\.json$/.test(r));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      HTTP_METHODS.filter((m) => operations[m]).map((m) => `${m.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`),
    );
    expect(served.length).toBeGreaterThan(20);
    expect(documented.sort()).toEqual(served.sort());
  });

  it('documents the error answers of every operation with the problem+json schema', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      // Probes and the Prometheus scrape are public (no 401) and answer no problem+json of their own.
      if (path.startsWith('/health') || path === '/metrics') continue;
      for (const method of HTTP_METHODS) {
        const operation = operations[method];
        if (!operation) continue;
        const responses = operation.responses as Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
        expect({ route: `${method} ${path}`, has401: '401' in responses }).toEqual({ route: `${method} ${path}`, has401: true });
        const problem = responses['401']!.content?.['application/problem+json']?.schema?.$ref;
        expect(problem).toBe('#/components/schemas/ProblemDetailsDto');
        const success = Object.keys(responses).filter((s) => s.startsWith('2'));
        expect({ route: `${method} ${path}`, success: success.length > 0 }).toEqual({ route: `${method} ${path}`, success: true });
      }
    }
  });

  it('serves a browsable page at /docs', async () => {
    const page = await api.http().get('/docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger-ui');
  });
});
