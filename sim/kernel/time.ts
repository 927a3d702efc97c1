/**
 * Simulated time is an integer number of microseconds since `next start` (t = 0).
 * Integers make ties exact (TigerBeetle's ticks); microseconds keep evenly spaced
 * arrivals (e.g. 3 req/s = 333,333 µs) and sub-millisecond renders honest.
 * Scenario input and result JSON use seconds (`…S`) and milliseconds (`…Ms`): input goes
 * through secToUs, results divide by US_PER_S or US_PER_MS.
 */
export const US_PER_S = 1_000_000
export const US_PER_MS = 1_000
/** 365 days, seconds: next.config's default expireTime, the "max" cacheLife profile's expire, and how the Data Cache stores `revalidate: false`. */
export const ONE_YEAR_S = 31_536_000

/** Seconds (float) to integer microseconds. `Infinity` stays `Infinity` (used for "never"). */
export function secToUs(seconds: number): number {
  return seconds === Infinity ? Infinity : Math.round(seconds * US_PER_S)
}

/**
 * Math.round(x), for the hot path: the same value (round half up, exactly: x - floor(x)
 * is exact), but V8 (Node 20) compiles Math.round to a builtin call that cost ~20 ns,
 * more than a whole Exp(1) draw; floor and compare inline to a few instructions.
 * Returns +0 where Math.round gives -0 (x in [-0.5, 0)); JSON prints both as 0.
 */
export function roundHalfUp(x: number): number {
  const f = Math.floor(x)
  return f + Number(x - f >= 0.5)
}
