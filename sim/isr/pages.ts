/**
 * The Pages Router (docs/semantics.md §14): which routes are Pages routes and what getStaticPaths
 * `fallback` makes of a path with no entry, and what a res.revalidate call does. The request
 * mechanics stay the model's (model.ts, decide.ts); this module answers per route and per call.
 *
 * - fallback false: a path that was not prebuilt is a 404 before the cache, no render (§14.2),
 *   exactly the App Router's dynamicParams = false, so the route resolves with dynamicParams false.
 * - fallback "blocking" (the default): a blocking render, MISS, then cached (§14.2).
 * - fallback true: the fallback shell (outcome `fallback`); the page renders when the browser's
 *   data request (or a bot's HTML request) asks for it (§14.3).
 */
import type { RouteConfig, Scenario } from '../scenario/schema.ts'
import { F_FLIGHT_MODE, F_HAS_ENTRY, FLIGHT_NONE, type Entries, type ResolvedRoute } from './entries.ts'
import { resRevalidateRenders, type VersionProfile } from './profiles.ts'
import { urlIndexIn } from './tags.ts'

export type Fallback = false | true | 'blocking'

/** A route's getStaticPaths fallback; App Router routes have none (null). */
export function fallbackOf(r: Pick<RouteConfig, 'router' | 'params'>): Fallback | null {
  return r.router === 'pages' ? (r.params?.fallback ?? 'blocking') : null
}

/** The resolved routes with a Pages route's fallback false read as dynamicParams false (§14.2). */
export function withPagesRoutes(s: Scenario, routes: ResolvedRoute[]): ResolvedRoute[] {
  if (!s.routes.some((r) => r.router === 'pages')) return routes
  return routes.map((r) => {
    const f = fallbackOf(s.routes[r.index]!)
    return f === null ? r : { ...r, dynamicParams: f !== false }
  })
}

/** What res.revalidate(path) does to one instance's path (§14.5). */
export type ResRevalidate =
  /** fallback false and not prebuilt: NoFallbackError, the call throws, nothing renders. */
  | 'fails'
  /** fallback true, never rendered (15+): the internal request gets the shell; nothing renders or is cached. */
  | 'shell'
  /** A render of the path is already in flight here: the call waits for it (15+/16 revalidate batcher). */
  | 'joins'
  /** A blocking render of the path, written before the call returns. */
  | 'renders'

export function resRevalidate(p: VersionProfile, fallback: Fallback, known: boolean, hasEntry: boolean, inFlight: boolean): ResRevalidate {
  if (!known && !hasEntry && fallback === false) return 'fails'
  if (!resRevalidateRenders(p, fallback === true && !known && !hasEntry)) return 'shell'
  return inFlight ? 'joins' : 'renders'
}

export interface PagesRoutes {
  /** Whether any route is a Pages route. */
  readonly any: boolean
  /** Per route index: 1 for a fallback: true route, whose paths with no entry get the shell. */
  readonly shell: Uint8Array
  /** The App Router routes, and the Pages Router ones (a restart treats their cache controls apart, §14.7). */
  readonly appRoutes: readonly ResolvedRoute[]
  readonly pagesRoutes: readonly ResolvedRoute[]
  /** Per on-demand call: the route and path index a res.revalidate call names, else null. */
  readonly calls: readonly ({ readonly route: number; readonly path: number } | null)[]
  /** Per route index: its fallback (null for App routes). */
  readonly fallbacks: readonly (Fallback | null)[]
}

export function createPagesRoutes(s: Scenario, routes: readonly ResolvedRoute[]): PagesRoutes {
  const fallbacks = s.routes.map(fallbackOf)
  const calls = s.onDemand.map((e) => {
    if (e.kind !== 'res.revalidate' || e.path === undefined) return null
    // The scenario checks (check-families.ts) make sure some Pages route has the path.
    for (const r of routes) {
      if (fallbacks[r.index] === null) continue
      const k = urlIndexIn(s.routes[r.index]!, e.path)
      if (k !== undefined) return { route: r.index, path: k }
    }
    return null
  })
  return {
    any: fallbacks.some((f) => f !== null),
    shell: Uint8Array.from(routes, (r) => (fallbacks[r.index] === true && !r.isDynamic ? 1 : 0)),
    appRoutes: routes.filter((r) => fallbacks[r.index] === null),
    pagesRoutes: routes.filter((r) => fallbacks[r.index] !== null),
    calls,
    fallbacks,
  }
}

/**
 * The model's handler of res.revalidate calls (§14.5): call ei on instance inst is decided by
 * resRevalidate from the path's record, and `start` begins its render when it renders.
 */
export function pagesRevalidator(
  pages: PagesRoutes, p: VersionProfile, routes: readonly ResolvedRoute[], entries: Entries,
  start: (route: ResolvedRoute, slot: number, eslot: number, hasEntry: boolean) => void,
): (ei: number, inst: number) => ResRevalidate {
  return (ei, inst) => {
    const c = pages.calls[ei]!
    const route = routes[c.route]!
    const path = route.firstPath + c.path
    const slot = inst * entries.totalPaths + path, eslot = entries.entryOf(slot, path)
    const o = entries.off(slot), e = entries.off(eslot), rec = entries.rec
    const hasEntry = rec[e + F_HAS_ENTRY] === 1
    // A dynamic Pages page (getServerSideProps) caches nothing: the call renders nothing that stays.
    const a = route.isDynamic ? 'shell' : resRevalidate(p, pages.fallbacks[c.route]!, c.path < route.prebuilt && entries.prerendered, hasEntry, rec[o + F_FLIGHT_MODE] !== FLIGHT_NONE)
    if (a === 'renders') start(route, slot, eslot, hasEntry)
    return a
  }
}
