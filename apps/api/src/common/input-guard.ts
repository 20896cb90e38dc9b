import { ApiError } from './problem.js';

/** Deeper than any body circle documents (a rollout strategy is 5 levels); class-transformer and canonical JSON recurse once per level. */
export const MAX_INPUT_DEPTH = 32;

// U+0000 is refused by Postgres in text and jsonb; a lone surrogate ("\ud800" in JSON)
// is refused in jsonb. Either would otherwise surface as a 500 at the first write or lookup.
const UNSUPPORTED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const unsupported = (where: string) =>
  new ApiError(400, 'UNSUPPORTED_CHARACTER', `${where} contains a NUL character or an unpaired UTF-16 surrogate, which circle cannot store`, {
    errors: [{ field: where, message: 'NUL characters and unpaired surrogates are not allowed' }],
  });

/**
 * Checks decoded input (path parameters, query, JSON body) before any handler sees it:
 * text Postgres can store, and nesting no deeper than MAX_INPUT_DEPTH. Iterative, so a
 * body of 10 000 nested arrays costs a loop, not the stack.
 */
export function checkInput(value: unknown, where: string): ApiError | null {
  const stack: [unknown, string, number][] = [[value, where, 0]];
  while (stack.length > 0) {
    const [current, path, depth] = stack.pop()!;
    if (typeof current === 'string') {
      if (UNSUPPORTED.test(current)) return unsupported(path);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) {
      return new ApiError(400, 'INPUT_TOO_DEEP', `${where} is nested more than ${MAX_INPUT_DEPTH} levels deep`);
    }
    for (const [key, child] of Object.entries(current)) {
      const childPath = `${path}.${key}`;
      if (UNSUPPORTED.test(key)) return unsupported(childPath);
      stack.push([child, childPath, depth + 1]);
    }
  }
  return null;
}

/** True when the string can be stored as Postgres text (no NUL, no unpaired surrogate). */
export const storableText = (value: string): boolean => !UNSUPPORTED.test(value);
