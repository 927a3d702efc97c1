/**
 * Renders that keep no page, in fast mode (docs/fast-mode.md): a dynamic route's requests (§5.2)
 * and one-off unknown paths'. Each renders for itself, so requests that change no state are
 * deferred piece by piece and their renders drawn in bulk (fast-metrics.ts drawDeferred).
 *
 * A dynamic route may read one fetch a dynamic render keeps (§5.3: a revalidate or tags; an
 * unstable_cache function, §13.3; a 'use cache' function, §12.5), keyed per path or once for the
 * route. That entry is the only state: while it is fresh, requests are deferred; once it is
 * stale, every request gets the stale data and calls the origin in the background (data-cache.ts
 * read(): no de-duplication), and with no entry every request waits for its own call, until a
 * successful call lands. Those requests are stepped one by one (a few per revalidate period). A
 * 'use cache' entry is set when a successful run starts, and a render never serves it stale:
 * the first request past its life runs it and waits.
 */
import { UINT32_SCALE } from '../kernel/rng.ts'
import { binomial } from '../kernel/sample.ts'
import { roundHalfUp } from '../kernel/time.ts'
import type { PathCrawl } from './fast-crawl.ts'
import { durationBuckets } from './fast-durations.ts'
import { addPiece, addRenderTime, nextCut, point, renderStarted } from './fast-metrics.ts'
import { drawRender, nextArrival, okProbability, type PathCtx } from './fast-path-ctx.ts'
import { segmentOf, type RateCurve } from './fast-rate.ts'
import { DYNAMIC, DYNAMIC_RENDER, ERROR, OUTCOME_NAMES, type Metrics, type MISS, type NOT_FOUND } from './metrics.ts'

const NO = OUTCOME_NAMES.length
/** Series columns per bin (metrics.ts). */
const SC = NO + 4

/**
 * How long a render waits for the fetches it calls (renders.ts adds the wait): every fetch but
 * `except` (-1: none), and it waits for the slowest. A one-off path's keys are new URLs
 * (data-cache.ts read(): key -1), and a dynamic route's other fetches are ones no render keeps.
 */
export function uncachedWaitUs(c: PathCtx, except = -1): number {
  const f = c.fetches
  if (f === null) return 0
  let w = 0
  for (let i = 0; i < f.latencyUs.length; i++) if (i !== except && f.latencyUs[i]! > w) w = f.latencyUs[i]!
  return w
}

/** One origin call of every fetch but `except`, by a render at T (counted after warmup). */
function callUncached(c: PathCtx, T: number, except: number): void {
  const f = c.fetches
  if (f === null || T < c.m.warmupUs) return
  for (let i = 0; i < f.ids.length; i++) if (i !== except) f.originFetches[i] = f.originFetches[i]! + 1
}

/**
 * A dynamic route whose fetches no render keeps: every request renders for itself, whatever its
 * path, and changes no state: each piece of time defers its expected successes (DYNAMIC) and
 * failures (ERROR). Crawlers' visits are known, and rendered one by one.
 */
export function runDynamic(c: PathCtx): void {
  deferRequests(c, c.curve, DYNAMIC, true)
  if (c.crawl !== null) crawlDynamic(c, c.crawl)
}

/**
 * Defers every request of a Poisson process at `share` of the curve's rate over [fromCont,
 * toCont), piece by piece (constant rate and failure probability): with `renders`, each renders
 * for itself (ok: outcome `ok`, failed: ERROR, drawDeferred draws the renders); without, each is
 * an `ok` that renders nothing.
 */
export function deferRequests(c: PathCtx, curve: RateCurve, ok: typeof DYNAMIC | typeof MISS | typeof NOT_FOUND, renders: boolean, fromCont = 0, toCont = c.endCont, share = 1): void {
  const d = c.render
  let t0 = fromCont
  while (t0 < toCont) {
    const seg = segmentOf(curve, t0)
    const segEnd = curve.segUs === Infinity ? Infinity : (seg + 1) * curve.segUs
    let cut = Math.min(toCont, nextCut(c.m, t0), segEnd)
    if (renders) for (const o of d.outages) for (const x of [o.fromUs - 0.5, o.toUs - 0.5]) if (x > t0 && x < cut) cut = x
    const rate = share * curve.segRate[seg]!
    const pOk = renders ? okProbability(d, roundHalfUp((t0 + cut) / 2)) : 1
    if (rate > 0) {
      addPiece(c.acc, c.m, ok, t0, cut, rate * (cut - t0) * pOk, 0, 0, false)
      if (pOk < 1) addPiece(c.acc, c.m, ERROR, t0, cut, rate * (cut - t0) * (1 - pOk), 0, 0, false)
    }
    t0 = cut
  }
}

/** One dynamic render at T for a request (a user's or a crawler's) that waits waitUs for its fetches. */
function renderAt(c: PathCtx, T: number, waitUs: number): void {
  const m = c.m, route = c.r.index, d = c.render
  drawRender(d, T)
  const dur = d.out[0]! + waitUs, ok = d.out[1] === 1
  renderStarted(m, route, DYNAMIC_RENDER, ok, T, dur)
  point(m, route, ok ? DYNAMIC : ERROR, T, ok ? dur : -1, dur)
}

/** Every crawler visit of a dynamic route renders (§5.2), in the walk's order. */
function crawlDynamic(c: PathCtx, crawl: PathCrawl): void {
  const m = c.m, route = c.r.index, waitUs = uncachedWaitUs(c)
  for (const w of crawl.walks) {
    for (let base = w.phaseUs; base < c.durationUs; base += w.revisitUs) {
      for (let i = 0; i < w.paths; i++) {
        const T = base + roundHalfUp((i * w.revisitUs) / w.paths)
        if (T >= c.durationUs) break
        if (T >= m.warmupUs) {
          m.crawlerRequests[route] = m.crawlerRequests[route]! + 1
          m.crawlerRenders[route] = m.crawlerRenders[route]! + 1
        }
        callUncached(c, T, -1)
        renderAt(c, T, waitUs)
      }
    }
  }
}

/**
 * A dynamic route reading fetch `kept` from the Data Cache, one unit at a time: each path (the
 * fetch keyed per path) or the route (one key), on each instance (its own cache), at `share` of
 * the route's rate. `seeded`: a build that prerenders writes the unit's key (a route made dynamic
 * by a layout only, finding F7), the first at buildAtUs. The requests the entry serves fresh go to c.acc, to be drawn
 * in bulk with the other fetches' wait.
 */
export function runDynamicUnit(c: PathCtx, kept: number, seeded: boolean, buildAtUs: number, landings: number[]): void {
  const cuts = c.deployAtUs, runEndUs = c.runEndUs
  let built = seeded, atUs = buildAtUs, fromCont = 0
  // One stretch per live build, as fast-timeline.ts runPath: a deploy leaves the new build's key
  // (seeded by a build that prerenders), or none, and the old build's calls on their way are not stored.
  for (let i = 0; ; i++) {
    while (i < cuts.length - 1 && cuts[i + 1] === cuts[i]) i++ // deploys at one µs: the last one's build is live
    const toUs = i < cuts.length ? cuts[i]! : runEndUs
    c.durationUs = toUs
    c.endCont = toUs - 0.5
    unitStretch(c, kept, built, atUs, fromCont, landings)
    if (i >= cuts.length) break
    atUs = toUs
    built = seeded && c.deployPrerenders[i]!
    fromCont = Math.max(0, toUs - 0.5)
  }
  c.durationUs = runEndUs
  c.endCont = runEndUs - 0.5
}

/** The unit from continuous time fromCont to c.endCont, from a build's state: its key written at atUs, or none. */
function unitStretch(c: PathCtx, kept: number, built: boolean, atUs: number, fromCont: number, landings: number[]): void {
  const f = c.fetches!, m = c.m, rng = f.rngs[kept]!
  const revalUs = f.revalUs[kept]!, latencyUs = f.latencyUs[kept]!, failureRate = f.failureRate[kept]!, atStart = f.atStart[kept] === 1
  const waitFresh = uncachedWaitUs(c, kept), waitOwn = Math.max(waitFresh, latencyUs)
  let has = built, lastModUs = atUs, head = 0
  landings.length = 0
  // Continuous time from which arrivals are not accounted for; the next arrival drawn ahead (NaN: none).
  let t = fromCont, pending = NaN
  for (;;) {
    if (has) {
      // Fresh while now − lastModified ≤ revalidate (§1.1); a call landing meanwhile re-sets the entry later.
      let limitUs = lastModUs + revalUs
      while (head < landings.length && landings[head]! <= limitUs) { lastModUs = landings[head++]!; limitUs = lastModUs + revalUs }
      const endFresh = limitUs + 0.5, end = Math.min(endFresh, c.endCont)
      if (pending !== pending) { if (end > t) deferRequests(c, c.curve, DYNAMIC, true, t, end, c.share) }
      else if (pending < end) {
        const T = roundHalfUp(pending)
        callUncached(c, T, kept)
        renderAt(c, T, waitFresh)
        deferRequests(c, c.curve, DYNAMIC, true, pending, end, c.share)
        pending = NaN
      }
      if (endFresh > t) t = endFresh
      if (!(endFresh < c.endCont)) return
    }
    // Stale, or no entry: the next request calls the origin.
    if (pending !== pending) pending = t < c.endCont ? nextArrival(c, t) : Infinity
    if (!(pending < c.endCont)) return
    const T = roundHalfUp(pending)
    t = pending
    pending = NaN
    while (head < landings.length && landings[head]! <= T) { lastModUs = landings[head++]!; has = true }
    callUncached(c, T, kept)
    if (has && T - lastModUs <= revalUs) { renderAt(c, T, waitFresh); continue }
    // data-cache.ts originCall(): counted after warmup, one failure draw, a success stored when it
    // lands; use-cache.ts generate(): a 'use cache' run is set when it starts and always waited for.
    if (T >= m.warmupUs) f.originFetches[kept] = f.originFetches[kept]! + 1
    const ok = (rng.nextInt32() >>> 0) * UINT32_SCALE >= failureRate
    if (atStart) {
      renderAt(c, T, waitOwn)
      if (ok) { has = true; lastModUs = T }
      continue
    }
    if (ok && T + latencyUs < c.runEndUs) landings.push(T + latencyUs)
    // A stale entry is served while it refreshes; with none, the render waits for its own call.
    renderAt(c, T, has ? waitFresh : waitOwn)
  }
}

/** What a route's requests had recorded before its paths ran (holesMark), to tell its own requests after. */
export interface HolesMark {
  /** Per series bin and outcome: the requests recorded (every route's). */
  readonly series: Float64Array
  /** The route's requests before warmup, and its crawlers' requests after. */
  readonly warmup: number
  readonly crawler: number
}

export function holesMark(m: Metrics, route: number): HolesMark {
  const series = new Float64Array(m.bins * NO)
  for (let b = 0; b < m.bins; b++) for (let o = 0; o < NO; o++) series[b * NO + o] = m.series[b * SC + o]!
  let warmup = 0
  for (let o = 0; o < NO; o++) warmup += m.countsAtWarmup[route * NO + o]!
  return { series, warmup, crawler: m.crawlerRequests[route]! }
}

/**
 * The holes of a Cache Components shell (§12.4): every request of a known path (a user's or a
 * crawler's), whatever its outcome, also starts one render that caches nothing and changes no
 * response (model.ts onRequest). So the route's hole renders are exactly its requests since
 * `mark`, bin by bin (the first ones before warmup), each failing with the route's failure rate
 * (fast-eligibility.ts keeps outages exact), each waiting for the route's fetches (none of
 * them kept by any render).
 */
export function renderHoles(c: PathCtx, mark: HolesMark): void {
  const m = c.m, route = c.r.index, rng = c.arrivals
  const pFail = c.render.alwaysOk ? 0 : c.render.failureRate
  let warmup = -mark.warmup
  for (let o = 0; o < NO; o++) warmup += m.countsAtWarmup[route * NO + o]!
  let measured = 0, failed = 0
  for (let b = 0; b < m.bins; b++) {
    let n = 0
    for (let o = 0; o < NO; o++) n += m.series[b * SC + o]! - mark.series[b * NO + o]!
    if (n === 0) continue
    const early = Math.min(warmup, n), late = n - early
    warmup -= early
    const f = binomial(rng, early, pFail), g = binomial(rng, late, pFail)
    m.series[b * SC + NO + DYNAMIC_RENDER] = m.series[b * SC + NO + DYNAMIC_RENDER]! + n
    m.series[b * SC + NO + 3] = m.series[b * SC + NO + 3]! + f + g
    measured += late
    failed += g
  }
  m.renders[route * 3 + DYNAMIC_RENDER] = m.renders[route * 3 + DYNAMIC_RENDER]! + measured
  m.failed[route] = m.failed[route]! + failed
  m.crawlerRenders[route] = m.crawlerRenders[route]! + m.crawlerRequests[route]! - mark.crawler
  addRenderTime(m, route, rng, durationBuckets(c.s.routes[route]!.renderS, uncachedWaitUs(c)), measured)
  const f = c.fetches
  if (f !== null) for (let i = 0; i < f.ids.length; i++) f.originFetches[i] = f.originFetches[i]! + measured
}
