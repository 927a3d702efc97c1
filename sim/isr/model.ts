/**
 * The ISR model of one `next start` instance: the full-route cache with time-based
 * stale-while-revalidate, per-path de-duplication, failure back-off, blocking misses,
 * dynamicParams and (16.3+) expire. It plugs into the domain-free engine through
 * integer events. Per-path state lives in typed arrays indexed by a global path id,
 * so a request allocates nothing.
 *
 * Rule references (§n) point at docs/semantics.md.
 */
import { addExponential, addExponentialSlow, createAlias, exponentialFast, lognormalInto, lognormalParams, pickAliasInt32, type AliasTable } from '../kernel/dist.ts'
import { assert, assertNever, InvariantError } from '../kernel/errors.ts'
import { Calendar } from '../kernel/calendar.ts'
import type { Engine, Lane } from '../kernel/engine.ts'
import {
  createEventTimer, EV_BIN_TICK, EV_DATA_CHANGE, EV_ON_DEMAND, EV_RENDER_DONE, EV_RESTART, EV_TAG_PROPAGATE, EV_WARMUP, EV_WEBHOOK, eventKindName, expectedFirings,
  RANK_ON_DEMAND, RANK_RENDER_DONE, timingOf,
} from './events.ts'
import * as Metric from './metrics.ts'
import { OUTCOME_NAMES, RENDER_MODE_NAMES, type Metrics, type Outcome, type RenderMode } from './metrics.ts'
import * as Decision from './decide.ts'
import * as Rec from './entries.ts'
import type { TraceEvent } from './trace.ts'
import { createInvalidationStats, type OnDemandStats } from './stats.ts'
import { decide, RENDER_CAUSE_OF } from './decide.ts'
import { ALEA_MUL, UINT32_RANGE, UINT32_SCALE, type AleaRng, type Rng, type Streams } from '../kernel/rng.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { popularityWeights } from './popularity.ts'
import { roundHalfUp, secToUs, US_PER_S } from '../kernel/time.ts'
import type { VersionProfile } from './profiles.ts'
import { changeSpanOf, createTagsManifest, profileWrite } from './tags-manifest.ts'
import { createDataCache } from './data-cache.ts'
import { createFreshness, type FreshnessStats } from './freshness.ts'
import { crawlerStreamKey, drawCrawlerWalk } from './crawlers.ts'
import { HISTOGRAM_BUCKETS } from '../kernel/histogram.ts'
import { backoffRevalidateS } from './revalidate.ts'
import { Entries, resolveRoutes, routeOfPath, type ResolvedRoute } from './entries.ts'
// The hot path's constants, bound as this module's own: V8 folds a module's constants into
// optimized code, but reads an imported binding from its module cell at every use (which cost
// the catalogue 4% when the record layout moved to entries.ts; docs/performance.md).
const { BACKGROUND, BLOCKING, DYNAMIC, DYNAMIC_RENDER, ERROR, HIT, MISS, NOT_FOUND, OBS_AGE, OBS_AT, OBS_DURATION, OBS_LATENCY, STALE } = Metric
const { JOIN_BLOCKING, JOIN_STALE, MISS_EXPIRED, MISS_NO_ENTRY, MISS_TAG_EXPIRED, RENDER_DYNAMIC, SERVE_HIT, SERVE_NOT_FOUND, SERVE_STALE, SERVE_STALE_TAG, TAGS_NONE } = Decision
const { F_CONTENT_AT, F_EXPIRE, F_FLIGHT_END, F_FLIGHT_MODE, F_FLIGHT_START, F_HAS_ENTRY, F_LAST_MOD, F_REVAL, FLIGHT_BACKGROUND, FLIGHT_BLOCKING, FLIGHT_NONE, W } = Rec
import {
  CAUSE_DYNAMIC, CAUSE_EXPIRE, CAUSE_ONE_OFF, CAUSE_TAG_EXPIRED, CAUSE_TAG_STALE, RENDER_CAUSES, checkEndState, type EndState,
} from './invariants.ts'

// Arrival sources, one calendar kind each: a route's known paths (drawn ahead in blocks),
// its one-off unknown paths, its scheduled (replayed) requests, its crawlers.
const SRC_KNOWN = 0, SRC_UNKNOWN = 1, SRC_SCHEDULED = 2, SRC_CRAWLER = 3
/** A crawler's state (stride CW, see crawlers.ts): its next request's time, position i in the cycle, path perm(i), and the cycle's start + phase, µs. */
const CW = 4, C_NEXT = 0, C_INDEX = 1, C_PATH = 2, C_BASE = 3

const HOUR_US = 3600 * US_PER_S

interface RouteRuntime {
  /** A lognormal's params are [mu, sigma] (µs scale) in a Float64Array: read on the hot path without boxing. */
  readonly render: { readonly kind: 'constant'; readonly us: number } | { readonly kind: 'lognormal'; readonly params: Float64Array }
  readonly renderRng: Rng
  readonly failureRng: Rng
  readonly failureRate: number
  readonly outages: ReadonlyArray<{ readonly fromUs: number; readonly toUs: number; readonly failureRate: number }>
}

/** An arrival process: cumulative expected count Λ, mapped to time through the (daily) rate curve. */
interface Arrivals {
  readonly rng: AleaRng
  readonly poisson: boolean
  /** Requests per µs at multiplier 1. */
  readonly ratePerUs: number
  /** 1 / ratePerUs: µs per unit of Λ (a multiply on the hot path instead of a divide). */
  readonly usPerArrival: number
  readonly hourly: Float64Array | null
  /** The end of the run, µs. */
  readonly endUs: number
  /**
   * Mutable state in a Float64Array (stores never allocate): A_LAMBDA the cumulative
   * expected count Λ of the next arrival, A_NEXT its time in µs (Infinity: none), and
   * the current hour segment of the daily curve.
   */
  readonly v: Float64Array
}

export interface IsrModel {
  readonly routes: readonly ResolvedRoute[]
  readonly totalPaths: number
  /** Schedules the first events. */
  start(): void
  /** Handles one event at `engine.nowUs`. */
  dispatch(kind: number, arg: number): void
  /** The requests: every route's arrival sources, merged (see `sources`). */
  readonly lane: Lane
  /** End-of-run invariant checks (Caffeine's `finished()`, see invariants.ts): throws InvariantError naming every broken one. */
  finish(nowUs: number): void
  /** The state finish() checks (cold: built once, at the end; tests break it on purpose). */
  endState(nowUs: number): EndState
  /** Expected number of events, for the runaway guard. */
  readonly expectedEvents: number
  /** Per on-demand event: occurrences, entries touched and the renders they caused. */
  onDemandStats(): (OnDemandStats & { readonly atS: number[] })[]
  /** Per fetch id: origin calls after warmup, and how the entry is keyed. */
  fetchStats(): Record<string, { readonly originFetches: number; readonly keys: number; readonly cached: boolean }>
  /** Origin data changes and how fast pages reflected them. */
  freshness(): FreshnessStats
}



const A_LAMBDA = 0, A_NEXT = 1, A_SEG_INDEX = 2, A_SEG_START_US = 3, A_SEG_START_LAMBDA = 4

/**
 * A route's upcoming known-path arrivals, drawn ahead a block at a time: times from the
 * route's arrivals stream, paths from its paths stream. Each stream has this one consumer,
 * so drawing ahead gives exactly the values drawing one by one would; a tight loop over two
 * independent generators runs several times faster than the same draws spread through the
 * request handling. The last entry of the route is a time at or past the end of the run.
 */
interface ArrivalQueue {
  readonly src: Arrivals
  readonly atUs: Float64Array
  /** Absolute path index of each arrival. */
  readonly path: Int32Array
  /** [next entry, entries drawn]. */
  readonly ix: Int32Array
  /** The route's paths: the first's global index, how many, their popularity and paths stream. */
  readonly firstPath: number
  readonly count: number
  readonly alias: AliasTable | null
  readonly pathRng: AleaRng
  /** [0]: arrivals drawn before the end of the run (each will be handled), for conservation. */
  readonly drawn: Float64Array
}
const ARRIVAL_BLOCK = 256

/** A route's render times, µs: a constant, or a lognormal's [mu, sigma]. */
function renderTimes(renderS: Scenario['routes'][number]['renderS']): RouteRuntime['render'] {
  if (typeof renderS === 'number') return { kind: 'constant', us: secToUs(renderS) }
  const { mu, sigma } = lognormalParams(secToUs(renderS.lognormal.medianS), secToUs(renderS.lognormal.p95S))
  return { kind: 'lognormal', params: Float64Array.of(mu, sigma) }
}

// ---- Arrival processes. Module functions, not closures of a model: a model's closures are
// new objects every run, and V8 cached optimized (on-stack-replacement) code of the block
// loop that had inlined the first run's closures; every later run in the same process (a
// replication, a sweep point) deoptimized on each block ("wrong call target") and ran the
// loop unoptimized, boxing every double.

/** Sets the time of the next arrival from its cumulative expected count Λ (Infinity if none). */
function placeArrival(a: Arrivals): void {
  if (a.hourly === null) {
    a.v[A_NEXT] = roundHalfUp(a.v[A_LAMBDA]! * a.usPerArrival)
    return
  }
  // Piecewise-constant rate: walk hour segments forward (amortised O(1): Λ only grows).
  for (;;) {
    const rate = a.ratePerUs * (a.hourly[a.v[A_SEG_INDEX]! % 24] as number)
    const segEndLambda = a.v[A_SEG_START_LAMBDA]! + rate * HOUR_US
    if (a.v[A_LAMBDA]! < segEndLambda && rate > 0) {
      a.v[A_NEXT] = a.v[A_SEG_START_US]! + roundHalfUp((a.v[A_LAMBDA]! - a.v[A_SEG_START_LAMBDA]!) / rate)
      return
    }
    if (a.v[A_SEG_START_US]! > a.endUs) {
      a.v[A_NEXT] = Infinity
      return
    }
    a.v[A_SEG_INDEX] = a.v[A_SEG_INDEX]! + 1
    a.v[A_SEG_START_US] = a.v[A_SEG_START_US]! + HOUR_US
    a.v[A_SEG_START_LAMBDA] = segEndLambda
  }
}

/** Advance to the next arrival: +Exp(1) in Λ for Poisson, +1 for evenly spaced. */
function advanceArrival(a: Arrivals): void {
  if (a.poisson) addExponential(a.v, A_LAMBDA, a.rng)
  else a.v[A_LAMBDA] = a.v[A_LAMBDA]! + 1
  placeArrival(a)
}

/** Before the first advanceArrival: Poisson starts at Λ = 0, evenly spaced at Λ = -1 + 1 = 0, t = 0 (as k6's constant-arrival-rate). */
function startArrivals(a: Arrivals): void {
  a.v[A_LAMBDA] = a.poisson ? 0 : -1
}

/** The route's next block of arrivals (see ArrivalQueue); stops after the first one at or past the end. */
function drawArrivals(q: ArrivalQueue): void {
  const a = q.src, T = q.atUs, P = q.path, durationUs = a.endUs
  const alias = q.alias
  // n: arrivals drawn before the end of the run; `ended`: T[n] holds the first one at or past it.
  let n = 0, ended = false
  if (a.poisson && a.hourly === null) {
    // The common case, kept small enough that V8 inlines the draws, the rounding and the
    // pick. With Zipf popularity the path is drawn in the same loop: the two streams'
    // generators are independent chains, so the processor overlaps them. Λ and both
    // streams' Alea states stay in locals (see AleaRng.s): through memory, each link of
    // these chains would wait on the store of the one before.
    const v = a.v, rng = a.rng, g = rng.s, usPerArrival = a.usPerArrival, pathRng = q.pathRng, firstPath = q.firstPath
    const scale = UINT32_SCALE, range = UINT32_RANGE // in locals: the loop multiplies by them in registers
    let lambda = v[A_LAMBDA]!
    let c = g[0]!, s0 = g[1]!, s1 = g[2]!, s2 = g[3]!
    const h = pathRng.s
    let pc = h[0]!, p0 = h[1]!, p1 = h[2]!, p2 = h[3]!
    while (n < ARRIVAL_BLOCK) {
      const step = ALEA_MUL * s0 + c * scale
      s0 = s1
      s1 = s2
      c = Math.floor(step) // = step | 0 (0 <= step < 2^22), as a double: the loop keeps c in one representation
      s2 = step - c
      const jz = (s2 * range) >>> 0 // = rng.nextInt32() >>> 0
      const e = exponentialFast(jz)
      if (e >= 0) lambda += e
      else {
        // The rare cases draw from the stream object: hand it the state, then take it back.
        g[0] = c; g[1] = s0; g[2] = s1; g[3] = s2
        v[A_LAMBDA] = lambda
        addExponentialSlow(v, A_LAMBDA, rng, jz)
        lambda = v[A_LAMBDA]!
        c = g[0]!; s0 = g[1]!; s1 = g[2]!; s2 = g[3]!
      }
      const t = roundHalfUp(lambda * usPerArrival)
      T[n] = t
      if (!(t < durationUs)) { ended = true; break }
      if (alias !== null) {
        const pstep = ALEA_MUL * p0 + pc * scale
        p0 = p1
        p1 = p2
        pc = Math.floor(pstep) // likewise
        p2 = pstep - pc
        P[n] = firstPath + pickAliasInt32(alias, (p2 * range) | 0) // = pathRng.nextInt32()
      }
      n++
    }
    g[0] = c; g[1] = s0; g[2] = s1; g[3] = s2
    h[0] = pc; h[1] = p0; h[2] = p1; h[3] = p2
    v[A_LAMBDA] = lambda // (A_NEXT is not kept for known paths: the block holds the times)
    if (alias === null) drawPaths(q, n)
  } else {
    while (n < ARRIVAL_BLOCK) {
      advanceArrival(a)
      T[n] = a.v[A_NEXT]!
      if (!(a.v[A_NEXT]! < durationUs)) { ended = true; break }
      n++
    }
    drawPaths(q, n)
  }
  // Arithmetic, not `ended ? n + 1 : n`: code that runs on every call has type feedback. An
  // add reached only when the run ends had none, so V8 deoptimized this function at the end
  // of every route's arrivals, and its recompilation sometimes left the loop's doubles boxed
  // (~50 bytes and a fifth of the speed lost per request in every later run of the process).
  q.ix[1] = n + Number(ended)
  // All n come before the end, so each will be handled: conservation counts them now.
  q.drawn[0] = q.drawn[0]! + n
}

/** Paths for the first `n` arrivals of a new block. Each pick is independent, so their table reads overlap. */
function drawPaths(q: ArrivalQueue, n: number): void {
  const P = q.path, firstPath = q.firstPath
  if (q.count === 1) { P.fill(firstPath, 0, n); return }
  const alias = q.alias, count = q.count, rng = q.pathRng
  for (let j = 0; j < n; j++) {
    const i32 = rng.nextInt32()
    P[j] = firstPath + (alias === null ? Math.floor((i32 >>> 0) * UINT32_SCALE * count) : pickAliasInt32(alias, i32))
  }
}

export function createIsrModel(
  s: Scenario,
  profile: VersionProfile,
  streams: Streams,
  metrics: Metrics,
  engine: Engine,
  trace: ((e: TraceEvent) => void) | null,
): IsrModel {
  const routes = resolveRoutes(s)
  const durationUs = secToUs(s.durationS)
  /** The engine's clock: clock[0] is now, µs (read directly, never through a getter). */
  const clock = engine.clock
  /** The engine's when[0]: the time of the next event schedule() adds. */
  const when = engine.when
  const timer = createEventTimer(engine, durationUs)
  const buildAtUs = -secToUs(s.buildAgeS)

  // Several instances (§8). Each instance has its own in-flight de-duplication; with local
  // caches (the default) each also has its own entries and tags manifest, and with a shared
  // cache handler they all read and write the entry of instance 0's slot.
  const deployment = deploymentOf(s)
  const instances = deployment.instances
  const sharedCache = deployment.cache === 'shared'
  const entries = new Entries(routes, instances, sharedCache, buildAtUs)
  const { caches, totalPaths } = entries
  const balancerRng = instances > 1 && deployment.balancer === 'random' ? streams.claim('balancer') : null
  // Render concurrency: each instance runs at most `workers` renders; the rest wait, first in,
  // first out. Render times are known when a render is queued, so the earliest free worker
  // gives its exact start time.
  const workers = deployment.renderConcurrency ?? 0
  const workerFreeAt = new Float64Array(instances * Math.max(workers, 1))
  let roundRobin = 0
  /** For the end-of-run checks (invariants.ts): measured renders per route and cause, and [cached renders started, finished, renders a tag caused] since t = 0. */
  const renderCauses = new Float64Array(s.routes.length * RENDER_CAUSES)
  const renderCounts = new Float64Array(3)
  /** The instance handling the current request (for the trace). */
  let currentInstance = 0

  // Per-(instance, path) records (entries.ts): a request touches one 64-byte line.
  const st = entries.rec
  const flightOk = entries.flightOk, flightPrev = entries.flightPrev

  const rt: RouteRuntime[] = []
  const arrivals: ArrivalQueue[] = []
  const unknownArrivals: (Arrivals | null)[] = []
  /** Unknown and replayed requests per route, for conservation, as handled (known ones: ArrivalQueue.drawn). */
  const arrivalsSeen = new Float64Array(routes.length)
  const schedules = s.routes.map((r) => (r.traffic.schedule ? { atUs: Float64Array.from(r.traffic.schedule.atS, secToUs), path: r.traffic.schedule.path ?? null } : null))
  const scheduleNext = new Int32Array(routes.length)
  // Crawlers (crawlers.ts), numbered over all routes: route, P, stride, V, and state (CW apart).
  const crawlerWalks = s.routes.flatMap((r, ri) => (r.traffic.crawlers ?? []).map((c, ci) => {
    const paths = c.paths ?? routes[ri]!.count
    return { ri, ci, walk: drawCrawlerWalk(streams.claim('crawler', crawlerStreamKey(r.id, ci)), paths, secToUs(c.revisitS)) }
  }))
  const crawlerRoute = Int32Array.from(crawlerWalks, (c) => c.ri)
  const crawlerPaths = Int32Array.from(crawlerWalks, (c) => c.walk.paths)
  const crawlerStride = Int32Array.from(crawlerWalks, (c) => c.walk.stride)
  const crawlerRevisitUs = Float64Array.from(crawlerWalks, (c) => c.walk.revisitUs)
  const crawlerState = new Float64Array(crawlerWalks.length * CW)
  crawlerWalks.forEach((c, i) => {
    crawlerState[i * CW + C_NEXT] = c.walk.phaseUs
    crawlerState[i * CW + C_INDEX] = 0
    crawlerState[i * CW + C_PATH] = c.walk.start
    crawlerState[i * CW + C_BASE] = c.walk.phaseUs
  })
  /** Whether the request being handled is a crawler's: its renders are counted as the crawler's. */
  let byCrawler = false
  /** The route-local index of that crawler, for the trace (and so the plan's user agents); -1 for humans. */
  let traceCrawler = -1

  // ---- On-demand invalidation (§4): the tags manifest (tags-manifest.ts).
  const manifest = createTagsManifest(s, routes, profile, totalPaths, instances, sharedCache, deployment.tagPropagationS, engine, durationUs)
  const nTags = manifest.names.length
  const events = s.onDemand.map((e, i) => ({ ids: manifest.onDemandIds[i]!, ...profileWrite(e.kind, e.profile), instance: e.instance, timing: timingOf(e, e.ratePerS !== undefined ? streams.claim('on-demand', String(i)) : null) }))
  // Fan-out accounting: per on-demand call, then per data change (stats.ts).
  const invalidations = createInvalidationStats(events.length, s.dataChanges.length, entries, nTags > 0, clock)

  // ---- The Data Cache (§5.3, data-cache.ts).
  const data = createDataCache(s, routes, profile, caches, sharedCache, streams, manifest, clock, buildAtUs, metrics.warmupUs, durationUs, trace)
  const { fetches: fetchInfo, keys: fetchKeys, maxF, readAt: renderData } = data

  // ---- Origin data changes and freshness (freshness.ts).
  const fresh = createFreshness(s, routes, data, entries, clock, buildAtUs, metrics.warmupUs)
  const tracksFreshness = fresh.tracks
  const { pageData, flightData } = fresh
  const changes = s.dataChanges.map((c, ci) => {
    const rng = streams.claim('data', String(ci))
    return {
      span: changeSpanOf(c, s),
      timing: timingOf(c, rng),
      /** Draws the path of a templated tag's change. */
      rng,
      webhook: c.webhook,
      webhookCalls: 0,
    }
  })
  const webhookQueue: { readonly ci: number; readonly k: number }[] = []

  for (const r of routes) {
    const cfg = s.routes[r.index]!
    const pop = cfg.traffic.popularity
    rt.push({
      render: renderTimes(cfg.renderS),
      renderRng: streams.claim('render', r.id),
      failureRng: streams.claim('failures', r.id),
      failureRate: cfg.failureRate,
      outages: s.outages
        .filter((o) => o.routes === undefined || o.routes.includes(r.id))
        .map((o) => ({ fromUs: secToUs(o.fromS), toUs: secToUs(o.toS), failureRate: o.failureRate })),
    })
    // The route's own daily curve, else the site's (humans only: crawlers keep a flat rate).
    const curve = cfg.traffic.diurnal ?? s.diurnal
    const hourly = curve ? Float64Array.from(curve.hourly) : null
    const startHour = curve?.startHour ?? 0
    const mk = (rps: number, rng: AleaRng): Arrivals => {
      const v = new Float64Array(5)
      v[A_SEG_INDEX] = startHour
      return { rng, poisson: cfg.traffic.arrivals === 'poisson', ratePerUs: rps / US_PER_S, usPerArrival: US_PER_S / rps, hourly, endUs: durationUs, v }
    }
    arrivals.push({
      src: mk(cfg.traffic.rps, streams.claim('arrivals', r.id)), atUs: new Float64Array(ARRIVAL_BLOCK), path: new Int32Array(ARRIVAL_BLOCK), ix: new Int32Array(2),
      firstPath: r.firstPath, count: r.count,
      alias: pop === 'uniform' || r.count === 1 ? null : createAlias(popularityWeights(pop, r.count)!),
      pathRng: streams.claim('paths', r.id), drawn: new Float64Array(1),
    })
    unknownArrivals.push(cfg.traffic.unknownRate > 0 ? mk(cfg.traffic.unknownRate, streams.claim('unknown', r.id)) : null)
  }

  const enforcesExpire = profile.enforcesExpire
  const warmupUs = metrics.warmupUs
  const obs = metrics.obs

  // Doubles (times, ages) cross function calls only through typed-array slots (the clock,
  // the Metrics observation, the record) or fields of the component that owns them (the
  // render being prepared below, DataCache.waitUs), never as arguments or return values: V8
  // boxes a double argument into a new heap object whenever it does not inline the call,
  // which would cost an allocation per request (docs/performance.md).

  /**
   * The render being prepared: its duration (the render, plus the longest foreground origin
   * call), whether it succeeds, and when it starts (after any wait for a worker), µs.
   * sampleRender, the Data Cache and claimWorker fill it in that order. NaN: the fields
   * hold doubles from the start (V8 then updates them in place).
   */
  const render = { durUs: NaN, startUs: NaN, ok: false }
  /** The lognormal draw's slot (lognormalInto writes into a typed array). */
  const draw = new Float64Array(1)

  /** Samples a render's duration and outcome into `render` (the route's render and failure streams). */
  function sampleRender(r: RouteRuntime): void {
    const d = r.render
    switch (d.kind) {
      case 'constant': render.durUs = d.us; break
      case 'lognormal':
        lognormalInto(draw, 0, r.renderRng, d.params, 0)
        render.durUs = roundHalfUp(draw[0]!)
        break
      default: assertNever(d)
    }
    // One failure draw per render, always, so stream alignment does not depend on the rate.
    const u = (r.failureRng.nextInt32() >>> 0) * UINT32_SCALE // = next(), without boxing a returned double
    const nowUs = clock[0]!
    let pOk = 1 - r.failureRate
    for (let i = 0; i < r.outages.length; i++) {
      const o = r.outages[i]!
      if (nowUs >= o.fromUs && nowUs < o.toUs) pOk *= 1 - o.failureRate
    }
    render.ok = u < pOk
  }

  function onDataChange(ci: number): void {
    const c = changes[ci]!
    const now = clock[0]!
    timer.next(c.timing, EV_DATA_CHANGE, ci)
    const ck = fresh.changeKeys[ci]!
    const k = ck.templatedFetches.length > 0 ? ((c.rng.nextInt32() >>> 0) * c.span * UINT32_SCALE) | 0 : 0
    fresh.change(ci, k)
    if (trace !== null) {
      const keys = [...ck.literal.map(data.nameOfKey), ...ck.templatedFetches.filter((fi) => k < fetchInfo[fi]!.keys).map((fi) => ({ fetch: fetchInfo[fi]!.id, key: k }))]
      trace({ kind: 'data-change', atUs: now, change: ci, keys })
    }
    invalidations.fired(events.length + ci)
    if (c.webhook) {
      webhookQueue.push({ ci, k })
      when[0] = now + secToUs(c.webhook.delayS)
      if (when[0]! < durationUs) engine.schedule(RANK_ON_DEMAND, EV_WEBHOOK, webhookQueue.length - 1)
    }
  }

  /**
   * A process restart (§11.2): memory, the cache controls and (15+, local caches) the tags
   * manifest are lost; entries are read back from disk (or the shared handler) with their times. Prebuilt paths fall back to the
   * manifest's revalidate, paths generated on demand to the 1 s default until regenerated
   * once (§1.1). In-flight renders finish (a graceful restart).
   */
  function onRestart(which: number): void {
    for (let inst = 0; inst < instances; inst++) {
      if (which !== instances && inst !== which) continue
      if (!profile.tagsSurviveRestart && !sharedCache) manifest.clear(inst)
      // Entries stay (on disk, or in the shared handler); this process's cache controls do
      // not, unless the profile reads the entry's stored cache control back (16.4).
      entries.restartCacheControls(inst, routes, profile.persistsCacheControl)
    }
  }

  function onWebhook(qi: number): void {
    const { ci, k } = webhookQueue[qi]!
    const w = changes[ci]!.webhook!
    changes[ci]!.webhookCalls++
    if (trace !== null) trace({ kind: 'webhook', atUs: clock[0]!, change: ci, path: k })
    const ids = manifest.webhookIds[ci]![Math.min(k, manifest.webhookIds[ci]!.length - 1)] ?? []
    const { swr, expireUs } = profileWrite(w.kind, w.profile)
    invalidate(ids, swr, expireUs, w.instance, events.length + ci)
  }

  /** The render being prepared takes a worker on `inst`: render.startUs = when it can start. */
  function claimWorker(inst: number): void {
    const now = clock[0]!
    if (workers === 0) {
      render.startUs = now
      return
    }
    let best = inst * workers
    for (let w = best + 1; w < (inst + 1) * workers; w++) if (workerFreeAt[w]! < workerFreeAt[best]!) best = w
    const start = Math.max(now, workerFreeAt[best]!)
    render.startUs = start
    workerFreeAt[best] = start + render.durUs
    // Data the render reads from the origin is read when it starts.
    data.delayReads(render)
  }

  /** Start a cached-path render (background or blocking); de-duplicated per path (§1.3, rule 4). */
  function startRender(route: ResolvedRoute, slot: number, eslot: number, mode: typeof BACKGROUND | typeof BLOCKING, withPrev: boolean, cause: number): void {
    const nowUs = clock[0]!
    const o = slot * W
    const p = entries.pathOf(slot)
    const inst = entries.instanceOf(slot, p)
    assert(st[o + F_FLIGHT_MODE] === FLIGHT_NONE, () => `two regenerations in flight for ${route.id} path #${p - route.firstPath} on instance ${inst}`, nowUs)
    countRender(route, cause)
    renderCounts[0] = renderCounts[0]! + 1
    if (cause === CAUSE_TAG_STALE || cause === CAUSE_TAG_EXPIRED) {
      renderCounts[2] = renderCounts[2]! + 1
      invalidations.attribute(eslot)
    }
    sampleRender(rt[route.index]!)
    // 16.3+ expired (isStale -1) renders are on-demand revalidations: they bypass the Data Cache (§5.3).
    data.read(route, p, inst, true, mode === BLOCKING && withPrev && enforcesExpire)
    render.durUs += data.waitUs
    claimWorker(inst)
    if (tracksFreshness) fresh.startFlight(slot)
    const startUs = render.startUs
    const endUs = startUs + render.durUs
    st[o + F_FLIGHT_MODE] = mode === BACKGROUND ? FLIGHT_BACKGROUND : FLIGHT_BLOCKING
    flightOk[slot] = render.ok ? 1 : 0
    flightPrev[slot] = withPrev ? 1 : 0
    st[o + F_FLIGHT_START] = startUs
    st[o + F_FLIGHT_END] = endUs
    obs[OBS_AT] = nowUs
    obs[OBS_DURATION] = render.durUs
    metrics.render(route.index, mode, render.ok)
    if (byCrawler) metrics.crawlerRender(route.index)
    if (trace !== null) trace({ kind: 'render', atUs: startUs, route: route.id, path: p - route.firstPath, mode: RENDER_MODE_NAMES[mode], endUs, ok: render.ok, instance: inst })
    when[0] = endUs
    engine.schedule(RANK_RENDER_DONE, EV_RENDER_DONE, slot)
  }

  /**
   * Record a response whose age and latency are already in `obs[OBS_AGE]` / `obs[OBS_LATENCY]`,
   * for `path` (route-local; -1 for a one-off unknown path, whose per-path data is a new URL).
   * Its page read fetch i's data at read[at + i] (freshness.ts; null: it served no page).
   */
  function respond(route: ResolvedRoute, path: number, outcome: Outcome, read: Float64Array | null, at: number): void {
    metrics.request(route.index, outcome) // (request() reads no time: the series and warmup are cut by events)
    if (tracksFreshness && read !== null && obs[OBS_AGE]! >= 0) fresh.check(route, path < 0 ? -1 : route.firstPath + path, read, at)
    if (trace !== null) traceResponse(route, path, outcome)
  }

  /** The trace event of a response (apart from respond(), which stays small enough to inline). */
  function traceResponse(route: ResolvedRoute, path: number, outcome: Outcome): void {
    const e = { kind: 'request', atUs: clock[0]!, route: route.id, path, outcome: OUTCOME_NAMES[outcome], ageUs: obs[OBS_AGE]!, latencyUs: obs[OBS_LATENCY]!, instance: currentInstance } as const
    trace!(traceCrawler >= 0 ? { ...e, crawler: traceCrawler } : e)
  }
  /** Counts a render's cause (measured, as the metrics count renders: from warmup, by request time). */
  function countRender(route: ResolvedRoute, cause: number): void {
    if (clock[0]! < warmupUs) return
    const c = route.index * RENDER_CAUSES + cause
    renderCauses[c] = renderCauses[c]! + 1
  }

  /** A render for this request only: dynamic routes, and one-off unknown paths. Nothing is cached. */
  function renderForRequest(route: ResolvedRoute, mode: RenderMode, okOutcome: Outcome, p: number): void {
    const nowUs = clock[0]!
    countRender(route, mode === DYNAMIC_RENDER ? CAUSE_DYNAMIC : CAUSE_ONE_OFF)
    sampleRender(rt[route.index]!)
    data.read(route, p, currentInstance, mode !== DYNAMIC_RENDER, false)
    render.durUs += data.waitUs
    claimWorker(currentInstance)
    const waitUs = render.startUs - nowUs
    obs[OBS_AT] = nowUs
    obs[OBS_DURATION] = render.durUs
    metrics.render(route.index, mode, render.ok)
    if (byCrawler) metrics.crawlerRender(route.index)
    if (trace !== null) trace({ kind: 'render', atUs: render.startUs, route: route.id, path: -1, mode: RENDER_MODE_NAMES[mode], endUs: render.startUs + render.durUs, ok: render.ok, instance: currentInstance })
    // A one-off path's blocking render stores a new entry: an ISR write.
    if (mode === BLOCKING && render.ok) metrics.write(route.index)
    obs[OBS_AGE] = render.ok ? render.durUs : -1
    obs[OBS_LATENCY] = waitUs + render.durUs
    // A dynamic render of a known path caches no page, but it read that path's data: its
    // freshness is checked against that path's keys (a templated tag's key among them).
    respond(route, p < 0 ? -1 : p - route.firstPath, render.ok ? okOutcome : ERROR, renderData, 0)
  }

  /** The instance that serves the next request (the load balancer). */
  function chooseInstance(): number {
    if (instances === 1) return 0
    if (balancerRng !== null) return ((balancerRng.nextInt32() >>> 0) * instances * UINT32_SCALE) | 0
    const i = roundRobin
    roundRobin = i + 1 === instances ? 0 : i + 1
    return i
  }

  /** A request for path p of a route. The fresh-entry case is the hot path: no allocation. */
  function onRequest(route: ResolvedRoute, p: number): void {
    const path = p - route.firstPath
    const inst = chooseInstance()
    currentInstance = inst
    const slot = inst * totalPaths + p
    const eslot = sharedCache ? p : slot
    const o = slot * W
    const e = eslot * W
    const tags = route.isDynamic || !manifest.has(p) ? TAGS_NONE : manifest.check(inst, p, null, 0, st, e + F_LAST_MOD)
    const d = decide(st, o, e, clock, tags, route.isDynamic, route.dynamicParams, enforcesExpire)
    if (d === SERVE_HIT) {
      // The hot path: a fresh entry, served at once.
      obs[OBS_AGE] = clock[0]! - st[e + F_CONTENT_AT]!
      obs[OBS_LATENCY] = 0
      respond(route, path, HIT, pageData, eslot * maxF)
      return
    }
    switch (d) {
      case SERVE_STALE:
      case SERVE_STALE_TAG:
      case JOIN_STALE:
        // The stale entry, served at once (also while a regeneration runs).
        obs[OBS_AGE] = clock[0]! - st[e + F_CONTENT_AT]!
        obs[OBS_LATENCY] = 0
        respond(route, path, STALE, pageData, eslot * maxF)
        if (d !== JOIN_STALE) startRender(route, slot, eslot, BACKGROUND, true, RENDER_CAUSE_OF[d]!)
        return
      case JOIN_BLOCKING: {
        // The leader's result, shared: its render's age, and the wait until it ends.
        const end = st[o + F_FLIGHT_END]!
        const ok = flightOk[slot] === 1
        obs[OBS_AGE] = ok ? end - st[o + F_FLIGHT_START]! : -1
        obs[OBS_LATENCY] = end - clock[0]!
        respond(route, path, ok ? MISS : ERROR, flightData, slot * maxF)
        return
      }
      case MISS_NO_ENTRY:
      case MISS_TAG_EXPIRED:
        blocking(route, slot, eslot, false, RENDER_CAUSE_OF[d]!)
        return
      case MISS_EXPIRED:
        blocking(route, slot, eslot, true, CAUSE_EXPIRE)
        return
      case SERVE_NOT_FOUND:
        obs[OBS_AGE] = -1
        obs[OBS_LATENCY] = 0
        respond(route, path, NOT_FOUND, null, 0)
        return
      case RENDER_DYNAMIC:
        renderForRequest(route, DYNAMIC_RENDER, DYNAMIC, p)
        return
      default: assertNever(d)
    }
  }

  function blocking(route: ResolvedRoute, slot: number, eslot: number, withPrev: boolean, cause: number): void {
    startRender(route, slot, eslot, BLOCKING, withPrev, cause)
    const o = slot * W
    const dur = st[o + F_FLIGHT_END]! - st[o + F_FLIGHT_START]!
    const ok = flightOk[slot] === 1
    obs[OBS_AGE] = ok ? dur : -1
    obs[OBS_LATENCY] = st[o + F_FLIGHT_END]! - clock[0]! // the render, plus any wait for a worker
    respond(route, entries.pathOf(slot) - route.firstPath, ok ? MISS : ERROR, flightData, slot * maxF)
  }

  function onRenderDone(slot: number): void {
    const nowUs = clock[0]!
    const p = entries.pathOf(slot)
    const route = routes[routeOfPath(routes, p)]!
    const o = slot * W
    const e = (sharedCache ? p : slot) * W
    const ok = flightOk[slot] === 1
    if (ok) {
      // An ISR write is billed only when the output changed: a new entry, any regeneration of a
      // route whose data no change reaches, or one whose data differs from the entry's.
      const writes = st[e + F_HAS_ENTRY] === 0 || fresh.writes(route, p, slot, entries.entryOf(slot, p))
      if (writes) {
        obs[OBS_AT] = nowUs
        metrics.write(route.index)
      }
      // §1.3: the new entry's clock starts when the regeneration ends.
      st[e + F_HAS_ENTRY] = 1
      st[e + F_LAST_MOD] = nowUs
      st[e + F_CONTENT_AT] = st[o + F_FLIGHT_START]!
      st[o + F_REVAL] = route.revalidateUs
      st[o + F_EXPIRE] = route.expireUs
      if (tracksFreshness) fresh.commit(slot, entries.entryOf(slot, p))
    } else if (flightPrev[slot] === 1) {
      // §3: keep the old content, re-set it from the failure time with the clamped revalidate.
      const prevReval = st[o + F_REVAL]!
      const r2 = backoffRevalidateS(prevReval === Infinity ? false : prevReval / US_PER_S)
      st[e + F_LAST_MOD] = nowUs
      st[o + F_REVAL] = secToUs(r2)
      const prevExp = st[o + F_EXPIRE]!
      st[o + F_EXPIRE] = profile.backoffSetsExpire && prevExp !== Infinity ? Math.max(secToUs(r2 + 3), prevExp) : prevExp
    }
    // A failed blocking render with no previous entry caches nothing: the next request retries (§3.3).
    st[o + F_FLIGHT_MODE] = FLIGHT_NONE
    renderCounts[1] = renderCounts[1]! + 1
    if (trace !== null) trace({ kind: 'render-done', atUs: nowUs, route: route.id, path: p - route.firstPath, ok })
  }

  /**
   * Record an invalidation of tag ids (§4.3 write side) on the receiving instance, propagate it
   * (shared cache), and count the cached entries it reaches against stats row `ei`.
   */
  function invalidate(ids: readonly number[], swr: boolean, expireUs: number, instance: number, ei: number): number {
    manifest.write(ids, swr, expireUs, instance)
    // Fan-out: the cached entries this call reaches; with local caches, only the receiving instance's.
    return invalidations.fanOut(ei, ids, manifest.targets, routes, sharedCache ? 0 : instance)
  }

  /** An on-demand call (§4.3 write side). Pages are not touched now: they are checked when next read. */
  function onOnDemand(ei: number): void {
    const e = events[ei]!
    const now = clock[0]!
    timer.next(e.timing, EV_ON_DEMAND, ei)
    invalidations.fired(ei)
    const touched = invalidate(e.ids, e.swr, e.expireUs, e.instance, ei)
    if (trace !== null) trace({ kind: 'on-demand', atUs: now, event: ei, entriesTouched: touched })
  }

  /**
   * The arrival sources (each route's known, unknown and scheduled requests) wait in a
   * calendar of their own, and the engine sees them as one lane (Engine's Lane) at the
   * earliest of them: a request runs after every other event at the same µs, as a rank
   * above all the model's others. Ties between sources resolve by their seq in this
   * calendar, which a source's next request takes when the request before it is handled.
   * While the next request comes strictly before every other pending event it is handled
   * in place (Engine.continueAt); when another event comes first, nothing is scheduled:
   * the engine compares the lane's next time with its calendar's.
   */
  const laneAt = Float64Array.of(Infinity)
  const sources = new Calendar()

  function onArrival(): void {
    for (;;) {
      const ri = sources.topArg()
      switch (sources.topKind()) {
        case SRC_KNOWN: {
          const q = arrivals[ri]!
          const pos = q.ix[0]!
          const p = q.path[pos]! // read before a refill overwrites the block
          let next = pos + 1
          if (next === q.ix[1]!) { drawArrivals(q); next = 0 }
          q.ix[0] = next
          nextFromSource(q.atUs, next, SRC_KNOWN, ri) // counted in q.drawn when drawn
          onRequest(routes[ri]!, p)
          break
        }
        case SRC_UNKNOWN: onUnknownArrival(ri); break
        case SRC_SCHEDULED: onScheduledArrival(ri); break
        case SRC_CRAWLER: onCrawlerArrival(ri); break // (the arg is the crawler's number)
        default: throw new InvariantError(`unknown arrival source kind ${sources.topKind()}`, clock[0]!)
      }
      if (sources.size === 0) {
        laneAt[0] = Infinity
        return
      }
      when[0] = sources.topAt()
      if (!engine.continueAt()) {
        laneAt[0] = when[0]!
        return
      }
    }
  }

  /** The current source's next request is at times[i] (none if at or past the end): it replaces the source's calendar entry. */
  function nextFromSource(times: Float64Array, i: number, kind: number, ri: number): void {
    const t = times[i]!
    if (t < durationUs) {
      sources.incoming[0] = t
      sources.replaceTopIncoming(0, kind, ri)
    } else sources.pop()
  }

  function onUnknownArrival(ri: number): void {
    const u = unknownArrivals[ri]!
    advanceArrival(u)
    nextFromSource(u.v, A_NEXT, SRC_UNKNOWN, ri)
    const route = routes[ri]!
    arrivalsSeen[ri] = arrivalsSeen[ri]! + 1
    currentInstance = chooseInstance() // a one-off path: any instance renders it the same way
    if (route.isDynamic) renderForRequest(route, DYNAMIC_RENDER, DYNAMIC, -1)
    else if (!route.dynamicParams) {
      // A never-seen path: 404 without dynamicParams, else a blocking render that is
      // cached but never asked for again (§6).
      obs[OBS_AGE] = -1
      obs[OBS_LATENCY] = 0
      respond(route, -1, NOT_FOUND, null, 0)
    } else renderForRequest(route, BLOCKING, MISS, -1)
  }

  function onScheduledArrival(ri: number): void {
    const sch = schedules[ri]!
    const j = scheduleNext[ri]!
    scheduleNext[ri] = j + 1
    if (j + 1 < sch.atUs.length) nextFromSource(sch.atUs, j + 1, SRC_SCHEDULED, ri)
    else sources.pop()
    const route = routes[ri]!
    arrivalsSeen[ri] = arrivalsSeen[ri]! + 1
    onRequest(route, route.firstPath + (sch.path === null ? 0 : sch.path[j]!))
  }

  /** Crawler ci's request: its path now, then its next request (one step of the walk, crawlers.ts). */
  function onCrawlerArrival(ci: number): void {
    const o = ci * CW
    const P = crawlerPaths[ci]!
    const path = crawlerState[o + C_PATH]!
    let i = crawlerState[o + C_INDEX]! + 1
    let next = path + crawlerStride[ci]!
    if (next >= P) next -= P
    if (i === P) {
      i = 0
      crawlerState[o + C_BASE] = crawlerState[o + C_BASE]! + crawlerRevisitUs[ci]!
    }
    crawlerState[o + C_INDEX] = i
    crawlerState[o + C_PATH] = next
    crawlerState[o + C_NEXT] = crawlerState[o + C_BASE]! + roundHalfUp((i * crawlerRevisitUs[ci]!) / P)
    nextFromSource(crawlerState, o + C_NEXT, SRC_CRAWLER, ci)
    const ri = crawlerRoute[ci]!
    const route = routes[ri]!
    arrivalsSeen[ri] = arrivalsSeen[ri]! + 1
    metrics.crawlerRequest(ri)
    byCrawler = true
    if (trace !== null) traceCrawler = crawlerWalks[ci]!.ci
    onRequest(route, route.firstPath + path)
    byCrawler = false
    traceCrawler = -1
  }

  /** The end state the invariants are checked on (invariants.ts). */
  function endState(nowUs: number): EndState {
    return {
      nowUs, routes, instances, caches, totalPaths,
      slots: st,
      layout: { stride: W, lastModUs: F_LAST_MOD, contentAtUs: F_CONTENT_AT, hasEntry: F_HAS_ENTRY, inflight: F_FLIGHT_MODE, inflightStartUs: F_FLIGHT_START, inflightEndUs: F_FLIGHT_END },
      arrived: Float64Array.from(routes, (r) => arrivalsSeen[r.index]! + arrivals[r.index]!.drawn[0]!),
      answered: Float64Array.from(routes, (r) => metrics.requestsSinceStartOf(r.index)),
      cachedRendersStarted: renderCounts[0]!,
      cachedRendersDone: renderCounts[1]!,
      rendersByCause: renderCauses,
      rendersByMode: metrics.renders,
      outcomes: metrics.counts.map((n, i) => n - metrics.countsAtWarmup[i]!),
      aged: Float64Array.from(routes, (r) => metrics.ageHist.subarray(r.index * HISTOGRAM_BUCKETS, (r.index + 1) * HISTOGRAM_BUCKETS).reduce((a, b) => a + b, 0)),
      eventStats: invalidations.rows,
      tagRendersSinceStart: renderCounts[2]!,
      dataCache: { keys: fetchKeys, has: data.has, lastModUs: data.lastModUs, dataAtUs: data.dataAtUs },
      freshness: fresh.endState(),
    }
  }

  let expectedEvents = 0
  expectedEvents += metrics.bins + 1
  for (const [i, r] of s.routes.entries()) {
    expectedEvents += (r.traffic.rps + r.traffic.unknownRate) * s.durationS * (arrivals[i]!.src.hourly ? Math.max(...arrivals[i]!.src.hourly!) : 1) + (r.traffic.schedule?.atS.length ?? 0)
  }

  for (const c of crawlerWalks) expectedEvents += (c.walk.paths / c.walk.revisitUs) * durationUs
  for (const c of s.dataChanges) expectedEvents += 2 * expectedFirings(c, s.durationS) // and a webhook each
  for (const e of s.onDemand) expectedEvents += expectedFirings(e, s.durationS)

  return {
    routes,
    totalPaths,
    expectedEvents,
    start() {
      routes.forEach((r, i) => {
        // Sources enter their calendar in this order, which breaks ties between first requests.
        const q = arrivals[i]!
        if (q.src.ratePerUs > 0) {
          startArrivals(q.src)
          drawArrivals(q)
          if (q.atUs[0]! < durationUs) sources.push(q.atUs[0]!, 0, SRC_KNOWN, i)
        }
        const u = unknownArrivals[i]
        if (u) { startArrivals(u); advanceArrival(u); if (u.v[A_NEXT]! < durationUs) sources.push(u.v[A_NEXT]!, 0, SRC_UNKNOWN, i) }
        const sch = schedules[i]
        if (sch && sch.atUs.length > 0 && sch.atUs[0]! < durationUs) sources.push(sch.atUs[0]!, 0, SRC_SCHEDULED, i)
        crawlerRoute.forEach((ri, ci) => {
          if (ri === i && crawlerState[ci * CW + C_NEXT]! < durationUs) sources.push(crawlerState[ci * CW + C_NEXT]!, 0, SRC_CRAWLER, ci)
        })
      })
      laneAt[0] = sources.size > 0 ? sources.topAt() : Infinity
      events.forEach((e, i) => timer.first(e.timing, EV_ON_DEMAND, i))
      // Metrics ticks: series bin boundaries, and the end of the warmup. Rank 0: before any
      // request at the same time, which belongs to the new bin / the measured period.
      if (metrics.bins > 1) engine.at(metrics.binUs, RANK_ON_DEMAND, EV_BIN_TICK, 1)
      if (warmupUs > 0) engine.at(warmupUs, RANK_ON_DEMAND, EV_WARMUP, 0)
      for (const r of s.restarts) {
        const t = secToUs(r.atS)
        if (t < durationUs) engine.at(t, RANK_ON_DEMAND, EV_RESTART, r.instance ?? instances)
      }
      changes.forEach((c, i) => timer.first(c.timing, EV_DATA_CHANGE, i))
    },
    lane: { nextAt: laneAt, dispatch: onArrival },
    dispatch(kind, arg) {
      switch (kind) {
        case EV_RENDER_DONE: onRenderDone(arg); return
        case EV_ON_DEMAND: onOnDemand(arg); return
        case EV_TAG_PROPAGATE: manifest.propagate(arg); return
        case EV_DATA_CHANGE: onDataChange(arg); return
        case EV_WEBHOOK: onWebhook(arg); return
        case EV_RESTART: onRestart(arg); return
        case EV_BIN_TICK:
          metrics.tick()
          if (arg + 1 < metrics.bins) engine.at((arg + 1) * metrics.binUs, RANK_ON_DEMAND, EV_BIN_TICK, arg + 1)
          return
        case EV_WARMUP: metrics.measure(); return
        default: throw new InvariantError(`no handler for ${eventKindName(kind)}`, clock[0]!)
      }
    },
    fetchStats() {
      return data.stats()
    },
    freshness() {
      return {
        ...fresh.summary(),
        changes: changes.map((c, ci) => {
          const v = invalidations.rows[events.length + ci]!
          return { occurrences: v.occurrences, webhookCalls: c.webhookCalls, entriesTouched: v.entriesTouched, rendersWithin1m: v.rendersWithin1m, rendersWithin1h: v.rendersWithin1h, rendersWithin1d: v.rendersWithin1d }
        }),
      }
    },
    onDemandStats() {
      return invalidations.onDemand()
    },
    finish(nowUs) {
      const broken = checkEndState(endState(nowUs))
      if (broken.length > 0) throw new InvariantError(`${broken.length} end-of-run invariant${broken.length === 1 ? '' : 's'} broken:\n  ${broken.join('\n  ')}`, nowUs)
    },
    endState,
  }
}
