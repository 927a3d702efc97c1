/**
 * Fast mode's per-path timelines (docs/fast-mode.md). A route that fast-forwards
 * (fast-eligibility.ts) has paths that share nothing, so each path runs alone, start to end,
 * before the next: its requests are a Poisson process of its share of the route's rate, and
 * the path jumps from state change to state change:
 *   - no entry: the next arrival blocks on a render (MISS); the arrivals during it wait for it;
 *   - a fresh entry: every arrival until lastModified + revalidate is a HIT (deferred, in bulk);
 *   - then the next arrival is STALE and starts a regeneration (or, past expire on 16.3+, blocks);
 *   - arrivals during a regeneration are STALE (deferred, in bulk); its end re-sets the entry.
 * Only the arrivals that change state are drawn, each from the memoryless process restarted
 * at the window's end. A path never requested costs one draw and no memory; nothing per path
 * is kept once its timeline is done.
 *
 * Rule references (§n) point at docs/semantics.md: §1.1–1.3 (fresh, stale, de-duplication),
 * §2 (expire, 16.3+), §3 (the failure back-off).
 */
import { addExponential, lognormalInto, lognormalParams } from '../kernel/dist.ts'
import { UINT32_SCALE, type AleaRng, type Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs, US_PER_S } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import { DEFAULT_REVALIDATE_US, type ResolvedRoute } from './entries.ts'
import { addPiece, createFastAcc, drawDeferred, nextCut, point, renderStarted, written, type FastAcc } from './fast-metrics.ts'
import { lambdaAt, rateCurve, segmentOf, timeAt, type RateCurve } from './fast-rate.ts'
import { BACKGROUND, BLOCKING, DYNAMIC, DYNAMIC_RENDER, ERROR, HIT, MISS, NOT_FOUND, STALE, type Metrics, type Outcome } from './metrics.ts'
import { backoffExpireUs, backoffRevalidateS, type VersionProfile } from './profiles.ts'

/** A route's render: its time and outcome, drawn as renders.ts draws them (one render-stream and one failure-stream draw each). */
interface RenderDraw {
  readonly constantUs: number
  /** [mu, sigma] of a lognormal in µs, or null for a constant. */
  readonly params: Float64Array | null
  readonly renderRng: AleaRng
  readonly failureRng: AleaRng
  readonly failureRate: number
  readonly outages: ReadonlyArray<{ readonly fromUs: number; readonly toUs: number; readonly failureRate: number }>
  /** [duration µs, ok 1/0] of the last draw. */
  readonly out: Float64Array
}

function renderDraw(s: Scenario, r: ResolvedRoute, streams: Streams): RenderDraw {
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
    out: new Float64Array(2),
  }
}

/** Draws a render starting at atUs into d.out: [duration, ok]. */
function drawRender(d: RenderDraw, atUs: number): void {
  if (d.params === null) d.out[0] = d.constantUs
  else {
    lognormalInto(d.out, 0, d.renderRng, d.params, 0)
    d.out[0] = roundHalfUp(d.out[0]!)
  }
  const u = (d.failureRng.nextInt32() >>> 0) * UINT32_SCALE
  let pOk = 1 - d.failureRate
  for (const o of d.outages) if (atUs >= o.fromUs && atUs < o.toUs) pOk *= 1 - o.failureRate
  d.out[1] = u < pOk ? 1 : 0
}

/** A route's paths' shares of its traffic, computed per path (no table for uniform or Zipf popularity). */
function shareOf(s: Scenario, r: ResolvedRoute): (k: number) => number {
  const pop = s.routes[r.index]!.traffic.popularity
  const n = r.count
  if (pop === 'uniform' || n === 1) return () => 1 / n
  if ('zipf' in pop) {
    const z = pop.zipf
    let h = 0
    for (let k = 0; k < n; k++) h += 1 / Math.pow(k + 1, z)
    return (k) => 1 / Math.pow(k + 1, z) / h
  }
  const w = pop.weights.slice(0, n)
  const sum = w.reduce((a, b) => a + b, 0)
  return (k) => (k < w.length ? w[k]! / sum : 0)
}

/** Runs route r in fast mode, recording into m. */
export function runFastRoute(s: Scenario, r: ResolvedRoute, profile: VersionProfile, streams: Streams, m: Metrics, durationUs: number, buildAtUs: number): void {
  const curve = rateCurve(s, r.index, durationUs)
  const arrivals = streams.claim('arrivals', r.id)
  const render = renderDraw(s, r, streams)
  const acc = createFastAcc(r.index, m.bins)
  const ctx: PathCtx = { s, r, profile, m, curve, arrivals, render, acc, durationUs, endCont: durationUs - 0.5, share: 1, scratch: new Float64Array(1) }
  if (r.isDynamic) runDynamic(ctx)
  else {
    const share = shareOf(s, r)
    for (let k = 0; k < r.count; k++) {
      ctx.share = share(k)
      if (ctx.share > 0) runPath(ctx, k, buildAtUs)
    }
  }
  drawDeferred(acc, m, arrivals)
}

interface PathCtx {
  readonly s: Scenario
  readonly r: ResolvedRoute
  readonly profile: VersionProfile
  readonly m: Metrics
  readonly curve: RateCurve
  readonly arrivals: AleaRng
  readonly render: RenderDraw
  readonly acc: FastAcc
  readonly durationUs: number
  /** Arrivals at continuous times below this round to before the end of the run. */
  readonly endCont: number
  /** The path's share of the route's traffic. */
  share: number
  readonly scratch: Float64Array
}

/** The continuous time of the path's next arrival after continuous time t (memoryless). */
function nextArrival(c: PathCtx, t: number): number {
  c.scratch[0] = 0
  addExponential(c.scratch, 0, c.arrivals)
  return timeAt(c.curve, lambdaAt(c.curve, t) + c.scratch[0]! / c.share)
}

/** Defers the arrivals of [t0, t1) with outcome o (ages from contentAtUs when aged), piece by piece. */
function bulk(c: PathCtx, o: Outcome, t0: number, t1: number, contentAtUs: number, aged: boolean): void {
  const curve = c.curve
  while (t0 < t1) {
    const seg = segmentOf(curve, t0)
    const segEnd = curve.segUs === Infinity ? Infinity : (seg + 1) * curve.segUs
    const cut = Math.min(t1, nextCut(c.m, t0), segEnd)
    const density = c.share * curve.segRate[seg]!
    addPiece(c.acc, c.m, o, t0, cut, density * (cut - t0), density, contentAtUs, aged)
    t0 = cut
  }
}

/** A dynamic route: every request renders for itself (§5.2); the path does not matter. */
function runDynamic(c: PathCtx): void {
  const route = c.r.index, d = c.render, m = c.m
  for (let t = nextArrival(c, 0); t < c.endCont; t = nextArrival(c, t)) {
    const T = roundHalfUp(t)
    drawRender(d, T)
    const dur = d.out[0]!, ok = d.out[1] === 1
    renderStarted(m, route, DYNAMIC_RENDER, ok, T, dur)
    point(m, route, ok ? DYNAMIC : ERROR, T, ok ? dur : -1, dur)
  }
}

/** One path's whole timeline (path k of the route). */
function runPath(c: PathCtx, k: number, buildAtUs: number): void {
  const r = c.r, m = c.m, route = r.index, d = c.render, endCont = c.endCont
  const prebuilt = k < r.prebuilt
  if (!prebuilt && !r.dynamicParams) { bulk(c, NOT_FOUND, 0, endCont, 0, false); return } // §6: never rendered, every request a 404
  const enforces = c.profile.enforcesExpire
  let has = prebuilt, lastModUs = buildAtUs, contentAtUs = buildAtUs
  let revalUs = prebuilt ? r.revalidateUs : DEFAULT_REVALIDATE_US, expireUs = prebuilt ? r.expireUs : Infinity
  let tc = 0
  for (;;) {
    let withPrev = false
    let t: number
    if (has) {
      const freshEnd = lastModUs + (enforces ? Math.min(revalUs, expireUs) : revalUs) + 0.5
      if (freshEnd > tc) bulk(c, HIT, tc, Math.min(freshEnd, endCont), contentAtUs, true)
      if (freshEnd >= endCont) return
      if (freshEnd > tc) tc = freshEnd
      t = nextArrival(c, tc)
      if (!(t < endCont)) return
      const T = roundHalfUp(t)
      if (!(enforces && T - lastModUs > expireUs)) {
        // §1.1, §1.3: STALE, and a background regeneration; arrivals meanwhile are STALE too.
        point(m, route, STALE, T, T - contentAtUs, 0)
        drawRender(d, T)
        const dur = d.out[0]!, ok = d.out[1] === 1
        renderStarted(m, route, BACKGROUND, ok, T, dur)
        const endUs = T + dur
        const joinEnd = Math.min(endUs - 0.5, endCont)
        if (joinEnd > t) bulk(c, STALE, t, joinEnd, contentAtUs, true)
        if (endUs >= c.durationUs) return
        if (ok) {
          written(m, route, false, endUs)
          contentAtUs = T
          revalUs = r.revalidateUs
          expireUs = r.expireUs
        } else {
          // §3: the old content stays, re-set from the failure with the clamped revalidate.
          const r2 = backoffRevalidateS(revalUs === Infinity ? false : revalUs / US_PER_S)
          revalUs = secToUs(r2)
          expireUs = backoffExpireUs(c.profile, r2, expireUs)
        }
        lastModUs = endUs
        tc = endUs - 0.5
        continue
      }
      withPrev = true // §2, 16.3+: past expire, the request blocks on a render that keeps the entry for a failure
    } else {
      t = nextArrival(c, tc)
      if (!(t < endCont)) return
    }
    // A blocking render (§1.2): this request and every arrival until it ends wait for it.
    const T = roundHalfUp(t)
    drawRender(d, T)
    const dur = d.out[0]!, ok = d.out[1] === 1
    const o: Outcome = ok ? MISS : ERROR
    renderStarted(m, route, BLOCKING, ok, T, dur)
    const endUs = T + dur
    point(m, route, o, T, ok ? dur : -1, dur)
    const joinEnd = Math.min(endUs - 0.5, endCont)
    for (let u = nextArrival(c, t); u < joinEnd; u = nextArrival(c, u)) {
      const U = roundHalfUp(u)
      point(m, route, o, U, ok ? dur : -1, endUs - U)
    }
    if (endUs >= c.durationUs) return
    if (ok) {
      written(m, route, !has, endUs)
      has = true
      contentAtUs = T
      revalUs = r.revalidateUs
      expireUs = r.expireUs
      lastModUs = endUs
    } else if (withPrev) {
      const r2 = backoffRevalidateS(revalUs === Infinity ? false : revalUs / US_PER_S)
      revalUs = secToUs(r2)
      expireUs = backoffExpireUs(c.profile, r2, expireUs)
      lastModUs = endUs
    }
    tc = endUs - 0.5
  }
}
