import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApi, type ApiHarness } from '../support/api-harness.js';

describe('rate limits and security headers', () => {
  let api: ApiHarness;
  let busy: string;
  let calm: string;

  beforeAll(async () => {
    api = await startApi({ rateLimitPerMinute: 5 });
    busy = await api.token('viewer', 'busy-ci');
    calm = await api.token('viewer', 'calm-ci');
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers a token over its limit with 429 problem+json and Retry-After, without touching other tokens', async () => {
    for (let i = 0; i < 5; i += 1) await api.http().get('/v1/applications').auth(busy, { type: 'bearer' }).expect(200);
    const limited = await api.http().get('/v1/applications').auth(busy, { type: 'bearer' });
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    await api.http().get('/v1/applications').auth(calm, { type: 'bearer' }).expect(200);
    // Health probes are never limited.
    for (let i = 0; i < 8; i += 1) await api.http().get('/health/live').expect(200);
  });

  it('sends security headers and no CORS permission unless configured', async () => {
    const response = await api.http().get('/health/live').set('origin', 'https://evil.example').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
