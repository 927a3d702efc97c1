/**
 * Origin data changes and freshness ("Origin data changes and freshness" in
 * docs/semantics.md). Each page entry, and each render in flight, remembers when the data of
 * each of its fetches was read; a response is outdated when a key it read changed after that,
 * and a change is reflected by the first response whose data was read after it. Tracked only
 * when the scenario has data changes. Per route, the same lag counts the first response of
 * that route (what a live test sees per route: issue 18).
 */
import type { Freshness } from '../contract.ts'
import { grown } from '../kernel/grow.ts'
import { bucketOf, HISTOGRAM_BUCKETS, quantileOf } from '../kernel/histogram.ts'
import { SlotMap } from '../kernel/slot-map.ts'
import { US_PER_S } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { DataCache } from './data-cache.ts'
import { routeOfPath, SHIFT, type Entries, type ResolvedRoute } from './entries.ts'
import type { EndState } from './invariants.ts'
import type { OnDemandStats } from './stats.ts'

export interface FreshnessStats extends Omit<Freshness, 'outdatedServedFraction'> {
  /** Per route: responses whose page read data older than the newest origin data. */
  readonly outdatedByRoute: readonly number[]
  /** Per data change entry: occurrences, webhook calls, and the webhook's fan-out. */
  readonly changes: readonly (OnDemandStats & { readonly webhookCalls: number })[]
  /** Per route: its own data lag (each key change's first response of this route), null for a route no change reaches. */
  readonly lagByRoute: readonly (RouteLag | null)[]
}

/** A route's data lag: key changes one of its responses showed, and the lags' p50 and p95, seconds. */
export interface RouteLag {
  readonly dataLagReflected: number
  readonly dataLagP50S: number
  readonly dataLagP95S: number
}

/** The freshness summary's counts, since warmup. */
interface Lag {
  /** Changes reflected by a response, and their lags' sum and maximum, µs. */
  reflected: number
  sumUs: number
  maxUs: number
  /** Keys marked changed (a change reaching several keys counts each). */
  changes: number
}

export interface DataFreshness {
  /** Whether the scenario has data changes (else nothing here is kept or checked). */
  readonly tracks: boolean
  /**
   * Per entry record (entries.ts: the record index, the slot itself when eager), per fetch of its
   * route (data.maxF apart): when the entry's data was read, µs. Lazy records move it as they
   * grow: read it after taking the record.
   */
  pageData: Float64Array
  /** The same per own record, for the render in flight. */
  flightData: Float64Array
  /** Per data change: the keys it reaches (all of them), and the fetches whose key k a templated tag picks. */
  readonly changeKeys: readonly { readonly literal: readonly number[]; readonly templatedFetches: readonly number[] }[]
  /**
   * A response for path p (global; -1 for a one-off path, whose per-path data is a new URL)
   * of a route, whose page read fetch i's data at from[off + i]: counts it if outdated, and
   * reflects the changes it is the first to show.
   */
  check(route: ResolvedRoute, p: number, from: Float64Array, off: number): void
  /** Data change ci happens now, to its literal keys and key k of its templated fetches. */
  change(ci: number, k: number): void
  /** The render starting on own record d read the Data Cache's readAt. */
  startFlight(d: number): void
  /** The render on own record d wrote entry record ed: the entry now has its data. */
  commit(d: number, ed: number): void
  /** A build prerendered every prebuilt page now (a deploy): their data is read now. */
  prerendered(atUs: number): void
  /** Entry slot eslot's page read fetch i's data at atUs (a build reusing the fetch cache, build-reuse.ts). */
  setPageData(eslot: number, i: number, atUs: number): void
  /**
   * Whether the render on own record d that finished for path p changed the page at entry
   * record ed: an ISR write. A route that no data change reaches writes on every successful
   * regeneration, as without dataChanges (its output is not known to be the same); one that a
   * change reaches writes when its data versions differ from the entry's.
   */
  writes(route: ResolvedRoute, p: number, d: number, ed: number): boolean
  summary(): Omit<FreshnessStats, 'changes'>
  /** The data versions, for the end-of-run checks. */
  endState(): EndState['freshness']
}

export function createFreshness(s: Scenario, routes: readonly ResolvedRoute[], data: DataCache, entries: Entries, clock: Float64Array, buildAtUs: number, warmupUs: number): DataFreshness {
  const tracks = s.dataChanges.length > 0
  const { maxF, keyBase, perPath, routeFetches, readAt, fetches } = data
  const keys = data.keys
  const { caches, instances, totalPaths } = entries
  // Per record: every slot when eager; lazily, rows made with the records (a prebuilt entry's
  // data is the last prerender's, as the eager cells hold: implicitAtUs).
  const lazy = entries.lazy && tracks
  let pageData = new Float64Array(!tracks ? 0 : lazy ? 64 * maxF : caches * totalPaths * maxF)
  let flightData = new Float64Array(!tracks ? 0 : lazy ? 64 * maxF : instances * totalPaths * maxF)
  let implicitAtUs = buildAtUs
  /** Whether entry slot `slot` holds a prebuilt page of a route the build prerenders. */
  const prebuiltEntry = (slot: number) => {
    if (slot >= caches * totalPaths) return false
    const p = slot % totalPaths, r = routes[routeOfPath(routes, p)]!
    return !r.isDynamic && p - r.firstPath < r.prebuilt
  }
  if (lazy) {
    entries.onNewRecord((slot, d) => {
      if ((d + 1) * maxF > pageData.length) {
        pageData = grown(pageData, (d + 1) * maxF)
        flightData = grown(flightData, (d + 1) * maxF)
        self.pageData = pageData
        self.flightData = flightData
      }
      if (prebuiltEntry(slot)) pageData.fill(implicitAtUs, d * maxF, (d + 1) * maxF)
    })
  }
  /**
   * Per key, interleaved so that a response's check touches one cache line: [2k] when the
   * key's data last changed, [2k + 1] the oldest change no response has reflected yet
   * (unreflected[k][0], Infinity if none). Every response reads them; the queues behind
   * them are JS arrays, one pointer chase away, and are touched only when a change is
   * reflected.
   */
  let keyChange = new Float64Array(!tracks ? 0 : lazy ? 128 : 2 * keys)
  for (let k = 0; k < keyChange.length / 2; k++) { keyChange[2 * k] = -Infinity; keyChange[2 * k + 1] = Infinity }
  // With lazy records (tens of millions of per-path keys) the pair is kept at a row per key a
  // change reached; a key with none holds [-Infinity, Infinity].
  const keyRows = lazy ? new SlotMap() : null
  /** Key's row in keyChange (eager: the key), or -1 when lazy and no change reached it. */
  const rowOfKey = (key: number) => (keyRows === null ? key : keyRows.find(key))
  /** Key's row, made when a change first reaches it (mark() then sets both times). */
  function addKeyRow(key: number): number {
    if (keyRows === null) return key
    const r = keyRows.findOrAdd(key)
    if (2 * r + 2 > keyChange.length) keyChange = grown(keyChange, 2 * r + 2)
    return r
  }
  /**
   * Every change time of each key that changed, ascending (the data version a read at time d saw
   * is how many are <= d), and those no response has reflected yet. Only keys a change reached
   * have lists: a per-path fetch over 40M paths has 40M keys.
   */
  const changeTimes = new Map<number, number[]>()
  const unreflected = new Map<number, number[]>()
  const outdated = new Float64Array(routes.length)
  const lagHist = new Float64Array(HISTOGRAM_BUCKETS)
  /**
   * Per route: each (route, fetch i, key) pair has the oldest change no response of the route
   * has shown yet (routePending, Infinity if none) and its queue (routeQueues, made at a change:
   * changes are rare events). pairOff[route × maxF + i] is the pair of the fetch's first key.
   */
  const pairOff = new Int32Array(tracks ? routes.length * maxF : 0)
  const readersOf: number[][] = tracks ? fetches.map(() => []) : []
  let pairs = 0
  if (tracks) {
    routeFetches.forEach((fs, ri) => fs.forEach((fi, i) => {
      pairOff[ri * maxF + i] = pairs
      pairs += fetches[fi]!.keys
      readersOf[fi]!.push(ri * maxF + i)
    }))
  }
  // (Lazy: no array over every pair; a pair's oldest change is its queue's head.)
  const routePending = new Float64Array(lazy ? 0 : pairs).fill(Infinity)
  const routeQueues = new Map<number, number[]>()
  const pendingOf = (pair: number) => (lazy ? (routeQueues.get(pair)?.[0] ?? Infinity) : routePending[pair]!)
  const fetchOfKey = data.fetchOfKey
  const routeLagHist = new Float64Array(tracks ? routes.length * HISTOGRAM_BUCKETS : 0)
  const routeReflected = new Float64Array(routes.length)
  const lag: Lag = { reflected: 0, sumUs: 0, maxUs: 0, changes: 0 }
  /** The build read every prebuilt page's data at atUs (§11.3). */
  function prerendered(atUs: number): void {
    implicitAtUs = atUs
    if (lazy) { entries.eachRecord((slot, o) => { if (prebuiltEntry(slot)) pageData.fill(atUs, (o >>> SHIFT) * maxF, ((o >>> SHIFT) + 1) * maxF) }); return }
    for (const r of routes) {
      if (r.isDynamic) continue
      for (let c = 0; c < caches; c++) pageData.fill(atUs, (c * totalPaths + r.firstPath) * maxF, (c * totalPaths + r.firstPath + r.prebuilt) * maxF)
    }
  }
  if (tracks) prerendered(buildAtUs)
  const changeKeys = s.dataChanges.map((c) => data.keysOfChange(c))
  /** Per route: 1 when some data change reaches a key its fetches read (see writes()). */
  const routeDataChanges = new Uint8Array(routes.length)
  if (tracks) {
    // Per fetch, the first of its keys a change reaches (a templated tag's change: any of them).
    const firstReached = new Float64Array(fetches.length).fill(Infinity)
    for (const c of changeKeys) {
      for (const key of c.literal) { const fi = fetchOfKey(key); firstReached[fi] = Math.min(firstReached[fi]!, key - fetches[fi]!.base) }
      for (const fi of c.templatedFetches) if (fetches[fi]!.keys > 0) firstReached[fi] = 0
    }
    routeFetches.forEach((fs, ri) => fs.forEach((fi, i) => {
      const n = perPath[ri * maxF + i] === 1 ? routes[ri]!.count : 1
      if (firstReached[fi]! < n) routeDataChanges[ri] = 1
    }))
  }

  /** The response being recorded read key's data at arr[at]: the changes up to then are reflected now. */
  function reflect(key: number, row: number, arr: Float64Array, at: number): void {
    const d = arr[at]!
    const now = clock[0]!
    const q = unreflected.get(key)!
    while (q.length > 0 && q[0]! <= d) {
      const t = q.shift()!
      if (now < warmupUs) continue
      const lagUs = now - t
      const b = bucketOf(lagUs)
      lagHist[b] = lagHist[b]! + 1
      lag.reflected++
      lag.sumUs += lagUs
      if (lagUs > lag.maxUs) lag.maxUs = lagUs
    }
    keyChange[2 * row + 1] = q.length > 0 ? q[0]! : Infinity
  }

  /** Route ri showed pair's key with data read at arr[at]: the route's changes up to then are reflected now. */
  function reflectForRoute(ri: number, pair: number, arr: Float64Array, at: number): void {
    const d = arr[at]!
    const now = clock[0]!
    const q = routeQueues.get(pair)!
    while (q.length > 0 && q[0]! <= d) {
      const t = q.shift()!
      if (now < warmupUs) continue
      const b = ri * HISTOGRAM_BUCKETS + bucketOf(now - t)
      routeLagHist[b] = routeLagHist[b]! + 1
      routeReflected[ri] = routeReflected[ri]! + 1
    }
    if (!lazy) routePending[pair] = q.length > 0 ? q[0]! : Infinity
  }

  /** How many of the ascending `times` are <= at[i] (read here: a double argument would be boxed). */
  function versionAt(times: readonly number[], at: Float64Array, i: number): number {
    const t = at[i]!
    let lo = 0, hi = times.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (times[mid]! <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  function mark(key: number): void {
    const now = clock[0]!
    const row = addKeyRow(key)
    keyChange[2 * row] = now
    let times = changeTimes.get(key), q = unreflected.get(key)
    if (times === undefined || q === undefined) { changeTimes.set(key, (times = [])); unreflected.set(key, (q = [])) }
    times.push(now)
    if (q.push(now) === 1) keyChange[2 * row + 1] = now
    if (now >= warmupUs) lag.changes++
    // Every route that reads the key waits for its own first response showing it.
    const fi = fetchOfKey(key)
    for (const slot of readersOf[fi]!) {
      const pair = pairOff[slot]! + key - fetches[fi]!.base
      let q = routeQueues.get(pair)
      if (q === undefined) routeQueues.set(pair, (q = []))
      if (q.push(now) === 1 && !lazy) routePending[pair] = now
    }
  }

  const self: DataFreshness = {
    tracks, pageData, flightData, changeKeys,
    check(route, p, from, off) {
      const ri = route.index
      const n = routeFetches[ri]!.length
      let isOutdated = false
      for (let i = 0; i < n; i++) {
        const pp = perPath[ri * maxF + i] === 1
        if (pp && p < 0) continue // a one-off path reads its own, new URL
        const key = keyBase[ri * maxF + i]! + (pp ? p - route.firstPath : 0)
        const d = from[off + i]!
        const row = rowOfKey(key)
        if (row >= 0) {
          if (keyChange[2 * row]! > d) isOutdated = true
          if (keyChange[2 * row + 1]! <= d) reflect(key, row, from, off + i)
        }
        const pair = pairOff[ri * maxF + i]! + key - keyBase[ri * maxF + i]!
        if (pendingOf(pair) <= d) reflectForRoute(ri, pair, from, off + i)
      }
      if (isOutdated && clock[0]! >= warmupUs) outdated[ri] = outdated[ri]! + 1
    },
    change(ci, k) {
      const c = changeKeys[ci]!
      for (const key of c.literal) mark(key)
      for (const fi of c.templatedFetches) if (k < fetches[fi]!.keys) mark(fetches[fi]!.base + k)
    },
    startFlight(d) {
      for (let i = 0; i < maxF; i++) flightData[d * maxF + i] = readAt[i]!
    },
    commit(d, ed) {
      const from = d * maxF, to = ed * maxF
      for (let i = 0; i < maxF; i++) pageData[to + i] = flightData[from + i]!
    },
    prerendered,
    setPageData(eslot, i, atUs) {
      const ed = entries.off(eslot) >>> SHIFT
      pageData[ed * maxF + i] = atUs
    },
    writes(route, p, d, ed) {
      if (routeDataChanges[route.index] === 0) return true
      const ri = route.index
      const n = routeFetches[ri]!.length
      for (let i = 0; i < n; i++) {
        const times = changeTimes.get(keyBase[ri * maxF + i]! + (perPath[ri * maxF + i] === 1 ? p - route.firstPath : 0))
        if (times !== undefined && versionAt(times, pageData, ed * maxF + i) !== versionAt(times, flightData, d * maxF + i)) return true
      }
      return false
    },
    summary() {
      const us = (x: number) => Math.round(x) / US_PER_S
      return {
        dataChanges: lag.changes,
        reflected: lag.reflected,
        dataLagMeanS: lag.reflected > 0 ? us(lag.sumUs / lag.reflected) : 0,
        dataLagP50S: us(quantileOf(lagHist, 0, lag.reflected, 0.5)),
        dataLagP95S: us(quantileOf(lagHist, 0, lag.reflected, 0.95)),
        dataLagMaxS: us(lag.maxUs),
        outdatedByRoute: [...outdated],
        lagByRoute: routes.map((r) => {
          if (routeDataChanges[r.index] === 0) return null
          const n = routeReflected[r.index]!, off = r.index * HISTOGRAM_BUCKETS
          return { dataLagReflected: n, dataLagP50S: us(quantileOf(routeLagHist, off, n, 0.5)), dataLagP95S: us(quantileOf(routeLagHist, off, n, 0.95)) }
        }),
      }
    },
    endState() {
      if (!tracks) return null
      const indexOf = (k: number, j: 0 | 1) => { const r = rowOfKey(k); return r < 0 ? (j === 0 ? -Infinity : Infinity) : keyChange[2 * r + j]! }
      const eachKey = (fn: (k: number) => void) => {
        if (keyRows === null) { for (let k = 0; k < keys; k++) fn(k); return }
        for (let r = 0; r < keyRows.size; r++) fn(keyRows.keys[r]!)
        for (const k of changeTimes.keys()) if (keyRows.find(k) < 0) fn(k)
      }
      return { changeTimes, unreflected, indexOf, eachKey, pageData, maxF, fetchesOf: routeFetches.map((f) => f.length) }
    },
  }
  return self
}
