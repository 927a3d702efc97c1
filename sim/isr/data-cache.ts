/**
 * The Data Cache (§5.3): one entry per fetch key and cache. A shared URL is one key; a
 * per-path URL (perPath, or a templated tag) one key per path index, shared by every route
 * that uses the fetch id. The build seeds it (§11.3); renders read it, refetching stale
 * entries in the foreground (ISR renders) or in the background (dynamic renders); origin
 * calls complete without events (see `inFlight`). unstable_cache functions are entries here
 * too, keyed by their id, with the differences of unstable-cache.ts (§13).
 */
import { UINT32_SCALE, type AleaRng, type Streams } from '../kernel/rng.ts'
import { ONE_YEAR_S, secToUs } from '../kernel/time.ts'
import type { RouteConfig, Scenario } from '../scenario/schema.ts'
import * as Decision from './decide.ts'
import type { ResolvedRoute } from './entries.ts'
import { awaitsUnstableCacheRefresh, isDataCached, type VersionProfile } from './profiles.ts'
import type { TagsManifest } from './tags-manifest.ts'
import { IMPLICIT_TAG_PREFIX, tagMatchesTemplate, templateIndexesIn, templateIndexOf } from './tags.ts'
import type { TraceEvent } from './trace.ts'
import { isUseCacheKind } from './cache-life.ts'
import { createUseCacheStore, type UseCacheStore } from './use-cache.ts'
import { createFetchCacheRows, fetchOfKey, type FetchCacheRows } from './fetch-cache-rows.ts'
import { isUnstableCache, unstableCacheRevalidateUs } from './unstable-cache.ts'

// This module's own constants (V8 folds them; an imported binding is read at every use).
const { TAGS_EXPIRED, TAGS_NONE, TAGS_STALE } = Decision

/** How the Data Cache stores `revalidate: false` (§5.3). */
const ONE_YEAR_US = secToUs(ONE_YEAR_S)

export interface FetchInfo {
  readonly id: string
  readonly spec: Scenario['routes'][number]['fetches'][number]
  readonly perPath: boolean
  /** Its keys are base .. base + keys - 1 (one, or one per path index). */
  readonly keys: number
  readonly base: number
  readonly latencyUs: number
  /** The fetch's stream: one draw per origin call (its failures). */
  readonly rng: AleaRng
}

export interface DataCache {
  readonly fetches: readonly FetchInfo[]
  /** 'use cache' functions' entries, apart from the Data Cache (use-cache.ts, §12.5). */
  readonly useCache: UseCacheStore
  /** Keys over all fetch ids; a cache's entries are slots cache × keys + key. */
  readonly keys: number
  /** Per route, its fetches (indexes into `fetches`). */
  readonly routeFetches: readonly Int32Array[]
  /** The most fetches of any route: per-route tables are maxF apart. */
  readonly maxF: number
  /** Per route and fetch (route × maxF + i): the fetch's first key, and 1 when it has one key per path. */
  readonly keyBase: Int32Array
  readonly perPath: Uint8Array
  /** Per (cache, key) slot, cache × keys + key: its entry (fetch-cache-rows.ts). */
  readonly rows: FetchCacheRows
  /** The render being prepared (read() fills them): when it read fetch i of its route's data, µs. */
  readonly readAt: Float64Array
  /** ... and its longest foreground origin call, µs (its fetches run in parallel). */
  waitUs: number
  /**
   * The data a render reads (§5.3), for path p (global index; -1 for a one-off unknown path)
   * on instance inst. In an ISR render (`isr`) a stale entry is refetched in the foreground;
   * in a dynamic render it is served stale and refreshed in the background, once per render
   * (no de-duplication across requests). `bypass`: an on-demand revalidation, which skips the
   * cache. A failed foreground call does not fail the render (§3.5).
   */
  read(route: ResolvedRoute, p: number, inst: number, isr: boolean, bypass: boolean): void
  /** The render being prepared waits for a worker and starts at render.startUs: the data it reads from the origin now is read then. */
  delayReads(render: { readonly startUs: number }): void
  /** The keys a data change reaches: every key of a fetch or of a literal tag; for a templated tag, the fetches whose key k it picks. */
  keysOfChange(c: Scenario['dataChanges'][number]): { readonly literal: number[]; readonly templatedFetches: number[] }
  /** The index in `fetches` of the fetch a global key belongs to. */
  fetchOfKey(key: number): number
  /** A global key as its fetch id and key. */
  nameOfKey(key: number): { readonly fetch: string; readonly key: number }
  /** Per fetch id: origin calls after warmup, how many keys, and whether the Data Cache keeps it (in an ISR render). */
  stats(): Record<string, { readonly originFetches: number; readonly keys: number; readonly cached: boolean }>
  /**
   * A new build goes live at atUs (a deploy): the Data Cache is the new build's fetch cache,
   * what its prerender fetched (nothing with `prerender` false), written and read at atUs; the
   * old build's origin calls still on their way are not stored.
   */
  rebuild(atUs: number, prerender: boolean): void
  /** Write every origin call completed by now (they are otherwise written when a render next reads their fetch). */
  settleAll(): void
}

/** Whether a fetch has one URL (and Data Cache key) per path: `perPath`, by default when a tag has a {param}. */
/**
 * Whether the build's prerender of the route runs its fetches (and so seeds the Data Cache with
 * their keys, §11.3): a static route with prebuilt paths, or a route made dynamic only by a
 * layout's request API, which the build still prerenders until the layout bails out, its
 * page's fetches having run by then (observed against next start 16.4.6: finding F7).
 */
export function buildFetchesFor(r: RouteConfig, route: ResolvedRoute): boolean {
  const layoutOnlyDynamic = route.isDynamic && !r.dynamic && r.revalidateS !== 0 && r.layouts.some((l) => l.dynamic) && !r.fetches.some((f) => f.revalidateS === 0)
  return !(route.isDynamic && !layoutOnlyDynamic) && route.prebuilt > 0
}

export function isPerPathFetch(f: { readonly perPath?: boolean | undefined; readonly tags: readonly string[] }): boolean {
  return f.perPath ?? f.tags.some((t) => t.includes('{'))
}

/**
 * How long a fetch's Data Cache entry stays fresh, µs: its own revalidate, or without one the
 * route's (an ISR route), else forever; `false` is stored as one year (§5.3).
 */
export function fetchRevalidateUs(spec: { readonly revalidateS?: number | false | undefined }, route: ResolvedRoute): number {
  const routeRevalUs = route.revalidateUs > 0 && route.revalidateUs !== Infinity ? route.revalidateUs : ONE_YEAR_US
  return spec.revalidateS === undefined ? routeRevalUs : spec.revalidateS === false ? ONE_YEAR_US : secToUs(spec.revalidateS)
}

export function createDataCache(
  s: Scenario, routes: readonly ResolvedRoute[], profile: VersionProfile, caches: number, sharedCache: boolean, streams: Streams,
  manifest: TagsManifest, clock: Float64Array, buildAtUs: number, warmupUs: number, durationUs: number, trace: ((e: TraceEvent) => void) | null,
  lazy: boolean,
): DataCache {
  const index = new Map<string, number>()
  const fetches: (Omit<FetchInfo, 'keys' | 'base'> & { keys: number; base: number })[] = []
  for (const r of s.routes) {
    for (const f of r.fetches) {
      const perPath = isPerPathFetch(f)
      const count = r.params?.count ?? 1
      const i = index.get(f.id)
      if (i === undefined) {
        index.set(f.id, fetches.length)
        fetches.push({ id: f.id, spec: f, perPath, keys: perPath ? count : 1, base: 0, latencyUs: secToUs(f.latencyS), rng: streams.claim('fetch', f.id) })
      } else if (perPath) fetches[i]!.keys = Math.max(fetches[i]!.keys, count)
    }
  }
  let keys = 0
  for (const f of fetches) { f.base = keys; keys += f.keys }
  const routeFetches = s.routes.map((r) => Int32Array.from(r.fetches.map((f) => index.get(f.id)!)))
  const maxF = Math.max(1, ...s.routes.map((r) => r.fetches.length))
  /**
   * Origin calls on their way back, per fetch id: [completion µs, row] in call order. A
   * fetch id has one latency, so its calls complete in the order they were made, and the
   * only reader of its entries is a render (read), which runs as a request, after every
   * other event at the same µs. So a completed call is written when the next render reads
   * the fetch (settle), with the same result as an event at its completion time, and costs
   * no event.
   */
  const inFlight = fetches.map(() => ({ atUs: new Float64Array(16), row: new Int32Array(16), head: 0, size: 0 }))
  const originFetches = new Float64Array(fetches.length)

  // `next build` ran the fetches of every prebuilt page and kept the results in
  // .next/cache/fetch-cache (§0, §5.3, §11.3): the Data Cache starts warm for them. Per fetch,
  // how many of its keys from the first (the union over the routes that make it).
  const seeded = new Int32Array(fetches.length)
  s.routes.forEach((r, ri) => {
    const route = routes[ri]!
    if (!buildFetchesFor(r, route)) return
    for (const f of r.fetches) {
      const info = fetches[index.get(f.id)!]!
      if (isUseCacheKind(f.kind)) continue // §12.5: the build's 'use cache' entries stay in its workers' memory
      // The build's prerender is not a dynamic render; an unstable_cache function is always
      // cached (§13); getStaticProps has no Data Cache (§14.9).
      if (!isUnstableCache(f) && (r.router === 'pages' || !isDataCached(profile, f, false))) continue
      const fi = index.get(f.id)!
      seeded[fi] = Math.max(seeded[fi]!, info.perPath ? Math.min(route.prebuilt, info.keys) : 1)
    }
  })
  // §8.2: with the Redis handler a fetch() is not cached at all (observed: no fetch key written
  // at run time, the build's copied ones never read; one origin call per render and fetch).
  const seedsBuild = !(sharedCache && s.deployment?.cacheHandler === 'fortedigital-redis')
  const bases = Int32Array.from(fetches, (f) => f.base)
  const rows = createFetchCacheRows(caches, keys, bases, seeded, seedsBuild ? buildAtUs : null, lazy)

  const realTemplateIndexes = (id: string, t: string, tag: string) => realTemplateIndexesIn(s, id, t, tag)
  const nTags = manifest.names.length
  const tagIgnored = tagIgnoredOf(s, fetches.map((f) => f.spec), manifest.names)

  /** Per route and fetch: 1 if the Data Cache keeps its entries, and their revalidate, µs; 1 for an unstable_cache function. */
  const keyBase = new Int32Array(routes.length * maxF)
  const perPath = new Uint8Array(routes.length * maxF)
  const cacheable = new Uint8Array(routes.length * maxF)
  const unstable = new Uint8Array(routes.length * maxF)
  const revalUs = new Float64Array(routes.length * maxF)
  // Pages Router routes: fetch() is not cached, and a stale unstable_cache entry is recomputed
  // in the foreground of every render (no request store, §14.9).
  const pagesRoute = Uint8Array.from(s.routes, (r) => (r.router === 'pages' ? 1 : 0))
  routeFetches.forEach((fs, ri) => fs.forEach((fi, i) => {
    const f = fetches[fi]!, spec = f.spec, route = routes[ri]!
    keyBase[ri * maxF + i] = f.base
    perPath[ri * maxF + i] = f.perPath ? 1 : 0
    if (isUnstableCache(spec)) {
      // §13.1: cached in every render on every version, with its own revalidate or one year.
      unstable[ri * maxF + i] = 1
      cacheable[ri * maxF + i] = 1
      revalUs[ri * maxF + i] = unstableCacheRevalidateUs(spec)
      return
    }
    cacheable[ri * maxF + i] = seedsBuild && pagesRoute[ri] === 0 && isDataCached(profile, spec, route.isDynamic) ? 1 : 0
    revalUs[ri * maxF + i] = fetchRevalidateUs(spec, route)
  }))

  const readAt = new Float64Array(maxF)
  // §12.5: 'use cache' functions read their own store.
  const useCache = createUseCacheStore(s, profile, fetches, maxF, keys, manifest, clock, warmupUs, originFetches, trace, lazy)

  /** One origin call for fetch key `key` at row `row` (rows.rowOf); its entry is written when it completes. */
  function originCall(fi: number, row: number, key: number, inst: number, mode: 'foreground' | 'background', store: boolean): boolean {
    const f = fetches[fi]!
    const now = clock[0]!
    if (now >= warmupUs) originFetches[fi] = originFetches[fi]! + 1
    const ok = (f.rng.nextInt32() >>> 0) * UINT32_SCALE >= f.spec.failureRate // one draw per origin call (= next(), unboxed)
    if (trace !== null) trace({ kind: 'fetch', atUs: now, fetch: f.id, key, mode, ok, instance: inst })
    // Only successful (HTTP 200) responses are cached (§5.3).
    if (ok && store && now + f.latencyUs < durationUs) {
      if (inFlight[fi]!.size === inFlight[fi]!.atUs.length) grow(fi)
      const q = inFlight[fi]!
      const j = (q.head + q.size) & (q.atUs.length - 1)
      q.atUs[j] = now + f.latencyUs
      q.row[j] = row
      q.size++
    }
    return ok
  }

  /** Write the entries of fetch fi's origin calls that have completed by now (see inFlight). */
  function settle(fi: number): void {
    const q = inFlight[fi]!
    const now = clock[0]!
    const latencyUs = fetches[fi]!.latencyUs
    while (q.size > 0 && q.atUs[q.head]! <= now) {
      const row = q.row[q.head]!
      rows.has[row] = 1
      rows.lastModUs[row] = q.atUs[q.head]!
      rows.dataAtUs[row] = q.atUs[q.head]! - latencyUs
      q.head = (q.head + 1) & (q.atUs.length - 1)
      q.size--
    }
  }

  /** Double fetch fi's ring of calls in flight (a power of two), keeping their order. */
  function grow(fi: number): void {
    const q = inFlight[fi]!
    const n = q.atUs.length
    const atUs = new Float64Array(2 * n), row = new Int32Array(2 * n)
    for (let k = 0; k < q.size; k++) {
      atUs[k] = q.atUs[(q.head + k) & (n - 1)]!
      row[k] = q.row[(q.head + k) & (n - 1)]!
    }
    inFlight[fi] = { atUs, row, head: 0, size: q.size }
  }

  const self: DataCache = {
    fetches, keys, routeFetches, maxF, keyBase, perPath, rows, readAt, useCache,
    waitUs: 0,
    read(route, p, inst, isr, bypass) {
      self.waitUs = 0
      const ri = route.index
      const fs = routeFetches[ri]!
      if (fs.length === 0) return
      const now = clock[0]!
      const cache = sharedCache ? 0 : inst
      for (let i = 0; i < fs.length; i++) {
        const fi = fs[i]!
        const j = ri * maxF + i
        const key = perPath[j] === 1 ? (p < 0 ? -1 : p - route.firstPath) : 0
        const slot = cache * keys + keyBase[j]! + key
        if (useCache.isUseCache[j] === 1) {
          const waitUs = useCache.read(j, fi, key, p, inst, isr, bypass, tagIgnored, fi * nTags)
          readAt[i] = useCache.readAtUs
          if (waitUs > self.waitUs) self.waitUs = waitUs
          continue
        }
        settle(fi)
        let foreground = true
        // A one-off path's key (-1) is a new URL: no entry, and no data time anyone reads (freshness skips it).
        const row = key < 0 ? -1 : rows.rowOf(slot)
        readAt[i] = row < 0 ? NaN : rows.dataAtUs[row]!
        if (cacheable[j] === 1 && row >= 0 && !bypass && rows.has[row] === 1) {
          // The entry's own tags and the page's implicit (soft) tags (§4.3), as of its write.
          const tags = p < 0 ? TAGS_NONE : manifest.check(inst, p, tagIgnored, fi * nTags, rows.lastModUs, row)
          if (tags !== TAGS_EXPIRED) {
            const stale = now - rows.lastModUs[row]! > revalUs[j]! || tags === TAGS_STALE
            if (!stale) foreground = false
            else if (unstable[j] === 1 ? pagesRoute[ri] === 0 && !awaitsUnstableCacheRefresh(profile, isr) : !isr) {
              // A dynamic render gets the stale data now and refreshes it in the background;
              // so does a 14 regeneration of an unstable_cache entry (the one-cycle lag, §13.2).
              originCall(fi, row, key, inst, 'background', true)
              foreground = false
            }
          }
        }
        if (foreground) {
          // An HTTP error is not a render failure: the page renders and is cached, the Data
          // Cache keeps its old entry (only 200s are stored), and the page has no new data (§3.5).
          if (originCall(fi, row, key, inst, 'foreground', cacheable[j] === 1 && key >= 0)) readAt[i] = now // read as the render starts
          if (fetches[fi]!.latencyUs > self.waitUs) self.waitUs = fetches[fi]!.latencyUs
        }
      }
    },
    delayReads(render) {
      const now = clock[0]!
      if (render.startUs > now) for (let i = 0; i < maxF; i++) if (readAt[i] === now) readAt[i] = render.startUs
    },
    keysOfChange(c) {
      const literal: number[] = []
      const templatedFetches: number[] = []
      fetches.forEach((f, fi) => {
        if (c.fetch !== undefined) { if (f.id === c.fetch) for (let k = 0; k < f.keys; k++) literal.push(f.base + k); return }
        for (const t of f.spec.tags) {
          if (c.tag!.includes('{')) { if (t === c.tag) templatedFetches.push(fi) }
          else if (t === c.tag) { for (let k = 0; k < f.keys; k++) literal.push(f.base + k) }
          else if (t.includes('{')) {
            const real = realTemplateIndexes(f.id, t, c.tag!)
            if (real.length > 0) { for (const k of real) if (k < f.keys) literal.push(f.base + k) }
            else { const k = templateIndexOf(t, c.tag!, f.keys); if (k !== undefined) literal.push(f.base + k) }
          }
        }
      })
      return { literal, templatedFetches }
    },
    fetchOfKey: (key) => fetchOfKey(bases, key),
    nameOfKey(key) {
      const f = fetches[fetchOfKey(bases, key)]!
      return { fetch: f.id, key: key - f.base }
    },
    stats() {
      const out: Record<string, { originFetches: number; keys: number; cached: boolean }> = {}
      fetches.forEach((f, i) => {
        // A plain fetch that only Pages routes make is never cached (§14.9).
        const inApp = s.routes.some((r) => r.router !== 'pages' && r.fetches.some((x) => x.id === f.id))
        out[f.id] = { originFetches: originFetches[i]!, keys: f.keys, cached: isUseCacheKind(f.spec.kind) || isUnstableCache(f.spec) || (inApp && isDataCached(profile, f.spec, false)) }
      })
      return out
    },
    settleAll() {
      for (let fi = 0; fi < fetches.length; fi++) settle(fi)
    },
    rebuild(atUs, prerender) {
      useCache.rebuild()
      for (const q of inFlight) { q.head = 0; q.size = 0 }
      rows.rebuild(atUs, prerender && seedsBuild)
    },
  }
  return self
}

/**
 * The path indexes k whose real URL fills template t to give `tag`, over the routes with real
 * param values (params.paths) that make fetch `id`; empty when no such route has real paths.
 */
function realTemplateIndexesIn(s: Scenario, id: string, t: string, tag: string): number[] {
  if (!t.includes('{')) return []
  const out = new Set<number>()
  for (const r of s.routes) {
    if ((r.params?.paths?.length ?? 0) === 0 || !r.fetches.some((f) => f.id === id)) continue
    for (const k of templateIndexesIn(t, tag, r)) out.add(k)
  }
  return [...out]
}

/**
 * Per (fetch, tag id), at fi × names.length + id: 1 when the tag does not apply to the fetch's
 * entries: another fetch's own tag (the page's implicit _N_T_ tags and the fetch's own tags apply, §4.1).
 */
export function tagIgnoredOf(s: Scenario, fetches: readonly { readonly id: string; readonly tags: readonly string[] }[], names: readonly string[]): Uint8Array {
  const nTags = names.length
  const out = new Uint8Array(fetches.length * nTags)
  names.forEach((tag, id) => {
    if (tag.startsWith(IMPLICIT_TAG_PREFIX)) return
    fetches.forEach((f, fi) => {
      if (!f.tags.some((t) => tagMatchesTemplate(t, tag) || realTemplateIndexesIn(s, f.id, t, tag).length > 0)) out[fi * nTags + id] = 1
    })
  })
  return out
}
