import { describe, expect, it } from '@jest/globals';
import type { FastifyRequest } from 'fastify';
import { ConcurrencyError, DomainError } from '#domain';
import { EventDataRefusedError } from '#infra/event-store/postgres-event-store.js';
import type { Logger } from '#infra/logging/logger.js';
import { toProblem } from '../../apps/api/src/common/problem-details.filter.js';

/** A logger that keeps what it was given: the one place a unit fake is the right tool. */
function recordingLogger(): { logger: Logger; lines: { obj: Record<string, unknown>; msg: string }[] } {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const record = (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg });
  const logger = { error: record, warn: record } as unknown as Logger;
  return { logger, lines };
}

const request = { id: 'corr-42', method: 'POST', url: '/v1/applications?x=1' } as unknown as FastifyRequest;

describe('mapping errors to problem details', () => {
  it('turns an unexpected error into a 500 that reveals nothing, and logs it in full with the correlation id', () => {
    const { logger, lines } = recordingLogger();
    const problem = toProblem(new TypeError('cannot read properties of undefined (secret stuff)'), logger, request);
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    expect(JSON.stringify(problem)).not.toContain('secret stuff');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ correlationId: 'corr-42', method: 'POST', url: '/v1/applications?x=1' });
    expect(String((lines[0]!.obj.err as Error).message)).toContain('secret stuff');
  });

  it.each([
    [new DomainError('APPLICATION_NAME_INVALID', 'bad'), 400],
    [new DomainError('APPLICATION_NOT_FOUND', 'gone'), 404],
    [new DomainError('RELEASE_ALREADY_EXISTS', 'dup'), 409],
    [new DomainError('ROLLOUT_SELF_APPROVAL', 'no'), 422],
    [new ConcurrencyError('application-shop', 3, 4), 409],
    [new EventDataRefusedError(Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' })), 400],
  ])('maps %p to HTTP %i without logging it as a failure', (error, status) => {
    const { logger, lines } = recordingLogger();
    expect(toProblem(error, logger, request).status).toBe(status);
    expect(lines).toHaveLength(0);
  });

  it.each([
    ['a connection the server terminated (restart)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a server still starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a wrapped dead client', new Error('event store append failed', { cause: new Error('Client has encountered a connection error and is not queryable') })],
  ])('maps %s to 503 DATABASE_UNAVAILABLE, which clients may retry, not to a 500', (_, error) => {
    const { logger, lines } = recordingLogger();
    expect(toProblem(error, logger, request)).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(lines.map((l) => l.msg)).toEqual(['database unavailable']);
  });

  it('keeps a SQL error that is not about the connection a 500', () => {
    const { logger } = recordingLogger();
    expect(toProblem(Object.assign(new Error('syntax error'), { code: '42601' }), logger, request).status).toBe(500);
  });
});
