/**
 * The CDN layer's counters (§16): per route, what users were served at the edge (hit, stale,
 * miss), the requests the CDN forwarded to Next, and the age and wait of what users got, end
 * to end. Typed arrays only: recording allocates nothing. The Next layer keeps its own
 * counters in Metrics (the requests that reached Next); these never feed back into the model.
 */
import { HISTOGRAM_BUCKETS as B, bucketAt, quantileOf } from '../kernel/histogram.ts'
import { US_PER_MS, US_PER_S } from '../kernel/time.ts'
import type { CdnResult, CdnRouteResult } from '../contract.ts'

/** What a user request got at the edge. */
export const CDN_HIT = 0, CDN_STALE = 1, CDN_MISS = 2
export type CdnOutcome = typeof CDN_HIT | typeof CDN_STALE | typeof CDN_MISS
export const CDN_OUTCOME_NAMES = ['hit', 'stale', 'miss'] as const
/** Columns per route: the three outcomes, then the requests forwarded to Next. */
const NC = 4
export const CDN_FORWARDED = 3
const FORWARDED = CDN_FORWARDED

export class CdnMetrics {
  readonly routes: number
  /** Per route and column, since t = 0 (measured = these minus atWarmup). */
  readonly counts: Float64Array
  readonly atWarmup: Float64Array
  /** Users' ages (age >= 0 responses) and waits, measured responses only (cleared at warmup). */
  readonly ageHist: Float64Array
  readonly ageSum: Float64Array
  readonly ageMax: Float64Array
  readonly latSum: Float64Array
  /** 1 while the request at the edge is a crawler's (Metrics.crawlerRequest sets it, the CDN clears it). */
  crawler = 0
  /** [ageUs, latencyUs] of the response being recorded: doubles cross calls only in typed arrays. */
  readonly obs = new Float64Array(2)

  constructor(routes: number) {
    this.routes = routes
    this.counts = new Float64Array(routes * NC)
    this.atWarmup = new Float64Array(routes * NC)
    this.ageHist = new Float64Array(routes * B)
    this.ageSum = new Float64Array(routes)
    this.ageMax = new Float64Array(routes)
    this.latSum = new Float64Array(routes)
  }

  /** A user's response at the edge, with its age and wait in obs[0], obs[1] (age -1: none, e.g. a 500). */
  served(route: number, outcome: CdnOutcome): void {
    const c = route * NC + outcome
    this.counts[c] = this.counts[c]! + 1
    const ageUs = this.obs[0]!
    if (ageUs >= 0) {
      const h = route * B + bucketAt(this.obs, 0)
      this.ageHist[h] = this.ageHist[h]! + 1
      this.ageSum[route] = this.ageSum[route]! + ageUs
      if (ageUs > this.ageMax[route]!) this.ageMax[route] = ageUs
    }
    this.latSum[route] = this.latSum[route]! + this.obs[1]!
  }

  /** A request the CDN sent to Next (a miss, or a background revalidation). */
  forwarded(route: number): void {
    const c = route * NC + FORWARDED
    this.counts[c] = this.counts[c]! + 1
  }

  /** Warmup ends: measure from here on. */
  measure(): void {
    this.atWarmup.set(this.counts)
    this.ageHist.fill(0)
    this.ageSum.fill(0)
    this.ageMax.fill(0)
    this.latSum.fill(0)
  }

  /** A route's count in column col (an outcome, or CDN_FORWARDED) since t = 0, warmup included. */
  sinceStart(route: number, col: number): number {
    return this.counts[route * NC + col]!
  }

  private measured(route: number, col: number): number {
    return this.counts[route * NC + col]! - this.atWarmup[route * NC + col]!
  }

  /** One route's figures, or the totals over all routes with `pops`. */
  summarize(routeSet: readonly number[]): Omit<CdnResult, 'pops' | 'routes'> {
    let hit = 0, stale = 0, miss = 0, origin = 0, ageSum = 0, ageN = 0, ageMax = 0, latSum = 0
    const hist = new Float64Array(B)
    for (const r of routeSet) {
      hit += this.measured(r, CDN_HIT)
      stale += this.measured(r, CDN_STALE)
      miss += this.measured(r, CDN_MISS)
      origin += this.measured(r, FORWARDED)
      ageSum += this.ageSum[r]!
      ageMax = Math.max(ageMax, this.ageMax[r]!)
      latSum += this.latSum[r]!
      for (let b = 0; b < B; b++) {
        ageN += this.ageHist[r * B + b]!
        hist[b] = hist[b]! + this.ageHist[r * B + b]!
      }
    }
    const requests = hit + stale + miss
    const frac = (n: number) => (requests === 0 ? 0 : round(n / requests, 9))
    const ageS = (q: number) => round(quantileOf(hist, 0, ageN, q) / US_PER_S, 6)
    return {
      requests, hit: frac(hit), stale: frac(stale), miss: frac(miss), originRequests: origin,
      ageMeanS: ageN === 0 ? 0 : round(ageSum / ageN / US_PER_S, 6), ageP50S: ageS(0.5), ageP95S: ageS(0.95), ageP99S: ageS(0.99), ageMaxS: round(ageMax / US_PER_S, 6),
      latencyMeanMs: requests === 0 ? 0 : round(latSum / requests / US_PER_MS, 3),
    }
  }

  /** The result's `cdn` block: totals, and per route. */
  result(pops: number, routeIds: readonly string[]): CdnResult {
    const all = routeIds.map((_, i) => i)
    const routes: Record<string, CdnRouteResult> = {}
    routeIds.forEach((id, i) => { routes[id] = this.summarize([i]) })
    return { pops, ...this.summarize(all), routes }
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
