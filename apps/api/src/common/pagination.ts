import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { storableText } from './input-guard.js';
import { ApiError } from './problem.js';

export class ReadQuery {
  @ApiPropertyOptional({
    description: 'Log position returned by a command (X-Circle-Position); the read waits until read models have reached it (at most 5 s).',
    example: 1042,
  })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0)
  position?: number;
}

export class PageQuery extends ReadQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page\'s nextCursor.' })
  @IsOptional() @IsString() @MaxLength(500)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * What a cursor holds, part by part: text, a safe integer (log positions, microseconds),
 * or a 32-bit one (an int column such as an environment's rank). A cursor is opaque to
 * clients but still client input: a forged one must get 400, never reach SQL as a
 * value its column cannot take.
 */
export type CursorPart = 'string' | 'integer' | 'int32';
type CursorValues<S extends readonly CursorPart[]> = { -readonly [K in keyof S]: S[K] extends 'string' ? string : number };

const fits = (kind: CursorPart, value: unknown): boolean =>
  kind === 'string'
    ? typeof value === 'string' && storableText(value)
    : Number.isSafeInteger(value) && (kind === 'integer' || ((value as number) >= -(2 ** 31) && (value as number) < 2 ** 31));

export function decodeCursor<const S extends readonly CursorPart[]>(cursor: string | undefined, shape: S): CursorValues<S> | null;
export function decodeCursor(cursor: string | undefined, shape: readonly CursorPart[]): unknown[] | null {
  if (cursor === undefined) return null;
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const fitsShape = (v: unknown[]) => v.length === shape.length && shape.every((kind, i) => fits(kind, v[i]));
    if (Array.isArray(values) && fitsShape(values)) return values;
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, 'CURSOR_INVALID', 'cursor is not one this API returned');
}

/** Fetches limit + 1 rows to know whether another page exists without a count query. */
export function toPage<Row, T>(rows: Row[], limit: number, map: (row: Row) => T, key: (row: Row) => (string | number)[]): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items: items.map(map), nextCursor: more ? encodeCursor(key(items[items.length - 1]!)) : null };
}
