/**
 * Counters the model writes into and the summary read from them at the end. Metrics
 * never feed back into the model, so adding one cannot move an event or a draw.
 * Everything is a typed array indexed by route: recording allocates nothing.
 */
import { HISTOGRAM_BUCKETS as B, bucketAt, bucketValue, quantileOf } from '../kernel/histogram.ts'
import type { Latency, OutcomeCounts, RenderCounts, SeriesBin, Staleness } from '../contract.ts'
import { US_PER_MS, US_PER_S } from '../kernel/time.ts'
import type { CdnMetrics } from './cdn-metrics.ts'

export const HIT = 0, STALE = 1, MISS = 2, DYNAMIC = 3, NOT_FOUND = 4, ERROR = 5
/** A Pages Router fallback shell (getStaticPaths fallback: true, §14.3): reported only by scenarios that have one. */
export const FALLBACK = 6
export type Outcome = typeof HIT | typeof STALE | typeof MISS | typeof DYNAMIC | typeof NOT_FOUND | typeof ERROR | typeof FALLBACK
export const OUTCOME_NAMES = ['hit', 'stale', 'miss', 'dynamic', 'notFound', 'error', 'fallback'] as const
const NO = OUTCOME_NAMES.length

export const BACKGROUND = 0, BLOCKING = 1, DYNAMIC_RENDER = 2
export type RenderMode = typeof BACKGROUND | typeof BLOCKING | typeof DYNAMIC_RENDER
export const RENDER_MODE_NAMES = ['background', 'blocking', 'dynamic'] as const

/** Indexes of Metrics.obs. */
export const OBS_AT = 0, OBS_AGE = 1, OBS_LATENCY = 2, OBS_DURATION = 3

/** Series columns: the seven outcomes, then render attempts by mode (RenderMode order), then failed renders. */
const SC = NO + 4

export class Metrics {
  /** Responses per route and outcome since t = 0 (the measured ones are these minus countsAtWarmup). */
  readonly counts: Float64Array
  readonly countsAtWarmup: Float64Array
  readonly renders: Float64Array
  readonly failed: Float64Array
  readonly renderUs: Float64Array
  /** Successful cached renders whose output changed: ISR cache writes (billed on Vercel). */
  readonly writes: Float64Array
  /** Of those, writes of a path its cache had no entry for (the cold fill, and refills after a deploy or purge). */
  readonly fillWrites: Float64Array
  /** Pages a deploy's build prerendered, once per deploy (billed as ISR writes on Vercel, docs/pricing-notes.md). */
  readonly deployWrites: Float64Array
  // Histograms, sums and maxima hold measured responses only: measure() clears them at warmup.
  readonly ageHist: Float64Array
  readonly ageSum: Float64Array
  readonly ageMax: Float64Array
  /** Latencies above 0 only: bucket 0 is derived (see request()). */
  readonly latHist: Float64Array
  readonly latSum: Float64Array
  readonly latMax: Float64Array
  readonly series: Float64Array
  /** Per route: crawler requests, and renders they started (counted from warmup: measure() clears them). */
  readonly crawlerRequests: Float64Array
  readonly crawlerRenders: Float64Array
  readonly bins: number
  readonly routes: number
  readonly warmupUs: number
  readonly binUs: number
  /**
   * Per route, 1 when it serves a Pages fallback shell (§14.3), or null when none does: set by
   * the model. Only those routes, and the totals and series of a scenario with one, carry the
   * `fallback` outcome, so every other result stays byte for byte what it was.
   */
  shellRoutes: Uint8Array | null = null
  /** The CDN layer's counters (§16), or null without deployment.cdn: set by the model's CDN (cdn.ts). */
  cdn: CdnMetrics | null = null
  /** The series bin in progress; tick() moves it on at every bin boundary. */
  private bin = 0
  /** Outcome totals over all routes when the current bin began. */
  private readonly binStart: Float64Array

  constructor(routes: number, warmupUs: number, binUs: number, durationUs: number) {
    this.routes = routes
    this.warmupUs = warmupUs
    this.binUs = binUs
    this.counts = new Float64Array(routes * NO)
    this.countsAtWarmup = new Float64Array(routes * NO)
    this.renders = new Float64Array(routes * 3)
    this.failed = new Float64Array(routes)
    this.renderUs = new Float64Array(routes)
    this.writes = new Float64Array(routes)
    this.fillWrites = new Float64Array(routes)
    this.deployWrites = new Float64Array(routes)
    this.ageHist = new Float64Array(routes * B)
    this.ageSum = new Float64Array(routes)
    this.ageMax = new Float64Array(routes)
    this.latHist = new Float64Array(routes * B)
    this.latSum = new Float64Array(routes)
    this.latMax = new Float64Array(routes)
    this.bins = Math.ceil(durationUs / binUs)
    this.series = new Float64Array(this.bins * SC)
    this.crawlerRequests = new Float64Array(routes)
    this.crawlerRenders = new Float64Array(routes)
    this.binStart = new Float64Array(NO)
  }

  /**
   * The observation being recorded: [atUs, ageUs, latencyUs, durationUs] (OBS_*). Doubles
   * reach request() and render() through this array, not as arguments or object fields:
   * V8 boxes a double argument of a call it does not inline, and may box a double stored
   * in an object field, on every write. Typed-array stores never allocate.
   */
  readonly obs = new Float64Array(4)

  /**
   * One response: age and latency from the observation fields. The hot path: no time or
   * warmup checks here; the series and the warmup cut come from tick() and measure().
   */
  request(route: number, outcome: Outcome): void {
    const obs = this.obs
    const ageUs = obs[OBS_AGE]!
    const c = route * NO + outcome
    this.counts[c] = this.counts[c]! + 1
    if (ageUs >= 0) {
      const h = route * B + bucketAt(obs, OBS_AGE)
      this.ageHist[h] = this.ageHist[h]! + 1
      this.ageSum[route] = this.ageSum[route]! + ageUs
      if (ageUs > this.ageMax[route]!) this.ageMax[route] = ageUs
    }
    // Cached responses (most requests) take no time: bucket 0 is not counted here but
    // derived when summarised (the route's responses less those in other buckets).
    if (obs[OBS_LATENCY] !== 0) this.timed(route)
  }

  /** request() for a response that took time: apart, so that request() stays small enough to inline. */
  private timed(route: number): void {
    const latencyUs = this.obs[OBS_LATENCY]!
    const l = route * B + bucketAt(this.obs, OBS_LATENCY)
    this.latHist[l] = this.latHist[l]! + 1
    this.latSum[route] = this.latSum[route]! + latencyUs
    if (latencyUs > this.latMax[route]!) this.latMax[route] = latencyUs
  }

  /** A series bin boundary (an event at every multiple of binUs): close the bin in progress. */
  tick(): void {
    this.closeBin()
    this.bin++
  }

  /** The end of the run: close the last bin. */
  finish(): void {
    this.closeBin()
  }

  private closeBin(): void {
    if (this.bin >= this.bins) return
    for (let o = 0; o < NO; o++) {
      let total = 0
      for (let r = 0; r < this.routes; r++) total += this.counts[r * NO + o]!
      this.series[this.bin * SC + o] = total - this.binStart[o]!
      this.binStart[o] = total
    }
  }

  /** Warmup ends (an event at warmupUs, before any request then): measure from here on. */
  measure(): void {
    this.countsAtWarmup.set(this.counts)
    this.cdn?.measure()
    this.ageHist.fill(0)
    this.ageSum.fill(0)
    this.ageMax.fill(0)
    this.latHist.fill(0)
    this.latSum.fill(0)
    this.latMax.fill(0)
    this.crawlerRequests.fill(0)
    this.crawlerRenders.fill(0)
  }

  /** A crawler's request (it is also recorded by request() with its outcome). */
  crawlerRequest(route: number): void {
    // Behind a CDN the route counts what reached Next: the CDN counts it if it forwards it (§16).
    if (this.cdn !== null) { this.cdn.crawler = 1; return }
    this.crawlerRequests[route] = this.crawlerRequests[route]! + 1
  }

  /** A render a crawler's request started (the STALE trigger, the MISS leader, a dynamic render); also recorded by render(). */
  crawlerRender(route: number): void {
    this.crawlerRenders[route] = this.crawlerRenders[route]! + 1
  }

  /** One render attempt, recorded when it starts (its outcome is drawn then): atUs and durationUs fields. */
  render(route: number, mode: RenderMode, ok: boolean): void {
    const atUs = this.obs[OBS_AT]!, durationUs = this.obs[OBS_DURATION]!
    const bin = Math.min(this.bin, this.bins - 1) * SC
    this.series[bin + NO + mode] = this.series[bin + NO + mode]! + 1
    if (!ok) this.series[bin + NO + 3] = this.series[bin + NO + 3]! + 1
    if (atUs < this.warmupUs) return
    this.renders[route * 3 + mode] = this.renders[route * 3 + mode]! + 1
    if (!ok) this.failed[route] = this.failed[route]! + 1
    this.renderUs[route] = this.renderUs[route]! + durationUs
  }

  /** A render stored a changed page (counted after warmup, at atUs); `fill`: its cache had no entry for the path. */
  write(route: number, fill: boolean): void {
    if (this.obs[OBS_AT]! < this.warmupUs) return
    this.writes[route] = this.writes[route]! + 1
    if (fill) this.fillWrites[route] = this.fillWrites[route]! + 1
  }

  /** A deploy's build wrote `pages` prerendered pages of a route (counted after warmup, at atUs). */
  deployWrite(route: number, pages: number): void {
    if (this.obs[OBS_AT]! < this.warmupUs) return
    this.deployWrites[route] = this.deployWrites[route]! + pages
  }

  /** Whether a summary of these routes carries the `fallback` outcome: one of them serves a shell. */
  private reportsShells(routeSet: readonly number[]): boolean {
    const shells = this.shellRoutes
    return shells !== null && routeSet.some((i) => shells[i] === 1)
  }

  /** Responses recorded for a route since t = 0, warmup included. */
  requestsSinceStartOf(route: number): number {
    let n = 0
    for (let o = 0; o < NO; o++) n += this.counts[route * NO + o] as number
    return n
  }

  /** Figures for a set of routes (one route, or all of them for the totals). */
  summarize(routeSet: readonly number[]): OutcomeCounts & RenderCounts & Staleness & Latency {
    const c = [0, 0, 0, 0, 0, 0, 0]
    const r = [0, 0, 0]
    let failed = 0, renderUs = 0, writes = 0, fills = 0, deploys = 0, ageSum = 0, ageN = 0, ageMax = 0, latSum = 0, latMax = 0
    const ageHist = new Float64Array(B)
    const latHist = new Float64Array(B)
    for (const i of routeSet) {
      for (let o = 0; o < NO; o++) c[o] = (c[o] as number) + (this.counts[i * NO + o] as number) - (this.countsAtWarmup[i * NO + o] as number)
      for (let m = 0; m < 3; m++) r[m] = (r[m] as number) + (this.renders[i * 3 + m] as number)
      failed += this.failed[i] as number
      renderUs += this.renderUs[i] as number
      writes += this.writes[i] as number
      fills += this.fillWrites[i] as number
      deploys += this.deployWrites[i] as number
      ageSum += this.ageSum[i] as number
      ageMax = Math.max(ageMax, this.ageMax[i] as number)
      latSum += this.latSum[i] as number
      latMax = Math.max(latMax, this.latMax[i] as number)
      // Up to the route's last counted bucket: the first summary of a run runs cold (interpreted
      // until V8 compiles it), and most of the 6,016 buckets are empty (docs/performance.md).
      const o = i * B, AH = this.ageHist, LH = this.latHist
      for (let b = 0, end = histogramEnd(AH, o); b < end; b++) {
        const n = AH[o + b]!
        ageN += n
        ageHist[b] = ageHist[b]! + n
      }
      for (let b = 0, end = histogramEnd(LH, o); b < end; b++) latHist[b] = latHist[b]! + LH[o + b]!
    }
    const [hit, stale, miss, dynamic, notFound, error, fallback] = c as [number, number, number, number, number, number, number]
    const requests = hit + stale + miss + dynamic + notFound + error + fallback
    let timed = 0
    for (let b = 1, end = histogramEnd(latHist, 0); b < end; b++) timed += latHist[b] as number
    latHist[0] = requests - timed // responses that took no time (request() counts only the others)
    const [bg, bl, dy] = r as [number, number, number]
    const ageS = (q: number) => s6(quantileOf(ageHist, 0, ageN, q) / US_PER_S)
    const latMs = (q: number) => s3(quantileOf(latHist, 0, requests, q) / US_PER_MS)
    return {
      requests, hit, stale, miss, dynamic, notFound, error, ...(this.reportsShells(routeSet) ? { fallback } : {}),
      renders: bg + bl + dy, backgroundRenders: bg, blockingRenders: bl, dynamicRenders: dy,
      failedRenders: failed, renderCpuS: s6(renderUs / US_PER_S), isrWrites: writes, fillWrites: fills, deployWrites: deploys,
      staleServedFraction: requests === 0 ? 0 : round(stale / requests, 9),
      ageMeanS: ageN === 0 ? 0 : s6(ageSum / ageN / US_PER_S),
      ageP50S: ageS(0.5), ageP95S: ageS(0.95), ageP99S: ageS(0.99), ageMaxS: s6(ageMax / US_PER_S),
      meanMs: requests === 0 ? 0 : s3(latSum / requests / US_PER_MS),
      p50Ms: latMs(0.5), p95Ms: latMs(0.95), p99Ms: latMs(0.99), maxMs: s3(latMax / US_PER_MS),
    }
  }

  /**
   * A route's measured served ages at percentiles 0, 1, ..., 100 (nearest rank, as quantileOf;
   * 100 is the exact maximum), seconds: its CDF, in one pass over the histogram.
   */
  ageCdf(route: number): { samples: number; ageS: number[] } {
    const off = route * B
    let samples = 0
    for (let b = 0, end = histogramEnd(this.ageHist, off); b < end; b++) samples += this.ageHist[off + b] as number
    const ageS: number[] = []
    let seen = 0, b = 0
    for (let k = 0; k < 100 && samples > 0; k++) {
      const rank = Math.max(1, Math.ceil((k / 100) * samples))
      while (seen + (this.ageHist[off + b] as number) < rank) seen += this.ageHist[off + b++] as number
      ageS.push(s6(bucketValue(b) / US_PER_S))
    }
    while (ageS.length < 100) ageS.push(0)
    ageS.push(s6(this.ageMax[route]! / US_PER_S))
    return { samples, ageS }
  }

  seriesBins(): SeriesBin[] {
    const out: SeriesBin[] = []
    for (let b = 0; b < this.bins; b++) {
      const o = b * SC
      const v = (k: number) => this.series[o + k] as number
      out.push({
        atS: s6((b * this.binUs) / US_PER_S), hit: v(0), stale: v(1), miss: v(2), dynamic: v(3), notFound: v(4), error: v(5), ...(this.shellRoutes !== null ? { fallback: v(6) } : {}),
        renders: v(NO) + v(NO + 1) + v(NO + 2), backgroundRenders: v(NO), blockingRenders: v(NO + 1), dynamicRenders: v(NO + 2), failedRenders: v(NO + 3),
      })
    }
    return out
  }
}

/** One past the last nonzero bucket of the histogram at h[off …], 0 when it is empty: sums can stop there (adding 0 changes none). */
function histogramEnd(h: Float64Array, off: number): number {
  let end = B
  while (end > 0 && h[off + end - 1] === 0) end--
  return end
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
const s6 = (x: number) => round(x, 6)
const s3 = (x: number) => round(x, 3)
