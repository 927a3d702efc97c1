/**
 * Per-version Next.js behaviour. Every version difference the simulator knows is one switch
 * in the table below (one entry per profile of sim/versions.ts), with its source in
 * docs/semantics.md ("Version profiles"). Where a switch makes a rule, the rule is one
 * function here (isDataCached, backoffExpireUs, keepsTagsOnRestart), and the model asks the
 * function: no other module combines a switch with conditions of its own.
 */
import { secToUs } from '../kernel/time.ts'
import type { NextVersion } from '../versions.ts'

export interface VersionProfile {
  readonly version: NextVersion
  /**
   * An App Router route handler's GET is prerendered (cached) by default: 14.x. From 15.0 (PR
   * #65825) it is dynamic unless it exports revalidate > 0 or false, dynamic 'force-static' or
   * 'error', or generateStaticParams (§15.1).
   */
  readonly routeHandlerStaticByDefault: boolean
  /** revalidateTag/revalidatePath reach a cached route handler's entry: 15.x/16.x; 14.x checks tags for pages only (§15.1). */
  readonly routeHandlerTagged: boolean
  /**
   * `next build` refetches a stale Data Cache entry left in .next/cache while it prerenders:
   * 16.x (the prerender is a consumer of the server cache); 14.x/15.x serve it stale into the
   * page and refresh it in the background (§15.5, finding F3).
   */
  readonly buildRefetchesStaleData: boolean
  /**
   * An entry older than its `expire` (default next.config expireTime, 1 year) blocks on a
   * fresh render instead of being served stale. Only 16.3+ (PR #93211); before that the
   * runtime never read expire (semantics §2).
   */
  readonly enforcesExpire: boolean
  /** The failure back-off re-sets expire' = max(r' + 3, expire) (15.x/16.x); 14.x has no expire (§3). */
  readonly backoffSetsExpire: boolean
  /**
   * How invalidations are recorded and read (§4.3).
   * - 'stale-expired' (16.x): a tag has `stale` and `expired` times. revalidateTag with a
   *   profile marks it stale (stale-while-revalidate) and expired after the profile's expire;
   *   the one-argument form, updateTag and revalidatePath expire it now (blocking MISS).
   *   Expired when `expired <= now && expired > lastModified`; stale when `stale > lastModified`.
   * - 'revalidated-at' (14.x, 15.x): every call sets `revalidatedAt = now` and the second
   *   argument is ignored; an entry with `revalidatedAt >= lastModified` is a miss.
   */
  readonly tagModel: 'stale-expired' | 'revalidated-at'
  /** revalidatePath strips a trailing slash and aliases "/" and "/index" (15.x/16.x, not 14.x; §4.2). */
  readonly normalisesPathTags: boolean
  /** updateTag exists (16.x Server Actions only; §4.3). */
  readonly hasUpdateTag: boolean
  /**
   * A fetch with no cache option (no revalidate, no tags) is Data-Cached with the route's
   * revalidate: 14.x ("auto cache"). 15.x/16.x do not cache it at runtime (§5.2 fetch defaults).
   */
  readonly cachesPlainFetch: boolean
  /** The tags manifest survives a restart: 14.x writes tags-manifest.json; 15.x/16.x keep it in memory only (§4.3). */
  readonly tagsSurviveRestart: boolean
  /**
   * A page rendered on demand keeps its revalidate across a restart: 16.4.6 stores
   * `cacheControl` in the route-cache `.meta` and IncrementalCache.get prefers it (observed
   * against next start, docs/semantics.md "Findings"). Earlier versions fall back to the 1 s
   * default until the page is regenerated once (§1.1).
   */
  readonly persistsCacheControl: boolean
  /** `'use cache'`/`cacheLife` exist: 15.x behind experimental.useCache, 16.x (§12). 14.x has neither. */
  readonly hasUseCache: boolean
  /** `cacheComponents` (Partial Prerendering) runs on a stable release: 16.x only; 15.5 stable throws CanaryOnlyError (§12). */
  readonly hasCacheComponents: boolean
  /**
   * A regeneration bakes a stale unstable_cache value into the page and refreshes the entry in
   * the background: the one-cycle lag of 14.x (and 15.0-15.5.4). From 15.5.5 (PR #84716) and
   * 16.0 (PR #83820) an ISR render waits for the fresh value (§13.2).
   */
  readonly unstableCacheLag: boolean
  /**
   * res.revalidate of a fallback: true Pages path that has no entry yet renders and caches it:
   * 14.x only ("fallbackMode = 'blocking'" on an on-demand request). 15.x/16.x answer with the
   * fallback shell, REVALIDATED, and cache nothing (observed on 15.5.29 and 16.4.6, §14.5).
   */
  readonly revalidatesUnrenderedFallback: boolean
  /** cacheLife('max')'s expire: never (INFINITE_CACHE) on 15.5, one year on 16.x (§12.1). */
  readonly maxPresetExpire: 'never' | '1 year'
  /** A 'use cache' entry with stale < 30 s is a dynamic hole of the static shell: 16.3+ (PR #94678, §12.3). */
  readonly holeOnShortStale: boolean
  /**
   * Cache-Control carries a bare `stale-while-revalidate` with no seconds: 14.x
   * (formatRevalidate). 15.x/16.x send `stale-while-revalidate=<expire − revalidate>` (§7).
   */
  readonly bareStaleWhileRevalidate: boolean
}

/** Next.js's INFINITE_CACHE, seconds (cacheLife "never"). */
const NEVER_S = 0xfffffffe

const V16 = { tagModel: 'stale-expired', normalisesPathTags: true, hasUpdateTag: true, backoffSetsExpire: true, cachesPlainFetch: false, tagsSurviveRestart: false, persistsCacheControl: false, hasUseCache: true, hasCacheComponents: true, unstableCacheLag: false, maxPresetExpire: '1 year', revalidatesUnrenderedFallback: false, bareStaleWhileRevalidate: false } as const

type HandlerSwitch = 'routeHandlerStaticByDefault' | 'routeHandlerTagged' | 'buildRefetchesStaleData'

/** Issue 17's route-handler and build switches (§15.1, §15.5), one row per profile. */
const HANDLER_SWITCHES: Record<NextVersion, Pick<VersionProfile, HandlerSwitch>> = {
  '14': { routeHandlerStaticByDefault: true, routeHandlerTagged: false, buildRefetchesStaleData: false },
  '15': { routeHandlerStaticByDefault: false, routeHandlerTagged: true, buildRefetchesStaleData: false },
  '16.0': { routeHandlerStaticByDefault: false, routeHandlerTagged: true, buildRefetchesStaleData: true },
  '16.3': { routeHandlerStaticByDefault: false, routeHandlerTagged: true, buildRefetchesStaleData: true },
  '16.4': { routeHandlerStaticByDefault: false, routeHandlerTagged: true, buildRefetchesStaleData: true },
}

const PROFILES: Record<NextVersion, Omit<VersionProfile, HandlerSwitch>> = {
  '14': { version: '14', enforcesExpire: false, backoffSetsExpire: false, tagModel: 'revalidated-at', normalisesPathTags: false, hasUpdateTag: false, cachesPlainFetch: true, tagsSurviveRestart: true, persistsCacheControl: false, hasUseCache: false, hasCacheComponents: false, unstableCacheLag: true, maxPresetExpire: 'never', holeOnShortStale: false, revalidatesUnrenderedFallback: true, bareStaleWhileRevalidate: true },
  '15': { version: '15', enforcesExpire: false, backoffSetsExpire: true, tagModel: 'revalidated-at', normalisesPathTags: true, hasUpdateTag: false, cachesPlainFetch: false, tagsSurviveRestart: false, persistsCacheControl: false, hasUseCache: true, hasCacheComponents: false, unstableCacheLag: false, maxPresetExpire: 'never', holeOnShortStale: false, revalidatesUnrenderedFallback: false, bareStaleWhileRevalidate: false },
  '16.0': { version: '16.0', enforcesExpire: false, ...V16, holeOnShortStale: false },
  '16.3': { version: '16.3', enforcesExpire: true, ...V16, holeOnShortStale: true },
  '16.4': { version: '16.4', enforcesExpire: true, ...V16, persistsCacheControl: true, holeOnShortStale: true },
}

const FULL = Object.fromEntries(Object.entries(PROFILES).map(([v, p]) => [v, { ...p, ...HANDLER_SWITCHES[v as NextVersion] }])) as Record<NextVersion, VersionProfile>

export function profileFor(version: NextVersion): VersionProfile {
  return FULL[version]
}

/** Whether a route handler's GET is prerendered (§15.1): by default on 14, else only when it opts in. */
export function routeHandlerStaticGen(p: VersionProfile, optsIn: boolean): boolean {
  return p.routeHandlerStaticByDefault || optsIn
}

/** Whether revalidateTag/revalidatePath reach cached route handler entries (§15.1). */
export function tagsReachRouteHandlers(p: VersionProfile): boolean {
  return p.routeHandlerTagged
}

/** Whether a build refetches a stale entry of the kept fetch cache (§15.5); else it goes stale into the page. */
export function buildRefetchesStale(p: VersionProfile): boolean {
  return p.buildRefetchesStaleData
}

/**
 * Whether a fetch's entries are kept in the Data Cache (§5.2 fetch defaults, §5.3): a fetch
 * with a revalidate or tags always; one with no cache option only on 14 (auto cache), and
 * not in a dynamic render. The build's prerender of a page is not a dynamic render, even of a
 * route a layout later makes dynamic (finding F7).
 */
export function isDataCached(p: VersionProfile, fetch: { readonly revalidateS?: number | false | undefined; readonly tags: readonly string[] }, inDynamicRender: boolean): boolean {
  // A no-store fetch (revalidate 0) is never stored or read (patch-fetch's isCacheableRevalidate), tags or not.
  if (fetch.revalidateS === 0) return false
  return fetch.revalidateS !== undefined || fetch.tags.length > 0 || (p.cachesPlainFetch && !inDynamicRender)
}

/**
 * The failure back-off (§3, PR #34931): a failed regeneration re-sets the old entry with
 * revalidate' = min(max(prev || 3, 3), 30) seconds. `false || 3` is 3.
 */
export function backoffRevalidateS(prev: number | false): number {
  return Math.min(Math.max(prev === false || prev === 0 ? 3 : prev, 3), 30)
}

/**
 * The expire the back-off re-sets, µs (§3): from 15, expire' = max(revalidate' + 3 s,
 * expire); 14 leaves it. `revalidateS` is the back-off's revalidate' (backoffRevalidateS);
 * an entry with no expire (revalidate false) keeps none.
 */
export function backoffExpireUs(p: VersionProfile, revalidateS: number, prevExpireUs: number): number {
  return p.backoffSetsExpire && prevExpireUs !== Infinity ? Math.max(secToUs(revalidateS + 3), prevExpireUs) : prevExpireUs
}

/**
 * Whether an instance's view of the tags manifest survives its restart (§4.3, §11.2): on 14
 * the manifest is a file; on 15 and 16 it is in memory, unless a shared cache handler keeps
 * the tags (§8).
 */
export function keepsTagsOnRestart(p: VersionProfile, sharedCache: boolean): boolean {
  return p.tagsSurviveRestart || sharedCache
}

/** cacheLife('max')'s expire on the profile, seconds (§12.1). */
export function maxPresetExpireS(p: VersionProfile): number {
  return p.maxPresetExpire === 'never' ? NEVER_S : 31_536_000
}

/** Whether a short client stale time (< 30 s) alone makes a 'use cache' entry a dynamic hole (§12.3). */
export function shortStaleIsHole(p: VersionProfile): boolean {
  return p.holeOnShortStale
}

/**
 * Whether a render waits for the refresh of a stale unstable_cache entry (§13.2): an ISR render
 * (the build, a MISS, a regeneration) does, except on a profile with the one-cycle lag, where it
 * keeps the stale value and refreshes in the background; a dynamic render never waits (§13.3).
 */
export function awaitsUnstableCacheRefresh(p: VersionProfile, isrRender: boolean): boolean {
  return isrRender && !p.unstableCacheLag
}

/**
 * Whether a path's cache control survives a restart of its process (§11.2, §14.7): only where
 * the profile stores it with the entry (16.4, finding F2), and never for a Pages Router page,
 * whose .meta carries no cacheControl on any version (observed on 16.4.6: a page rendered on
 * demand is STALE 1 s after the restart, with no Cache-Control header).
 */
export function keepsCacheControlOnRestart(p: VersionProfile, pagesRouter: boolean): boolean {
  return p.persistsCacheControl && !pagesRouter
}

/**
 * Whether res.revalidate(path) renders a fallback: true path that was not prebuilt and has no
 * entry (§14.5): 14.x renders and caches it; 15.x/16.x serve the internal request the fallback
 * shell and cache nothing. Every other known or cached path is rendered on every version.
 */
export function resRevalidateRenders(p: VersionProfile, unrenderedFallbackPath: boolean): boolean {
  return !unrenderedFallbackPath || p.revalidatesUnrenderedFallback
}

/** Next's Cache-Control for revalidate false: `s-maxage=31536000` (§7). */
const FOREVER_US = secToUs(31_536_000)

/**
 * What a CDN honouring Next's Cache-Control keeps a response for (§7, §16), from the
 * revalidate and expire Next answered with (µs; revalidate Infinity = false): fresh for
 * s-maxage = revalidate (one year for false), then served stale while it revalidates for
 * stale-while-revalidate = expire − revalidate when expire > revalidate. 14's bare
 * `stale-while-revalidate` has no seconds, which a CDN ignores (RFC 5861 needs a value): no
 * stale window. Writes [freshUs, freshUs + staleUs] into out[at], out[at + 1].
 */
export function cdnLifetimeUs(p: VersionProfile, revalidateUs: number, expireUs: number, out: Float64Array, at: number): void {
  const fresh = revalidateUs === Infinity ? FOREVER_US : revalidateUs
  out[at] = fresh
  out[at + 1] = p.bareStaleWhileRevalidate || revalidateUs === Infinity || !(expireUs > revalidateUs) ? fresh : expireUs
}
