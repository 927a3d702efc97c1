/**
 * Which routes fast mode may fast-forward (docs/fast-mode.md): a route whose paths are
 * independent of each other and of every other route, so that each path's timeline can be run
 * alone, from state change to state change, and its requests between them drawn from their
 * distribution. Anything that couples paths (a shared worker pool, round-robin balancing,
 * shared fetch keys, data changes, a CDN) or that fast mode does not cover yet keeps
 * the route, or the whole scenario, exact, with the reason. Deploys are covered
 * (fast-timeline.ts runPath), and so are on-demand calls and purges, drawn once and replayed per path (fast-tags.ts).
 */
import type { Scenario } from '../scenario/schema.ts'
import { deploymentOf } from '../scenario/schema.ts'
import type { SimMode } from '../contract.ts'
import { isPerPathFetch } from './data-cache.ts'
import { isUseCacheKind } from './cache-life.ts'
import type { ResolvedRoute } from './entries.ts'
import { isDataCached, profileFor } from './profiles.ts'
import { withSegmentConfig } from './segment-config.ts'
import { isUnstableCache } from './unstable-cache.ts'
import { tagIndexOf } from './tags-manifest.ts'
import { lambdaAt, rateCurve } from './fast-rate.ts'
import { secToUs } from '../kernel/time.ts'

export interface FastPlan {
  /** Per route (scenario order): null when it runs fast, else why it runs exact. */
  readonly exactBecause: readonly (string | null)[]
  readonly anyFast: boolean
  readonly anyExact: boolean
}

/** Why the whole scenario runs exact (a feature that couples every route), or null. */
export function scenarioBlocker(s: Scenario): string | null {
  const d = deploymentOf(s)
  if (d.instances > 1 && d.balancer !== 'random') return `deployment.instances ${d.instances} with balancer "${d.balancer}": round-robin couples the paths (fast mode covers one instance, or several behind a random balancer)`
  if (d.cache === 'shared') return 'deployment.cache "shared": one cache handler for every instance'
  if (d.cdn !== undefined) return 'deployment.cdn: the CDN layer is simulated request by request'
  if (d.platform === 'vercel') return 'deployment.platform "vercel": simulated request by request'
  if (d.renderConcurrency !== undefined) return `deployment.renderConcurrency ${d.renderConcurrency}: renders of every path share the workers`
  // On-demand calls are replayed per path (fast-tags.ts); res.revalidate renders a Pages path at the call's own time.
  const rr = s.onDemand.findIndex((e) => e.kind === 'res.revalidate')
  if (rr >= 0) return `onDemand[${rr}] res.revalidate: the call renders its Pages path at once, which fast mode does not carry`
  if (s.dataChanges.length > 0) return 'dataChanges: data freshness is tracked per response'
  // §11.2: a restart keeps entries and loses the process's cache controls (16.4 reads an App
  // entry's back, finding F2) and 'use cache' entries: a cut in each path's timeline (fast-timeline.ts);
  // so is a purge (§11.10), replayed with the calls (fast-tags.ts).
  return null
}

/** Why one route runs exact although the scenario allows fast mode, or null. */
export function routeBlocker(s: Scenario, i: number, r: ResolvedRoute): string | null {
  const cfg = s.routes[i]!
  const t = cfg.traffic
  // §14: a Pages page is an App page without tags (§14.6: no call reaches it, targetsOfTag), with
  // fallback true its shell (§14.3, fast-timeline.ts), whose cache control a restart drops on every version (§14.7).
  // A cached route handler runs the page state machine (§15.1); a page's or layout's cacheLife and
  // its segment config set only its revalidate and expire (§12.2, §15.2) and, through fetchCache,
  // its fetches (§15.3, applied by fastPlan): each path's timeline reads them, tags included (fast-tags.ts).
  const fetches = fetchBlocker(s, i, r)
  if (fetches !== null) return fetches
  const tagged = onDemandBlocker(s, i, r)
  if (tagged !== null) return tagged
  if (r.effective.holes !== undefined) {
    // §12.4: a hole render per request of a known path (fast-dynamic.ts renderHoles), drawn in bulk at one failure rate, reading fetches no render keeps.
    if (s.outages.some((o) => o.failureRate > 0 && (o.routes === undefined || o.routes.includes(cfg.id)))) return 'cacheComponents holes with outages: each hole render fails by its own time'
    const kept = cfg.fetches.find((f) => (f.kind !== undefined && f.kind !== 'fetch') || isDataCached(profileFor(s.next.version), f, true) || isDataCached(profileFor(s.next.version), f, false))
    if (kept !== undefined) return `cacheComponents holes: a hole render reads fetch "${kept.id}", which the shell's renders keep`
  }
  if (t.arrivals !== 'poisson') return `traffic.arrivals "${t.arrivals}": evenly spaced arrivals are not a Poisson process`
  if (t.schedule !== undefined) return 'traffic.schedule: replayed requests are stepped one by one'
  return null
}

/**
 * Why an on-demand call keeps route i exact, or null. A call that reaches the route's tags also
 * reaches the entries its renders keep (§4.3, read with the page's implicit tags): fast mode
 * replays it on the page entries (fast-tags.ts) and on an ISR render's Data Cache and
 * unstable_cache entries (fast-fetches.ts), not on 'use cache' entries or a dynamic route's.
 */
function onDemandBlocker(s: Scenario, i: number, r: ResolvedRoute): string | null {
  if (s.onDemand.length === 0) return null
  const cfg = s.routes[i]!
  const profile = profileFor(s.next.version)
  // fast-fetches.ts reads a kept fetch's or unstable_cache entry's tags in an ISR render; not a 'use cache' entry's, nor any on a dynamic route.
  const kept = cfg.fetches.find((f) => isUseCacheKind(f.kind) || (r.isDynamic && (isUnstableCache(f) || (cfg.router !== 'pages' && isDataCached(profile, f, true)))))
  if (kept === undefined) return null
  const index = tagIndexOf(s, profile)
  const call = s.onDemand.findIndex((_, e) => index.onDemandIds[e]!.some((id) => index.targets[id]!.some((t) => t.route === i)))
  if (call < 0) return null
  return `onDemand[${call}] reaches route "${cfg.id}", whose fetch "${kept.id}" keeps ${isUseCacheKind(kept.kind) ? 'a \'use cache\' entry' : 'a Data Cache entry in dynamic renders'}: fast mode replays the calls on page entries and an ISR render's Data Cache and unstable_cache entries`
}

/**
 * Why route i's fetches keep it exact, or null. A fetch the Data Cache never keeps in an ISR
 * render (§5.3: no revalidate, no tags, and a version that does not cache plain fetch()) is
 * one origin call per render, whichever path or route makes it: no state couples them, so it
 * may be shared (fastPlan keeps every route that makes it on one side). A cached fetch or an
 * unstable_cache function is carried along the path's timeline (fast-fetches.ts) when its
 * entry is the path's own: keyed per path, or on a route of one path without one-off paths,
 * and made by no other route. A one-off unknown path's render (drawn in bulk, fast-paths.ts)
 * finds none of its keys, and a dynamic route runs fast when no render keeps any of its
 * fetches. A deploy gives the path the new build's entries, or what a build
 * that keeps the fetch cache leaves (fast-timeline.ts runPath).
 */
function fetchBlocker(s: Scenario, i: number, r: ResolvedRoute): string | null {
  const cfg = s.routes[i]!
  if (cfg.fetches.length === 0) return null
  const why = (what: string) => `fetches: ${what} (fast mode carries a path's own fetch keys, a plain fetch(), unstable_cache or 'use cache' per path that no other route makes, and fetches no render keeps)`
  const profile = profileFor(s.next.version)
  if (r.isDynamic) return dynamicFetchBlocker(s, i, why)
  const ids = new Set<string>()
  for (const f of cfg.fetches) {
    const store = useCacheBlocker(s, f, false)
    if (store !== null) return why(store)
    if (ids.has(f.id)) return why(`fetch "${f.id}" is made twice by the route`)
    ids.add(f.id)
    // getStaticProps has no Data Cache: a Pages route's fetch() is an origin call per render (§14.9).
    if (!isUnstableCache(f) && !isUseCacheKind(f.kind) && (cfg.router === 'pages' || !isDataCached(profile, f, false))) continue
    // On a route of one path (a static page), one key for every path is that path's own, unless one-off paths read it too.
    if (!isPerPathFetch(f)) {
      if (r.count > 1) return why(`fetch "${f.id}" has one key for every path (perPath false) and the Data Cache keeps it`)
      if (cfg.traffic.unknownRate > 0) return why(`fetch "${f.id}" has one key that one-off unknown paths (traffic.unknownRate) read too, and the Data Cache keeps it`)
    }
    const other = s.routes.find((x, j) => j !== i && x.fetches.some((g) => g.id === f.id))
    if (other !== undefined) return why(`fetch "${f.id}" is also made by route "${other.id}" and the Data Cache keeps it`)
  }
  return null
}

/**
 * Why a 'use cache' function keeps its routes exact, or null: the default handler's entries live
 * in each process's memory, which a restart empties (fast-dynamic.ts does not carry restarts); the
 * remote store is one for every instance (§12.5).
 */
function useCacheBlocker(s: Scenario, f: Scenario['routes'][number]['fetches'][number], dynamic: boolean): string | null {
  if (f.kind === 'use cache' && dynamic && s.restarts.length > 0) return `fetch "${f.id}" is 'use cache' on a dynamic route, whose entries a restart empties`
  if (f.kind === 'use cache: remote' && deploymentOf(s).instances > 1) return `fetch "${f.id}" is 'use cache: remote', one store every instance shares`
  return null
}

/**
 * Whether a dynamic render of this route keeps fetch f (§5.3, a Data Cache entry it serves stale
 * while it refreshes; unstable_cache, §13.3; a 'use cache' entry, run in the foreground once stale, §12.5).
 */
function keptInDynamicRender(s: Scenario, cfg: Scenario['routes'][number], f: Scenario['routes'][number]['fetches'][number]): boolean {
  if (cfg.router === 'pages') return false // getServerSideProps: no Data Cache (§14.9); its unstable_cache is refused below
  return isUnstableCache(f) || isUseCacheKind(f.kind) || isDataCached(profileFor(s.next.version), f, true)
}

/**
 * The fetch a dynamic route's renders keep, by index in its fetches, or -1. Only for a route
 * fastPlan runs fast (dynamicFetchBlocker allows at most one).
 */
export function dynamicKeptFetch(s: Scenario, i: number): number {
  const cfg = s.routes[i]!
  return cfg.fetches.findIndex((f) => keptInDynamicRender(s, cfg, f))
}

/**
 * A dynamic route's fetches (§5.2): one no dynamic render keeps (not even 14's plain fetch(); any
 * in getServerSideProps, §14.9) is an origin call per request, whatever the path; one kept (fast-dynamic.ts) is an entry whose stale reads call the origin until a
 * call lands, carried along its key's own requests: one kept fetch, keyed per path or (without
 * one-off paths, which read it too) once, made by no other route, without crawlers (their
 * visits would read it) or a deploy that keeps the old fetch cache.
 */
function dynamicFetchBlocker(s: Scenario, i: number, why: (what: string) => string): string | null {
  const cfg = s.routes[i]!
  const other = cfg.fetches.find((f) => f.kind === 'unstable_cache' && cfg.router === 'pages')
  if (other !== undefined) return why(`fetch "${other.id}" is unstable_cache on a dynamic Pages page, recomputed in the render`)
  for (const f of cfg.fetches) { const store = useCacheBlocker(s, f, true); if (store !== null) return why(store) }
  const kept = cfg.fetches.filter((f) => keptInDynamicRender(s, cfg, f))
  if (kept.length === 0) return null
  const f = kept[0]!
  const stale = `fetch "${f.id}" on a dynamic route serves stale data while it refreshes`
  if (kept.length > 1) return why(`fetches "${f.id}" and "${kept[1]!.id}" on a dynamic route are both kept by the Data Cache`)
  if (cfg.fetches.filter((g) => g.id === f.id).length > 1) return why(`fetch "${f.id}" is made twice by the route`)
  const shared = s.routes.find((x, j) => j !== i && x.fetches.some((g) => g.id === f.id))
  if (shared !== undefined) return why(`${stale}, and route "${shared.id}" makes it too`)
  if (!isPerPathFetch(f) && cfg.traffic.unknownRate > 0) return why(`${stale}, one key that one-off unknown paths (traffic.unknownRate) read too`)
  if ((cfg.traffic.crawlers?.length ?? 0) > 0) return why(`${stale}, and traffic.crawlers read it too`)
  if (!isUseCacheKind(f.kind) && s.deploys.some((d) => d.reuseFetchCache === true)) return why(`${stale}, and a deploy keeps the fetch cache (reuseFetchCache)`)
  return null
}

/**
 * Routes that share an uncached fetch draw its failures from one stream (the fetch's), so they
 * run on one side: when one of them runs exact, so do the others. Repeated until nothing changes
 * (one route can share fetches with several).
 */
function sameSideForSharedFetches(s: Scenario, exactBecause: (string | null)[]): void {
  for (let changed = true; changed;) {
    changed = false
    for (const [i, cfg] of s.routes.entries()) {
      if (exactBecause[i] !== null) continue
      for (const f of cfg.fetches) {
        const j = s.routes.findIndex((x, k) => k !== i && exactBecause[k] !== null && x.fetches.some((g) => g.id === f.id))
        if (j < 0) continue
        exactBecause[i] = `fetches: fetch "${f.id}" is also made by route "${s.routes[j]!.id}", which runs exact (one stream draws its failures)`
        changed = true
        break
      }
    }
  }
}

/** The fewest (instance, path) pairs of a route for which auto mode weighs sparse traffic (sparseSlower). */
export const SPARSE_WEIGH_PAIRS = 1 << 20

/**
 * Why auto mode runs route i exact although fast mode could: its traffic is sparse (at most a
 * quarter of its pairs are ever requested, as fast-sparse.ts isSparse counts them) but
 * something fast-sparse.ts does not carry (an on-demand call reaching it, a purge, a restart,
 * a deploy) makes fast mode run every pair's timeline, a draw or more each, while exact mode's
 * lazy records cost only the requests made. Weighed only for routes of at least
 * SPARSE_WEIGH_PAIRS pairs, where the difference is seconds; null otherwise.
 */
function sparseSlower(s: Scenario, i: number, r: ResolvedRoute, reachedByCalls: boolean): string | null {
  const cfg = s.routes[i]!
  const pairs = r.count * deploymentOf(s).instances
  if (r.isDynamic || pairs < SPARSE_WEIGH_PAIRS || (cfg.traffic.crawlers?.length ?? 0) > 0) return null
  const what = reachedByCalls ? 'on-demand calls reach it' : s.purges.length > 0 ? 'purges' : s.restarts.length > 0 ? 'restarts' : s.deploys.length > 0 ? 'deploys' : null
  if (what === null) return null
  const durationUs = secToUs(s.durationS)
  const expected = lambdaAt(rateCurve(s, i, durationUs), durationUs - 0.5)
  if (expected * 4 > pairs) return null
  return `sparse traffic (about ${Math.round(expected).toLocaleString('en-US')} requests over ${pairs.toLocaleString('en-US')} (instance, path) pairs) and ${what}: fast mode would run every pair's timeline, exact mode keeps records only for the paths visited (--mode fast runs it fast)`
}

/** The plan for a run in `mode`: exact everywhere, or fast wherever it is exact in distribution. */
export function fastPlan(scenario: Scenario, routes: readonly ResolvedRoute[], mode: SimMode, sameTraffic = false): FastPlan {
  // Each fetch as its segment's fetchCache leaves it (§15.3), as the model and fast mode read them.
  const s = withSegmentConfig(scenario)
  if (mode === 'exact') return { exactBecause: routes.map(() => '--mode exact'), anyFast: false, anyExact: true }
  const all = sameTraffic ? '--same-traffic: replications replay replication 0\'s requests one by one, which fast mode never draws' : scenarioBlocker(s)
  let exactBecause = routes.map((r, i) => all ?? routeBlocker(s, i, r))
  if (mode === 'auto' && all === null) {
    const index = s.onDemand.length > 0 ? tagIndexOf(s, profileFor(s.next.version)) : null
    const reached = (i: number) => (index !== null && index.onDemandIds.some((ids) => ids.some((id) => index.targets[id]!.some((t) => t.route === i))))
    exactBecause = exactBecause.map((x, i) => x ?? sparseSlower(s, i, routes[i]!, reached(i)))
  }
  sameSideForSharedFetches(s, exactBecause)
  // Several instances: the balancer's one stream draws for every route's requests in turn, so a
  // route run exact apart would not draw what it draws in a run of the whole scenario. All
  // routes fast, or all exact.
  const instances = deploymentOf(s).instances
  const blocked = routes.find((r) => exactBecause[r.index] !== null)
  if (all === null && instances > 1 && blocked !== undefined && exactBecause.some((x) => x === null)) {
    const why = `deployment.instances ${instances}: the balancer draws for every route's requests in turn, and route "${blocked.id}" runs exact (${exactBecause[blocked.index]})`
    exactBecause = exactBecause.map((x) => x ?? why)
  }
  // On-demand calls fire once for the run and count over every route: all fast, or all exact.
  if (all === null && s.onDemand.length > 0 && blocked !== undefined && exactBecause.some((x) => x === null)) {
    const why = `onDemand: the calls fire once for every route, and route "${blocked.id}" runs exact (${exactBecause[blocked.index]})`
    exactBecause = exactBecause.map((x) => x ?? why)
  }
  return { exactBecause, anyFast: exactBecause.some((x) => x === null), anyExact: exactBecause.some((x) => x !== null) }
}
