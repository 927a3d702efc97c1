/**
 * A route's effective revalidate and why (semantics §5.1, §5.2, rule A9, §12.2). Pure.
 * The lowest explicit value across layouts, page and fetches wins; a dynamic layout or
 * page, a segment `revalidate = 0` or a no-store fetch makes the route dynamic. 'use cache'
 * entries (page, layouts, functions) take part with their cacheLife (§12.2); under
 * cacheComponents the dynamic causes and short-lived entries are holes of a cached shell
 * instead (§12.3, §12.4).
 */
import type { RouteConfig, Scenario } from '../scenario/schema.ts'
import { cacheComponentsOn, INFINITE_CACHE_S, isHole, isUseCacheKind, resolveLife, type Life } from './cache-life.ts'
import { profileFor } from './profiles.ts'
import { segmentView } from './segment-config.ts'

/** The next.config a route's revalidate depends on (version, cacheComponents). */
export type NextConfig = Scenario['next']

export interface EffectiveRevalidate {
  /** Seconds, false = never by time, 0 = dynamic. */
  readonly revalidateS: number | false
  /** What set it: "page", "layouts[0]", `fetch "posts"`, or what made the route dynamic. */
  readonly source: string
  /** The route entry's expire from its 'use cache' entries, seconds; absent: next.config expireTime (§12.2). */
  readonly expireS?: number
  /** Under cacheComponents, what renders on every request as dynamic holes of the cached shell (§12.3, §12.4). */
  readonly holes?: readonly string[]
}

interface Candidate {
  readonly value: number | false
  readonly source: string
}

/** The 'use cache' scopes of a route with their life (§12.2): the page's, each layout's, and the page's functions when the page itself is no scope. */
export function useCacheEntries(route: RouteConfig, next: NextConfig): { readonly life: Life; readonly source: string }[] {
  const p = profileFor(next.version)
  const out: { life: Life; source: string }[] = []
  if (route.cacheLife !== undefined) out.push({ life: resolveLife(p, route.cacheLife), source: 'page \'use cache\'' })
  route.layouts.forEach((l, i) => { if (l.cacheLife !== undefined) out.push({ life: resolveLife(p, l.cacheLife), source: `layouts[${i}] 'use cache'` }) })
  // Inside a 'use cache' page the functions it calls are in its scope, whose explicit cacheLife wins.
  if (route.cacheLife === undefined) for (const f of route.fetches) if (isUseCacheKind(f.kind)) out.push({ life: resolveLife(p, f.cacheLife), source: `'${f.kind}' "${f.id}"` })
  return out
}

export function effectiveRevalidate(route: RouteConfig, next: NextConfig): EffectiveRevalidate {
  // §15.1-§15.3: the route as its kind and segment config (dynamic, fetchCache) make it.
  const view = segmentView(route, next)
  if ('forced' in view) return view.forced
  route = view.route
  const p = profileFor(next.version)
  // Partial Prerendering applies to App Router pages only (not Pages Router pages, not route handlers).
  const cc = cacheComponentsOn(p, next) && (route.router ?? 'app') === 'app' && (route.kind ?? 'page') === 'page'
  const holes: string[] = []
  // §5.2: any of these, during the build prerender, makes the whole route dynamic; under
  // cacheComponents each is a hole of the shell instead (§12.4).
  const dynamicBecause: string[] = []
  route.layouts.forEach((l, i) => {
    if (l.dynamic) dynamicBecause.push(`layouts[${i}] calls request APIs`)
    if (l.revalidateS === 0) dynamicBecause.push(`layouts[${i}] revalidate = 0`)
  })
  if (route.dynamic) dynamicBecause.push('page calls request APIs')
  if (route.revalidateS === 0) dynamicBecause.push('page revalidate = 0')
  // getStaticProps has no Data Cache: its data reads neither lower nor end the page's revalidate (§14.9).
  const pages = route.router === 'pages'
  if (!pages) for (const f of route.fetches) if (f.revalidateS === 0 && !isUseCacheKind(f.kind)) dynamicBecause.push(`fetch "${f.id}" is no-store (revalidate 0)`)
  if (dynamicBecause.length > 0 && !cc) return { revalidateS: 0, source: dynamicBecause.join('; ') }
  holes.push(...dynamicBecause)

  // §5.1: only values set explicitly take part; false (force-cache) counts as forever.
  const candidates: Candidate[] = [{ value: route.revalidateS === 0 ? false : route.revalidateS, source: 'page' }]
  route.layouts.forEach((l, i) => { if (l.revalidateS !== undefined && l.revalidateS !== 0) candidates.push({ value: l.revalidateS, source: `layouts[${i}]` }) })
  // A plain fetch inside a 'use cache' page is in the page's scope (§12.2).
  if (route.cacheLife === undefined && !pages) for (const f of route.fetches) if (f.revalidateS !== undefined && f.revalidateS !== 0 && !isUseCacheKind(f.kind)) candidates.push({ value: f.revalidateS, source: `fetch "${f.id}"` })
  // §12.2: each 'use cache' entry in the output lowers revalidate and expire; under
  // cacheComponents a short-lived one is a hole instead (§12.3); without it one with
  // revalidate 0 makes the route dynamic (collectedRevalidate 0).
  let expireS = INFINITE_CACHE_S
  for (const e of useCacheEntries(route, next)) {
    if (cc && isHole(p, e.life)) { holes.push(`${e.source} is short-lived (cacheLife revalidate ${e.life.revalidateS} s, expire ${e.life.expireS} s, stale ${e.life.staleS} s)`); continue }
    if (e.life.revalidateS === 0) return { revalidateS: 0, source: `${e.source} has cacheLife revalidate 0` }
    candidates.push({ value: e.life.revalidateS >= INFINITE_CACHE_S ? false : e.life.revalidateS, source: e.source })
    expireS = Math.min(expireS, e.life.expireS)
  }
  let best: Candidate = candidates[0]!
  for (const c of candidates.slice(1)) {
    if (c.value !== false && (best.value === false || c.value < best.value)) best = c
  }
  return {
    revalidateS: best.value, source: best.source,
    ...(expireS < INFINITE_CACHE_S ? { expireS } : {}),
    ...(holes.length > 0 ? { holes } : {}),
  }
}
