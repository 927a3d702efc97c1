/**
 * The per-path record: every (instance, path) slot's
 * full-route cache entry, cache control and render in flight, interleaved in one
 * Float64Array so that a request touches one 64-byte line (8 doubles). A request allocates
 * nothing: it reads and writes these typed arrays with the field offsets below.
 *
 * Slots: slot = instance × totalPaths + path (the own slot). Entry fields are read at the
 * entry slot, which is the own slot with local caches and the path itself (cache 0) with a
 * shared cache handler (§8); cache-control and in-flight fields always at the own slot.
 */
import { grown } from '../kernel/grow.ts'
import { SlotMap } from '../kernel/slot-map.ts'
import { US_PER_S } from '../kernel/time.ts'
import { routeOfPath, type ResolvedRoute } from './resolved-routes.ts'

export { resolveRoutes, routeOfPath, type ResolvedRoute } from './resolved-routes.ts'

/** The record's stride: 8 doubles, one cache line; a record's index is its offset >>> SHIFT. */
export const W = 8
export const SHIFT = 3
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

/** Above this many (instance, path) slots, records may be made on a slot's first use (lazy; record-bound.ts decides). */
export const LAZY_ABOVE_SLOTS = 1 << 20
let lazyOverride: boolean | null = null
/** Tests: every run keeps lazy records (true), eager ones (false), or as the model asks (null). Lazy and eager give the same bytes. */
export function useLazyEntries(on: boolean | null): void {
  lazyOverride = on
}
/** The tests' choice of useLazyEntries (null: none): the CDN's records follow it too. */
export function lazyRecordsOverride(): boolean | null {
  return lazyOverride
}
let observer: ((e: Entries) => void) | null = null
/** Tests: fn sees every Entries made (null: none), to read what a run's records hold. */
export function observeEntries(fn: ((e: Entries) => void) | null): void {
  observer = fn
}

/**
 * The per-(instance, path) records. Eager, a record per slot, visited or not, at offset
 * slot × W; or, when the model asks (record-bound.ts: more than LAZY_ABOVE_SLOTS slots, of
 * which the traffic can reach fewer than half), lazy: a slot gets a record the
 * first time anything reads or writes it (`off`), at the next free offset, filled with the
 * state the eager record would hold then (`fillUntouched`). Until then its state is implicit:
 * the live build's cache control, and its prerendered entry. What reaches every path (a
 * deploy, a restart, a purge, an invalidation's fan-out) walks only the records that exist,
 * plus the implicit entries (`eachCandidate`). Both give the same bytes (test/lazy-entries.test.ts).
 */
export class Entries {
  readonly instances: number
  readonly totalPaths: number
  readonly sharedCache: boolean
  /** Caches of entries: one per instance, or one shared. */
  readonly caches: number
  readonly lazy: boolean
  /**
   * The records, `W` doubles each, at `off(slot)`. Lazy mode replaces the array as it grows:
   * read it after taking the offsets a step needs, never across a call that may add a slot.
   */
  rec: Float64Array
  /**
   * Per record (offset / W), the render in flight: whether it will succeed (its failure is
   * drawn when it starts), and whether it was handed the previous entry (a failure then re-sets
   * that entry with the back-off, §3; a cold or tag-expired render has none). Read only when a
   * request joins a render or a render completes, so they live beside the record, not in its line.
   */
  flightOk: Uint8Array
  flightPrev: Uint8Array
  /** Whether the live build prerendered its params.prebuilt paths (a deploy with prerender: false did not). */
  prerendered = true
  /** Lazy records: per (cache, route), 1 when a purge dropped the live build's implicit entries (they hold none until the next deploy). */
  private implicitPurged: Uint8Array
  /**
   * deployment.cacheHandler "fortedigital-redis" (§8.2): per route, how long an entry's Redis key
   * lives after it was set (1.5 × revalidate; Infinity for revalidate false). Null otherwise.
   */
  readonly keyTtlUs: Float64Array | null
  /** The build's prerendered pages are in the shared cache (not with the Redis handler on 16.4, §8.2). */
  private readonly seedsBuild: boolean
  readonly routes: readonly ResolvedRoute[]
  /** Lazy records: called with (slot, record index) when a slot gets its record (per-record state kept elsewhere, stats.ts and freshness.ts, which implicit slots hold as a set). */
  private readonly newRecordListeners: ((slot: number, d: number) => void)[] = []
  private readonly buildAtUs: number
  /** When the live build went live, after a deploy; null for the first build (aged buildAtUs). */
  private liveAtUs: number | null = null
  /** Lazy mode: slot → record index. */
  private readonly dir: SlotMap | null

  constructor(routes: readonly ResolvedRoute[], instances: number, sharedCache: boolean, buildAtUs: number, handler?: CacheHandlerKind, lazy = false) {
    this.routes = routes
    this.buildAtUs = buildAtUs
    this.instances = instances
    this.sharedCache = sharedCache
    this.caches = sharedCache ? 1 : instances
    const redis = sharedCache && handler === 'fortedigital-redis'
    this.keyTtlUs = redis ? Float64Array.from(routes, (r) => redisKeyTtlUs(r.revalidateUs)) : null
    this.seedsBuild = !redis
    this.totalPaths = routes.reduce((n, r) => n + r.count, 0)
    const P = this.totalPaths
    this.lazy = lazyOverride ?? lazy
    const n = this.lazy ? 64 : instances * P
    this.dir = this.lazy ? new SlotMap() : null
    this.implicitPurged = new Uint8Array(this.lazy ? this.caches * routes.length : 0)
    this.rec = new Float64Array(n * W)
    this.flightOk = new Uint8Array(n)
    this.flightPrev = new Uint8Array(n)
    observer?.(this)
    if (this.lazy) return
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

  /** The record offset of an (instance, path) slot; lazy mode makes the record on first use. */
  off(slot: number): number {
    return this.dir === null ? slot * W : this.materialize(slot)
  }

  /** The record offset of a slot that has a record of its own, else -1 (lazy mode: never used yet). */
  find(slot: number): number {
    if (this.dir === null) return slot * W
    const d = this.dir.find(slot)
    return d < 0 ? -1 : d * W
  }

  /**
   * Like off(), but -1 for a lazy slot with no record and no entry: nothing an invalidation or
   * a purge can reach. A slot holding the live build's prerendered entry gets its record here.
   */
  offIfEntry(slot: number): number {
    if (this.dir === null) return slot * W
    const d = this.dir.find(slot)
    if (d >= 0) return d * W
    const p = this.pathOf(slot)
    const r = this.routes[routeOfPath(this.routes, p)]!
    return p - r.firstPath < this.implicitEntries(r, slot - p) ? this.materialize(slot) : -1
  }

  /** The slot of record index d (offset >>> SHIFT): an event's argument is the index, below 2^31 where slots need not be. */
  slotOfRecord(d: number): number {
    return this.dir === null ? d : this.dir.keys[d]!
  }

  /** Records held (lazy: the slots used so far; eager: every slot). */
  records(): number {
    return this.dir === null ? this.instances * this.totalPaths : this.dir.size
  }

  /** Lazy records: fn(slot, record index) runs when a slot gets its record. */
  onNewRecord(fn: (slot: number, d: number) => void): void {
    this.newRecordListeners.push(fn)
  }

  /** Bytes of per-slot state held. */
  bytes(): number {
    return this.rec.byteLength + 2 * this.flightOk.byteLength + (this.dir === null ? 0 : this.dir.bytes())
  }

  private materialize(slot: number): number {
    const dir = this.dir!
    const before = dir.size
    const d = dir.findOrAdd(slot)
    if (d === before) {
      if ((d + 1) * W > this.rec.length) this.growRecords()
      this.fillUntouched(d * W, slot)
      for (let i = 0; i < this.newRecordListeners.length; i++) this.newRecordListeners[i]!(slot, d)
    }
    return d * W
  }

  private growRecords(): void {
    this.rec = grown(this.rec, 0)
    this.flightOk = grown(this.flightOk, 0)
    this.flightPrev = grown(this.flightPrev, 0)
  }

  /** A new record (all zeros) at o takes the state an eager slot no request touched holds now. */
  private fillUntouched(o: number, slot: number): void {
    const p = this.pathOf(slot)
    const r = this.routes[routeOfPath(this.routes, p)]!
    if (r.isDynamic) return
    const built = this.prerendered && p - r.firstPath < r.prebuilt
    defaultCacheControl(this.rec, o, r, built)
    if (slot >= this.caches * this.totalPaths) return // an own slot only: its entry lives in cache 0 (§8)
    const atUs = this.liveAtUs ?? this.buildAtUs
    if (this.seedsBuild && built && this.implicitPurged[this.purgeIndex(r, slot - p)] === 0) this.rec[o + F_HAS_ENTRY] = 1
    if (this.liveAtUs !== null || (this.seedsBuild && built)) {
      this.rec[o + F_LAST_MOD] = atUs
      this.rec[o + F_CONTENT_AT] = atUs
    }
  }

  /**
   * Lazy records: calls fn(slot) for each slot base + p of route r that has a record, and returns
   * how many of its implicit entries (`implicitEntries`) have none: what eachCandidate reaches,
   * with the implicit ones counted instead of given records.
   */
  eachRecordOf(r: ResolvedRoute, base: number, fn: (slot: number) => void): number {
    const lo = base + r.firstPath, hi = lo + r.count, implicitHi = lo + this.implicitEntries(r, base)
    const keys = this.dir!.keys, n = this.dir!.size
    let recorded = 0
    for (let d = 0; d < n; d++) {
      const slot = keys[d]!
      if (slot < lo || slot >= hi) continue
      if (slot < implicitHi) recorded++
      fn(slot)
    }
    return implicitHi - lo - recorded
  }

  /** Paths of route r whose slot base + path may hold an entry no request touched (the live build's prerenders). */
  implicitEntries(r: ResolvedRoute, base: number): number {
    if (r.isDynamic || !this.seedsBuild || !this.prerendered || base >= this.caches * this.totalPaths) return 0
    return this.implicitPurged.length > 0 && this.implicitPurged[this.purgeIndex(r, base)] === 1 ? 0 : r.prebuilt
  }

  /**
   * Lazy records: a purge of every path of route r in cache base. Calls fn(slot) for each slot
   * of the route that has a record, and drops its implicit entries (those with none) until the
   * next deploy; returns how many of those it dropped.
   */
  purgeImplicit(r: ResolvedRoute, base: number, fn: (slot: number) => void): number {
    const n = this.eachRecordOf(r, base, fn)
    if (this.implicitEntries(r, base) > 0) this.implicitPurged[this.purgeIndex(r, base)] = 1
    return n
  }

  /** implicitPurged's cell of route r in the cache whose slots start at base. */
  private purgeIndex(r: ResolvedRoute, base: number): number {
    return (base / this.totalPaths) * this.routes.length + r.index
  }

  /**
   * Calls fn(slot) for each slot base + p of route r's paths p that may hold state an
   * invalidation or a purge reaches: every one when eager; when lazy, the live build's
   * prerendered paths and the slots that have a record. The order is unspecified.
   */
  eachCandidate(r: ResolvedRoute, base: number, fn: (slot: number) => void): void {
    const lo = base + r.firstPath, hi = lo + r.count
    if (this.dir === null) { for (let slot = lo; slot < hi; slot++) fn(slot); return }
    const implicitHi = lo + this.implicitEntries(r, base)
    for (let slot = lo; slot < implicitHi; slot++) fn(slot)
    const keys = this.dir.keys, n = this.dir.size
    for (let d = 0; d < n; d++) {
      const slot = keys[d]!
      if (slot >= implicitHi && slot < hi) fn(slot)
    }
  }

  /** Calls fn(slot, o) for every slot that has a record (eager: all, in slot order). */
  eachRecord(fn: (slot: number, o: number) => void): void {
    if (this.dir === null) {
      const n = this.instances * this.totalPaths
      for (let slot = 0; slot < n; slot++) fn(slot, slot * W)
      return
    }
    const keys = this.dir.keys, n = this.dir.size
    for (let d = 0; d < n; d++) fn(keys[d]!, d * W)
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
   * F2), a path that has an entry: its values as last written stay. (A lazy slot with no
   * record holds its default already.)
   */
  restartCacheControls(inst: number, routes: readonly ResolvedRoute[], keepWritten: boolean): void {
    const P = this.totalPaths
    const reset = (r: ResolvedRoute, p: number, o: number) => {
      if (keepWritten && this.rec[this.off(this.entryOf(inst * P + p, p)) + F_HAS_ENTRY] === 1) return
      defaultCacheControl(this.rec, o, r, this.prerendered && p - r.firstPath < r.prebuilt)
    }
    if (this.dir === null) {
      for (const r of routes) if (!r.isDynamic) for (let p = r.firstPath; p < r.firstPath + r.count; p++) reset(r, p, (inst * P + p) * W)
      return
    }
    const these = new Set(routes.map((r) => r.index))
    const keys = this.dir.keys, n = this.dir.size
    for (let d = 0; d < n; d++) {
      const slot = keys[d]!, p = this.pathOf(slot)
      if (this.instanceOf(slot, p) !== inst) continue
      const r = this.routes[routeOfPath(this.routes, p)]!
      if (these.has(r.index) && !r.isDynamic) reset(r, p, d * W)
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
    this.liveAtUs = atUs
    this.implicitPurged.fill(0)
    // §8.2: the new build's prerenders never reach Redis, so with the Redis handler a deploy
    // leaves the cache cold (a decision: see §8.2 on the old entries).
    const write = (r: ResolvedRoute, slot: number, o: number) => {
      const built = prerender && this.pathOf(slot) - r.firstPath < r.prebuilt
      defaultCacheControl(rec, o, r, built)
      if (slot >= this.caches * P) return
      rec[o + F_HAS_ENTRY] = this.seedsBuild && built ? 1 : 0
      rec[o + F_LAST_MOD] = atUs
      rec[o + F_CONTENT_AT] = atUs
    }
    if (this.dir === null) {
      for (const r of routes) {
        if (r.isDynamic) continue
        for (let inst = 0; inst < this.instances; inst++) for (let p = r.firstPath; p < r.firstPath + r.count; p++) write(r, inst * P + p, (inst * P + p) * W)
      }
      return
    }
    const keys = this.dir.keys, n = this.dir.size
    for (let d = 0; d < n; d++) {
      const slot = keys[d]!
      const r = this.routes[routeOfPath(this.routes, this.pathOf(slot))]!
      if (!r.isDynamic) write(r, slot, d * W)
    }
  }
}
