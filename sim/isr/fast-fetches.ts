/**
 * The Data Cache of a fast-mode route whose fetches are its paths' own (fast-eligibility.ts
 * fetchBlocker): each cached fetch is keyed per path and made by no other route, so path k's
 * entries are read and written only by path k's renders, on its instance (local caches), and
 * ride along its timeline. A fetch the Data Cache never keeps has no entry: every render calls
 * the origin, whoever else makes it, so it may be shared by paths and routes. An unstable_cache
 * function is an entry like a cached fetch's, with its own revalidate and, on 14, a stale entry
 * kept and refreshed in the background (§13). A 'use cache' function's entry (§12.5) is set when
 * its run starts and served while younger than its cacheLife revalidate and expire; no build
 * writes one. Each render reads them as data-cache.ts read()
 * does in an ISR render (§5.3): a fresh entry is used; a stale one, none, or any in a render past expire (§2, which
 * bypasses the Data Cache) is fetched in the foreground: one origin call (counted after
 * warmup, one failure draw from the fetch's stream), the render waits its latency, and a
 * successful response is written when it arrives. The build seeds the prebuilt paths' keys
 * (§11.3), as data-cache.ts does, and so does each deploy that prerenders (§11.10): a deploy
 * leaves no other entry, and the old build's calls still on their way are not stored.
 */
import { UINT32_SCALE, type AleaRng } from '../kernel/rng.ts'
import { secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import { INFINITE_CACHE_S, isUseCacheKind, resolveLife } from './cache-life.ts'
import { fetchRevalidateUs, isPerPathFetch } from './data-cache.ts'
import type { ResolvedRoute } from './entries.ts'
import { awaitsUnstableCacheRefresh, isDataCached, type VersionProfile } from './profiles.ts'
import { isUnstableCache, unstableCacheRevalidateUs } from './unstable-cache.ts'
import { TAGS_EXPIRED, TAGS_NONE } from './decide.ts'
import { tagState, type PathTags } from './fast-tags.ts'

export interface FastFetches {
  readonly ids: readonly string[]
  /** Per fetch: its keys, as exact mode counts them (one per path, or one). */
  readonly keys: readonly number[]
  /** Per fetch: 1 when the Data Cache keeps its responses. */
  readonly cacheable: Uint8Array
  /** Per fetch: 1 when an ISR render keeps a stale entry and refreshes it in the background (unstable_cache with the one-cycle lag, §13.2). */
  readonly background: Uint8Array
  /** Per fetch: 1 for a 'use cache' function (§12.5): its entry is set when a successful run starts, no build writes one, and every deploy empties its store. */
  readonly atStart: Uint8Array
  /** Per fetch: 1 when its entries live in the process's memory (the default 'use cache' handler), which a restart empties; not the remote store. */
  readonly inProcess: Uint8Array
  readonly revalUs: Float64Array
  /** Per fetch: how long an old entry counts as fresh to a build that keeps the fetch cache (build-reuse.ts), or -1 when that build never reads it. */
  readonly reuseRevalUs: Float64Array
  readonly latencyUs: Float64Array
  readonly failureRate: Float64Array
  readonly rngs: readonly AleaRng[]
  /** The path's entries: 1 when it holds one, and when it was written. */
  readonly has: Uint8Array
  readonly lastModUs: Float64Array
  /**
   * Per fetch: the arrival times of its successful calls still on their way (in order: one
   * latency per fetch), from inFlightHead to inFlightTail; typed arrays that grow, since an
   * array's length setter is a runtime call (13% of a week of test/perf/catalogue-shop.ts).
   */
  readonly inFlight: Float64Array[]
  readonly inFlightHead: Int32Array
  readonly inFlightTail: Int32Array
  /** Per fetch: origin calls after warmup. */
  readonly originFetches: Float64Array
}

/**
 * The route's fetches, or null when it makes none. Called only for a route fetchBlocker lets
 * through; `rngOf` gives a fetch's one stream (routes sharing an uncached fetch draw from it in turn).
 */
export function fastFetches(s: Scenario, r: ResolvedRoute, profile: VersionProfile, rngOf: (id: string) => AleaRng): FastFetches | null {
  const specs = s.routes[r.index]!.fetches
  if (specs.length === 0) return null
  const n = specs.length
  // An unstable_cache function is always cached, and its revalidate is its own or a year (§13).
  // On a Pages route fetch() is never cached and a stale unstable_cache entry is recomputed in the render (§14.9).
  const pages = s.routes[r.index]!.router === 'pages'
  const cacheable = Uint8Array.from(specs, (f) => (isUnstableCache(f) || isUseCacheKind(f.kind) || (!pages && isDataCached(profile, f, false)) ? 1 : 0))
  return {
    ids: specs.map((f) => f.id),
    keys: specs.map((f) => (isPerPathFetch(f) ? r.count : 1)),
    cacheable,
    background: Uint8Array.from(specs, (f) => (!pages && isUnstableCache(f) && !awaitsUnstableCacheRefresh(profile, true) ? 1 : 0)),
    atStart: Uint8Array.from(specs, (f) => (isUseCacheKind(f.kind) ? 1 : 0)),
    inProcess: Uint8Array.from(specs, (f) => (f.kind === 'use cache' ? 1 : 0)),
    revalUs: Float64Array.from(specs, (f) => (isUseCacheKind(f.kind) ? useCacheFreshUs(profile, f) : isUnstableCache(f) ? unstableCacheRevalidateUs(f) : fetchRevalidateUs(f, r))),
    // build-reuse.ts reads the entries isDataCached keeps, judged by the fetch rule (for unstable_cache too).
    reuseRevalUs: Float64Array.from(specs, (f) => (!isUseCacheKind(f.kind) && isDataCached(profile, f, false) ? fetchRevalidateUs(f, r) : -1)),
    latencyUs: Float64Array.from(specs, (f) => secToUs(f.latencyS)),
    failureRate: Float64Array.from(specs, (f) => f.failureRate),
    rngs: specs.map((f) => rngOf(f.id)),
    has: new Uint8Array(n),
    lastModUs: new Float64Array(n),
    inFlight: specs.map(() => new Float64Array(4)),
    inFlightHead: new Int32Array(n),
    inFlightTail: new Int32Array(n),
    originFetches: new Float64Array(n),
  }
}

/** How long a 'use cache' entry is served, µs: while its age is at most its cacheLife revalidate and expire (use-cache.ts read()). */
function useCacheFreshUs(profile: VersionProfile, f: Scenario['routes'][number]['fetches'][number]): number {
  const life = resolveLife(profile, f.cacheLife)
  const s = Math.min(life.revalidateS, life.expireS)
  return s >= INFINITE_CACHE_S ? Infinity : secToUs(s)
}

/** A restart of the path's process (§11.2): its 'use cache' entries were in that process's memory (§12.5); the Data Cache is on disk, the remote store elsewhere. */
export function restartFetches(f: FastFetches): void {
  for (let i = 0; i < f.has.length; i++) if (f.inProcess[i] === 1) f.has[i] = 0
}

/** The path's entries as a build written at atUs left them (`prerendered`: the build prerendered this path, and so fetched its cached keys, §11.3); no call of the old build lands. */
export function resetFetches(f: FastFetches, atUs: number, prerendered: boolean): void {
  for (let i = 0; i < f.has.length; i++) {
    f.has[i] = prerendered && f.cacheable[i] === 1 && f.atStart[i] === 0 ? 1 : 0
    f.lastModUs[i] = atUs
    f.inFlightHead[i] = 0
    f.inFlightTail[i] = 0
  }
}

/**
 * A deploy at atUs whose build keeps .next/cache/fetch-cache (§15.5, build-reuse.ts), for this
 * path: the calls completed by then are in the folder, the ones on their way are lost. A key the
 * build prerenders (`prerendered`) gets the build's entry, unless the old one is still fresh,
 * which the build reuses as it is (16 refetches a stale one, 14 and 15 serve it into the page
 * and refresh it: either way the cache holds the build's); a key it does not read keeps its old
 * entry, or none.
 */
export function reuseFetches(f: FastFetches, atUs: number, prerendered: boolean): void {
  for (let i = 0; i < f.has.length; i++) {
    if (f.cacheable[i] === 1) settle(f, i, atUs)
    const had = f.has[i] === 1, lastModUs = f.lastModUs[i]!
    f.inFlightHead[i] = 0
    f.inFlightTail[i] = 0
    // The build id is in a 'use cache' key: the new build finds none (use-cache.ts rebuild()).
    if (f.atStart[i] === 1) f.has[i] = 0
    else if (prerendered && f.cacheable[i] === 1) {
      f.has[i] = 1
      f.lastModUs[i] = had && f.reuseRevalUs[i]! >= 0 && atUs - lastModUs <= f.reuseRevalUs[i]! ? lastModUs : atUs
    }
  }
}

/**
 * A render of the path starting at atUs reads its fetches (data-cache.ts read(), an ISR
 * render); `bypass`: a render past expire (§2). Returns how long it waits for the origin, µs.
 * A response arriving before the run's end lands when it arrives, unless a deploy comes first
 * (resetFetches, reuseFetches).
 */
export function readFetches(f: FastFetches, atUs: number, bypass: boolean, warmupUs: number, runEndUs: number, tags: PathTags | null = null): number {
  let waitUs = 0
  for (let i = 0; i < f.has.length; i++) {
    const cached = f.cacheable[i] === 1
    if (cached) settle(f, i, atUs)
    let foreground = true
    if (cached && !bypass && f.has[i] === 1) {
      // §4.3: a call that reached the entry's tags since its write: expired, fetched again; stale, as stale by time.
      const v = tags === null ? TAGS_NONE : tagState(tags, f.lastModUs[i]!, atUs, i)
      if (v !== TAGS_EXPIRED) {
        if (v === TAGS_NONE && !(atUs - f.lastModUs[i]! > f.revalUs[i]!)) continue
        foreground = f.background[i] === 0
      }
    }
    if (atUs >= warmupUs) f.originFetches[i] = f.originFetches[i]! + 1
    const ok = (f.rngs[i]!.nextInt32() >>> 0) * UINT32_SCALE >= f.failureRate[i]!
    const lat = f.latencyUs[i]!
    // Only successful responses are stored (§5.3), when they arrive; a 'use cache' entry when its run starts (§12.5).
    if (ok && f.atStart[i] === 1) { f.has[i] = 1; f.lastModUs[i] = atUs }
    else if (ok && cached && atUs + lat < runEndUs) {
      let q = f.inFlight[i]!
      const t = f.inFlightTail[i]!
      if (t === q.length) {
        const old = q
        q = new Float64Array(2 * t)
        q.set(old)
        f.inFlight[i] = q
      }
      q[t] = atUs + lat
      f.inFlightTail[i] = t + 1
    }
    if (foreground && lat > waitUs) waitUs = lat
  }
  return waitUs
}

/** Lands fetch i's calls that arrived by atUs (data-cache.ts settle()): the latest one's time is the entry's. */
function settle(f: FastFetches, i: number, atUs: number): void {
  const q = f.inFlight[i]!, t = f.inFlightTail[i]!
  let h = f.inFlightHead[i]!
  while (h < t && q[h]! <= atUs) {
    f.has[i] = 1
    f.lastModUs[i] = q[h]!
    h++
  }
  if (h === t) { h = 0; f.inFlightTail[i] = 0 }
  f.inFlightHead[i] = h
}
