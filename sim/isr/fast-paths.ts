/**
 * A route in fast mode (docs/fast-mode.md). Its paths share nothing (fast-eligibility.ts), so
 * each runs alone, start to end, before the next (fast-timeline.ts): its users' requests are a
 * Poisson process of its share of the route's rate (a Poisson process split by independent
 * marks is Poisson in each part), its crawlers' visits are known in advance. A path never
 * requested costs one draw and no memory; nothing per path is kept once its timeline is done.
 * A dynamic route has no per-path state at all: every request renders for itself.
 */
import type { AleaRng, Streams } from '../kernel/rng.ts'
import { roundHalfUp } from '../kernel/time.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import type { ResolvedRoute } from './entries.ts'
import { timingOf } from './events.ts'
import { beginPath, endPath, routeCrawl, type PathCrawl } from './fast-crawl.ts'
import { durationBuckets } from './fast-durations.ts'
import { fastFetches } from './fast-fetches.ts'
import { addPiece, createFastAcc, drawDeferred, nextCut, point, renderStarted, type DeferredRenders } from './fast-metrics.ts'
import { createPathState, drawRender, okProbability, renderDraw, type PathCtx } from './fast-path-ctx.ts'
import { rateCurve, segmentOf, type RateCurve } from './fast-rate.ts'
import { isSparse, runSparse } from './fast-sparse.ts'
import { runPath } from './fast-timeline.ts'
import { BLOCKING, DYNAMIC, DYNAMIC_RENDER, ERROR, MISS, NOT_FOUND, OBS_AT, type Metrics } from './metrics.ts'
import type { VersionProfile } from './profiles.ts'

/** A route's paths' shares of its traffic, computed per path (no table for uniform or Zipf popularity). */
function shareOf(s: Scenario, r: ResolvedRoute): (k: number) => number {
  const pop = s.routes[r.index]!.traffic.popularity
  const n = r.count
  if (pop === 'uniform' || n === 1) return () => 1 / n
  if ('zipf' in pop) {
    const z = pop.zipf
    let h = 0
    for (let k = 0; k < n; k++) h += 1 / Math.pow(k + 1, z)
    return (k) => 1 / Math.pow(k + 1, z) / h
  }
  const w = pop.weights.slice(0, n)
  const sum = w.reduce((a, b) => a + b, 0)
  return (k) => (k < w.length ? w[k]! / sum : 0)
}

/**
 * The deploys' firings before the run's end, in the order the engine fires them (deploys.ts):
 * by time, then by when each was scheduled. A deploy's first firing is scheduled at the start
 * (in scenario order), each later one when the one before fires, so at a tie the deploy whose
 * previous firing came first goes first, and the last one's build is live.
 */
export function deployTimes(s: Scenario, durationUs: number): { readonly atUs: number; readonly prerender: boolean; readonly reuse: boolean }[] {
  const timings = s.deploys.map((d) => timingOf(d, null))
  let seq = 0
  const queue: { atUs: number; seq: number; i: number }[] = []
  timings.forEach((x, i) => { if (x.firstUs >= 0 && x.firstUs < durationUs) queue.push({ atUs: x.firstUs, seq: seq++, i }) })
  const out: { atUs: number; prerender: boolean; reuse: boolean }[] = []
  while (queue.length > 0) {
    queue.sort((a, b) => a.atUs - b.atUs || a.seq - b.seq)
    const e = queue.shift()!
    out.push({ atUs: e.atUs, prerender: s.deploys[e.i]!.prerender, reuse: s.deploys[e.i]!.reuseFetchCache === true })
    const x = timings[e.i]!
    if (x.everyUs > 0 && e.atUs + x.everyUs < durationUs) queue.push({ atUs: e.atUs + x.everyUs, seq: seq++, i: e.i })
  }
  return out
}

/** What a fast route's fetches did, per fetch id (the result's `fetches`). */
export type FastFetchStats = Record<string, { readonly originFetches: number; readonly keys: number; readonly cached: boolean }>

/** Runs route r in fast mode, recording into m; returns its fetches' figures. */
export function runFastRoute(s: Scenario, r: ResolvedRoute, profile: VersionProfile, streams: Streams, fetchRng: (id: string) => AleaRng, m: Metrics, durationUs: number, buildAtUs: number): FastFetchStats {
  const curve = rateCurve(s, r.index, durationUs)
  const arrivals = streams.claim('arrivals', r.id)
  const render = renderDraw(s, r, streams)
  const acc = createFastAcc(r.index, m.bins)
  const crawl = routeCrawl(s, r, streams, durationUs)
  const fetches = fastFetches(s, r, profile, fetchRng)
  const deploys = deployTimes(s, durationUs)
  const ctx: PathCtx = {
    s, r, profile, m, curve, arrivals, render, acc, crawl, fetches, durationUs, endCont: durationUs - 0.5, runEndUs: durationUs,
    deployAtUs: deploys.map((d) => d.atUs), deployPrerenders: deploys.map((d) => d.prerender), deployReuses: deploys.map((d) => d.reuse),
    share: 1, usPerArrival: curve.segUs === Infinity ? 1 / curve.segRate[0]! : NaN, scratch: new Float64Array(1),
  }
  // A deploy writes the build's prerendered pages (deploys.ts), counted as exact mode counts them.
  if (!r.isDynamic && r.prebuilt > 0) {
    for (const d of deploys) if (d.prerender) { m.obs[OBS_AT] = d.atUs; m.deployWrite(r.index, r.prebuilt) }
  }
  // Several instances behind a random balancer, each with its own cache: the balancer marks
  // each request with an instance independently, so (instance, path) is a Poisson process of
  // its own at 1/instances of the path's rate, and each runs alone (fast-eligibility.ts keeps
  // round-robin and shared caches exact; crawlers' visits get their instances in fast-crawl.ts).
  const instances = deploymentOf(s).instances
  if (r.isDynamic) runDynamic(ctx)
  else if (isSparse(ctx, s, r, instances, crawl !== null, deploys.length)) runSparse(ctx, createPathState(), s, r, shareOf(s, r), instances, buildAtUs, streams.claim('paths', r.id))
  else {
    const share = shareOf(s, r)
    const st = createPathState()
    for (let k = 0; k < r.count; k++) {
      // A path no user visits may still be crawled: its timeline then has only the crawler's visits.
      const crawled = crawl !== null && crawl.walks.some((w) => k < w.paths)
      const pathShare = share(k)
      if (!(pathShare > 0 || crawled)) continue
      if (crawl !== null) beginPath(crawl)
      for (let inst = 0; inst < instances; inst++) {
        ctx.share = pathShare / instances
        if (curve.segUs === Infinity) ctx.usPerArrival = 1 / (ctx.share * curve.segRate[0]!)
        if (crawl?.spread) crawl.spread.inst = inst
        runPath(ctx, st, k, buildAtUs)
      }
      if (crawl !== null) endPath(crawl)
    }
  }
  // One-off unknown paths (traffic.unknownRate): each request is a path never seen before or
  // again, so it shares nothing with any other request: a 404 without dynamicParams, else a
  // render of its own (blocking and written, or dynamic), deferred like a dynamic route's.
  const unknownRps = s.routes[r.index]!.traffic.unknownRate
  const oneOff = unknownRps > 0 ? rateCurve(s, r.index, durationUs, unknownRps) : null
  if (oneOff !== null) {
    if (r.isDynamic) deferRequests(ctx, oneOff, DYNAMIC, true)
    else if (!r.dynamicParams) deferRequests(ctx, oneOff, NOT_FOUND, false)
    else deferRequests(ctx, oneOff, MISS, true)
  }
  const kind: Omit<DeferredRenders, 'durations'> | null = r.isDynamic ? { mode: DYNAMIC_RENDER, ok: DYNAMIC } : oneOff !== null && r.dynamicParams ? { mode: BLOCKING, ok: MISS } : null
  const renders: DeferredRenders | null = kind === null ? null : { ...kind, durations: durationBuckets(s.routes[r.index]!.renderS, uncachedWaitUs(ctx)) }
  const drawn = drawDeferred(acc, m, arrivals, renders)
  if (fetches !== null && kind !== null) for (let i = 0; i < fetches.ids.length; i++) fetches.originFetches[i] = fetches.originFetches[i]! + drawn
  const stats: FastFetchStats = {}
  fetches?.ids.forEach((id, i) => { stats[id] = { originFetches: fetches.originFetches[i]!, keys: fetches.keys[i]!, cached: fetches.cacheable[i] === 1 } })
  return stats
}

/**
 * How long a render that keeps nothing waits for its fetches: a one-off path's keys are new URLs
 * (data-cache.ts read(): key -1) and a dynamic route's fetches are ones no render keeps
 * (fast-eligibility.ts), so it calls every fetch and waits for the slowest (renders.ts adds the wait).
 */
function uncachedWaitUs(c: PathCtx): number {
  return c.fetches === null ? 0 : Math.max(...c.fetches.latencyUs)
}

/**
 * A dynamic route: every request renders for itself (§5.2), whatever its path, and nothing is
 * cached, so its users' requests change no state: each piece of time (constant rate and
 * failure probability) defers its expected successes (DYNAMIC) and failures (ERROR), and
 * drawDeferred draws their renders' durations in bulk (fast-durations.ts). Crawlers' visits
 * are known, and rendered one by one.
 */
function runDynamic(c: PathCtx): void {
  deferRequests(c, c.curve, DYNAMIC, true)
  if (c.crawl !== null) crawlDynamic(c, c.crawl)
}

/**
 * Defers every request of a Poisson process at the curve's rate, piece by piece (constant rate
 * and failure probability): with `renders`, each renders for itself (ok: outcome `ok`, failed:
 * ERROR, drawDeferred draws the renders); without, each is an `ok` that renders nothing.
 */
function deferRequests(c: PathCtx, curve: RateCurve, ok: typeof DYNAMIC | typeof MISS | typeof NOT_FOUND, renders: boolean): void {
  const d = c.render, cuts = renders ? d.outages.flatMap((o) => [o.fromUs - 0.5, o.toUs - 0.5]) : []
  let t0 = 0
  while (t0 < c.endCont) {
    const seg = segmentOf(curve, t0)
    const segEnd = curve.segUs === Infinity ? Infinity : (seg + 1) * curve.segUs
    let cut = Math.min(c.endCont, nextCut(c.m, t0), segEnd)
    for (const x of cuts) if (x > t0 && x < cut) cut = x
    const rate = curve.segRate[seg]!
    const pOk = renders ? okProbability(d, roundHalfUp((t0 + cut) / 2)) : 1
    if (rate > 0) {
      addPiece(c.acc, c.m, ok, t0, cut, rate * (cut - t0) * pOk, 0, 0, false)
      if (pOk < 1) addPiece(c.acc, c.m, ERROR, t0, cut, rate * (cut - t0) * (1 - pOk), 0, 0, false)
    }
    t0 = cut
  }
}

/** Every crawler visit of a dynamic route renders (§5.2), in the walk's order. */
function crawlDynamic(c: PathCtx, crawl: PathCrawl): void {
  const m = c.m, route = c.r.index, d = c.render, waitUs = uncachedWaitUs(c), fetches = c.fetches
  for (const w of crawl.walks) {
    for (let base = w.phaseUs; base < c.durationUs; base += w.revisitUs) {
      for (let i = 0; i < w.paths; i++) {
        const T = base + roundHalfUp((i * w.revisitUs) / w.paths)
        if (T >= c.durationUs) break
        drawRender(d, T)
        const dur = d.out[0]! + waitUs, ok = d.out[1] === 1
        renderStarted(m, route, DYNAMIC_RENDER, ok, T, dur)
        if (T >= m.warmupUs) {
          m.crawlerRequests[route] = m.crawlerRequests[route]! + 1
          m.crawlerRenders[route] = m.crawlerRenders[route]! + 1
          if (fetches !== null) for (let f = 0; f < fetches.ids.length; f++) fetches.originFetches[f] = fetches.originFetches[f]! + 1
        }
        point(m, route, ok ? DYNAMIC : ERROR, T, ok ? dur : -1, dur)
      }
    }
  }
}
