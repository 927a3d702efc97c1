/**
 * Route segment config (docs/semantics.md §15.2, §15.3): `export const dynamic` and
 * `export const fetchCache`, as a view of the route that the rest of the model reads. Pure.
 *
 * - fetchCache rewrites each fetch's revalidate to the one Next's patch-fetch ends with
 *   (`finalRevalidate`), so the Data Cache and the route's minimum see the same value.
 * - dynamic 'force-dynamic' makes the route dynamic; 'force-static' drops what would make it
 *   dynamic at run time (request APIs, revalidate-0 fetches: their data is still fetched on
 *   every render, uncached); 'error' refuses, at build, a route that would be dynamic.
 * - A route handler (kind "route-handler") is dynamic on 15+ unless it opts in (§15.1).
 */
import type { RouteConfig, Scenario } from '../scenario/schema.ts'
import { routeHandlerDynamicBecause } from './route-handlers.ts'

type Fetch = RouteConfig['fetches'][number]
export type FetchCacheMode = NonNullable<NonNullable<RouteConfig['segmentConfig']>['fetchCache']>
export type DynamicMode = NonNullable<NonNullable<RouteConfig['segmentConfig']>['dynamic']>

/** A fetch's final revalidate (undefined: no cache option, the version default), or why the build throws. */
export type FinalRevalidate = { readonly revalidateS: number | false | undefined } | { readonly error: string }

/** Whether fetchCache applies to this data read: fetch() only ('use cache' and unstable_cache have their own lives). */
function isPlainFetch(f: Fetch): boolean {
  return f.kind === undefined || f.kind === 'fetch'
}

/**
 * patch-fetch's table (§15.3), for a fetch whose own option is `r`: undefined (none), 0
 * (`cache: 'no-store'` / revalidate 0), false (`cache: 'force-cache'`) or seconds.
 */
export function finalFetchRevalidate(mode: FetchCacheMode | undefined, r: number | false | undefined): FinalRevalidate {
  switch (mode) {
    case undefined:
    case 'auto':
      return { revalidateS: r }
    case 'force-no-store':
      // Everything opts out, except force-cache without a revalidate (set to false before the opt-out).
      return { revalidateS: r === false ? false : 0 }
    case 'only-no-store':
      if (r === false || (r !== undefined && r > 0)) return { error: `is cached (${r === false ? 'force-cache' : `revalidate ${r}`}), which fetchCache 'only-no-store' refuses: the build throws "cache: 'force-cache' used on fetch ... with 'export const fetchCache = 'only-no-store'"` }
      return { revalidateS: 0 }
    case 'only-cache':
      if (r === 0) return { error: 'is no-store (revalidate 0), which fetchCache \'only-cache\' refuses: the build throws "cache: \'no-store\' used on fetch ... with \'export const fetchCache = \'only-cache\'"' }
      return { revalidateS: r }
    case 'force-cache':
      return { revalidateS: r === undefined || r === 0 ? false : r }
    case 'default-cache':
      return { revalidateS: r === undefined ? false : r }
    case 'default-no-store':
      return { revalidateS: r === undefined ? 0 : r }
    default: {
      const never: never = mode
      return never
    }
  }
}

/** The route's fetches with their final revalidate under its fetchCache (conflicts are refused at parse: segmentConfigIssues). */
export function withFetchCache(route: RouteConfig): RouteConfig {
  const mode = route.segmentConfig?.fetchCache
  if (mode === undefined || mode === 'auto') return route
  const fetches = route.fetches.map((f) => {
    if (!isPlainFetch(f)) return f
    const out = finalFetchRevalidate(mode, f.revalidateS)
    if ('error' in out || out.revalidateS === f.revalidateS) return f
    const { revalidateS: _drop, ...rest } = f
    return out.revalidateS === undefined ? rest : { ...rest, revalidateS: out.revalidateS }
  })
  return { ...route, fetches }
}

/** The scenario as the model reads it: every route's fetches under its fetchCache (idempotent). */
export function withSegmentConfig(s: Scenario): Scenario {
  if (!s.routes.some((r) => r.segmentConfig?.fetchCache !== undefined)) return s
  return { ...s, routes: s.routes.map(withFetchCache) }
}

/** What effectiveRevalidate reads: a forced result, or the route to take the minimum over. */
export type SegmentView = { readonly forced: { readonly revalidateS: 0; readonly source: string } } | { readonly route: RouteConfig }

/**
 * The route as §5.1/§5.2 see it once its segment config and kind are applied (§15.1–§15.3):
 * force-dynamic and a 15+ route handler without an opt-in are dynamic; force-static ignores
 * request APIs and revalidate-0 fetches (they stay uncached, but no longer make the route
 * dynamic or lower its revalidate).
 */
export function segmentView(route: RouteConfig, next: Scenario['next']): SegmentView {
  const dynamic = route.segmentConfig?.dynamic
  if (dynamic === 'force-dynamic') return { forced: { revalidateS: 0, source: 'dynamic = \'force-dynamic\'' } }
  const handler = routeHandlerDynamicBecause(route, next)
  if (handler !== null) return { forced: { revalidateS: 0, source: handler } }
  let r = withFetchCache(route)
  if (dynamic === 'force-static') {
    r = {
      ...r,
      dynamic: false,
      layouts: r.layouts.map((l) => (l.dynamic ? { ...l, dynamic: false } : l)),
      fetches: r.fetches.filter((f) => !(isPlainFetch(f) && f.revalidateS === 0)),
    }
  }
  return { route: r }
}

/** One bad-input problem: the field path under the route, the value, and the message. */
export interface SegmentIssue {
  readonly at: readonly (string | number)[]
  readonly input: unknown
  readonly message: string
}

/**
 * What `next build` refuses (§15.2, §15.3): a fetch that conflicts with a throwing fetchCache
 * mode, and under dynamic 'error' a route that would be dynamic. `wouldBeDynamic` is the
 * route's §5.2 verdict without its dynamic export (the caller's effectiveRevalidate).
 */
export function segmentIssues(route: RouteConfig, wouldBeDynamic: (r: RouteConfig) => string | null): SegmentIssue[] {
  const out: SegmentIssue[] = []
  const mode = route.segmentConfig?.fetchCache
  route.fetches.forEach((f, j) => {
    if (!isPlainFetch(f)) return
    const fin = finalFetchRevalidate(mode, f.revalidateS)
    if ('error' in fin) out.push({ at: ['fetches', j, 'revalidateS'], input: f.revalidateS, message: `fetch "${f.id}" ${fin.error}` })
  })
  if (route.segmentConfig?.dynamic === 'error' && out.length === 0) {
    const { dynamic: _d, ...config } = route.segmentConfig
    // 'error' is itself a route handler's opt-in to static generation (§15.1): what is left are the page causes.
    const why = wouldBeDynamic({ ...route, kind: 'page', segmentConfig: config })
    if (why !== null) out.push({ at: ['segmentConfig', 'dynamic'], input: 'error', message: `refuses a dynamic route, and route "${route.id}" is dynamic (${why}): the build fails with "Route ${route.pattern} couldn't be rendered statically" (StaticGenBailoutError)` })
  }
  return out
}
