/**
 * Generated scenarios fast mode fast-forwards whole (test/arbitraries.ts made fast-eligible),
 * shared by the fast-mode swarm and the steady-loop tests.
 */
import fc from 'fast-check'
import { parseScenario } from '../sim/index.ts'
import { resolveRoutes } from '../sim/isr/entries.ts'
import { fastPlan } from '../sim/isr/fast-eligibility.ts'
import { arbCase, type Case, type RouteInput } from './arbitraries.ts'

/**
 * The route without what keeps it exact: no fetches, Poisson traffic (crawlers and one-off
 * unknown paths kept: they run fast). Pages pages (fallback shells included), route handlers,
 * cacheLife and segment config stay.
 */
export function fastRoute(r: RouteInput): RouteInput {
  const { router: _r, fetches: _f, ...rest } = r
  const { schedule: _sc, arrivals: _a, ...traffic } = r.traffic
  return { ...rest, ...(r.router === 'pages' ? { router: 'pages' as const } : {}), traffic }
}

/** Without a route handler's kind, cacheLife or segment config, which can make a route dynamic in ways the fetch cases below do not read. */
function plainPage(r: RouteInput): RouteInput {
  const { kind: _k, cacheLife: _c, segmentConfig: _s, ...rest } = r
  return { ...rest, ...(r.layouts ? { layouts: r.layouts.map(({ cacheLife: _l, ...l }) => l) } : {}) }
}

/**
 * Under cacheComponents a page's dynamic causes (request APIs, revalidate 0, in the page or a
 * layout) and short-lived cacheLife are holes of a cached shell (§12.4), which fast mode does not
 * cover with outages (each hole render fails by its own time): there they go.
 */
function withoutHoles(r: RouteInput): RouteInput {
  // A short-lived cacheLife is a hole too (§12.3).
  const { dynamic: _d, cacheLife: _c, ...rest } = r
  return { ...rest, ...(r.revalidateS === 0 ? { revalidateS: false } : {}), ...(r.layouts ? { layouts: r.layouts.map(({ dynamic: _l, cacheLife: _m, ...l }) => (l.revalidateS === 0 ? { ...l, revalidateS: false } : l)) } : {}) }
}

/** Two or three instances behind a random balancer, each with its own cache. */
function randomlyBalanced(c: Case, instances: number): Case {
  // The remote 'use cache' store is one for every instance (§12.5), which keeps it exact.
  if (readsUseCache(c, 'use cache: remote')) return c
  return { ...c, input: { ...c.input, deployment: { instances, balancer: 'random' } } }
}

/** Restarts, which run fast (a cut in each path's timeline): at fractions of the run, of every instance or one. */
const arbRestarts = fc.array(fc.record({ at: fc.integer({ min: 0, max: 99 }), instance: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }) }), { minLength: 1, maxLength: 3 })
function withRestarts(c: Case, restarts: readonly { at: number; instance: number | undefined }[] | null): Case {
  // A restart empties the 'use cache' default handler (§12.5), which keeps a dynamic route reading one exact.
  if (restarts === null || c.input.routes.some((r) => rendersPerRequest(r) && (r.fetches ?? []).some((f) => f.kind === 'use cache'))) return c
  const instances = c.input.deployment?.instances ?? 1
  return { ...c, input: { ...c.input, restarts: restarts.map((r) => ({ atS: Math.round((r.at / 100) * c.input.durationS * 2) / 2, ...(r.instance === undefined ? {} : { instance: r.instance % instances }) })) } }
}

export const arbFastCase = fc.tuple(arbCase({ isolated: true, invalidations: false, restarts: false, deploys: true, route: fastRoute }), fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }), fc.option(arbRestarts, { nil: null }))
  .map(([c, instances, restarts]) => withRestarts(instances === null ? c : randomlyBalanced(c, instances), restarts))
  // Holes render per request at the route's failure rate: an outage keeps them exact.
  .map((c): Case => (c.input.next?.cacheComponents === true && (c.input.outages?.length ?? 0) > 0 ? { ...c, input: { ...c.input, routes: c.input.routes.map(withoutHoles) } } : c))

/**
 * fastRoute with the generated fetches kept as the route's own (fast-fetches.ts): plain fetch()
 * or unstable_cache per path (one URL on a route of one path), ids already the route's (arbCase
 * isolated); on a route that renders per request (dynamic, revalidate 0, a dynamic layout) the
 * fetches no dynamic render keeps and at most one it keeps (fast-dynamic.ts).
 */
export function fastFetchRoute(r: RouteInput): RouteInput {
  const fast = plainPage(fastRoute(r))
  // On a route of one path, one URL for every path: the path's own too (unless one-off paths read it).
  const perPath = (r.params?.count ?? 1) > 1 || (r.traffic.unknownRate ?? 0) > 0
  if (rendersPerRequest(r)) {
    // The fetches no dynamic render keeps (§5.2), and at most one it keeps (§5.3, §13.3; not on a Pages page), whose route then has no crawlers.
    const all = r.fetches ?? []
    const uncached = all.filter((f) => plain(f) && !keptDynamic(f, fast)).map((f) => ({ ...f, kind: 'fetch' as const }))
    const kept = all.find((f) => keptDynamic(f, fast))
    const fetches = kept === undefined ? uncached : [...uncached, { ...kept, kind: kept.kind ?? 'fetch', perPath }]
    if (fetches.length === 0) return fast
    if (kept === undefined) return { ...fast, fetches }
    const { crawlers: _c, ...traffic } = fast.traffic
    return { ...fast, fetches, traffic }
  }
  // Not a no-store fetch, nor a 'use cache' life of revalidate 0: either makes the route dynamic (§5.2, §12.2).
  const fetches = (r.fetches ?? []).filter((f) => f.revalidateS !== 0 && !(typeof f.cacheLife === 'object' && f.cacheLife.revalidateS === 0)).map((f) => ({ ...f, kind: f.kind ?? 'fetch', perPath }))
  return fetches.length === 0 ? fast : { ...fast, fetches }
}

type FetchInput = NonNullable<RouteInput['fetches']>[number]
const plain = (f: FetchInput) => f.kind === undefined || f.kind === 'fetch'
const useCache = (f: FetchInput) => f.kind === 'use cache' || f.kind === 'use cache: remote'
/** Whether a dynamic render keeps f (§5.3: a revalidate other than 0, or tags; unstable_cache, §13.3; 'use cache', §12.5); never on a Pages page (§14.9). */
function keptDynamic(f: FetchInput, r: RouteInput): boolean {
  return r.router !== 'pages' && (f.kind === 'unstable_cache' || useCache(f) || (f.revalidateS !== 0 && (f.revalidateS !== undefined || (f.tags ?? []).length > 0)))
}

/** A deploy that keeps the old fetch cache keeps a dynamic route's kept Data Cache fetch exact: drops those fetches where one does. */
function withoutKeptOnReuse(c: Case): Case {
  if (!(c.input.deploys ?? []).some((d) => d.reuseFetchCache === true)) return c
  return { ...c, input: { ...c.input, routes: c.input.routes.map((r) => (rendersPerRequest(r) && r.fetches ? { ...r, fetches: r.fetches.filter((f) => useCache(f) || !keptDynamic(f, r)) } : r)) } }
}

/** Whether the case reads a 'use cache' function of the default handler (emptied by restarts), or of the remote store (one for every instance). */
const readsUseCache = (c: Case, kind: 'use cache' | 'use cache: remote') => c.input.routes.some((r) => (r.fetches ?? []).some((f) => f.kind === kind))

/** Whether the route renders per request (dynamic, revalidate 0 in the page or a layout), where fetches keep it exact. */
function rendersPerRequest(r: RouteInput): boolean {
  return r.dynamic === true || r.revalidateS === 0 || (r.layouts ?? []).some((l) => l.dynamic === true || l.revalidateS === 0)
}

/** A layout's plain fetch() that every route makes, one URL for all paths: uncached after 14 (§5.3) and in every dynamic render, so one origin call per render. */
export const arbLayoutFetch = fc.option(fc.record({ latencyS: fc.constantFrom(0, 0.02, 0.3), failureRate: fc.constantFrom(0, 0.1) }), { nil: null })
export function withLayoutFetch(c: Case, f: { latencyS: number; failureRate: number } | null): Case {
  if (f === null || c.input.next?.version === '14') return c
  const layout = { id: 'layout', kind: 'fetch' as const, perPath: false, ...f }
  // Not on a route whose segment config sets its fetches' caching (fetchCache): that could make it no-store, and the route dynamic.
  return { ...c, input: { ...c.input, routes: c.input.routes.map((r) => (r.segmentConfig !== undefined ? r : { ...r, fetches: [...(r.fetches ?? []), layout] })) } }
}

/** Generated fast-eligible scenarios with fetches, each route's kept as its own, and often a layout's uncached fetch every ISR route shares. */
export const arbFastFetchCase = fc.tuple(arbCase({ isolated: true, invalidations: false, restarts: false, deploys: true, route: fastFetchRoute }), fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }), fc.option(arbRestarts, { nil: null }), arbLayoutFetch)
  .map(([c, instances, restarts, layout]) => withoutKeptOnReuse(withLayoutFetch(withRestarts(instances === null ? c : randomlyBalanced(c, instances), restarts), layout)))
  .filter((c) => c.input.next?.cacheComponents !== true && c.input.routes.some((r) => (r.fetches?.length ?? 0) > 0))

/**
 * Generated fast-eligible scenarios with fetches made sparse (fast-sparse.ts): each route with
 * params has 200 times the paths (prebuilt and real paths in proportion), a twentieth of the
 * traffic, and no crawlers; no deploys or restarts. Most routes then draw their visits instead of running every path.
 */
export const arbSparseCase = arbFastFetchCase.map((c): Case => {
  // Restarts cut each path's timeline, which fast-sparse.ts does not draw: none here.
  const { deploys: _d, restarts: _r, ...input } = c.input
  const routes = input.routes.map((r) => {
    const { crawlers: _c, ...traffic } = r.traffic
    const scaled = { ...r, traffic: { ...traffic, rps: traffic.rps / 20 } }
    if (r.params === undefined) return scaled
    const { prebuilt, ...params } = r.params
    // A route of one path had its fetches made one URL (fastFetchRoute); with more paths each must be per path again (the shared layout fetch is uncached either way).
    const fetches = r.fetches?.map((f) => (f.id === 'layout' ? f : { ...f, perPath: true }))
    return { ...scaled, params: { ...params, count: params.count * 200, ...(prebuilt === undefined ? {} : { prebuilt: prebuilt * 200 }) }, ...(fetches === undefined ? {} : { fetches }) }
  })
  return { ...c, input: { ...input, routes } }
})

/**
 * Drops the calls fast mode cannot replay: res.revalidate (it renders at the call), and a call
 * that reaches a route's 'use cache' entry or a dynamic route's kept fetch (fast-eligibility.ts
 * names it in the route's reason), one at a time until every route runs fast.
 */
function withReplayableCalls(c: Case): Case {
  let onDemand = (c.input.onDemand ?? []).filter((e) => e.kind !== 'res.revalidate')
  for (;;) {
    const s = parseScenario({ ...c.input, onDemand })
    const blocked = fastPlan(s, resolveRoutes(s), 'fast').exactBecause.map((x) => /^onDemand\[(\d+)\] reaches/.exec(x ?? '')).find((m) => m !== null)
    if (blocked == null) return { ...c, input: { ...c.input, onDemand } }
    onDemand = onDemand.filter((_, i) => i !== Number(blocked[1]))
  }
}

/**
 * Generated fast-eligible scenarios with fetches, on-demand calls (revalidateTag with and
 * without a profile, revalidatePath, updateTag; one-off, periodic, Poisson; to an instance or all
 * of them) and often purges (every page or a prefix), each route's fetches kept as its own, so
 * that a call reaches page entries and the Data Cache entries of the fetches whose tags it names.
 */
export const arbFastOnDemandCase = fc.tuple(arbCase({ isolated: true, dataChanges: false, restarts: false, deploys: true, purges: true, route: fastFetchRoute }), fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 3 }) }), fc.option(arbRestarts, { nil: null }))
  .map(([c, instances, restarts]) => withReplayableCalls(withoutKeptOnReuse(withRestarts(instances === null ? c : randomlyBalanced(c, instances), restarts))))
  .filter((c) => c.input.next?.cacheComponents !== true && (c.input.onDemand?.length ?? 0) + (c.input.purges?.length ?? 0) > 0)
