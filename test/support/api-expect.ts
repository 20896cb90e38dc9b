import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import type { ApiHarness } from './api-harness.js';

/** An error answer: the status, problem+json, and circle's stable code. */
export function expectProblem(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

/** A 400 VALIDATION_FAILED that names `field` among its errors. */
export function expectInvalidField(res: Response, field: string): void {
  expectProblem(res, 400, 'VALIDATION_FAILED');
  expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
}

export interface StoredRow {
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  global_position: string;
}

export async function streamEvents(api: ApiHarness, streamId: string): Promise<StoredRow[]> {
  const { rows } = await api.db.pool.query<StoredRow>(
    'SELECT type, data, metadata, global_position FROM events WHERE stream_id = $1 ORDER BY stream_version',
    [streamId],
  );
  return rows;
}

/** The log's head; a rejected request must leave it where it was. */
export async function logHead(api: ApiHarness): Promise<number> {
  const { rows } = await api.db.pool.query<{ p: string | null }>('SELECT max(global_position) AS p FROM events');
  return Number(rows[0]!.p ?? 0);
}
