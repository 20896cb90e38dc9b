import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { systemClock } from '#domain';
import { PostgresEventStore } from '#infra/event-store/postgres-event-store.js';
import { startApi, type ApiHarness } from '../support/api-harness.js';
import {
  bodyArbitrary,
  encodeSegment,
  mutatedDocument,
  OMIT,
  pathSegmentArbitrary,
  queryValueArbitrary,
  toJsonText,
  type Pools,
  type Schema,
} from '../support/openapi-arbitraries.js';
import { closeRawAgent, rawRequest, type RawResponse } from '../support/raw-http.js';
import { seeder } from '../support/seed.js';
import { githubExample } from '../webhooks/helpers.js';

/*
 * Fuzz pass over every operation of the OpenAPI document: bodies, query strings and path
 * parameters generated from the schemas (valid, boundary, wrong-typed, huge, nested),
 * plus the webhook receivers with valid signatures over the fuzzed bytes. Every answer
 * must be below 500, every 4xx problem+json with a stable code, and a 4xx must leave the
 * event log and every table the API writes beside it untouched.
 *
 * Deterministic: FUZZ_SEED (default below) and FUZZ_RUNS (cases per operation) pick the cases.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

/** Tables the API writes outside the event log (migrations/); a rejected request must not touch them. */
const SIDE_TABLES = ['api_tokens', 'idempotency_keys', 'cluster_secrets', 'webhook_rules', 'webhook_secrets', 'webhook_deliveries', 'dead_letters', 'dead_letter_replays'];
const STABLE_CODE = /^[A-Z][A-Z0-9_]{2,63}$/;
const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
/** Requests that hold the connection open while a rollout runs; fuzzed only with ids of no rollout. */
const LONG_LIVED = new Set(['GET /v1/rollouts/{id}/wait', 'GET /v1/rollouts/{id}/events']);

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}
interface OperationObject {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Operation {
  id: string;
  method: string;
  path: string;
  body: Schema | null;
  query: Parameter[];
  pathParams: string[];
}

interface Failure {
  operation: string;
  request: string;
  status: number;
  problem: string;
}

const WEBHOOK_SECRET = 'fuzz-webhook-secret-0123456789';

/** A stable per-operation seed, so adding an operation does not reshuffle the others' cases. */
function seedFor(id: string): number {
  let hash = SEED | 0;
  for (const char of id) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

const excerpt = (text: string, max = 240): string => {
  const clean = JSON.stringify(text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);
  return clean.slice(1, -1);
};

describe('fuzz pass over every JSON endpoint (OpenAPI-driven)', () => {
  let api: ApiHarness;
  let operations: Operation[];
  let pools: Pools;
  let pathPools: Record<string, string[]>;
  let seedHead: number;
  /** Answers by status class, to show how many generated requests got past validation. */
  const statuses: Record<string, number> = {};

  async function snapshot(): Promise<Record<string, string>> {
    const digests = SIDE_TABLES.map(
      // last_used_at moves on every authenticated request by design; it is not a write of the request's own.
      (t) => `(SELECT md5(coalesce(string_agg((to_jsonb(x) - 'last_used_at')::text, '|' ORDER BY (to_jsonb(x) - 'last_used_at')::text), '')) FROM ${t} x) AS ${t}`,
    );
    const { rows } = await api.db.pool.query<Record<string, string>>(`SELECT (SELECT coalesce(max(global_position), 0) FROM events)::text AS events, ${digests.join(', ')}`);
    return rows[0]!;
  }

  /** Sends one request and returns what is wrong with the answer (nothing, for a good one). */
  async function probe(request: { method: string; path: string; headers?: Record<string, string>; body?: Buffer }): Promise<{ response: RawResponse | null; problems: string[] }> {
    const before = await snapshot();
    let response: RawResponse;
    try {
      response = await rawRequest(api.url, request);
    } catch (error) {
      return { response: null, problems: [`no answer: ${(error as Error).message}`] };
    }
    const problems: string[] = [];
    const bucket = `${Math.floor(response.status / 100)}xx`;
    statuses[bucket] = (statuses[bucket] ?? 0) + 1;
    if (response.status >= 500) problems.push(`status ${response.status}: ${excerpt(response.text)}`);
    if (response.status >= 400 && response.status < 500) {
      const type = String(response.headers['content-type'] ?? '');
      if (!type.startsWith('application/problem+json')) problems.push(`4xx with content-type ${type || 'none'}: ${excerpt(response.text)}`);
      try {
        const body = JSON.parse(response.text) as { code?: unknown; status?: unknown };
        if (typeof body.code !== 'string' || !STABLE_CODE.test(body.code)) problems.push(`4xx without a stable code: ${excerpt(response.text)}`);
        if (body.status !== response.status) problems.push(`problem status ${String(body.status)} but HTTP ${response.status}`);
      } catch {
        problems.push(`4xx body is not JSON: ${excerpt(response.text)}`);
      }
      const after = await snapshot();
      const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
      if (changed.length > 0) problems.push(`${response.status} ${excerpt(response.text, 120)} but wrote to ${changed.join(', ')}`);
    }
    return { response, problems };
  }

  const admin = (): Record<string, string> => ({ authorization: `Bearer ${api.adminToken}` });

  beforeAll(async () => {
    api = await startApi();
    const seed = seeder(new PostgresEventStore(api.db.pool, systemClock));
    for (const [name, rank] of [['test', 1], ['staging', 2], ['prod', 3]] as const) await seed.environment(name, rank);
    for (const name of ['shop', 'cart', 'hello', 'diaspora']) await seed.application(name);
    for (const version of ['1.4.2', '2.3.0', '2.3.1']) await seed.release('shop', version);
    await seed.release('cart', '2.1.0');
    for (const [name, environment] of [['prod-eu-1', 'prod'], ['prod-us-1', 'prod'], ['staging-1', 'staging'], ['test-1', 'test'], ['spare-1', 'test']] as const) {
      await seed.cluster(name, environment, { region: 'eu', tier: 'gold' });
    }
    const http = () => api.http();
    const rollout = await http().post('/v1/rollouts').auth(api.adminToken, { type: 'bearer' }).send({ kind: 'deploy', application: 'shop', version: '2.3.1', environment: 'test' }).expect(202);
    const rule = (body: object) => http().post('/v1/webhooks/rules').auth(api.adminToken, { type: 'bearer' }).send(body).expect(201);
    await rule({ repository: 'acme/shop', provider: 'generic', application: 'shop', branchPattern: 'main', image: 'ghcr.io/acme/shop:{shortSha}', deploy: { environment: 'test', supersede: true } });
    await rule({ repository: 'Codertocat/Hello-World', provider: 'github', application: 'hello', branchPattern: '**', tagPattern: '*', image: 'registry.example.com/hello:{shortSha}', deploy: { environment: 'test' } });
    await rule({ repository: 'mike/diaspora', provider: 'gitlab', application: 'diaspora', branchPattern: 'master', image: 'registry.example.com/diaspora:{shortSha}' });
    const spareRule = await rule({ repository: 'acme/spare', provider: 'generic', application: 'cart', tagPattern: 'v*', image: 'ghcr.io/acme/cart:{tag}' });
    for (const repository of ['acme/shop', 'Codertocat/Hello-World', 'mike/diaspora']) {
      await http().put(`/v1/webhooks/secrets/${repository}`).auth(api.adminToken, { type: 'bearer' }).send({ secret: WEBHOOK_SECRET }).expect(200);
    }
    const spareToken = await http().post('/v1/tokens').auth(api.adminToken, { type: 'bearer' }).send({ name: 'spare', role: 'viewer' }).expect(201);
    seedHead = Number((await snapshot()).events);
    // Reads with ?position= wait for the projections; let them catch up once, here.
    await http().get(`/v1/applications?position=${seedHead}`).auth(api.adminToken, { type: 'bearer' }).expect(200);

    const rolloutId = rollout.body.rolloutId as string;
    pools = {
      application: ['shop', 'cart'],
      environment: ['prod', 'staging', 'test'],
      environments: ['prod', 'staging'],
      version: ['2.3.1', '1.4.2', '3.0.0'],
      clusters: ['prod-eu-1', 'prod-us-1'],
      cluster: ['prod-eu-1'],
      repository: ['acme/shop'],
      position: [0, seedHead],
      cursor: [Buffer.from(JSON.stringify(['shop'])).toString('base64url'), Buffer.from(JSON.stringify([1e308])).toString('base64url'), Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url')],
      selector: ['region=eu', 'tier=gold,region=eu'],
    };
    pathPools = {
      'applications:name': ['shop', 'cart'],
      'applications:application': ['shop', 'cart'],
      'clusters:name': ['prod-eu-1', 'staging-1'],
      'DELETE clusters:name': ['spare-1'],
      'clusters:cluster': ['prod-eu-1'],
      'environments:name': ['prod', 'staging'],
      'rollouts:id': [rolloutId],
      'tokens:id': [spareToken.body.id as string],
      'rules:id': [spareRule.body.id as string],
      'releases:version': ['2.3.1', '1.4.2'],
      'versions:version': ['2.3.1'],
      'secrets:owner': ['acme'],
      'secrets:repo': ['shop'],
      'deliveries:provider': ['github', 'gitlab', 'generic'],
      'deliveries:deliveryId': ['none-yet'],
      'dead-letters:id': ['00000000-0000-4000-8000-000000000000'],
    };

    const document = (await http().get('/openapi.json').expect(200)).body;
    const dereferenced = (await SwaggerParser.dereference(structuredClone(document))) as unknown as { paths: Record<string, Partial<Record<(typeof HTTP_METHODS)[number], OperationObject>>> };
    operations = Object.entries(dereferenced.paths).flatMap(([path, item]) =>
      HTTP_METHODS.flatMap((method) => {
        const operation = item[method];
        if (!operation) return [];
        const parameters = operation.parameters ?? [];
        return [{
          id: `${method.toUpperCase()} ${path}`,
          method: method.toUpperCase(),
          path,
          body: operation.requestBody?.content?.['application/json']?.schema ?? null,
          query: parameters.filter((p) => p.in === 'query'),
          pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        }];
      }),
    );
    process.stdout.write(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} (${operations.length} operations)\n`);
  }, 120_000);

  afterAll(async () => {
    closeRawAgent();
    await api?.close();
  });

  function pathPool(operation: Operation, param: string): string[] {
    const segments = operation.path.split('/');
    const parent = segments[segments.indexOf(`{${param}}`) - 1] ?? '';
    const pool = pathPools[`${operation.method} ${parent}:${param}`] ?? pathPools[`${parent}:${param}`] ?? [];
    return LONG_LIVED.has(operation.id) ? [] : pool;
  }

  /** One generated request for the operation: path parameters, query string, Idempotency-Key and body. */
  function requestArbitrary(operation: Operation) {
    const params = Object.fromEntries(operation.pathParams.map((p) => [p, pathSegmentArbitrary(pathPool(operation, p))]));
    const query = Object.fromEntries(operation.query.map((q) => [q.name, queryValueArbitrary(q.schema ?? {}, pools, q.name)]));
    const idempotencyKey = fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'k'.repeat(256), ' ', 'ünïcode'.normalize('NFD').replace(/[^\x20-\x7e]/g, '?')) });
    const body = operation.body ? bodyArbitrary(operation.body, pools) : fc.constant(OMIT);
    return fc.record({ params: fc.record(params), query: fc.record(query), idempotencyKey, body });
  }

  /** Positions beyond the log make a read wait 5 s for projections (then 503 READ_MODEL_BEHIND, by design); keep the fuzz fast. */
  function affordable(name: string, value: string): string {
    if (name !== 'position' && name !== 'timeoutSeconds') return value;
    const n = Number(value);
    return Number.isInteger(n) && n > (name === 'position' ? seedHead : 0) ? String(name === 'position' ? seedHead : n) : value;
  }

  function render(operation: Operation, generated: { params: Record<string, string>; query: Record<string, unknown>; idempotencyKey: string | null; body: unknown }) {
    const path = operation.path.replace(/\{(\w+)\}/g, (_m, name: string) => generated.params[name] ?? 'x');
    const pairs = Object.entries(generated.query).flatMap(([name, value]) =>
      value === OMIT ? [] : (Array.isArray(value) ? value : [value]).map((v) => `${name}=${encodeSegment(affordable(name, String(v)))}`),
    );
    const text = generated.body === OMIT ? '' : toJsonText(generated.body);
    const headers: Record<string, string> = { ...admin() };
    if (text !== '') headers['content-type'] = 'application/json';
    if (generated.idempotencyKey !== null && operation.method === 'POST') headers['idempotency-key'] = generated.idempotencyKey;
    return { method: operation.method, path: pairs.length > 0 ? `${path}?${pairs.join('&')}` : path, headers, body: text === '' ? undefined : Buffer.from(text, 'utf8') };
  }

  async function fuzz(operation: Operation, runs: number): Promise<Failure[]> {
    const failures: Failure[] = [];
    const cases = fc.sample(requestArbitrary(operation), { seed: seedFor(operation.id), numRuns: runs });
    for (const generated of cases) {
      const request = render(operation, generated as Parameters<typeof render>[1]);
      const { response, problems } = await probe(request);
      for (const problem of problems) {
        failures.push({ operation: operation.id, request: `${request.method} ${excerpt(request.path, 160)} ${excerpt(request.body?.toString('utf8') ?? '', 200)}`, status: response?.status ?? 0, problem });
      }
    }
    const live = await rawRequest(api.url, { method: 'GET', path: '/health/live' }).catch((e: Error) => ({ status: 0, text: e.message }));
    if (live.status !== 200) failures.push({ operation: operation.id, request: 'GET /health/live', status: live.status, problem: 'the API stopped answering' });
    failures.push(...(await projectionsKeepUp(operation.id)));
    return failures;
  }

  /**
   * An accepted write the read models cannot store (a rank beyond their int column, say)
   * would stall every projection behind it: a crash of the read side, though the API said 2xx.
   */
  async function projectionsKeepUp(operation: string): Promise<Failure[]> {
    const head = (await snapshot()).events;
    const read = await rawRequest(api.url, { method: 'GET', path: `/v1/environments?limit=1&position=${head}`, headers: admin() });
    return read.status === 200 ? [] : [{ operation, request: `GET /v1/environments?position=${head}`, status: read.status, problem: `read models did not reach the log head: ${excerpt(read.text)}` }];
  }

  const fuzzable = (o: Operation) => o.body !== null || o.query.length > 0 || o.pathParams.length > 0;

  it('enumerates every operation with a JSON body, query parameters or path parameters', () => {
    const withBody = operations.filter((o) => o.body !== null).map((o) => o.id);
    // The document is the source of truth; these are here so a lost body schema is noticed.
    expect(withBody).toEqual(expect.arrayContaining(['POST /v1/applications', 'POST /v1/rollouts', 'POST /v1/clusters', 'POST /v1/environments', 'POST /v1/tokens', 'POST /v1/webhooks/rules', 'PUT /v1/webhooks/secrets/{owner}/{repo}']));
    expect(withBody.length).toBeGreaterThanOrEqual(17);
    const skipped = operations.filter((o) => !fuzzable(o)).map((o) => o.id);
    expect(skipped.sort()).toEqual(['GET /health', 'GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /v1/cluster-health', 'POST /v1/admin/projections/rebuild', 'POST /v1/webhooks/generic', 'POST /v1/webhooks/github', 'POST /v1/webhooks/gitlab'].sort());
  });

  it('answers every generated request below 500, 4xx as problem+json with a code, and writes nothing on a 4xx', async () => {
    const started = Date.now();
    const failures: Failure[] = [];
    // Deletions last, so the other operations meet the seeded state.
    const ordered = [...operations.filter((o) => fuzzable(o) && o.method !== 'DELETE'), ...operations.filter((o) => fuzzable(o) && o.method === 'DELETE')];
    let requests = 0;
    for (const operation of ordered) {
      const runs = operation.body !== null ? RUNS : Math.ceil(RUNS / 2);
      failures.push(...(await fuzz(operation, runs)));
      requests += runs;
    }
    process.stdout.write(`fuzz: ${requests} requests over ${ordered.length} operations in ${Date.now() - started} ms, ${failures.length} failures, answers ${JSON.stringify(statuses)}\n`);
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(failures, null, 1));
    expect(failures).toEqual([]);
  }, 600_000);

  it('webhook receivers: fuzzed payloads signed over their exact bytes', async () => {
    const failures: Failure[] = [];
    const github = githubExample('push', (p) => p.ref === 'refs/heads/master' && p.deleted === false);
    const gitlab = {
      object_kind: 'push', ref: 'refs/heads/master', before: '95790bf891e76fee5e1747ab589903a6a1f80f22', after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', project: { id: 15, path_with_namespace: 'mike/diaspora', default_branch: 'master' },
      commits: [{ id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', message: 'fixed readme', timestamp: '2012-01-03T23:36:29+02:00' }], total_commits_count: 1,
    };
    const generic = { repository: 'acme/shop', ref: 'refs/heads/main', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' };
    const hmac = (bytes: Buffer) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(bytes).digest('hex')}`;
    let delivery = 0;
    const deliveryId = fc.oneof(
      { weight: 8, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('fuzz-dup', '', 'a'.repeat(129), '../x', 'ü'.replace(/[^\x20-\x7e]/g, '?'), '1e308') },
    );
    const receivers = [
      { path: '/v1/webhooks/github', document: github, events: ['push', 'create', 'release', 'ping', 'issues', 'x'.repeat(65), ''] },
      { path: '/v1/webhooks/gitlab', document: gitlab, events: ['Push Hook', 'Tag Push Hook', 'Note Hook'] },
      { path: '/v1/webhooks/generic', document: generic, events: ['push'] },
    ];
    for (const receiver of receivers) {
      const arbitrary = fc.record({
        body: mutatedDocument(receiver.document, { ...pools, ref: ['refs/heads/main', 'refs/heads/master', 'refs/tags/v1.2.3'] }),
        event: fc.constantFrom(...receiver.events),
        deliveryId,
        signed: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      });
      for (const generated of fc.sample(arbitrary, { seed: seedFor(receiver.path), numRuns: RUNS })) {
        const text = toJsonText(generated.body);
        const bytes = Buffer.from(text, 'utf8');
        const id = generated.deliveryId ?? `fuzz-${(delivery += 1)}`;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (receiver.path.endsWith('github')) Object.assign(headers, { 'x-github-event': generated.event, 'x-github-delivery': id, 'x-hub-signature-256': generated.signed ? hmac(bytes) : 'sha256=00' });
        if (receiver.path.endsWith('gitlab')) Object.assign(headers, { 'x-gitlab-event': generated.event, 'x-gitlab-event-uuid': id, 'x-gitlab-token': generated.signed ? WEBHOOK_SECRET : 'wrong' });
        if (receiver.path.endsWith('generic')) Object.assign(headers, { 'x-delivery-id': id, 'x-signature-256': generated.signed ? hmac(bytes) : 'sha256=00' });
        for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
        const { response, problems } = await probe({ method: 'POST', path: receiver.path, headers, body: bytes.length > 0 ? bytes : undefined });
        for (const problem of problems) failures.push({ operation: `POST ${receiver.path}`, request: excerpt(text, 300), status: response?.status ?? 0, problem });
      }
      failures.push(...(await projectionsKeepUp(`POST ${receiver.path}`)));
    }
    expect(failures).toEqual([]);
  }, 300_000);

  describe('regressions the fuzz pass found (each was a 500, or a stalled read side)', () => {
    const json = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
    const send = async (method: string, path: string, body?: unknown) => {
      const { response, problems } = await probe({ method, path, headers: { ...admin(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : json(body) });
      expect(problems).toEqual([]);
      return { status: response!.status, code: (JSON.parse(response!.text) as { code?: string }).code };
    };

    it.each([
      ['a NUL in a path parameter', 'GET', '/v1/clusters/prod-eu-1%00', undefined],
      ['a NUL in a query parameter', 'GET', '/v1/applications/shop/live?environment=prod%00', undefined],
      ['a NUL in a body field', 'POST', '/v1/applications', { name: 'nul', team: 'a\u0000b' }],
      ['a NUL in a body key', 'PUT', '/v1/clusters/prod-eu-1/labels', { labels: { 'a\u0000': 'b' } }],
      ['an unpaired surrogate (jsonb refuses it)', 'POST', '/v1/applications', '{"name":"lone","team":"\\ud800"}'],
    ])('%s answers 400 UNSUPPORTED_CHARACTER', async (_what, method, path, body) => {
      expect(await send(method, path, body)).toEqual({ status: 400, code: 'UNSUPPORTED_CHARACTER' });
    });

    it('a body nested 5000 levels deep answers 400 INPUT_TOO_DEEP, not a stack overflow', async () => {
      const deep = `{"name":${'['.repeat(5000)}${']'.repeat(5000)},"team":"t"}`;
      expect(await send('POST', '/v1/applications', deep)).toEqual({ status: 400, code: 'INPUT_TOO_DEEP' });
      expect(await send('POST', '/v1/clusters', `{"name":"x","environment":"prod","region":"eu","labels":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`)).toEqual({ status: 400, code: 'INPUT_TOO_DEEP' });
    });

    it('malformed percent-encoding, over-long path parameters and over-long URLs answer problem+json', async () => {
      expect(await send('GET', '/v1/applications/%ZZ', undefined)).toEqual({ status: 400, code: 'MALFORMED_URL' });
      expect(await send('GET', `/v1/applications/${'a'.repeat(300)}`, undefined)).toEqual({ status: 414, code: 'URI_TOO_LONG' });
      expect(await send('GET', `/v1/applications?cursor=${'q'.repeat(20_000)}`, undefined)).toEqual({ status: 431, code: 'HEADERS_TOO_LARGE' });
    });

    it.each([
      ['a position cursor holding text', '/v1/rollouts', ['shop']],
      ['a position cursor beyond a safe integer', '/v1/applications/shop/history', [1e308]],
      ['a rank cursor beyond the int column', '/v1/environments', [2 ** 31, 'prod']],
      ['a name cursor holding NUL', '/v1/applications', ['a\u0000']],
    ])('%s answers 400 CURSOR_INVALID', async (_what, path, cursor) => {
      expect(await send('GET', `${path}?cursor=${Buffer.from(JSON.stringify(cursor)).toString('base64url')}`)).toEqual({ status: 400, code: 'CURSOR_INVALID' });
    });

    it('an environment rank beyond the read model column is refused, and the read models keep up', async () => {
      expect(await send('POST', '/v1/environments', { name: 'huge-rank', rank: 2 ** 53 })).toEqual({ status: 400, code: 'ENVIRONMENT_POLICY_INVALID' });
      expect(await send('PATCH', '/v1/environments/test', { policy: { wavePlan: { bakeSeconds: 1e308 } } })).toEqual({ status: 400, code: 'WAVE_PLAN_INVALID' });
      expect(await projectionsKeepUp('POST /v1/environments')).toEqual([]);
    });

    it.each(['environment', 'clusters', 'selector', 'strategy', 'reason', 'override', 'supersede'])('"%s": null (which @IsOptional lets through) is not a 500', async (field) => {
      const { status } = await send('POST', '/v1/rollouts', { kind: 'deploy', application: 'cart', version: '2.1.0', environment: 'staging', [field]: null });
      expect(status).toBeLessThan(500);
    });

    const rollout = { kind: 'deploy', application: 'cart', version: '2.1.0', environment: 'staging' };
    it.each([
      ['strategy: []', '/v1/rollouts', { ...rollout, strategy: [] }],
      ['override: []', '/v1/rollouts', { ...rollout, override: [] }],
      ['strategy.canary: []', '/v1/rollouts', { ...rollout, strategy: { canary: [] } }],
      ['a pause step of []', '/v1/rollouts', { ...rollout, strategy: { canary: { steps: [{ pause: [] }] } } }],
      ['deploy: [] on a webhook rule', '/v1/webhooks/rules', { repository: 'acme/x', provider: 'generic', application: 'cart', branchPattern: 'main', image: 'ghcr.io/acme/cart:{sha}', deploy: [] }],
    ])('%s (an empty array passes @ValidateNested) answers 400 VALIDATION_FAILED', async (_what, path, body) => {
      expect(await send('POST', path, body)).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    });

    it('a signed generic delivery whose commit is not a SHA is recorded, not a 500', async () => {
      const bytes = json({ repository: 'acme/shop', ref: 'refs/heads/main', commit: '🚀'.repeat(8) });
      const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(bytes).digest('hex')}`;
      const { response, problems } = await probe({ method: 'POST', path: '/v1/webhooks/generic', headers: { 'content-type': 'application/json', 'x-delivery-id': 'emoji-commit', 'x-signature-256': signature }, body: bytes });
      expect(problems).toEqual([]);
      expect(response!.status).toBe(202);
    });
  });
});
