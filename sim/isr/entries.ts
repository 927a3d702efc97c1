/**
 * The routes resolved to paths, and the per-path record: every (instance, path) slot's
 * full-route cache entry, cache control and render in flight, interleaved in one
 * Float64Array so that a request touches one 64-byte line (8 doubles). A request allocates
 * nothing: it reads and writes these typed arrays with the field offsets below.
 *
 * Slots: slot = instance × totalPaths + path (the own slot). Entry fields are read at the
 * entry slot, which is the own slot with local caches and the path itself (cache 0) with a
 * shared cache handler (§8); cache-control and in-flight fields always at the own slot.
 */
import type { Scenario } from '../scenario/schema.ts'
import { secToUs, US_PER_S } from '../kernel/time.ts'
import { effectiveRevalidate, type EffectiveRevalidate } from './revalidate.ts'

export interface ResolvedRoute {
  readonly index: number
  readonly id: string
  readonly pattern: string
  readonly effective: EffectiveRevalidate
  readonly isDynamic: boolean
  /** Route's revalidate in µs; Infinity = false. */
  readonly revalidateUs: number
  /** Route's expire in µs; Infinity when revalidate is false (no expire is set, §2). */
  readonly expireUs: number
  readonly count: number
  readonly prebuilt: number
  readonly dynamicParams: boolean
  /** Global index of the route's path 0: its paths are firstPath .. firstPath + count - 1. */
  readonly firstPath: number
}

export function resolveRoutes(s: Scenario): ResolvedRoute[] {
  let firstPath = 0
  return s.routes.map((r, index) => {
    const effective = effectiveRevalidate(r, s.next)
    const isDynamic = effective.revalidateS === 0
    const revalidateUs = effective.revalidateS === false ? Infinity : secToUs(effective.revalidateS)
    const count = r.params?.count ?? 1
    const out: ResolvedRoute = {
      index, id: r.id, pattern: r.pattern, effective, isDynamic, revalidateUs,
      expireUs: effective.revalidateS === false ? Infinity : secToUs(effective.expireS ?? s.next.expireTimeS),
      count, prebuilt: r.params?.prebuilt ?? count, dynamicParams: r.params?.dynamicParams ?? true,
      firstPath,
    }
    firstPath += count
    return out
  })
}

/** Route of a global path id (binary search over first paths; not on the hot path). */
export function routeOfPath(routes: readonly ResolvedRoute[], p: number): number {
  let lo = 0, hi = routes.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (routes[mid]!.firstPath <= p) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** The record's stride: 8 doubles, one cache line. */
export const W = 8
/** Entry: when it was last `set` (FSC lastModified: the end of a render, or a failure's re-set). */
export const F_LAST_MOD = 0
/** Entry: the start of the render that produced the served content, the page's data time. */
export const F_CONTENT_AT = 1
/**
 * Own slot: the path's cache control in this process, µs (SharedCacheControls: per instance
 * even with a shared cache handler; lowered by the back-off, §3; lost on restart).
 * Infinity = revalidate false.
 */
export const F_REVAL = 2
export const F_EXPIRE = 3
/** Own slot: the render in flight, its start (after any wait for a worker) and end, µs. */
export const F_FLIGHT_START = 4
export const F_FLIGHT_END = 5
/** Entry: 1 when the slot holds an entry, 0 when not. */
export const F_HAS_ENTRY = 6
/** Own slot: FLIGHT_NONE, FLIGHT_BACKGROUND, FLIGHT_BLOCKING or FLIGHT_ON_DEMAND. */
export const F_FLIGHT_MODE = 7
export const FLIGHT_NONE = 0, FLIGHT_BACKGROUND = 1, FLIGHT_BLOCKING = 2
/**
 * A Pages Router res.revalidate render (§14.5). It runs in its own batch, so a request
 * meanwhile is served the entry as it stands (HIT or STALE) and starts nothing; with no entry
 * yet it waits for that render (decide.ts).
 */
export const FLIGHT_ON_DEMAND = 3

/** The shared cache handlers whose rules differ from the file-system cache (deployment.cacheHandler, §8.2). */
export type CacheHandlerKind = 'fortedigital-redis'

/**
 * §8.2: the redis-strings handler sets each key to expire at lastModified + 1.5 × revalidate
 * (its default estimateExpireAge; a year as the stale age for revalidate false, so 1.5 years).
 */
export function redisKeyTtlUs(revalidateUs: number): number {
  return revalidateUs === Infinity ? Infinity : 1.5 * revalidateUs
}

/** The default revalidate of a path the prerender manifest does not list (§1.1). */
export const DEFAULT_REVALIDATE_US = US_PER_S

/**
 * Path p's default cache control at own-slot record offset o: the prerender manifest's
 * revalidate and expire for a prebuilt path, else the 1 s default and no expire (§1.1). What
 * a process starts with, and falls back to after a restart (§11.2).
 */
export function defaultCacheControl(rec: Float64Array, o: number, r: ResolvedRoute, prebuilt: boolean): void {
  rec[o + F_REVAL] = prebuilt ? r.revalidateUs : DEFAULT_REVALIDATE_US
  rec[o + F_EXPIRE] = prebuilt ? r.expireUs : Infinity
}

export class Entries {
  readonly instances: number
  readonly totalPaths: number
  readonly sharedCache: boolean
  /** Caches of entries: one per instance, or one shared. */
  readonly caches: number
  /** The records, `W` doubles per (instance, path) slot. */
  readonly rec: Float64Array
  /**
   * Per own slot, the render in flight: whether it will succeed (its failure is drawn when it
   * starts), and whether it was handed the previous entry (a failure then re-sets that entry
   * with the back-off, §3; a cold or tag-expired render has none). Read only when a request
   * joins a render or a render completes, so they live beside the record, not in its line.
   */
  readonly flightOk: Uint8Array
  readonly flightPrev: Uint8Array
  /** Whether the live build prerendered its params.prebuilt paths (a deploy with prerender: false did not). */
  prerendered = true
  /**
   * deployment.cacheHandler "fortedigital-redis" (§8.2): per route, how long an entry's Redis key
   * lives after it was set (1.5 × revalidate; Infinity for revalidate false). Null otherwise.
   */
  readonly keyTtlUs: Float64Array | null
  /** The build's prerendered pages are in the shared cache (not with the Redis handler on 16.4, §8.2). */
  private readonly seedsBuild: boolean

  constructor(routes: readonly ResolvedRoute[], instances: number, sharedCache: boolean, buildAtUs: number, handler?: CacheHandlerKind) {
    this.instances = instances
    this.sharedCache = sharedCache
    this.caches = sharedCache ? 1 : instances
    const redis = sharedCache && handler === 'fortedigital-redis'
    this.keyTtlUs = redis ? Float64Array.from(routes, (r) => redisKeyTtlUs(r.revalidateUs)) : null
    this.seedsBuild = !redis
    this.totalPaths = routes.reduce((n, r) => n + r.count, 0)
    const P = this.totalPaths
    this.rec = new Float64Array(instances * P * W)
    this.flightOk = new Uint8Array(instances * P)
    this.flightPrev = new Uint8Array(instances * P)
    const rec = this.rec
    for (const r of routes) {
      if (r.isDynamic) continue // a dynamic route caches nothing (§5.2)
      for (let inst = 0; inst < instances; inst++) {
        for (let p = r.firstPath; p < r.firstPath + r.count; p++) defaultCacheControl(rec, (inst * P + p) * W, r, p - r.firstPath < r.prebuilt)
      }
      // Aged from build time (§1.1): prebuilt entries carry the build's mtime.
      for (let c = 0; c < (this.seedsBuild ? this.caches : 0); c++) {
        for (let p = r.firstPath; p < r.firstPath + r.prebuilt; p++) {
          const o = (c * P + p) * W
          rec[o + F_HAS_ENTRY] = 1
          rec[o + F_LAST_MOD] = buildAtUs
          rec[o + F_CONTENT_AT] = buildAtUs
        }
      }
    }
  }

  /**
   * §8.2: the Redis key of the entry at record offset e expired (its TTL, set with the entry,
   * has run out): the handler's get finds nothing, so the entry is gone for every instance.
   * Called before the decision, only when keyTtlUs is set.
   */
  dropExpiredKey(e: number, routeIndex: number, nowUs: number): void {
    const rec = this.rec
    if (rec[e + F_HAS_ENTRY] === 1 && nowUs - rec[e + F_LAST_MOD]! >= this.keyTtlUs![routeIndex]!) rec[e + F_HAS_ENTRY] = 0
  }

  /** The path of an (instance, path) slot; with one instance, no division (an integer divide costs ~30 cycles). */
  pathOf(slot: number): number {
    return this.instances === 1 ? slot : slot % this.totalPaths
  }

  /** The instance of an (instance, path) slot whose path is p. */
  instanceOf(slot: number, p: number): number {
    return this.instances === 1 ? 0 : ((slot - p) / this.totalPaths) | 0
  }

  /** The entry slot an own slot of path p reads its entry from. */
  entryOf(slot: number, p: number): number {
    return this.sharedCache ? p : slot
  }

  /**
   * A restart of instance inst (§11.2): entries stay (on disk, or in the shared handler), the
   * process's cache controls do not. Every path falls back to its default cache control,
   * except, when `keepWritten` (the profile stores cache controls with the entry, finding
   * F2), a path that has an entry: its values as last written stay.
   */
  restartCacheControls(inst: number, routes: readonly ResolvedRoute[], keepWritten: boolean): void {
    const rec = this.rec, P = this.totalPaths
    for (const r of routes) {
      if (r.isDynamic) continue
      for (let p = r.firstPath; p < r.firstPath + r.count; p++) {
        if (keepWritten && rec[(this.entryOf(inst * P + p, p)) * W + F_HAS_ENTRY] === 1) continue
        defaultCacheControl(rec, (inst * P + p) * W, r, this.prerendered && p - r.firstPath < r.prebuilt)
      }
    }
  }

  /**
   * A new build goes live at atUs (a deploy): every process starts with the new prerender
   * manifest's cache controls, and every cache holds exactly the build's prerendered pages,
   * written and with data read at atUs (none with `prerender` false). In-flight renders are
   * the caller's (deploys.ts).
   */
  rebuild(routes: readonly ResolvedRoute[], atUs: number, prerender: boolean): void {
    const rec = this.rec, P = this.totalPaths
    this.prerendered = prerender
    for (const r of routes) {
      if (r.isDynamic) continue
      const built = prerender ? r.prebuilt : 0
      for (let inst = 0; inst < this.instances; inst++) {
        for (let p = r.firstPath; p < r.firstPath + r.count; p++) defaultCacheControl(rec, (inst * P + p) * W, r, p - r.firstPath < built)
      }
      // §8.2: the new build's prerenders never reach Redis, so with the Redis handler a deploy
      // leaves the cache cold (a decision: see §8.2 on the old entries).
      for (let c = 0; c < this.caches; c++) {
        for (let p = r.firstPath; p < r.firstPath + r.count; p++) {
          const o = (c * P + p) * W
          rec[o + F_HAS_ENTRY] = this.seedsBuild && p - r.firstPath < built ? 1 : 0
          rec[o + F_LAST_MOD] = atUs
          rec[o + F_CONTENT_AT] = atUs
        }
      }
    }
  }
}
