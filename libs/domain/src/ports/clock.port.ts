/**
 * Time is an input: commands carry `now`, and infrastructure reads it from this port so
 * tests of pauses and soak clocks move time forward instead of sleeping.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
