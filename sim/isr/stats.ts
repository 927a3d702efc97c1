/**
 * Invalidation statistics (§4): per on-demand call and per data change (its webhook's calls),
 * how often it fired, how many cached entries it reached, and how many of the renders it
 * caused came within a minute, an hour, a day. Cold path: plain objects, touched only when an
 * invalidation fires and when a render an invalidation caused starts.
 */
import type { Entries, ResolvedRoute } from './entries.ts'
import { F_HAS_ENTRY, routeOfPath, SHIFT } from './entries.ts'
import type { Target } from './tags.ts'
import { grown } from '../kernel/grow.ts'
import { US_PER_S } from '../kernel/time.ts'

/** The counts of one invalidation source (an on-demand call, or a data change's webhook), since t = 0. */
export interface InvalidationCounts {
  occurrences: number
  /** Cached entries reached, each counted once per firing. */
  entriesTouched: number
  /** Renders of touched entries that the invalidation caused, by delay after it. */
  rendersWithin1m: number
  rendersWithin1h: number
  rendersWithin1d: number
}

export type OnDemandStats = Readonly<InvalidationCounts>

/** The windows of an invalidation's renders. */
const MINUTE_US = 60 * US_PER_S, HOUR_US = 60 * MINUTE_US, DAY_US = 24 * HOUR_US
/** Firing times kept per on-demand call (reports mark them on the time axis). */
export const MAX_EVENT_TIMES = 1000

/** Counts a render an invalidation caused delayUs after it into the row's windows (counts[at], +1, +2: 1 min, 1 h, 1 day). */
export function countRenderWithin(counts: { [k: number]: number }, at: number, delayUs: number): void {
  if (delayUs <= MINUTE_US) counts[at]!++
  if (delayUs <= HOUR_US) counts[at + 1]!++
  if (delayUs <= DAY_US) counts[at + 2]!++
}

export interface InvalidationStats {
  /** One row per on-demand call, then one per data change. */
  readonly rows: readonly InvalidationCounts[]
  /** Row `row` fired at now (on-demand rows keep their first MAX_EVENT_TIMES firing times). */
  fired(row: number): void
  /**
   * Row `row`'s invalidation of tag ids reached, through `targets` (per tag id), the cached
   * entries of cache `cache` (entry slots cache × totalPaths + path): each is counted once, and
   * remembers the row and the time until a render of it is attributed. Returns how many.
   */
  fanOut(row: number, ids: readonly number[], targets: readonly (readonly Target[])[], routes: readonly ResolvedRoute[], cache: number): number
  /** A render of entry slot eslot that a tag caused starts now: count it against the invalidation that last reached the entry, once. */
  attribute(eslot: number): void
  /** The on-demand rows, with their firing times in seconds. */
  onDemand(): (OnDemandStats & { readonly atS: number[] })[]
}

/**
 * `onDemandRows` on-demand calls, then `changeRows` data changes; `tracked` when some tag is
 * tracked at all (else no entry can be reached and no per-entry state is kept).
 */
export function createInvalidationStats(onDemandRows: number, changeRows: number, entries: Entries, tracked: boolean, clock: Float64Array): InvalidationStats {
  const rows: InvalidationCounts[] = Array.from({ length: onDemandRows + changeRows }, () => ({ occurrences: 0, entriesTouched: 0, rendersWithin1m: 0, rendersWithin1h: 0, rendersWithin1d: 0 }))
  const timesUs = Array.from({ length: onDemandRows }, (): number[] => [])
  // Per entry record (entries.ts: its offset >>> SHIFT, the slot itself when eager): the row
  // that last reached it (-1: none since its last attributed render), when, and the firing
  // that did. Lazy records are made as they are used, so these grow with them.
  let lastTouch = new Int32Array(tracked ? (entries.lazy ? 64 : entries.caches * entries.totalPaths) : 0).fill(-1)
  let touchAtUs = new Float64Array(lastTouch.length)
  let touchStamp = new Float64Array(lastTouch.length)
  let serial = 0
  const within = new Float64Array(3)
  const grow = (d: number) => {
    lastTouch = grown(lastTouch, d + 1, -1)
    touchAtUs = grown(touchAtUs, d + 1)
    touchStamp = grown(touchStamp, d + 1)
  }
  // Lazy records: a fan-out over a whole route touches its implicit entries (the live build's
  // prerenders that have no record) as a set, without making a record for each. Per (cache,
  // route), keyed by the slot of its first path: [row, µs, stamp, paths covered from the first]
  // per such touch. A record made later takes the latest touch that covered its slot, as the
  // eager slot would hold.
  const implicitTouches = new Map<number, number[]>()
  const P = entries.totalPaths
  if (entries.lazy && tracked) {
    entries.onNewRecord((slot, d) => {
      const p = slot % P, base = slot - p
      if (base >= entries.caches * P) return
      const lo = base + entries.routes[routeOfPath(entries.routes, p)]!.firstPath
      const t = implicitTouches.get(lo)
      if (t === undefined) return
      for (let j = t.length - 4; j >= 0; j -= 4) {
        if (slot - lo >= t[j + 3]!) continue
        if (d >= touchStamp.length) grow(d)
        lastTouch[d] = t[j]!
        touchAtUs[d] = t[j + 1]!
        touchStamp[d] = t[j + 2]!
        return
      }
    })
  }
  /** Touches route r's implicit entries in cache base (lazy records) for this firing, once; returns how many. */
  const touchImplicit = (r: ResolvedRoute, base: number, implicit: number, row: number, now: number, stamp: number): number => {
    if (implicit === 0) return 0
    const lo = base + r.firstPath
    let t = implicitTouches.get(lo)
    if (t === undefined) implicitTouches.set(lo, (t = []))
    if (t.length > 0 && t[t.length - 2] === stamp) return 0
    t.push(row, now, stamp, entries.implicitEntries(r, base))
    return implicit
  }

  return {
    rows,
    fired(row) {
      rows[row]!.occurrences++
      if (row < onDemandRows && timesUs[row]!.length < MAX_EVENT_TIMES) timesUs[row]!.push(clock[0]!)
    },
    fanOut(row, ids, targets, routes, cache) {
      const now = clock[0]!
      const stamp = ++serial
      let touched = 0
      const touch = (slot: number) => {
        const o = entries.offIfEntry(slot)
        if (o < 0 || entries.rec[o + F_HAS_ENTRY] !== 1) return
        const d = o >>> SHIFT
        if (d >= touchStamp.length) grow(d)
        if (touchStamp[d] === stamp) return
        touchStamp[d] = stamp
        touched++
        lastTouch[d] = row
        touchAtUs[d] = now
      }
      const base = cache * entries.totalPaths
      for (const t of ids) {
        for (const target of targets[t]!) {
          const r = routes[target.route]!
          if (target.path !== 'all') touch(base + r.firstPath + target.path)
          else if (entries.lazy) {
            const implicit = entries.eachRecordOf(r, base, touch) // (touches the records first: `touched +=` would read touched before)
            touched += touchImplicit(r, base, implicit, row, now, stamp)
          }
          else entries.eachCandidate(r, base, touch)
        }
      }
      rows[row]!.entriesTouched += touched
      return touched
    },
    attribute(eslot) {
      const o = entries.find(eslot)
      const d = o >>> SHIFT
      if (o < 0 || d >= lastTouch.length) return
      const row = lastTouch[d]!
      if (row < 0) return
      lastTouch[d] = -1
      const delayUs = clock[0]! - touchAtUs[d]!
      const c = rows[row]!
      within[0] = 0; within[1] = 0; within[2] = 0
      countRenderWithin(within, 0, delayUs)
      c.rendersWithin1m += within[0]!
      c.rendersWithin1h += within[1]!
      c.rendersWithin1d += within[2]!
    },
    onDemand() {
      return rows.slice(0, onDemandRows).map((c, i) => ({ occurrences: c.occurrences, atS: timesUs[i]!.map((t) => t / US_PER_S), entriesTouched: c.entriesTouched, rendersWithin1m: c.rendersWithin1m, rendersWithin1h: c.rendersWithin1h, rendersWithin1d: c.rendersWithin1d }))
    },
  }
}
