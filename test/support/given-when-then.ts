import { expect } from '@jest/globals';
import { DomainError, fold, type Decider, type DomainErrorCode } from '#domain';

/**
 * Given past events, when a command is decided, then these events (or this rejection).
 * Asserts only on what the decider emits, never on its internal state.
 */
export function given<C, E, S>(decider: Decider<C, E, S>, history: E[] = []) {
  const state = fold(decider, history);
  return {
    when(command: C) {
      const run = (): E[] => decider.decide(command, state);
      return {
        then(expected: E[]): void {
          expect(run()).toEqual(expected);
        },
        thenRejects(code: DomainErrorCode, message?: RegExp): DomainError {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(DomainError);
          const error = caught as DomainError;
          expect(error.code).toBe(code);
          if (message) expect(error.message).toMatch(message);
          return error;
        },
        /** The events, for assertions on a part of them. */
        events: run,
      };
    },
  };
}

export const NOW = new Date('2026-11-22T03:00:00.000Z');
export const AT = NOW.toISOString();
