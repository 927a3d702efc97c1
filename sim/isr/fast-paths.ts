/**
 * A route in fast mode (docs/fast-mode.md). Its paths share nothing (fast-eligibility.ts), so
 * each runs alone, start to end, before the next (fast-timeline.ts): its users' requests are a
 * Poisson process of its share of the route's rate (a Poisson process split by independent
 * marks is Poisson in each part), its crawlers' visits are known in advance. A path never
 * requested costs one draw and no memory; nothing per path is kept once its timeline is done.
 * A dynamic route has no per-path state at all: every request renders for itself.
 */
import type { AleaRng, Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs } from '../kernel/time.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import type { ResolvedRoute } from './entries.ts'
import { buildFetchesFor } from './data-cache.ts'
import { beginPath, endPath, routeCrawl } from './fast-crawl.ts'
import { deferRequests, holesMark, renderHoles, runDynamic, runDynamicUnit, uncachedWaitUs } from './fast-dynamic.ts'
import { dynamicKeptFetch } from './fast-eligibility.ts'
import { durationBuckets } from './fast-durations.ts'
import { fastFetches } from './fast-fetches.ts'
import { createFastAcc, drawDeferred, type DeferredRenders } from './fast-metrics.ts'
import { createPathState, renderDraw, type PathCtx } from './fast-path-ctx.ts'
import { rateCurve } from './fast-rate.ts'
import { isSparse, runSparse } from './fast-sparse.ts'
import { beginTags, controlOrder, routeTags, touchesOnly, type TagRun } from './fast-tags.ts'
import { runPath } from './fast-timeline.ts'
import { fallbackOf } from './pages.ts'
import { BLOCKING, DYNAMIC, DYNAMIC_RENDER, MISS, NOT_FOUND, OBS_AT, type Metrics } from './metrics.ts'
import { keepsCacheControlOnRestart, type VersionProfile } from './profiles.ts'

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
 * by time, then by when each was scheduled (fast-tags.ts controlOrder), so at a tie the deploy
 * whose previous firing came first goes first, and the last one's build is live.
 */
export function deployTimes(s: Scenario, durationUs: number): { readonly atUs: number; readonly prerender: boolean; readonly reuse: boolean }[] {
  return controlOrder(s, durationUs, []).filter((e) => e.kind === 'deploy').map((e) => ({ atUs: e.atUs, prerender: s.deploys[e.i]!.prerender, reuse: s.deploys[e.i]!.reuseFetchCache === true }))
}

/** What a fast route's fetches did, per fetch id (the result's `fetches`). */
export type FastFetchStats = Record<string, { readonly originFetches: number; readonly keys: number; readonly cached: boolean }>

/** Runs route r in fast mode, recording into m; returns its fetches' figures. */
export function runFastRoute(s: Scenario, r: ResolvedRoute, profile: VersionProfile, streams: Streams, fetchRng: (id: string) => AleaRng, m: Metrics, durationUs: number, buildAtUs: number, tagRun: TagRun | null): FastFetchStats {
  const curve = rateCurve(s, r.index, durationUs)
  const arrivals = streams.claim('arrivals', r.id)
  const render = renderDraw(s, r, streams)
  const acc = createFastAcc(r.index, m.bins)
  const crawl = routeCrawl(s, r, streams, durationUs)
  const fetches = fastFetches(s, r, profile, fetchRng)
  const deploys = deployTimes(s, durationUs)
  // §14.3: a Pages route with fallback true (pages.ts createPagesRoutes' shell).
  const shell = fallbackOf(s.routes[r.index]!) === true && !r.isDynamic
  if (shell) {
    if (m.shellRoutes === null) m.shellRoutes = new Uint8Array(m.routes)
    m.shellRoutes[r.index] = 1
  }
  // §11.2: each instance's restarts, and whether one keeps an entry's cache control (16.4, App routes).
  const restartsOf = (inst: number) => s.restarts.filter((x) => x.instance === undefined || x.instance === inst).map((x) => secToUs(x.atS)).filter((t) => t < durationUs).sort((a, b) => a - b)
  const ctx: PathCtx = {
    s, r, profile, m, curve, arrivals, render, acc, crawl, fetches, shell, restartUs: restartsOf(0), keepsCacheControl: keepsCacheControlOnRestart(profile, s.routes[r.index]!.router === 'pages'), durationUs, endCont: durationUs - 0.5, runEndUs: durationUs,
    deployAtUs: deploys.map((d) => d.atUs), deployPrerenders: deploys.map((d) => d.prerender), deployReuses: deploys.map((d) => d.reuse),
    tags: null, share: 1, usPerArrival: curve.segUs === Infinity ? 1 / curve.segRate[0]! : NaN, scratch: new Float64Array(1),
  }
  // A Cache Components shell's holes (§12.4): the route's requests so far, to count its own after.
  const holes = r.effective.holes === undefined ? null : holesMark(m, r.index)
  // A deploy writes the build's prerendered pages (deploys.ts), counted as exact mode counts them.
  if (!r.isDynamic && r.prebuilt > 0) {
    for (const d of deploys) if (d.prerender) { m.obs[OBS_AT] = d.atUs; m.deployWrite(r.index, r.prebuilt) }
  }
  // Several instances behind a random balancer, each with its own cache: the balancer marks
  // each request with an instance independently, so (instance, path) is a Poisson process of
  // its own at 1/instances of the path's rate, and each runs alone (fast-eligibility.ts keeps
  // round-robin and shared caches exact; crawlers' visits get their instances in fast-crawl.ts).
  const instances = deploymentOf(s).instances
  // The on-demand calls that reach the route's tags, replayed per (instance, path) timeline (fast-tags.ts).
  const pathTags = routeTags(tagRun, s, r)
  const kept = r.isDynamic && fetches !== null ? dynamicKeptFetch(s, r.index) : -1
  if (r.isDynamic && kept < 0) runDynamic(ctx)
  else if (r.isDynamic) {
    // One unit per key of the fetch its renders keep (fast-dynamic.ts): each path's, or the route's.
    const units = fetches!.keys[kept]!, share = shareOf(s, r), landings: number[] = []
    // The build seeds a layout-only-dynamic route's keys (finding F7), never a 'use cache' one (§12.5).
    const seeds = fetches!.atStart[kept] === 0 && buildFetchesFor(s.routes[r.index]!, r) ? Math.min(r.prebuilt, units) : 0
    for (let k = 0; k < units; k++) {
      const unitShare = units === 1 ? 1 : share(k)
      if (!(unitShare > 0)) continue
      for (let inst = 0; inst < instances; inst++) {
        ctx.share = unitShare / instances
        if (curve.segUs === Infinity) ctx.usPerArrival = 1 / (ctx.share * curve.segRate[0]!)
        runDynamicUnit(ctx, kept, k < seeds, buildAtUs, landings)
      }
    }
  }
  else if (s.restarts.length === 0 && pathTags === null && isSparse(ctx, s, r, instances, crawl !== null, deploys.length)) runSparse(ctx, createPathState(), s, r, shareOf(s, r), instances, buildAtUs, streams.claim('paths', r.id))
  else {
    const share = shareOf(s, r)
    const st = createPathState()
    const restarts = Array.from({ length: instances }, (_, inst) => restartsOf(inst))
    for (let k = 0; k < r.count; k++) {
      // A path no user visits may still be crawled: its timeline then has only the crawler's visits.
      const crawled = crawl !== null && crawl.walks.some((w) => k < w.paths)
      const pathShare = share(k)
      if (!(pathShare > 0 || crawled)) {
        // Never requested: its entry is the live build's prerender, which a call still reaches.
        if (pathTags !== null) for (let inst = 0; inst < instances; inst++) if (beginTags(pathTags, k, inst)) touchesOnly(pathTags, (b) => k < r.prebuilt && (b === 0 || deploys[b - 1]!.prerender))
        continue
      }
      if (crawl !== null) beginPath(crawl)
      for (let inst = 0; inst < instances; inst++) {
        ctx.share = pathShare / instances
        if (curve.segUs === Infinity) ctx.usPerArrival = 1 / (ctx.share * curve.segRate[0]!)
        if (crawl?.spread) crawl.spread.inst = inst
        ctx.restartUs = restarts[inst]!
        ctx.tags = pathTags !== null && beginTags(pathTags, k, inst) ? pathTags : null
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
  // With a kept fetch, a one-off path's render calls it too and waits for it (a new URL); with a
  // fallback shell, its request gets the shell whatever the render does; with holes, it renders
  // none (renderHoles counts the known paths' requests): each its own deferral.
  const oneOffCtx = (kept >= 0 || shell || holes !== null) && oneOff !== null ? { ...ctx, acc: createFastAcc(r.index, m.bins) } : ctx
  if (oneOff !== null) {
    if (r.isDynamic) deferRequests(oneOffCtx, oneOff, DYNAMIC, true)
    else if (!r.dynamicParams) deferRequests(ctx, oneOff, NOT_FOUND, false)
    else deferRequests(oneOffCtx, oneOff, MISS, true)
  }
  const kind: Omit<DeferredRenders, 'durations'> | null = r.isDynamic ? { mode: DYNAMIC_RENDER, ok: DYNAMIC } : oneOff !== null && r.dynamicParams ? { mode: BLOCKING, ok: MISS } : null
  const renderS = s.routes[r.index]!.renderS
  // The deferred renders call every fetch but the kept one (whose entry was fresh for them).
  const drawn = drawDeferred(acc, m, arrivals, kind === null ? null : { ...kind, durations: durationBuckets(renderS, uncachedWaitUs(ctx, kept)) })
  if (fetches !== null && kind !== null) for (let i = 0; i < fetches.ids.length; i++) if (i !== kept) fetches.originFetches[i] = fetches.originFetches[i]! + drawn
  // §12.4: every request of a known path rendered the shell's holes (a one-off path's did not).
  if (holes !== null) renderHoles(ctx, holes)
  if (oneOffCtx !== ctx) {
    // §14.3: a one-off path gets the shell, and its data request renders it (cached, never asked for again).
    const oneOffKind = r.isDynamic ? { mode: DYNAMIC_RENDER, ok: DYNAMIC } as const : { mode: BLOCKING, ok: MISS, shell } as const
    const n = drawDeferred(oneOffCtx.acc, m, arrivals, { ...oneOffKind, durations: durationBuckets(renderS, uncachedWaitUs(ctx)) })
    if (fetches !== null) for (let i = 0; i < fetches.ids.length; i++) fetches.originFetches[i] = fetches.originFetches[i]! + n
  }
  const stats: FastFetchStats = {}
  fetches?.ids.forEach((id, i) => { stats[id] = { originFetches: fetches.originFetches[i]!, keys: fetches.keys[i]!, cached: fetches.cacheable[i] === 1 } })
  return stats
}
