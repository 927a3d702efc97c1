/**
 * A route's render time as fast mode reads it in bulk (docs/fast-mode.md): the probability that
 * a render's duration, in integer µs as renders.ts rounds it, falls in each histogram bucket,
 * and its mean within the bucket. A dynamic route's renders are independent of each other, so
 * their durations over a run are one multinomial draw over these buckets.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import { bucketLow, bucketOf, HISTOGRAM_BUCKETS as K } from '../kernel/histogram.ts'
import { lognormalParams } from '../kernel/dist.ts'
import { secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'

export interface DurationBuckets {
  /** P(duration in bucket b). */
  readonly prob: Float64Array
  /** E[duration | bucket b], µs (0 where prob is 0). */
  readonly meanUs: Float64Array
  /** The buckets with a probability above 0: [first, last + 1). */
  readonly from: number
  readonly to: number
}

/** Φ(z) with the upper tail taken from the complement, so that tail masses do not cancel. */
function phi(z: number): number {
  return normalCdf(z, 0, 1)
}
function massBetween(z0: number, z1: number): number {
  return z0 > 0 ? phi(-z0) - phi(-z1) : phi(z1) - phi(z0)
}

/**
 * `shiftUs`: a wait every render adds to its drawn time (integer µs), as a one-off path's render
 * waits for its fetches (renders.ts adds the Data Cache's wait to the duration).
 */
export function durationBuckets(renderS: Scenario['routes'][number]['renderS'], shiftUs = 0): DurationBuckets {
  const prob = new Float64Array(K), meanUs = new Float64Array(K)
  if (typeof renderS === 'number') {
    const us = secToUs(renderS) + shiftUs, b = bucketOf(us)
    prob[b] = 1
    meanUs[b] = us
    return { prob, meanUs, from: b, to: b + 1 }
  }
  const { mu, sigma } = lognormalParams(secToUs(renderS.lognormal.medianS), secToUs(renderS.lognormal.p95S))
  // roundHalfUp(X) + shiftUs lands in bucket b when X is in [bucketLow(b) - shiftUs - 0.5, bucketLow(b + 1) - shiftUs - 0.5).
  const z = (x: number) => (x <= 0 ? -Infinity : (Math.log(x) - mu) / sigma)
  const mean = Math.exp(mu + (sigma * sigma) / 2)
  let from = K, to = 0
  for (let b = 0; b < K; b++) {
    const lo = bucketLow(b) - shiftUs - 0.5, hi = (b + 1 < K ? bucketLow(b + 1) : 2 ** 53) - shiftUs - 0.5
    const p = massBetween(z(lo), z(hi))
    if (!(p > 0)) continue
    prob[b] = p
    // E[X; lo <= X < hi] = e^(mu + sigma²/2)·(Φ(z(hi) - sigma) - Φ(z(lo) - sigma)); exact integers below 256 µs.
    const partial = mean * massBetween(z(lo) - sigma, z(hi) - sigma)
    const m = partial / p
    meanUs[b] = b < 256 ? b : (Number.isFinite(m) && m >= lo && m <= hi ? m : (lo + hi) / 2) + shiftUs
    if (b < from) from = b
    to = b + 1
  }
  return { prob, meanUs, from, to }
}
