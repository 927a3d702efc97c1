/**
 * Origin data changes and freshness ("Origin data changes and freshness" in
 * docs/semantics.md). Each page entry, and each render in flight, remembers when the data of
 * each of its fetches was read; a response is outdated when a key it read changed after that,
 * and a change is reflected by the first response whose data was read after it. Tracked only
 * when the scenario has data changes. Per route, the same lag counts the first response of
 * that route (what a live test sees per route: issue 18).
 */
import type { Freshness } from '../contract.ts'
import { bucketOf, HISTOGRAM_BUCKETS, quantileOf } from '../kernel/histogram.ts'
import { US_PER_S } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { DataCache } from './data-cache.ts'
import type { Entries, ResolvedRoute } from './entries.ts'
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
  /** Per entry slot, per fetch of its route (data.maxF apart): when the entry's data was read, µs. */
  readonly pageData: Float64Array
  /** The same per own slot, for the render in flight. */
  readonly flightData: Float64Array
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
  /** The render starting on own slot `slot` read the Data Cache's readAt. */
  startFlight(slot: number): void
  /** The render on own slot `slot` wrote entry slot eslot: the entry now has its data. */
  commit(slot: number, eslot: number): void
  /**
   * Whether the render on own slot `slot` that finished for path p changed the page at entry
   * slot eslot: an ISR write. A route that no data change reaches writes on every successful
   * regeneration, as without dataChanges (its output is not known to be the same); one that a
   * change reaches writes when its data versions differ from the entry's.
   */
  writes(route: ResolvedRoute, p: number, slot: number, eslot: number): boolean
  summary(): Omit<FreshnessStats, 'changes'>
  /** The data versions, for the end-of-run checks. */
  endState(): EndState['freshness']
}

export function createFreshness(s: Scenario, routes: readonly ResolvedRoute[], data: DataCache, entries: Entries, clock: Float64Array, buildAtUs: number, warmupUs: number): DataFreshness {
  const tracks = s.dataChanges.length > 0
  const { maxF, keyBase, perPath, routeFetches, readAt, fetches } = data
  const keys = data.keys
  const { caches, instances, totalPaths } = entries
  const pageData = new Float64Array(tracks ? caches * totalPaths * maxF : 0)
  const flightData = new Float64Array(tracks ? instances * totalPaths * maxF : 0)
  /**
   * Per key, interleaved so that a response's check touches one cache line: [2k] when the
   * key's data last changed, [2k + 1] the oldest change no response has reflected yet
   * (unreflected[k][0], Infinity if none). Every response reads them; the queues behind
   * them are JS arrays, one pointer chase away, and are touched only when a change is
   * reflected.
   */
  const keyChange = new Float64Array(tracks ? 2 * keys : 0)
  for (let k = 0; k < keyChange.length / 2; k++) { keyChange[2 * k] = -Infinity; keyChange[2 * k + 1] = Infinity }
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
  const routePending = new Float64Array(pairs).fill(Infinity)
  const routeQueues = new Map<number, number[]>()
  const keyFetch = new Int32Array(tracks ? keys : 0)
  if (tracks) fetches.forEach((f, fi) => keyFetch.fill(fi, f.base, f.base + f.keys))
  const routeLagHist = new Float64Array(tracks ? routes.length * HISTOGRAM_BUCKETS : 0)
  const routeReflected = new Float64Array(routes.length)
  const lag: Lag = { reflected: 0, sumUs: 0, maxUs: 0, changes: 0 }
  if (tracks) {
    // The build read every prebuilt page's data (§11.3).
    for (const r of routes) {
      if (r.isDynamic) continue
      for (let c = 0; c < caches; c++) for (let p = r.firstPath; p < r.firstPath + r.prebuilt; p++) pageData.fill(buildAtUs, (c * totalPaths + p) * maxF, (c * totalPaths + p + 1) * maxF)
    }
  }
  const changeKeys = s.dataChanges.map((c) => data.keysOfChange(c))
  /** Per route: 1 when some data change reaches a key its fetches read (see writes()). */
  const routeDataChanges = new Uint8Array(routes.length)
  if (tracks) {
    const reached = new Uint8Array(keys)
    for (const c of changeKeys) {
      for (const key of c.literal) reached[key] = 1
      for (const fi of c.templatedFetches) reached.fill(1, fetches[fi]!.base, fetches[fi]!.base + fetches[fi]!.keys)
    }
    routeFetches.forEach((fs, ri) => fs.forEach((_, i) => {
      const base = keyBase[ri * maxF + i]!
      const n = perPath[ri * maxF + i] === 1 ? routes[ri]!.count : 1
      if (reached.subarray(base, base + n).includes(1)) routeDataChanges[ri] = 1
    }))
  }

  /** The response being recorded read key's data at arr[at]: the changes up to then are reflected now. */
  function reflect(key: number, arr: Float64Array, at: number): void {
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
    keyChange[2 * key + 1] = q.length > 0 ? q[0]! : Infinity
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
    routePending[pair] = q.length > 0 ? q[0]! : Infinity
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
    keyChange[2 * key] = now
    let times = changeTimes.get(key), q = unreflected.get(key)
    if (times === undefined || q === undefined) { changeTimes.set(key, (times = [])); unreflected.set(key, (q = [])) }
    times.push(now)
    if (q.push(now) === 1) keyChange[2 * key + 1] = now
    if (now >= warmupUs) lag.changes++
    // Every route that reads the key waits for its own first response showing it.
    const fi = keyFetch[key]!
    for (const slot of readersOf[fi]!) {
      const pair = pairOff[slot]! + key - fetches[fi]!.base
      let q = routeQueues.get(pair)
      if (q === undefined) routeQueues.set(pair, (q = []))
      if (q.push(now) === 1) routePending[pair] = now
    }
  }

  return {
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
        if (keyChange[2 * key]! > d) isOutdated = true
        if (keyChange[2 * key + 1]! <= d) reflect(key, from, off + i)
        const pair = pairOff[ri * maxF + i]! + key - keyBase[ri * maxF + i]!
        if (routePending[pair]! <= d) reflectForRoute(ri, pair, from, off + i)
      }
      if (isOutdated && clock[0]! >= warmupUs) outdated[ri] = outdated[ri]! + 1
    },
    change(ci, k) {
      const c = changeKeys[ci]!
      for (const key of c.literal) mark(key)
      for (const fi of c.templatedFetches) if (k < fetches[fi]!.keys) mark(fetches[fi]!.base + k)
    },
    startFlight(slot) {
      for (let i = 0; i < maxF; i++) flightData[slot * maxF + i] = readAt[i]!
    },
    commit(slot, eslot) {
      const from = slot * maxF, to = eslot * maxF
      for (let i = 0; i < maxF; i++) pageData[to + i] = flightData[from + i]!
    },
    writes(route, p, slot, eslot) {
      if (routeDataChanges[route.index] === 0) return true
      const ri = route.index
      const n = routeFetches[ri]!.length
      for (let i = 0; i < n; i++) {
        const times = changeTimes.get(keyBase[ri * maxF + i]! + (perPath[ri * maxF + i] === 1 ? p - route.firstPath : 0))
        if (times !== undefined && versionAt(times, pageData, eslot * maxF + i) !== versionAt(times, flightData, slot * maxF + i)) return true
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
      return tracks ? { changeTimes, unreflected, keyChange, pageData, maxF, fetchesOf: routeFetches.map((f) => f.length) } : null
    },
  }
}
