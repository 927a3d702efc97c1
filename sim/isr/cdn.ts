/**
 * The CDN layer in front of Next (deployment.cdn, §16): `pops` points of presence, each a
 * shared cache of its own that honours the Cache-Control Next answers with (§7): fresh for
 * s-maxage, then served stale while one background revalidation per PoP and path runs (like
 * nginx's `proxy_cache_use_stale updating` + `proxy_cache_background_update on`), until
 * s-maxage + stale-while-revalidate; after that, or with no entry, a miss that one request
 * per PoP and path forwards while the others wait for it (`proxy_cache_lock`). Uncacheable
 * answers (a dynamic route's `private, no-store`, a cached shell with dynamic holes, errors,
 * 404s, fallback shells) pass through and are misses.
 *
 * A request the CDN forwards is an ordinary request to Next (the model's onRequest): it is
 * what the routes' and totals' outcomes count. What users got at the edge is counted here
 * (cdn-metrics.ts). Per (PoP, path) state lives in one Float64Array: a request allocates nothing.
 */
import { InvariantError, ScenarioError } from '../kernel/errors.ts'
import { UINT32_SCALE, type Streams } from '../kernel/rng.ts'
import type { Scenario } from '../scenario/schema.ts'
import { CDN_FORWARDED, CDN_HIT, CDN_MISS, CDN_STALE, CdnMetrics, type CdnOutcome } from './cdn-metrics.ts'
import { grown } from '../kernel/grow.ts'
import { SlotMap } from '../kernel/slot-map.ts'
import * as Rec from './entries.ts'
import { lazyRecordsOverride, type Entries, type ResolvedRoute } from './entries.ts'
import * as Metric from './metrics.ts'
import type { Metrics } from './metrics.ts'
import { cdnLifetimeUs, type VersionProfile } from './profiles.ts'
import { wantsLazyCdnRecords } from './record-bound.ts'
import type { TraceEvent } from './trace.ts'

const { HIT, STALE, MISS, OBS_AGE, OBS_LATENCY } = Metric
const { F_REVAL, F_EXPIRE } = Rec

// The (PoP, path) record, CW doubles.
/** When the stored response arrived: its freshness counts from here (Next sends no Age). */
const C_STORED_AT = 0
/** The stored page's content time (the start of the render that produced it): users' age is now − this. */
const C_CONTENT_AT = 1
/** s-maxage, and s-maxage + stale-while-revalidate, µs after C_STORED_AT. */
const C_FRESH = 2
const C_USABLE = 3
const C_HAS = 4
/** The request forwarded for this (PoP, path) whose answer is not in yet: none, background or foreground. */
const C_PEND_MODE = 5
/** When its answer arrives, the answer's content time, s-maxage, usable time, and whether it is stored. */
const C_PEND_AT = 6
const C_PEND_CONTENT_AT = 7
const C_PEND_FRESH = 8
const C_PEND_USABLE = 9
const C_PEND_STORE = 10
export const CW = 12
const PEND_NONE = 0, PEND_BACKGROUND = 1, PEND_FOREGROUND = 2

/** The most (PoP, path) records a run keeps eagerly (12 doubles each: 384 MiB); lazy records (below) have no such cap. */
export const MAX_CDN_SLOTS = 4_194_304

/** The Next layer as the CDN sees it: the model's request handlers, and what Next answered last. */
export interface NextLayer {
  onRequest(route: ResolvedRoute, p: number): void
  onUnknown(route: ResolvedRoute): void
  /** [outcome, instance] of Next's last response (the model's respond() writes it); its age and wait are in metrics.obs. */
  readonly reply: Int32Array
  /** The crawler (its index in the route's traffic.crawlers) sending the request at hand, or -1: for the trace. */
  crawler(): number
}

export interface Cdn {
  onRequest(route: ResolvedRoute, p: number): void
  onUnknown(route: ResolvedRoute): void
  /**
   * For the end-of-run conservation check (invariants.ts), from the users' requests that
   * arrived per route: checks that each got one answer at the edge (else InvariantError),
   * and returns the requests that reached Next, which Next's outcomes must match.
   */
  reachedNext(arrived: Float64Array, nowUs: number): Float64Array
}

export function createCdn(s: Scenario, routes: readonly ResolvedRoute[], profile: VersionProfile, streams: Streams, metrics: Metrics, clock: Float64Array, entries: Entries, next: NextLayer, trace: ((e: TraceEvent) => void) | null): Cdn {
  const pops = s.deployment?.cdn?.pops ?? 1
  const P = entries.totalPaths
  // As Next's records (entries.ts, record-bound.ts): past LAZY_ABOVE_SLOTS (PoP, path) slots, when
  // the users' requests can reach fewer than half of them, a slot gets its record (all zeros: no
  // response stored, nothing pending) on its first request, through a slot map.
  const lazy = lazyRecordsOverride() ?? wantsLazyCdnRecords(s, routes, pops)
  const dir = lazy ? new SlotMap() : null
  if (!lazy && pops * P > MAX_CDN_SLOTS) {
    throw new ScenarioError([{ path: 'deployment.cdn.pops', received: pops, message: `${pops} PoPs × ${P} paths is ${pops * P} cached paths, more than the ${MAX_CDN_SLOTS} isrsim keeps; use fewer PoPs (each PoP sees the same traffic shape, so a few stand for many)` }])
  }
  let rec = new Float64Array((lazy ? 64 : pops * P) * CW)
  /** The record offset of (PoP, path) slot k; lazily made (and `rec` grown) on first use. */
  function recordOf(k: number): number {
    if (dir === null) return k * CW
    const d = dir.findOrAdd(k)
    if ((d + 1) * CW > rec.length) rec = grown(rec, 0)
    return d * CW
  }
  const obs = metrics.obs
  const reply = next.reply
  const m = new CdnMetrics(routes.length)
  metrics.cdn = m
  const mobs = m.obs
  // PoP per request: a uniform draw (users spread over PoPs independently, so each PoP sees a thinned Poisson stream).
  const popRng = pops > 1 ? streams.claim('balancer', 'cdn') : null
  /** Per route, 1 when Next can answer with a cacheable page: not dynamic, no per-request holes (§12.4). */
  const cacheable = Uint8Array.from(routes, (r) => (r.isDynamic || r.effective.holes !== undefined ? 0 : 1))
  /** The lifetime cdnLifetimeUs writes: [fresh, usable]. */
  const life = new Float64Array(2)

  function choosePop(): number {
    return popRng === null ? 0 : ((popRng.nextInt32() >>> 0) * pops * UINT32_SCALE) | 0
  }

  /** The answer of a forwarded request is in: store it (when cacheable) and clear the pending mark. */
  function commit(c: number): void {
    if (rec[c + C_PEND_STORE] === 1) {
      rec[c + C_HAS] = 1
      rec[c + C_STORED_AT] = rec[c + C_PEND_AT]!
      rec[c + C_CONTENT_AT] = rec[c + C_PEND_CONTENT_AT]!
      rec[c + C_FRESH] = rec[c + C_PEND_FRESH]!
      rec[c + C_USABLE] = rec[c + C_PEND_USABLE]!
    }
    rec[c + C_PEND_MODE] = PEND_NONE
  }

  /**
   * Forward the request to Next (path p; -1 for a one-off path) and note the answer as pending
   * at c (the record; -1: not kept). Next's answer is known at once (the model is synchronous):
   * its outcome, instance, age and wait. A page it answers with HIT or STALE carries that
   * path's cache control in the instance (lowered after a failed regeneration, §3); a MISS
   * carries the route's, which its render set.
   */
  function forward(route: ResolvedRoute, p: number, c: number, mode: typeof PEND_BACKGROUND | typeof PEND_FOREGROUND): void {
    m.forwarded(route.index)
    if (m.crawler === 1) metrics.crawlerRequests[route.index] = metrics.crawlerRequests[route.index]! + 1
    if (p < 0) { next.onUnknown(route); return }
    next.onRequest(route, p)
    if (c < 0) return
    const outcome = reply[0]!
    const store = cacheable[route.index] === 1 && (outcome === HIT || outcome === STALE || outcome === MISS)
    const nowUs = clock[0]!
    const atUs = nowUs + obs[OBS_LATENCY]!
    if (store) {
      if (outcome === MISS) cdnLifetimeUs(profile, route.revalidateUs, route.expireUs, life, 0)
      else {
        const o = entries.off(reply[1]! * P + p)
        cdnLifetimeUs(profile, entries.rec[o + F_REVAL]!, entries.rec[o + F_EXPIRE]!, life, 0)
      }
    } else if (mode === PEND_FOREGROUND) return // nothing to wait for: the next request forwards again
    rec[c + C_PEND_MODE] = mode
    rec[c + C_PEND_AT] = atUs
    rec[c + C_PEND_CONTENT_AT] = atUs - obs[OBS_AGE]!
    rec[c + C_PEND_FRESH] = life[0]!
    rec[c + C_PEND_USABLE] = life[1]!
    rec[c + C_PEND_STORE] = store ? 1 : 0
    if (atUs === nowUs) commit(c)
  }

  function served(route: ResolvedRoute, path: number, pop: number, outcome: CdnOutcome, fwd: 'none' | 'foreground' | 'background'): void {
    m.served(route.index, outcome)
    m.crawler = 0
    if (trace !== null) {
      const e = { kind: 'cdn', atUs: clock[0]!, route: route.id, path, pop, outcome: outcome === CDN_HIT ? 'hit' : outcome === CDN_STALE ? 'stale' : 'miss', ageUs: mobs[0]!, latencyUs: mobs[1]!, forwarded: fwd } as const
      const crawler = next.crawler()
      trace(crawler >= 0 ? { ...e, crawler } : e)
    }
  }

  /** A user's request for known path p at the edge. */
  function onRequest(route: ResolvedRoute, p: number): void {
    const path = p - route.firstPath
    const pop = choosePop()
    if (cacheable[route.index] === 0) {
      // private, no-store (or a shell with dynamic holes): straight through to Next.
      forward(route, p, -1, PEND_FOREGROUND)
      mobs[0] = obs[OBS_AGE]!
      mobs[1] = obs[OBS_LATENCY]!
      served(route, path, pop, CDN_MISS, 'foreground')
      return
    }
    const c = recordOf(pop * P + p)
    const nowUs = clock[0]!
    if (rec[c + C_PEND_MODE] !== PEND_NONE && nowUs >= rec[c + C_PEND_AT]!) commit(c)
    if (rec[c + C_HAS] === 1) {
      const sinceUs = nowUs - rec[c + C_STORED_AT]!
      if (sinceUs <= rec[c + C_FRESH]!) {
        mobs[0] = nowUs - rec[c + C_CONTENT_AT]!
        mobs[1] = 0
        served(route, path, pop, CDN_HIT, 'none')
        return
      }
      if (sinceUs <= rec[c + C_USABLE]!) {
        // Stale within stale-while-revalidate: served at once; one background revalidation per PoP and path.
        mobs[0] = nowUs - rec[c + C_CONTENT_AT]!
        mobs[1] = 0
        const starts = rec[c + C_PEND_MODE] === PEND_NONE
        if (starts) forward(route, p, c, PEND_BACKGROUND)
        served(route, path, pop, CDN_STALE, starts ? 'background' : 'none')
        return
      }
    }
    // No usable entry: wait for an answer already on its way (the lock), or forward this request.
    if (rec[c + C_PEND_MODE] !== PEND_NONE && rec[c + C_PEND_STORE] === 1) {
      const atUs = rec[c + C_PEND_AT]!
      mobs[0] = atUs - rec[c + C_PEND_CONTENT_AT]!
      mobs[1] = atUs - nowUs
      served(route, path, pop, CDN_MISS, 'none')
      return
    }
    forward(route, p, c, PEND_FOREGROUND)
    mobs[0] = obs[OBS_AGE]!
    mobs[1] = obs[OBS_LATENCY]!
    served(route, path, pop, CDN_MISS, 'foreground')
  }

  /** A one-off path (§6): never in any PoP, so a miss that goes to Next. */
  function onUnknown(route: ResolvedRoute): void {
    const pop = choosePop()
    forward(route, -1, -1, PEND_FOREGROUND)
    mobs[0] = obs[OBS_AGE]!
    mobs[1] = obs[OBS_LATENCY]!
    served(route, -1, pop, CDN_MISS, 'foreground')
  }

  function reachedNext(arrived: Float64Array, nowUs: number): Float64Array {
    const out = new Float64Array(routes.length)
    for (const r of routes) {
      const served = m.sinceStart(r.index, CDN_HIT) + m.sinceStart(r.index, CDN_STALE) + m.sinceStart(r.index, CDN_MISS)
      if (served !== arrived[r.index]) throw new InvariantError(`CDN conservation: route ${r.id}: ${arrived[r.index]} requests arrived but the CDN answered ${served}`, nowUs)
      out[r.index] = m.sinceStart(r.index, CDN_FORWARDED)
    }
    return out
  }

  return { onRequest, onUnknown, reachedNext }
}
