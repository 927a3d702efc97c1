/**
 * The ISR model of one `next start` instance: the full-route cache with time-based
 * stale-while-revalidate, per-path de-duplication, failure back-off, blocking misses,
 * dynamicParams and (16.3+) expire. It plugs into the domain-free engine through
 * integer events. Per-path state lives in typed arrays indexed by a global path id,
 * so a request allocates nothing.
 *
 * Rule references (§n) point at shared/isr-semantics.md.
 */
import { createAlias, exponentialZiggurat, lognormal, lognormalParams, pickAlias, zipfWeights, type AliasTable } from '../dist.ts'
import { assert, assertNever, InvariantError } from '../errors.ts'
import type { Scheduler } from '../engine.ts'
import {
  BACKGROUND, BLOCKING, DYNAMIC, DYNAMIC_RENDER, ERROR, HIT, MISS, NOT_FOUND, STALE,
  type Metrics, type Outcome, type RenderMode,
} from '../metrics.ts'
import type { Rng, Streams } from '../rng.ts'
import type { Scenario } from '../scenario.ts'
import { secToUs } from '../time.ts'
import type { VersionProfile } from './profiles.ts'
import { backoffRevalidateS, effectiveRevalidate, type EffectiveRevalidate } from './revalidate.ts'

// Event kinds and the rank table: at the same µs a finished render is written
// before a request looks the cache up (a request at the end time sees the new entry).
export const EV_REQUEST = 0
export const EV_UNKNOWN_REQUEST = 1
export const EV_RENDER_DONE = 2
export const EV_SCHEDULED_REQUEST = 3
const RANK_RENDER_DONE = 1
const RANK_REQUEST = 2

const HOUR_US = 3_600_000_000
const NONE = 0, INFLIGHT_BACKGROUND = 1, INFLIGHT_BLOCKING = 2

// Per-path fields (stride W).
const W = 8
/** FSC lastModified: when the entry was last `set` (end of a render, or a failure re-set). */
const F_LAST_MOD = 0
/** Start of the render that produced the served content: the page's data time. */
const F_CONTENT_AT = 1
/** The entry's cache control, µs (SharedCacheControls per path; lowered by back-off, §3). Infinity = false. */
const F_REVAL = 2
const F_EXPIRE = 3
const F_INFLIGHT_START = 4
const F_INFLIGHT_END = 5
/** 0 = no entry, 1 = entry. */
const F_HAS_ENTRY = 6
/** NONE, INFLIGHT_BACKGROUND or INFLIGHT_BLOCKING; + 4 when the in-flight render will succeed. */
const F_INFLIGHT = 7
const OK_BIT = 4

/** One response or render, for hand-traced tests and `--trace`. Only built when tracing. */
export type TraceEvent =
  | { readonly kind: 'request'; readonly atUs: number; readonly route: string; readonly path: number; readonly outcome: Outcome; readonly ageUs: number; readonly latencyUs: number }
  | { readonly kind: 'render'; readonly atUs: number; readonly route: string; readonly path: number; readonly mode: RenderMode; readonly endUs: number; readonly ok: boolean }
  | { readonly kind: 'render-done'; readonly atUs: number; readonly route: string; readonly path: number; readonly ok: boolean }

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
  readonly firstPath: number
}

interface RouteRuntime {
  readonly render: { readonly kind: 'constant'; readonly us: number } | { readonly kind: 'lognormal'; readonly mu: number; readonly sigma: number }
  readonly renderRng: Rng
  readonly failureRng: Rng
  readonly pathRng: Rng
  readonly alias: AliasTable | null
  readonly failureRate: number
  readonly outages: ReadonlyArray<{ readonly fromUs: number; readonly toUs: number; readonly failureRate: number }>
}

/** An arrival process: cumulative expected count Λ, mapped to time through the (daily) rate curve. */
interface Arrivals {
  readonly rng: Rng
  readonly poisson: boolean
  /** Requests per µs at multiplier 1. */
  readonly ratePerUs: number
  readonly hourly: Float64Array | null
  lambda: number
  segIndex: number
  segStartUs: number
  segStartLambda: number
}

export interface IsrModel {
  readonly routes: readonly ResolvedRoute[]
  readonly totalPaths: number
  /** Schedules the first events. */
  start(sched: Scheduler): void
  dispatch(kind: number, arg: number, nowUs: number): void
  /** End-of-run invariant checks (Caffeine's `finished()`). */
  finish(nowUs: number): void
  /** Expected number of events, for the runaway guard. */
  readonly expectedEvents: number
}

export function resolveRoutes(s: Scenario): ResolvedRoute[] {
  let firstPath = 0
  return s.routes.map((r, index) => {
    const effective = effectiveRevalidate(r)
    const isDynamic = effective.revalidateS === 0
    const revalidateUs = effective.revalidateS === false ? Infinity : secToUs(effective.revalidateS)
    const count = r.params?.count ?? 1
    const out: ResolvedRoute = {
      index, id: r.id, pattern: r.pattern, effective, isDynamic, revalidateUs,
      expireUs: effective.revalidateS === false ? Infinity : secToUs(s.next.expireTimeS),
      count, prebuilt: r.params?.prebuilt ?? count, dynamicParams: r.params?.dynamicParams ?? true,
      firstPath,
    }
    firstPath += count
    return out
  })
}

export function createIsrModel(
  s: Scenario,
  profile: VersionProfile,
  streams: Streams,
  metrics: Metrics,
  trace: ((e: TraceEvent) => void) | null,
): IsrModel {
  const routes = resolveRoutes(s)
  const totalPaths = routes.reduce((n, r) => n + r.count, 0)
  const durationUs = secToUs(s.durationS)
  const buildAtUs = -secToUs(s.buildAgeS)

  // Per-path state (§0: one entry per key, one in-flight regeneration per key), interleaved
  // so that a request touches one 64-byte line: st[p * W + field].
  const st = new Float64Array(totalPaths * W)

  const rt: RouteRuntime[] = []
  const arrivals: Arrivals[] = []
  const unknownArrivals: (Arrivals | null)[] = []
  const arrivalsSeen = new Float64Array(routes.length)
  const schedules = s.routes.map((r) => (r.traffic.schedule ? { atUs: r.traffic.schedule.atS.map(secToUs), path: r.traffic.schedule.path ?? null } : null))
  const scheduleNext = new Int32Array(routes.length)

  for (const r of routes) {
    const cfg = s.routes[r.index]!
    // §A "aged from build time": prebuilt entries carry the build's mtime (§1.1).
    if (!r.isDynamic) {
      for (let p = r.firstPath; p < r.firstPath + r.prebuilt; p++) {
        const o = p * W
        st[o + F_HAS_ENTRY] = 1
        st[o + F_LAST_MOD] = buildAtUs
        st[o + F_CONTENT_AT] = buildAtUs
        st[o + F_REVAL] = r.revalidateUs
        st[o + F_EXPIRE] = r.expireUs
      }
    }
    const pop = cfg.traffic.popularity
    rt.push({
      render: typeof cfg.renderS === 'number'
        ? { kind: 'constant', us: secToUs(cfg.renderS) }
        : { kind: 'lognormal', ...lognormalParams(secToUs(cfg.renderS.lognormal.medianS), secToUs(cfg.renderS.lognormal.p95S)) },
      renderRng: streams.claim('render', r.id),
      failureRng: streams.claim('failures', r.id),
      pathRng: streams.claim('paths', r.id),
      alias: pop === 'uniform' || r.count === 1 ? null : createAlias(zipfWeights(r.count, pop.zipf)),
      failureRate: cfg.failureRate,
      outages: s.outages
        .filter((o) => o.routes === undefined || o.routes.includes(r.id))
        .map((o) => ({ fromUs: secToUs(o.fromS), toUs: secToUs(o.toS), failureRate: o.failureRate })),
    })
    const hourly = cfg.traffic.diurnal ? Float64Array.from(cfg.traffic.diurnal.hourly) : null
    const startHour = cfg.traffic.diurnal?.startHour ?? 0
    const mk = (rps: number, rng: Rng): Arrivals => ({
      rng, poisson: cfg.traffic.arrivals === 'poisson', ratePerUs: rps / 1e6, hourly,
      lambda: 0, segIndex: startHour, segStartUs: 0, segStartLambda: 0,
    })
    arrivals.push(mk(cfg.traffic.rps, streams.claim('arrivals', r.id)))
    unknownArrivals.push(cfg.traffic.unknownRate > 0 ? mk(cfg.traffic.unknownRate, streams.claim('unknown', r.id)) : null)
  }

  let sched: Scheduler | null = null
  const enforcesExpire = profile.enforcesExpire

  /** Time of the arrival with cumulative expected count `a.lambda`, or Infinity if none. */
  function timeOf(a: Arrivals): number {
    if (a.hourly === null) return Math.round(a.lambda / a.ratePerUs)
    // Piecewise-constant rate: walk hour segments forward (amortised O(1): Λ only grows).
    for (;;) {
      const rate = a.ratePerUs * (a.hourly[a.segIndex % 24] as number)
      const segEndLambda = a.segStartLambda + rate * HOUR_US
      if (a.lambda < segEndLambda && rate > 0) return a.segStartUs + Math.round((a.lambda - a.segStartLambda) / rate)
      if (a.segStartUs > durationUs) return Infinity
      a.segIndex++
      a.segStartUs += HOUR_US
      a.segStartLambda = segEndLambda
    }
  }

  /** Advance to the next arrival: +Exp(1) in Λ for Poisson, +1 for evenly spaced. */
  function nextArrivalUs(a: Arrivals): number {
    a.lambda += a.poisson ? exponentialZiggurat(a.rng) : 1
    return timeOf(a)
  }

  function firstArrivalUs(a: Arrivals): number {
    // k6's constant-arrival-rate starts its first iteration at t = 0.
    a.lambda = a.poisson ? exponentialZiggurat(a.rng) : 0
    return timeOf(a)
  }

  function renderDurationUs(r: RouteRuntime): number {
    const d = r.render
    switch (d.kind) {
      case 'constant': return d.us
      case 'lognormal': return Math.round(lognormal(r.renderRng, d.mu, d.sigma))
      default: return assertNever(d)
    }
  }

  /** One draw per render, always, so stream alignment does not depend on the rate. */
  function renderFails(r: RouteRuntime, atUs: number): boolean {
    const u = r.failureRng.next()
    let pOk = 1 - r.failureRate
    for (let i = 0; i < r.outages.length; i++) {
      const o = r.outages[i]!
      if (atUs >= o.fromUs && atUs < o.toUs) pOk *= 1 - o.failureRate
    }
    return u >= pOk
  }

  /** Start a cached-path render (background or blocking); de-duplicated per path (§1.3, rule 4). */
  function startRender(route: ResolvedRoute, p: number, mode: typeof BACKGROUND | typeof BLOCKING, nowUs: number): void {
    const o = p * W
    assert(st[o + F_INFLIGHT] === NONE, () => `two regenerations in flight for ${route.id} path #${p - route.firstPath}`, nowUs)
    const r = rt[route.index]!
    const dur = renderDurationUs(r)
    const ok = !renderFails(r, nowUs)
    st[o + F_INFLIGHT] = (mode === BACKGROUND ? INFLIGHT_BACKGROUND : INFLIGHT_BLOCKING) + (ok ? OK_BIT : 0)
    st[o + F_INFLIGHT_START] = nowUs
    st[o + F_INFLIGHT_END] = nowUs + dur
    metrics.render(route.index, mode, ok, dur, nowUs)
    if (trace !== null) trace({ kind: 'render', atUs: nowUs, route: route.id, path: p - route.firstPath, mode, endUs: nowUs + dur, ok })
    sched!.at(nowUs + dur, RANK_RENDER_DONE, EV_RENDER_DONE, p)
  }

  function respond(route: ResolvedRoute, path: number, outcome: Outcome, ageUs: number, latencyUs: number, nowUs: number): void {
    metrics.request(route.index, outcome, ageUs, latencyUs, nowUs)
    if (trace !== null) trace({ kind: 'request', atUs: nowUs, route: route.id, path, outcome, ageUs, latencyUs })
  }

  /** A render for this request only: dynamic routes, and one-off unknown paths. Nothing is cached. */
  function renderForRequest(route: ResolvedRoute, mode: RenderMode, okOutcome: Outcome, nowUs: number): void {
    const r = rt[route.index]!
    const dur = renderDurationUs(r)
    const ok = !renderFails(r, nowUs)
    metrics.render(route.index, mode, ok, dur, nowUs)
    if (trace !== null) trace({ kind: 'render', atUs: nowUs, route: route.id, path: -1, mode, endUs: nowUs + dur, ok })
    respond(route, -1, ok ? okOutcome : ERROR, ok ? dur : -1, dur, nowUs)
  }

  function onRequest(route: ResolvedRoute, p: number, nowUs: number): void {
    const path = p - route.firstPath
    if (route.isDynamic) {
      // §5.2: rendered on every request, never cached, no x-nextjs-cache header.
      renderForRequest(route, DYNAMIC_RENDER, DYNAMIC, nowUs)
      return
    }
    const o = p * W
    const f = st[o + F_INFLIGHT]!
    if (f !== NONE) {
      if ((f & 3) === INFLIGHT_BACKGROUND) {
        // §1.3: joiners of a pending background regeneration get the stale entry.
        respond(route, path, STALE, nowUs - st[o + F_CONTENT_AT]!, 0, nowUs)
        return
      }
      // Rule 4: concurrent requests coalesce on the leader's blocking render and share its result.
      const end = st[o + F_INFLIGHT_END]!
      if ((f & OK_BIT) !== 0) respond(route, path, MISS, end - st[o + F_INFLIGHT_START]!, end - nowUs, nowUs)
      else respond(route, path, ERROR, -1, end - nowUs, nowUs)
      return
    }
    if (st[o + F_HAS_ENTRY] === 0) {
      if (!route.dynamicParams) {
        // Rule 5 / §6: dynamicParams = false, unknown param -> prerendered 404, no render.
        respond(route, path, NOT_FOUND, -1, 0, nowUs)
        return
      }
      blocking(route, p, nowUs)
      return
    }
    const sinceSetUs = nowUs - st[o + F_LAST_MOD]!
    if (sinceSetUs <= st[o + F_REVAL]! && !(enforcesExpire && sinceSetUs > st[o + F_EXPIRE]!)) {
      // The hot path: a fresh entry (§1.1: fresh while now - lastModified <= revalidate).
      respond(route, path, HIT, nowUs - st[o + F_CONTENT_AT]!, 0, nowUs)
      return
    }
    if (enforcesExpire && sinceSetUs > st[o + F_EXPIRE]!) {
      // §2, 16.3+: past expire the request blocks on a fresh render (isStale = -1).
      blocking(route, p, nowUs)
      return
    }
    // §1.1: stale strictly after lastModified + revalidate; serve stale, regenerate in background.
    respond(route, path, STALE, nowUs - st[o + F_CONTENT_AT]!, 0, nowUs)
    startRender(route, p, BACKGROUND, nowUs)
  }

  function blocking(route: ResolvedRoute, p: number, nowUs: number): void {
    startRender(route, p, BLOCKING, nowUs)
    const end = st[p * W + F_INFLIGHT_END]!
    if ((st[p * W + F_INFLIGHT]! & OK_BIT) !== 0) respond(route, p - route.firstPath, MISS, end - nowUs, end - nowUs, nowUs)
    else respond(route, p - route.firstPath, ERROR, -1, end - nowUs, nowUs)
  }

  function onRenderDone(p: number, nowUs: number): void {
    const route = routes[routeOfPath(p)]!
    const o = p * W
    const ok = (st[o + F_INFLIGHT]! & OK_BIT) !== 0
    if (ok) {
      // §1.3: the new entry's clock starts when the regeneration ends.
      st[o + F_HAS_ENTRY] = 1
      st[o + F_LAST_MOD] = nowUs
      st[o + F_CONTENT_AT] = st[o + F_INFLIGHT_START]!
      st[o + F_REVAL] = route.revalidateUs
      st[o + F_EXPIRE] = route.expireUs
    } else if (st[o + F_HAS_ENTRY] === 1) {
      // §3: keep the old content, re-set it from the failure time with the clamped revalidate.
      const prevReval = st[o + F_REVAL]!
      const r2 = backoffRevalidateS(prevReval === Infinity ? false : prevReval / 1e6)
      st[o + F_LAST_MOD] = nowUs
      st[o + F_REVAL] = secToUs(r2)
      const prevExp = st[o + F_EXPIRE]!
      st[o + F_EXPIRE] = profile.backoffSetsExpire && prevExp !== Infinity ? Math.max(secToUs(r2 + 3), prevExp) : prevExp
    }
    // A failed blocking render with no previous entry caches nothing: the next request retries (§3.3).
    st[o + F_INFLIGHT] = NONE
    if (trace !== null) trace({ kind: 'render-done', atUs: nowUs, route: route.id, path: p - route.firstPath, ok })
  }

  /** Route of a global path id (binary search over first paths; only on render completion). */
  function routeOfPath(p: number): number {
    let lo = 0, hi = routes.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (routes[mid]!.firstPath <= p) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  let expectedEvents = 0
  for (const [i, r] of s.routes.entries()) {
    expectedEvents += (r.traffic.rps + r.traffic.unknownRate) * s.durationS * (arrivals[i]!.hourly ? Math.max(...arrivals[i]!.hourly!) : 1) + (r.traffic.schedule?.atS.length ?? 0)
  }

  return {
    routes,
    totalPaths,
    expectedEvents,
    start(scheduler) {
      sched = scheduler
      routes.forEach((r, i) => {
        const a = arrivals[i]!
        if (a.ratePerUs > 0) { const t = firstArrivalUs(a); if (t < durationUs) scheduler.at(t, RANK_REQUEST, EV_REQUEST, i) }
        const u = unknownArrivals[i]
        if (u) { const t = firstArrivalUs(u); if (t < durationUs) scheduler.at(t, RANK_REQUEST, EV_UNKNOWN_REQUEST, i) }
        const sch = schedules[i]
        if (sch && sch.atUs.length > 0 && sch.atUs[0]! < durationUs) scheduler.at(sch.atUs[0]!, RANK_REQUEST, EV_SCHEDULED_REQUEST, i)
      })
    },
    dispatch(kind, arg, nowUs) {
      switch (kind) {
        case EV_REQUEST: {
          const a = arrivals[arg]!
          const next = nextArrivalUs(a)
          // Schedule the next arrival first: it replaces this event in the heap in one sift.
          if (next < durationUs) sched!.at(next, RANK_REQUEST, EV_REQUEST, arg)
          const route = routes[arg]!
          const r = rt[arg]!
          const u = route.count === 1 ? 0 : r.pathRng.next()
          const idx = r.alias === null ? Math.floor(u * route.count) : pickAlias(r.alias, u)
          if (nowUs >= metrics.warmupUs) arrivalsSeen[arg] = arrivalsSeen[arg]! + 1
          onRequest(route, route.firstPath + idx, nowUs)
          return
        }
        case EV_UNKNOWN_REQUEST: {
          const next = nextArrivalUs(unknownArrivals[arg]!)
          if (next < durationUs) sched!.at(next, RANK_REQUEST, EV_UNKNOWN_REQUEST, arg)
          const route = routes[arg]!
          if (nowUs >= metrics.warmupUs) arrivalsSeen[arg] = arrivalsSeen[arg]! + 1
          if (route.isDynamic) renderForRequest(route, DYNAMIC_RENDER, DYNAMIC, nowUs)
          // A never-seen path: 404 without dynamicParams, else a blocking render that is
          // cached but never asked for again (§6).
          else if (!route.dynamicParams) respond(route, -1, NOT_FOUND, -1, 0, nowUs)
          else renderForRequest(route, BLOCKING, MISS, nowUs)
          return
        }
        case EV_SCHEDULED_REQUEST: {
          const sch = schedules[arg]!
          const j = scheduleNext[arg]!
          scheduleNext[arg] = j + 1
          if (j + 1 < sch.atUs.length && sch.atUs[j + 1]! < durationUs) sched!.at(sch.atUs[j + 1]!, RANK_REQUEST, EV_SCHEDULED_REQUEST, arg)
          const route = routes[arg]!
          if (nowUs >= metrics.warmupUs) arrivalsSeen[arg] = arrivalsSeen[arg]! + 1
          onRequest(route, route.firstPath + (sch.path === null ? 0 : sch.path[j]!), nowUs)
          return
        }
        case EV_RENDER_DONE:
          onRenderDone(arg, nowUs)
          return
        default:
          throw new InvariantError(`unknown event kind ${kind}`, nowUs)
      }
    },
    finish(nowUs) {
      for (const r of routes) {
        // Conservation: every measured arrival got exactly one outcome.
        const answered = metrics.requestsOf(r.index)
        assert(answered === arrivalsSeen[r.index], () => `route ${r.id}: ${arrivalsSeen[r.index]} requests arrived but ${answered} outcomes were recorded`, nowUs)
        for (let p = r.firstPath; p < r.firstPath + r.count; p++) {
          const o = p * W
          if (st[o + F_HAS_ENTRY] === 0) continue
          assert(st[o + F_LAST_MOD]! <= nowUs, () => `route ${r.id} path #${p - r.firstPath}: lastModified ${st[o + F_LAST_MOD]} µs is in the future (now ${nowUs} µs)`, nowUs)
          assert(st[o + F_CONTENT_AT]! <= st[o + F_LAST_MOD]!, () => `route ${r.id} path #${p - r.firstPath}: content newer than its entry`, nowUs)
        }
      }
    },
  }
}
