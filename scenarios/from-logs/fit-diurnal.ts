/**
 * The site's daily curve: human requests per UTC hour of day, divided by how long the log
 * covered that hour of day (a log of 1.5 days sees some hours twice), as 24 multipliers with
 * mean 1. Fitted only when the log covers at least a day; `startHour` is the UTC hour of the
 * log's first request (the simulator's t = 0).
 */

export const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
/** A log this close to a day (99%) counts as a day: a day's log starts and ends a little inside it. */
const MIN_COVER = 0.99

export interface DiurnalFit {
  readonly hourly: number[]
  readonly startHour: number
}

/** Milliseconds of [startMs, startMs + spanMs) in each UTC hour of day. */
export function hourExposure(startMs: number, spanMs: number): Float64Array {
  const e = new Float64Array(24)
  let t = startMs
  const end = startMs + spanMs
  while (t < end) {
    const next = Math.min(end, (Math.floor(t / HOUR_MS) + 1) * HOUR_MS)
    const h = ((Math.floor(t / HOUR_MS) % 24) + 24) % 24
    e[h]! += next - t
    t = next
  }
  return e
}

export function fitDiurnal(byHour: ArrayLike<number>, startMs: number, spanMs: number): DiurnalFit | null {
  if (spanMs < MIN_COVER * DAY_MS) return null
  const exposure = hourExposure(startMs, spanMs)
  const rate = Array.from({ length: 24 }, (_, h) => (exposure[h]! > 0 ? byHour[h]! / exposure[h]! : 0))
  const mean = rate.reduce((a, b) => a + b, 0) / 24
  if (!(mean > 0)) return null
  return { hourly: rate.map((r) => Math.round((r / mean) * 1e4) / 1e4), startHour: ((Math.floor(startMs / HOUR_MS) % 24) + 24) % 24 }
}
