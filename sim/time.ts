/**
 * Simulated time is an integer number of microseconds since `next start` (t = 0).
 * Integers make ties exact (TigerBeetle's ticks); microseconds keep evenly spaced
 * arrivals (e.g. 3 req/s = 333,333 µs) and sub-millisecond renders honest.
 * Scenario input and result JSON use seconds (`…S`) and milliseconds (`…Ms`): input goes
 * through secToUs, results divide by US_PER_S or US_PER_MS.
 */
export const US_PER_S = 1_000_000
export const US_PER_MS = 1_000

/** Seconds (float) to integer microseconds. `Infinity` stays `Infinity` (used for "never"). */
export function secToUs(seconds: number): number {
  return seconds === Infinity ? Infinity : Math.round(seconds * US_PER_S)
}
