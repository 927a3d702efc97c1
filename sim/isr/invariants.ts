/**
 * End-of-run invariants of the ISR model (Caffeine's `finished()` checks): the model hands
 * its final state over once, after the last event (IsrModel.endState), and this checker
 * reads it. Nothing here runs per request; tests break a real end state on purpose to show
 * that each check can fail (test/invariants.test.ts).
 */
import { HISTOGRAM_BUCKETS } from '../kernel/histogram.ts'
import { BACKGROUND, BLOCKING, DYNAMIC_RENDER, OUTCOME_NAMES, RENDER_MODE_NAMES, type Metrics } from './metrics.ts'
import type { InvalidationCounts } from './stats.ts'
import type { FetchCacheRows } from './fetch-cache-rows.ts'

/** Why a render started. Every render has exactly one cause, which fixes its mode. */
export const CAUSE_COLD = 0, CAUSE_TIME = 1, CAUSE_EXPIRE = 2, CAUSE_TAG_STALE = 3, CAUSE_TAG_EXPIRED = 4, CAUSE_DYNAMIC = 5, CAUSE_ONE_OFF = 6
/** A Pages Router res.revalidate call (§14.5): its render runs beside the requests, as a background one. */
export const CAUSE_RES_REVALIDATE = 7
export const RENDER_CAUSES = 8
export const CAUSE_NAMES = ['no entry', 'stale by time', 'expired', 'stale tag', 'expired tag', 'dynamic route', 'one-off path', 'res.revalidate'] as const
/** The render mode each cause starts (RenderMode). */
const CAUSE_MODE = [BLOCKING, BACKGROUND, BLOCKING, BACKGROUND, BLOCKING, DYNAMIC_RENDER, BLOCKING, BACKGROUND] as const

/** Where each field of a per-path record sits in EndState.slots. */
export interface SlotLayout {
  readonly stride: number
  readonly lastModUs: number
  readonly contentAtUs: number
  readonly hasEntry: number
  /** The in-flight render's mode: 0 none, 1 background, 2 blocking, 3 a res.revalidate render (entries.ts FLIGHT_ON_DEMAND). */
  readonly inflight: number
  readonly inflightStartUs: number
  readonly inflightEndUs: number
  /** The process's cache control of the path (own slot), µs. */
  readonly revalidateUs: number
  readonly expireUs: number
}

export interface EndState {
  readonly nowUs: number
  readonly routes: readonly { readonly id: string; readonly firstPath: number; readonly count: number; readonly isDynamic: boolean }[]
  readonly instances: number
  /** Caches of entries: one per instance, or one shared. */
  readonly caches: number
  readonly totalPaths: number
  /**
   * The per-path records of every (instance, path) slot, `layout.stride` apart: entry fields
   * at entry slots (cache × totalPaths + path), in-flight fields at own slots (instance × totalPaths + path).
   */
  readonly slots: Float64Array
  /** Calls fn(slot, o) for each (instance, path) slot with a record, at offset o in `slots` (entries.ts: lazy slots with none hold defaults). */
  readonly eachSlot: (fn: (slot: number, o: number) => void) => void
  readonly layout: SlotLayout
  /** Per route, since t = 0: requests that arrived, and responses recorded. */
  readonly arrived: Float64Array
  readonly answered: Float64Array
  /** Cached-path renders started and finished since t = 0. */
  readonly cachedRendersStarted: number
  readonly cachedRendersDone: number
  /** Measured renders per route and cause (route × RENDER_CAUSES). */
  readonly rendersByCause: Float64Array
  /** Measured renders per route and mode, as the metrics counted them (route × 3). */
  readonly rendersByMode: Float64Array
  /** Measured responses per route and outcome (route × 6, OUTCOME_NAMES order). */
  readonly outcomes: Float64Array
  /** Measured responses per route that recorded an age (in the age histogram). */
  readonly aged: Float64Array
  /** Per on-demand event, then per data change, since t = 0. */
  readonly eventStats: readonly InvalidationCounts[]
  /** Renders a stale or expired tag caused, since t = 0. */
  readonly tagRendersSinceStart: number
  /** The Data Cache: per (cache, key) slot, whether it has an entry, when it was written, when its data was read. */
  readonly dataCache: { readonly keys: number; readonly rows: FetchCacheRows }
  /** Origin data versions; null when the scenario has no data changes. */
  readonly freshness: null | {
    /** Per key: the times its data changed, and those no response has reflected yet. */
    /** Per key a change reached (freshness.ts). */
    readonly changeTimes: ReadonlyMap<number, readonly number[]>
    readonly unreflected: ReadonlyMap<number, readonly number[]>
    /** Key k's index: its last change (j = 0) and oldest unreflected change (j = 1). */
    indexOf(k: number, j: 0 | 1): number
    /** Calls fn for every key that has an index or changes (lazy: those a change reached; eager: all). */
    eachKey(fn: (k: number) => void): void
    /** Per entry slot: when each of its fetches' data was read (maxF apart). */
    readonly pageData: Float64Array
    readonly maxF: number
    /** Per route: its number of fetches. */
    readonly fetchesOf: readonly number[]
  }
}

/** The model's parts an end state is read from, once, after the last event (cold). */
export interface EndStateParts {
  readonly routes: EndState['routes']
  readonly instances: number
  readonly caches: number
  readonly totalPaths: number
  readonly records: { readonly rec: Float64Array; eachRecord(fn: (slot: number, o: number) => void): void }
  readonly layout: SlotLayout
  readonly arrived: () => Float64Array
  readonly metrics: Metrics
  readonly ledger: RenderLedger
  readonly eventStats: () => readonly InvalidationCounts[]
  readonly dataCache: () => EndState['dataCache']
  readonly freshness: () => EndState['freshness']
}

/** The end state the checks read, from the model's parts and its metrics. */
export function endStateOf(p: EndStateParts, nowUs: number): EndState {
  const m = p.metrics
  return {
    nowUs, routes: p.routes, instances: p.instances, caches: p.caches, totalPaths: p.totalPaths, slots: p.records.rec, eachSlot: (fn) => p.records.eachRecord(fn), layout: p.layout,
    arrived: p.arrived(),
    answered: Float64Array.from(p.routes, (_r, i) => m.requestsSinceStartOf(i)),
    cachedRendersStarted: p.ledger.started,
    cachedRendersDone: p.ledger.finished,
    rendersByCause: p.ledger.byCause,
    rendersByMode: m.renders,
    outcomes: m.counts.map((n, i) => n - m.countsAtWarmup[i]!),
    aged: Float64Array.from(p.routes, (_r, i) => m.ageHist.subarray(i * HISTOGRAM_BUCKETS, (i + 1) * HISTOGRAM_BUCKETS).reduce((a, b) => a + b, 0)),
    eventStats: p.eventStats(),
    tagRendersSinceStart: p.ledger.tagCaused,
    dataCache: p.dataCache(),
    freshness: p.freshness(),
  }
}

/**
 * What the checks need that the metrics do not count, kept by the model as renders start and
 * finish: measured renders per route and cause (as the metrics count renders: from warmup, by
 * request time), and since t = 0 the cached renders started and finished and those a tag caused.
 */
export interface RenderLedger {
  /** route × RENDER_CAUSES. */
  readonly byCause: Float64Array
  started: number
  finished: number
  tagCaused: number
  /** A render of `route` starts now for `cause`; `cached`: it will write a cache entry (background or blocking). */
  count(route: number, cause: number, cached: boolean): void
}

export function createRenderLedger(routes: number, warmupUs: number, clock: Float64Array): RenderLedger {
  const byCause = new Float64Array(routes * RENDER_CAUSES)
  const ledger: RenderLedger = {
    byCause, started: 0, finished: 0, tagCaused: 0,
    count(route, cause, cached) {
      if (clock[0]! >= warmupUs) byCause[route * RENDER_CAUSES + cause] = byCause[route * RENDER_CAUSES + cause]! + 1
      if (!cached) return
      ledger.started++
      // Renders an invalidation caused: its stats may claim no more than these.
      if (cause === CAUSE_TAG_STALE || cause === CAUSE_TAG_EXPIRED || cause === CAUSE_RES_REVALIDATE) ledger.tagCaused++
    },
  }
  return ledger
}

/** At most this many violations are reported (one broken structure can break thousands of slots). */
const MAX_REPORTED = 20

/** Every broken invariant of an end state, each as "<invariant>: what"; empty when all hold. */
export function checkEndState(s: EndState): string[] {
  const out: string[] = []
  const fail = (m: string) => { if (out.length < MAX_REPORTED) out.push(m) }
  const L = s.layout
  const routeOf = (p: number) => s.routes.find((r) => p >= r.firstPath && p < r.firstPath + r.count)!
  const at = (p: number) => { const r = routeOf(p); return `route ${r.id} path #${p - r.firstPath}` }

  // Conservation: every arrival got exactly one outcome.
  s.routes.forEach((r, i) => {
    if (s.answered[i] !== s.arrived[i]) fail(`conservation: route ${r.id}: ${s.arrived[i]} requests arrived but ${s.answered[i]} outcomes were recorded`)
  })

  // At most one render in flight per (instance, path): the slot holds it, and every started render is either done or held.
  let held = 0
  s.eachSlot((slot, o) => {
    const p = slot % s.totalPaths, inst = Math.floor(slot / s.totalPaths)
    const f = s.slots[o + L.inflight]!
    if (f === 0) return
    held++
    const where = `${at(p)} on instance ${inst}`
    if (f !== 1 && f !== 2 && f !== 3) fail(`in flight: ${where}: unknown in-flight state ${f}`)
    if (routeOf(p).isDynamic) fail(`in flight: ${where}: a dynamic route holds a cached render`)
    if (!(s.slots[o + L.inflightStartUs]! <= s.slots[o + L.inflightEndUs]!)) fail(`in flight: ${where}: render ends (${s.slots[o + L.inflightEndUs]} µs) before it starts (${s.slots[o + L.inflightStartUs]} µs)`)
    if (s.slots[o + L.inflightEndUs]! < s.nowUs) fail(`in flight: ${where}: render ended at ${s.slots[o + L.inflightEndUs]} µs, before the end (${s.nowUs} µs), but was never written`)
  })
  if (s.cachedRendersStarted - s.cachedRendersDone !== held) fail(`in flight: ${s.cachedRendersStarted} cached renders started and ${s.cachedRendersDone} finished, but ${held} are held in flight (one per instance and path)`)

  // Render causes and modes: each render has one cause; each mode is the sum of its causes.
  s.routes.forEach((r, i) => {
    const causes = s.rendersByCause.subarray(i * RENDER_CAUSES, (i + 1) * RENDER_CAUSES)
    const byCause = causes.reduce((a, b) => a + b, 0)
    const byMode = s.rendersByMode[i * 3]! + s.rendersByMode[i * 3 + 1]! + s.rendersByMode[i * 3 + 2]!
    if (byCause !== byMode) fail(`render causes: route ${r.id}: ${byMode} renders, but ${byCause} have a cause (${CAUSE_NAMES.map((n, c) => `${n} ${causes[c]}`).join(', ')})`)
    for (let m = 0; m < 3; m++) {
      let fromCauses = 0
      for (let c = 0; c < RENDER_CAUSES; c++) if (CAUSE_MODE[c] === m) fromCauses += causes[c]!
      if (fromCauses !== s.rendersByMode[i * 3 + m]) fail(`render modes: route ${r.id}: ${s.rendersByMode[i * 3 + m]} ${RENDER_MODE_NAMES[m]} renders, but their causes (${CAUSE_NAMES.filter((_, c) => CAUSE_MODE[c] === m).join(', ')}) count ${fromCauses}`)
    }
  })
  let attributed = 0
  s.eventStats.forEach((v, e) => {
    const { entriesTouched: touched, rendersWithin1m: m1, rendersWithin1h: h1, rendersWithin1d: d1 } = v
    attributed += d1
    if (!(m1 <= h1 && h1 <= d1 && d1 <= touched)) fail(`render causes: invalidation #${e}: renders within 1 min ${m1}, 1 h ${h1}, 1 day ${d1} must grow and stay within the ${touched} entries it touched`)
  })
  if (attributed > s.tagRendersSinceStart) fail(`render causes: invalidations claim ${attributed} renders, but tags caused ${s.tagRendersSinceStart}`)

  // Ages: every response with content has an age >= 0 (a negative one would fall out of the histogram).
  s.routes.forEach((r, i) => {
    const o = s.outcomes.subarray(i * OUTCOME_NAMES.length, (i + 1) * OUTCOME_NAMES.length)
    const withContent = o[0]! + o[1]! + o[2]! + o[3]! // hit, stale, miss, dynamic
    if (s.aged[i] !== withContent) fail(`ages: route ${r.id}: ${withContent} responses served content, but ${s.aged[i]} recorded an age >= 0`)
  })
  const entrySlots = s.caches * s.totalPaths
  s.eachSlot((slot, o) => {
    if (slot >= entrySlots || s.slots[o + L.hasEntry] === 0) return
    const p = slot % s.totalPaths
    const lastMod = s.slots[o + L.lastModUs]!, content = s.slots[o + L.contentAtUs]!
    if (lastMod > s.nowUs) fail(`ages: ${at(p)}: lastModified ${lastMod} µs is in the future (now ${s.nowUs} µs)`)
    if (content > lastMod) fail(`ages: ${at(p)}: content (${content} µs) newer than its entry (${lastMod} µs)`)
  })

  // Data versions never go backwards: each key's changes only move forward, reflected ones
  // are a prefix of them, and no entry holds data read after it was written.
  // (A lazy slot with no row holds the build's seed, written and read at one time in the past.)
  const { keys, rows } = s.dataCache
  for (let j = 0; j < rows.rows(); j++) {
    if (rows.has[j] === 0) continue
    const slot = rows.slotOfRow(j)
    if (!(rows.dataAtUs[j]! <= rows.lastModUs[j]! && rows.lastModUs[j]! <= s.nowUs)) fail(`data versions: Data Cache key ${slot % keys} (cache ${Math.floor(slot / keys)}): data read at ${rows.dataAtUs[j]} µs, written at ${rows.lastModUs[j]} µs, now ${s.nowUs} µs`)
  }
  const fr = s.freshness
  if (fr !== null) {
    const none: readonly number[] = []
    fr.eachKey((k) => {
      const times = fr.changeTimes.get(k) ?? none
      for (let j = 1; j < times.length; j++) if (times[j]! < times[j - 1]!) { fail(`data versions: key ${k}: change ${j} at ${times[j]} µs is before change ${j - 1} at ${times[j - 1]} µs`); break }
      if (times.length > 0 && times[times.length - 1]! > s.nowUs) fail(`data versions: key ${k}: a change in the future (${times[times.length - 1]} µs)`)
      const q = fr.unreflected.get(k) ?? none
      const tail = times.slice(times.length - q.length)
      if (q.length > times.length || tail.some((t, j) => t !== q[j])) fail(`data versions: key ${k}: the unreflected changes [${q.slice(0, 5).join(', ')}] are not the latest of its changes`)
      const last = times.length > 0 ? times[times.length - 1]! : -Infinity
      const oldest = q.length > 0 ? q[0]! : Infinity
      if (fr.indexOf(k, 0) !== last || fr.indexOf(k, 1) !== oldest) fail(`data versions: key ${k}: index [${fr.indexOf(k, 0)}, ${fr.indexOf(k, 1)}] disagrees with its changes [last ${last}, oldest unreflected ${oldest}]`)
    })
    s.eachSlot((slot, o) => {
      if (slot >= entrySlots || s.slots[o + L.hasEntry] === 0) return
      const p = slot % s.totalPaths
      const n = fr.fetchesOf[s.routes.indexOf(routeOf(p))]!
      for (let i = 0; i < n; i++) {
        const d = fr.pageData[(o / L.stride) * fr.maxF + i]!
        if (d > s.slots[o + L.lastModUs]!) fail(`data versions: ${at(p)}: fetch ${i}'s data read at ${d} µs, after the entry was written (${s.slots[o + L.lastModUs]} µs)`)
      }
    })
  }
  return out
}
