import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import type supertest from 'supertest';
import type { CircleHarness } from '../support/circle-harness.js';

// Tests must not write a generated key under the repository's data dir.
process.env.CIRCLE_SECRET_KEY ??= Buffer.alloc(32, 7).toString('base64');

interface ExampleSet {
  name: string;
  examples: Record<string, any>[];
}

const examplesFile = createRequire(import.meta.url).resolve('@octokit/webhooks-examples/api.github.com/index.json');
const examples = JSON.parse(readFileSync(examplesFile, 'utf8')) as ExampleSet[];

/** A real payload from @octokit/webhooks-examples: the first example of `event` that `pick` accepts. */
export function githubExample(event: string, pick: (payload: Record<string, any>) => boolean = () => true): Record<string, any> {
  const found = examples.find((e) => e.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example`);
  return structuredClone(found);
}

let deliveries = 0;
export const deliveryId = (): string => `d-${process.pid}-${Date.now()}-${(deliveries += 1)}`;

/** Posts a payload the way GitHub does: exact bytes, signed over them; `.expect(status)` checks the answer. */
export function postGithub(
  circle: CircleHarness,
  event: string,
  payload: unknown,
  options: { secret?: string; signature?: string | null; delivery?: string } = {},
): { expect(status: number): Promise<supertest.Response> } {
  const sent = (async () => {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const request = circle
    .http()
    .post('/v1/webhooks/github')
    .set('content-type', 'application/json')
    .set('x-github-event', event)
    .set('x-github-delivery', options.delivery ?? deliveryId());
  const signature = options.signature === undefined ? await sign(options.secret ?? 'x'.repeat(16), body) : options.signature;
  if (signature !== null) request.set('x-hub-signature-256', signature);
  return request.send(body);
  })();
  return { expect: (status) => expectStatus(sent, status) };
}

export async function expectStatus(sent: PromiseLike<supertest.Response>, status: number): Promise<supertest.Response> {
  const response = await sent;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${response.text}`);
  return response;
}

export function putSecret(circle: CircleHarness, repository: string, secret: string, graceSeconds?: number) {
  return circle
    .http()
    .put(`/v1/webhooks/secrets/${repository}`)
    .auth(circle.admin, { type: 'bearer' })
    .send({ secret, ...(graceSeconds === undefined ? {} : { graceSeconds }) });
}

export async function count(circle: CircleHarness, sql: string): Promise<number> {
  const { rows } = await circle.db.pool.query<{ n: string }>(sql);
  return Number(rows[0]!.n);
}
