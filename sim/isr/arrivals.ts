/**
 * Arrivals: every route's requests, as sources merged into one engine lane. A route has up to
 * four sources: its known paths (Poisson or evenly spaced, through its daily curve, paths by
 * popularity; drawn ahead in blocks), its one-off unknown paths (traffic.unknownRate), its
 * replayed schedule, and its crawlers (crawlers.ts). The requests themselves are the model's:
 * the lane hands each to the model's handlers.
 */
import { addExponential, addExponentialSlow, exponentialFast, pickAliasInt32, type AliasTable } from '../kernel/dist.ts'
import { Calendar } from '../kernel/calendar.ts'
import type { Engine, Lane } from '../kernel/engine.ts'
import { InvariantError } from '../kernel/errors.ts'
import { ALEA_MUL, UINT32_RANGE, UINT32_SCALE, type AleaRng, type Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs, US_PER_S } from '../kernel/time.ts'
import { sampleZipf, type ZipfSampler } from '../kernel/zipf.ts'
import type { Scenario } from '../scenario/schema.ts'
import { crawlerStreamKey, drawCrawlerWalk } from './crawlers.ts'
import type { ResolvedRoute } from './entries.ts'
import type { Metrics } from './metrics.ts'
import { pathSampler } from './popularity.ts'

const HOUR_US = 3600 * US_PER_S
// Arrival sources, one calendar kind each: a route's known paths (drawn ahead in blocks),
// its one-off unknown paths, its scheduled (replayed) requests, its crawlers.
const SRC_KNOWN = 0, SRC_UNKNOWN = 1, SRC_SCHEDULED = 2, SRC_CRAWLER = 3
/** A crawler's state (stride CW, see crawlers.ts): its next request's time, position i in the cycle, path perm(i), and the cycle's start + phase, µs. */
const CW = 4, C_NEXT = 0, C_INDEX = 1, C_PATH = 2, C_BASE = 3

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
  /** Zipf popularity over more than ZIPF_TABLE_MAX_PATHS paths: drawn with no table (null otherwise). */
  readonly zipf: ZipfSampler | null
  readonly pathRng: AleaRng
  /** [0]: arrivals drawn before the end of the run (each will be handled), for conservation. */
  readonly drawn: Float64Array
}
const ARRIVAL_BLOCK = 256

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
  const alias = q.alias, count = q.count, rng = q.pathRng, zipf = q.zipf
  if (zipf !== null) { for (let j = 0; j < n; j++) P[j] = firstPath + sampleZipf(zipf, rng); return }
  for (let j = 0; j < n; j++) {
    const i32 = rng.nextInt32()
    P[j] = firstPath + (alias === null ? Math.floor((i32 >>> 0) * UINT32_SCALE * count) : pickAliasInt32(alias, i32))
  }
}

/** The requests of a run, as the engine's lane. */
export interface ArrivalLane extends Lane {
  /** The route-local index (in traffic.crawlers) of the crawler that sent the request being handled; -1 for human traffic. */
  crawler: number
  /** Puts every source's first request in the lane (in route order, which breaks ties between first requests). */
  start(): void
  /** Per route: requests that arrived since t = 0 (conservation: each gets one outcome). */
  arrived(): Float64Array
  /** Expected requests, for the runaway guard. */
  readonly expectedEvents: number
}

/**
 * The lane of scenario s's requests. onRequest(route, p) handles a request for known path p
 * (global index); onUnknown(route) one for a one-off path the route does not know.
 */
export function createArrivals(
  s: Scenario, routes: readonly ResolvedRoute[], streams: Streams, engine: Engine, durationUs: number, metrics: Metrics,
  onRequest: (route: ResolvedRoute, p: number) => void, onUnknown: (route: ResolvedRoute) => void,
): ArrivalLane {
  const clock = engine.clock, when = engine.when
  const arrivals: ArrivalQueue[] = []
  const unknownArrivals: (Arrivals | null)[] = []
  for (const r of routes) {
    const cfg = s.routes[r.index]!
    const sampler = pathSampler(cfg.traffic.popularity, r.count)
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
      alias: sampler.alias,
      zipf: sampler.zipf,
      pathRng: streams.claim('paths', r.id), drawn: new Float64Array(1),
    })
    unknownArrivals.push(cfg.traffic.unknownRate > 0 ? mk(cfg.traffic.unknownRate, streams.claim('unknown', r.id)) : null)
  }
  /** Unknown, replayed and crawler requests per route, for conservation, as handled (known ones: ArrivalQueue.drawn). */
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

  let expectedEvents = 0
  for (const [i, r] of s.routes.entries()) {
    expectedEvents += (r.traffic.rps + r.traffic.unknownRate) * s.durationS * (arrivals[i]!.src.hourly ? Math.max(...arrivals[i]!.src.hourly!) : 1) + (r.traffic.schedule?.atS.length ?? 0)
  }
  for (const c of crawlerWalks) expectedEvents += (c.walk.paths / c.walk.revisitUs) * durationUs

  /**
   * The arrival sources wait in a calendar of their own, and the engine sees them as one lane
   * (Engine's Lane) at the earliest of them: a request runs after every other event at the
   * same µs, as a rank above all the model's others. Ties between sources resolve by their
   * seq in this calendar, which a source's next request takes when the request before it is
   * handled. While the next request comes strictly before every other pending event it is
   * handled in place (Engine.continueAt); when another event comes first, nothing is
   * scheduled: the engine compares the lane's next time with its calendar's.
   */
  const laneAt = Float64Array.of(Infinity)
  const sources = new Calendar()

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
    arrivalsSeen[ri] = arrivalsSeen[ri]! + 1
    onUnknown(routes[ri]!)
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
    self.crawler = crawlerWalks[ci]!.ci
    onRequest(route, route.firstPath + path)
    self.crawler = -1
  }

  /** The lane's events: each source's requests, in (time, seq) order, handled in place while nothing else comes first. */
  function dispatchAny(): void {
    for (;;) {
      const ri = sources.topArg()
      switch (sources.topKind()) {
        case SRC_KNOWN: knownArrival(ri); break
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

  /**
   * dispatchAny for a run whose only sources are the routes' known paths (no unknown,
   * replayed or crawler requests): the same events in the same order, without the switch.
   */
  function dispatchKnown(): void {
    for (;;) {
      knownArrival(sources.topArg())
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

  /** Route ri's next known-path request: its source moves to the request after it, then the model handles it. */
  function knownArrival(ri: number): void {
    const q = arrivals[ri]!
    const pos = q.ix[0]!
    const p = q.path[pos]! // read before a refill overwrites the block
    let next = pos + 1
    if (next === q.ix[1]!) { drawArrivals(q); next = 0 }
    q.ix[0] = next
    nextFromSource(q.atUs, next, SRC_KNOWN, ri) // counted in q.drawn when drawn
    onRequest(routes[ri]!, p)
  }

  const self: ArrivalLane = {
    nextAt: laneAt,
    crawler: -1,
    expectedEvents,
    dispatch: unknownArrivals.some((u) => u !== null) || schedules.some((x) => x !== null) || crawlerWalks.length > 0 ? dispatchAny : dispatchKnown,
    start() {
      routes.forEach((r, i) => {
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
        crawlerRoute.forEach((cri, ci) => {
          if (cri === i && crawlerState[ci * CW + C_NEXT]! < durationUs) sources.push(crawlerState[ci * CW + C_NEXT]!, 0, SRC_CRAWLER, ci)
        })
      })
      laneAt[0] = sources.size > 0 ? sources.topAt() : Infinity
    },
    arrived() {
      return Float64Array.from(routes, (r) => arrivalsSeen[r.index]! + arrivals[r.index]!.drawn[0]!)
    },
  }
  return self
}
