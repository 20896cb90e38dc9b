import type { Clock } from '#domain';

/**
 * Real time plus an offset the test moves forward: readiness still takes the
 * simulator's few milliseconds, while a 30-minute pause or soak passes in one call.
 */
export class OffsetClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
