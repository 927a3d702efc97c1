/**
 * A route's arrival rate as fast mode reads it: the cumulative expected count Λ(t) of its
 * requests (all paths) at continuous time t in µs, its inverse, and where the rate changes.
 * The same curve as arrivals.ts: a flat rate, or the daily curve's hourly multipliers from its
 * start hour, constant within each hour.
 */
import { US_PER_S } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'

const HOUR_US = 3600 * US_PER_S

export interface RateCurve {
  /** Requests per µs in the hour segment j (the flat rate when there is no curve). */
  readonly segRate: Float64Array
  /** Λ at the start of segment j (j·HOUR_US); one more entry than segRate. */
  readonly segLambda: Float64Array
  /** Segment width, µs (Infinity when flat: one segment). */
  readonly segUs: number
}

/** Route i's curve at its traffic.rps, or at `rps` (its one-off unknown paths' rate, on the same daily curve). */
export function rateCurve(s: Scenario, i: number, durationUs: number, rps = s.routes[i]!.traffic.rps): RateCurve {
  const cfg = s.routes[i]!
  const perUs = rps / US_PER_S
  const curve = cfg.traffic.diurnal ?? s.diurnal
  if (curve === undefined) return { segRate: Float64Array.of(perUs), segLambda: Float64Array.of(0, Infinity), segUs: Infinity }
  const n = Math.ceil(durationUs / HOUR_US) + 1
  const segRate = new Float64Array(n)
  const segLambda = new Float64Array(n + 1)
  const start = curve.startHour ?? 0
  for (let j = 0; j < n; j++) {
    segRate[j] = perUs * curve.hourly[(start + j) % 24]!
    segLambda[j + 1] = segLambda[j]! + segRate[j]! * HOUR_US
  }
  return { segRate, segLambda, segUs: HOUR_US }
}

/** The segment of continuous time t (t >= 0). */
export function segmentOf(c: RateCurve, tUs: number): number {
  if (c.segUs === Infinity) return 0
  const j = Math.floor(tUs / c.segUs)
  return j < c.segRate.length ? j : c.segRate.length - 1
}

/** Λ(t): expected requests of the whole route in [0, t). */
export function lambdaAt(c: RateCurve, tUs: number): number {
  const j = segmentOf(c, tUs)
  return c.segLambda[j]! + c.segRate[j]! * (tUs - j * (c.segUs === Infinity ? 0 : c.segUs))
}

/**
 * The continuous time at which Λ reaches x (the arrival whose cumulative count is x), or
 * Infinity past the curve. Segments of zero rate are skipped, as arrivals.ts does.
 */
export function timeAt(c: RateCurve, x: number): number {
  if (c.segUs === Infinity) return c.segRate[0]! > 0 ? x / c.segRate[0]! : Infinity
  const L = c.segLambda, n = c.segRate.length
  if (!(x < L[n]!)) return Infinity
  // The last segment whose start is at or below x and whose rate is above 0.
  let lo = 0, hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (L[mid]! <= x) lo = mid
    else hi = mid - 1
  }
  while (c.segRate[lo]! === 0) lo++
  return lo * c.segUs + (x - L[lo]!) / c.segRate[lo]!
}
