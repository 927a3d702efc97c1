/**
 * What a fast-mode path timeline works with (docs/fast-mode.md): the route's arrival curve,
 * its render draws, the deferred counters, and the two primitives every timeline uses: the
 * path's next arrival after a time (memoryless), and the deferral of every arrival in a window.
 */
import { addExponential, lognormalParams } from '../kernel/dist.ts'
import { expFast } from '../kernel/exp.ts'
import { normalInto } from '../kernel/normal.ts'
import { UINT32_SCALE, type AleaRng, type Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { ResolvedRoute } from './entries.ts'
import type { PathCrawl } from './fast-crawl.ts'
import type { FastFetches } from './fast-fetches.ts'
import type { PathTags } from './fast-tags.ts'
import { addPiece, nextCut, type FastAcc } from './fast-metrics.ts'
import { lambdaAt, segmentOf, timeAt, type RateCurve } from './fast-rate.ts'
import type { Metrics, Outcome } from './metrics.ts'
import type { VersionProfile } from './profiles.ts'

/** A route's render: its time and outcome, drawn as renders.ts draws them (one render-stream and one failure-stream draw each). */
export interface RenderDraw {
  readonly constantUs: number
  /** [mu, sigma] of a lognormal in µs, or null for a constant. */
  readonly params: Float64Array | null
  readonly renderRng: AleaRng
  readonly failureRng: AleaRng
  readonly failureRate: number
  readonly outages: ReadonlyArray<{ readonly fromUs: number; readonly toUs: number; readonly failureRate: number }>
  /** No failure rate and no outage: every render succeeds, no draw needed. */
  readonly alwaysOk: boolean
  /** [duration µs, ok 1/0] of the last draw. */
  readonly out: Float64Array
}

export function renderDraw(s: Scenario, r: ResolvedRoute, streams: Streams): RenderDraw {
  const cfg = s.routes[r.index]!
  const rs = cfg.renderS
  const ln = typeof rs === 'number' ? null : lognormalParams(secToUs(rs.lognormal.medianS), secToUs(rs.lognormal.p95S))
  return {
    constantUs: typeof rs === 'number' ? secToUs(rs) : 0,
    params: ln === null ? null : Float64Array.of(ln.mu, ln.sigma),
    renderRng: streams.claim('render', r.id),
    failureRng: streams.claim('failures', r.id),
    failureRate: cfg.failureRate,
    outages: s.outages.filter((o) => o.routes === undefined || o.routes.includes(r.id)).map((o) => ({ fromUs: secToUs(o.fromS), toUs: secToUs(o.toS), failureRate: o.failureRate })),
    alwaysOk: cfg.failureRate === 0 && !s.outages.some((o) => o.failureRate > 0 && (o.routes === undefined || o.routes.includes(r.id))),
    out: new Float64Array(2),
  }
}

/** Draws a render starting at atUs into d.out: [duration, ok]: the render time as renders.ts rounds it (a normal by the ziggurat, normal.ts; e^x by exp.ts), the outcome. */
export function drawRender(d: RenderDraw, atUs: number): void {
  const p = d.params
  if (p === null) d.out[0] = d.constantUs
  else {
    normalInto(d.out, 0, d.renderRng)
    d.out[0] = roundHalfUp(expFast(p[0]! + p[1]! * d.out[0]!))
  }
  if (d.alwaysOk) { d.out[1] = 1; return }
  const u = (d.failureRng.nextInt32() >>> 0) * UINT32_SCALE
  d.out[1] = u < okProbability(d, atUs) ? 1 : 0
}

/** The probability that a render starting at atUs succeeds: the route's failure rate and its outages (§3.5). */
export function okProbability(d: RenderDraw, atUs: number): number {
  let pOk = 1 - d.failureRate
  for (const o of d.outages) if (atUs >= o.fromUs && atUs < o.toUs) pOk *= 1 - o.failureRate
  return pOk
}

export interface PathCtx {
  readonly s: Scenario
  readonly r: ResolvedRoute
  readonly profile: VersionProfile
  readonly m: Metrics
  readonly curve: RateCurve
  readonly arrivals: AleaRng
  readonly render: RenderDraw
  readonly acc: FastAcc
  /** The route's crawlers, or null. */
  readonly crawl: PathCrawl | null
  /** The route's fetches and the path's Data Cache entries (fast-fetches.ts), or null. */
  readonly fetches: FastFetches | null
  /** A Pages route with fallback true (§14.3): a user's request for a path with no entry gets the shell, and starts the render. */
  readonly shell: boolean
  /** The restarts of the instance being run (µs, ascending, before the run's end), and whether one keeps an entry's cache control (16.4 App, §11.2, §14.7). */
  restartUs: readonly number[]
  readonly keepsCacheControl: boolean
  /** The end of the stretch being run, µs: the run's end, or the next deploy's time (runPath sets it per stretch). */
  durationUs: number
  /** Arrivals at continuous times below this round to before durationUs. */
  endCont: number
  /** The run's end, µs. */
  readonly runEndUs: number
  /** The deploys' times before the run's end, ascending (µs), and whether each prerenders (deploys[].prerender). */
  readonly deployAtUs: readonly number[]
  readonly deployPrerenders: readonly boolean[]
  /** Per deploy: whether its build keeps the old fetch cache (reuseFetchCache, §15.5). */
  readonly deployReuses: readonly boolean[]
  /** The on-demand calls that reach the path being run (fast-tags.ts), or null: none does. */
  tags: PathTags | null
  /** The path's share of the route's traffic. */
  share: number
  /** With a flat rate: µs per unit of Exp(1) for this path (1 / (share × rate)); NaN with a daily curve. */
  usPerArrival: number
  readonly scratch: Float64Array
}

/** The continuous time of the path's next arrival after continuous time t (memoryless); Infinity past the curve. */
export function nextArrival(c: PathCtx, t: number): number {
  c.scratch[0] = 0
  addExponential(c.scratch, 0, c.arrivals)
  if (c.usPerArrival === c.usPerArrival) return t + c.scratch[0]! * c.usPerArrival // a flat rate: no curve to walk
  return timeAt(c.curve, lambdaAt(c.curve, t) + c.scratch[0]! / c.share)
}

/** Defers the arrivals of [t0, t1) with outcome o (ages from contentAtUs when aged), piece by piece. */
export function bulk(c: PathCtx, o: Outcome, t0: number, t1: number, contentAtUs: number, aged: boolean): void {
  const curve = c.curve
  while (t0 < t1) {
    const seg = segmentOf(curve, t0)
    const segEnd = curve.segUs === Infinity ? Infinity : (seg + 1) * curve.segUs
    const cut = Math.min(t1, nextCut(c.m, t0), segEnd)
    const density = c.share * curve.segRate[seg]!
    if (density > 0) addPiece(c.acc, c.m, o, t0, cut, density * (cut - t0), density, contentAtUs, aged)
    t0 = cut
  }
}

/** The path's state between two of its events (one object per route, reset per path). */
export interface PathState {
  has: boolean
  lastModUs: number
  contentAtUs: number
  revalUs: number
  expireUs: number
  /** The next user request drawn ahead (continuous µs), or NaN: none drawn, the process is fresh from `freshFrom`. */
  pending: number
  freshFrom: number
  /** Who made the request nextRequest returned: 1 a crawler, 0 a user. */
  byCrawler: boolean
  /** The path's first draw, already made (fast-sparse.ts: its first state-changing arrival), or NaN: draw it. */
  firstUs: number
  /** The next of the instance's restarts (an index into PathCtx.restartUs) not yet applied. */
  restartI: number
  /** The start of the background render runSteady handed over (STEADY_RENDERING), µs. */
  renderAtUs: number
}

export function createPathState(): PathState {
  return { has: false, lastModUs: 0, contentAtUs: 0, revalUs: 0, expireUs: 0, pending: NaN, freshFrom: 0, byCrawler: false, firstUs: NaN, restartI: 0, renderAtUs: 0 }
}

/**
 * The path's next user arrival after st.freshFrom, to draw ahead: none (Infinity) once the
 * stretch is over, the one given in st.firstUs if not yet taken, else a draw.
 */
export function arrivalFrom(c: PathCtx, st: PathState): number {
  if (!(st.freshFrom < c.endCont)) return Infinity
  const t = st.firstUs
  if (t === t) { st.firstUs = NaN; return t }
  return nextArrival(c, st.freshFrom)
}
