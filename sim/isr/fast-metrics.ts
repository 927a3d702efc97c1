/**
 * What fast mode records (docs/fast-mode.md), into the same Metrics the exact engine fills.
 *
 * Requests that change nothing (HITs on a fresh entry, STALEs while a regeneration runs) are
 * never drawn one by one. Between two state changes of a path they are a Poisson process on a
 * window whose ends the path's history fixed, so the numbers of them in disjoint pieces of time
 * are independent Poisson variables, and so are their sums over every window of every path.
 * Each window adds only its expected count to its (series bin, warmup or measured, outcome)
 * cell, and its age density to the route's histogram intensity, in O(1); at the end one Poisson
 * draw per cell gives the counts, and one multinomial draw spreads the measured ones over the
 * age buckets by that intensity. Requests that change state or take time (the STALE that
 * starts a regeneration, a MISS and the requests that wait for it, a dynamic render) are
 * recorded one by one, as the exact engine records them.
 */
import { bucketOf, bucketLow, bucketValue, HISTOGRAM_BUCKETS as K } from '../kernel/histogram.ts'
import type { Rng } from '../kernel/rng.ts'
import { maxOfUniforms, multinomialInto, poisson } from '../kernel/sample.ts'
import { roundHalfUp } from '../kernel/time.ts'
import type { DurationBuckets } from './fast-durations.ts'
import { BLOCKING, ERROR, FALLBACK, OUTCOME_NAMES, type Metrics, type Outcome, type RenderMode } from './metrics.ts'

const NO = OUTCOME_NAMES.length
/** Series columns per bin (metrics.ts): the outcomes, renders by mode, failed renders. */
const SC = NO + 4
/** Continuous ages: bucket b holds the integer ages [bucketLow(b), bucketLow(b+1)), i.e. continuous ages from bucketLow(b) - 0.5 (rounding half up). */
export const BETA = Float64Array.from({ length: K + 1 }, (_, b) => (b === K ? 2 ** 53 : bucketLow(b)) - 0.5)

/** One route's deferred counts and age intensity. */
export interface FastAcc {
  readonly route: number
  /** Expected requests per (bin, period 0 warmup / 1 measured, outcome). */
  readonly mu: Float64Array
  /** Age intensity of measured windows: partial buckets directly, whole buckets as a density difference. */
  readonly ageDirect: Float64Array
  readonly ageDensityDiff: Float64Array
  /** How many density pieces open and close at each bucket: where none is open, the density is 0 exactly (not a float residue). */
  readonly ageOpenDiff: Int32Array
  /** [0]: the largest continuous age any measured window reaches: the deferred maximum is below it. */
  readonly ageTop: Float64Array
}

export function createFastAcc(route: number, bins: number): FastAcc {
  return { route, mu: new Float64Array(bins * 2 * NO), ageDirect: new Float64Array(K), ageDensityDiff: new Float64Array(K + 1), ageOpenDiff: new Int32Array(K + 1), ageTop: new Float64Array(1) }
}

/**
 * Adds a window piece [t0, t1) of continuous time (within one series bin, one side of the
 * warmup and one rate segment) holding `expected` requests at `densityPerUs` per µs, with
 * outcome o; `ageFromUs` > -1 gives them ages t - contentAt (continuous from t0 - contentAt),
 * recorded when measured.
 */
export function addPiece(acc: FastAcc, m: Metrics, o: Outcome, t0: number, t1: number, expected: number, densityPerUs: number, contentAtUs: number, aged: boolean): void {
  const bin = binOfCont(m, t0)
  const measured = t0 >= m.warmupUs - 0.5 ? 1 : 0
  const k = (bin * 2 + measured) * NO + o
  acc.mu[k] = acc.mu[k]! + expected
  if (measured === 0 || !aged) return
  const a0 = t0 - contentAtUs, a1 = t1 - contentAtUs
  if (a1 > acc.ageTop[0]!) acc.ageTop[0] = a1
  const b0 = bucketOf(roundHalfUp(a0)), b1 = bucketOf(roundHalfUp(a1))
  const d = acc.ageDirect
  if (b0 === b1) { d[b0] = d[b0]! + densityPerUs * (a1 - a0); return }
  d[b0] = d[b0]! + densityPerUs * (BETA[b0 + 1]! - a0)
  d[b1] = d[b1]! + densityPerUs * (a1 - BETA[b1]!)
  acc.ageDensityDiff[b0 + 1] = acc.ageDensityDiff[b0 + 1]! + densityPerUs
  acc.ageDensityDiff[b1] = acc.ageDensityDiff[b1]! - densityPerUs
  acc.ageOpenDiff[b0 + 1] = acc.ageOpenDiff[b0 + 1]! + 1
  acc.ageOpenDiff[b1] = acc.ageOpenDiff[b1]! - 1
}

/** The series bin of an arrival at continuous time t (its rounded time's bin). */
export function binOfCont(m: Metrics, t: number): number {
  const b = Math.floor((t + 0.5) / m.binUs)
  return b < m.bins ? b : m.bins - 1
}

/** The next piece boundary after continuous time t: a series bin's start or the warmup's end, as arrivals round onto them. */
export function nextCut(m: Metrics, t: number): number {
  const w = m.warmupUs - 0.5
  const bin = (Math.floor((t + 0.5) / m.binUs) + 1) * m.binUs - 0.5
  return t < w && w < bin ? w : bin
}

/** One request recorded as the exact engine records it (metrics.ts request()), at its time. */
export function point(m: Metrics, route: number, o: Outcome, tUs: number, ageUs: number, latencyUs: number): void {
  const c = route * NO + o
  m.counts[c] = m.counts[c]! + 1
  const bin = Math.min(Math.floor(tUs / m.binUs), m.bins - 1)
  m.series[bin * SC + o] = m.series[bin * SC + o]! + 1
  if (tUs < m.warmupUs) { m.countsAtWarmup[c] = m.countsAtWarmup[c]! + 1; return }
  if (ageUs >= 0) {
    const h = route * K + bucketOf(ageUs)
    m.ageHist[h] = m.ageHist[h]! + 1
    m.ageSum[route] = m.ageSum[route]! + ageUs
    if (ageUs > m.ageMax[route]!) m.ageMax[route] = ageUs
  }
  if (latencyUs !== 0) {
    const l = route * K + bucketOf(latencyUs)
    m.latHist[l] = m.latHist[l]! + 1
    m.latSum[route] = m.latSum[route]! + latencyUs
    if (latencyUs > m.latMax[route]!) m.latMax[route] = latencyUs
  }
}

/** A render attempt started at tUs (metrics.ts render()). */
export function renderStarted(m: Metrics, route: number, mode: RenderMode, ok: boolean, tUs: number, durUs: number): void {
  const bin = Math.min(Math.floor(tUs / m.binUs), m.bins - 1) * SC
  m.series[bin + NO + mode] = m.series[bin + NO + mode]! + 1
  if (!ok) m.series[bin + NO + 3] = m.series[bin + NO + 3]! + 1
  if (tUs < m.warmupUs) return
  m.renders[route * 3 + mode] = m.renders[route * 3 + mode]! + 1
  if (!ok) m.failed[route] = m.failed[route]! + 1
  m.renderUs[route] = m.renderUs[route]! + durUs
}

/** A successful cached render's write at tUs (metrics.ts write()). */
export function written(m: Metrics, route: number, fill: boolean, tUs: number): void {
  if (tUs < m.warmupUs) return
  m.writes[route] = m.writes[route]! + 1
  if (fill) m.fillWrites[route] = m.fillWrites[route]! + 1
}

/**
 * Deferred requests that each rendered for themselves: a dynamic route's (DYNAMIC, mode
 * dynamic) or one-off unknown paths' (MISS, mode blocking, each written); ERROR cells are
 * their failures. Cells of other requests never hold these outcomes: a cached path's MISS and
 * ERROR responses are recorded one by one.
 */
export interface DeferredRenders {
  readonly durations: DurationBuckets
  readonly mode: RenderMode
  readonly ok: Outcome
  /** The requests got a Pages fallback shell (§14.3): outcome FALLBACK, no age or latency, whatever their render did. */
  readonly shell?: boolean
}

/**
 * Draws the deferred requests (one Poisson per cell, one multinomial over age buckets) into m.
 * With `renders`, the renders of its cells and their durations too: one multinomial over
 * duration buckets. Returns how many renders it drew after warmup.
 */
export function drawDeferred(acc: FastAcc, m: Metrics, rng: Rng, renders: DeferredRenders | null): number {
  const r = acc.route
  let aged = 0, ok = 0, failed = 0
  for (let bin = 0; bin < m.bins; bin++) {
    for (let period = 0; period < 2; period++) {
      for (let o = 0; o < NO; o++) {
        const mu = acc.mu[(bin * 2 + period) * NO + o]!
        if (mu === 0) continue
        const n = poisson(rng, mu)
        const served = renders?.shell === true ? FALLBACK : o
        const c = r * NO + served
        m.counts[c] = m.counts[c]! + n
        m.series[bin * SC + served] = m.series[bin * SC + served]! + n
        if (renders !== null && (o === renders.ok || o === ERROR)) {
          const mode = renders.mode
          m.series[bin * SC + NO + mode] = m.series[bin * SC + NO + mode]! + n
          if (o === ERROR) m.series[bin * SC + NO + 3] = m.series[bin * SC + NO + 3]! + n
          if (period === 1) {
            m.renders[r * 3 + mode] = m.renders[r * 3 + mode]! + n
            if (o === ERROR) { m.failed[r] = m.failed[r]! + n; failed += n } else ok += n
            // A one-off path's blocking render stores its entry: an ISR write (not a fill).
            if (o !== ERROR && mode === BLOCKING) m.writes[r] = m.writes[r]! + n
          }
        }
        if (period === 0) m.countsAtWarmup[c] = m.countsAtWarmup[c]! + n
        else if (o <= 1) aged += n // HIT and STALE windows carry ages
      }
    }
  }
  if (renders !== null) {
    const served = renders.shell !== true
    drawDurations(m, r, rng, renders.durations, ok, served, served)
    drawDurations(m, r, rng, renders.durations, failed, false, served)
  }
  if (aged === 0) return ok + failed
  // The intensity per bucket: the partial pieces, plus the whole-bucket density times the width.
  const nu = new Float64Array(K)
  let density = 0, open = 0
  for (let b = 0; b < K; b++) {
    density += acc.ageDensityDiff[b]!
    open += acc.ageOpenDiff[b]!
    if (open === 0) density = 0
    nu[b] = Math.max(0, acc.ageDirect[b]! + density * (BETA[b + 1]! - BETA[b]!))
  }
  const counts = new Float64Array(K)
  multinomialInto(rng, aged, nu, 0, K, counts)
  let top = -1
  for (let b = 0; b < K; b++) {
    const n = counts[b]!
    if (n === 0) continue
    m.ageHist[r * K + b] = m.ageHist[r * K + b]! + n
    // Each age at its bucket's centre: exact below 256 µs, within half a bucket (0.4%) above.
    m.ageSum[r] = m.ageSum[r]! + n * bucketValue(b)
    top = b
  }
  const max = maxInBucket(rng, top, counts[top]!, acc.ageTop[0]!)
  if (max > m.ageMax[r]!) m.ageMax[r] = max
  return ok + failed
}

/** The largest of n values in bucket b, taken as uniform within it, below `upTo` (continuous). */
function maxInBucket(rng: Rng, b: number, n: number, upTo = Infinity): number {
  if (b < 256) return b
  const lo = BETA[b]!, width = Math.min(BETA[b + 1]!, upTo) - lo
  return roundHalfUp(lo + width * maxOfUniforms(rng, n))
}

/** n renders' durations of a dynamic route, measured: latencies, ages when they succeeded, render time. */
/** n renders whose durations count in the route's render time only (a shell's holes, §12.4). */
export function addRenderTime(m: Metrics, r: number, rng: Rng, d: DurationBuckets, n: number): void {
  drawDurations(m, r, rng, d, n, false, false)
}

/** n renders' durations into the route's render time; `succeeded`: their requests' ages too; `waited`: their requests' latencies too. */
function drawDurations(m: Metrics, r: number, rng: Rng, d: DurationBuckets, n: number, succeeded: boolean, waited: boolean): void {
  if (n === 0) return
  const counts = new Float64Array(K)
  multinomialInto(rng, n, d.prob, d.from, d.to, counts)
  let top = -1
  for (let b = d.from; b < d.to; b++) {
    const k = counts[b]!
    if (k === 0) continue
    const sum = k * d.meanUs[b]!
    m.renderUs[r] = m.renderUs[r]! + sum
    if (waited && b > 0) { // a render of 0 µs is a response that took no time (metrics.ts request())
      m.latHist[r * K + b] = m.latHist[r * K + b]! + k
      m.latSum[r] = m.latSum[r]! + sum
    }
    if (succeeded) {
      m.ageHist[r * K + b] = m.ageHist[r * K + b]! + k
      m.ageSum[r] = m.ageSum[r]! + sum
    }
    top = b
  }
  const max = d.to - d.from === 1 ? d.meanUs[d.from]! : maxInBucket(rng, top, counts[top]!) // a constant render time is exact
  if (waited && max > m.latMax[r]!) m.latMax[r] = max
  if (succeeded && max > m.ageMax[r]!) m.ageMax[r] = max
}
