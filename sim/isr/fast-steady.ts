/**
 * The steady cycle of a cached path in fast mode, as one tight loop: a HIT window, the STALE
 * request that starts a background regeneration, a STALE window until it ends, the write (or
 * the back-off), and again. Nearly all of a long run's cost is this cycle (a path with
 * revalidate 600 s renders ~4,300 times a month), so it is fast-timeline.ts's runPath with
 * window(), bulk(), addPiece(), point(), nextRequest(), crawlerVisits(), drawRender(),
 * renderStarted() and written() written out by hand, for a flat rate or a daily curve (crawlers,
 * a user request drawn ahead and the route's own fetches, fast-fetches.ts, included). It draws
 * the same numbers from the same streams in the same order and adds the same terms in the same
 * order, so its results are the general code's, bit for bit (test/fast-steady.test.ts runs both).
 *
 * Why by hand: V8 boxes a double passed to or returned from a call it does not inline (an
 * allocation per call, and the GC to match), and it stops inlining when a function's budget
 * runs out. Here every hot double stays in a local or a typed array. Two more savings: the
 * series bin and warmup side of the current piece, and the bin of the current request, are
 * kept while time moves forward, instead of a division per window.
 */
import { addExponential, exponentialFast } from '../kernel/dist.ts'
import { expFast } from '../kernel/exp.ts'
import { BUCKET_SCALE, HISTOGRAM_BUCKETS as K } from '../kernel/histogram.ts'
import { normalFast, normalSlowInto } from '../kernel/normal.ts'
import { ALEA_MUL, UINT32_RANGE, UINT32_SCALE } from '../kernel/rng.ts'
import { secToUs, US_PER_S } from '../kernel/time.ts'
import { advance, nextCrawler } from './fast-crawl.ts'
import { BETA, binOfCont, nextCut, point } from './fast-metrics.ts'
import { readFetches } from './fast-fetches.ts'
import { okProbability, type PathCtx, type PathState } from './fast-path-ctx.ts'
import { BACKGROUND, HIT, OUTCOME_NAMES, STALE } from './metrics.ts'
import { backoffExpireUs, backoffRevalidateS } from './profiles.ts'

const NO = OUTCOME_NAMES.length
/** Series columns per bin (metrics.ts). */
const SC = NO + 4
const TWO32 = 2 ** 32

/** For tests that check the loop against the general code: false sends every path through fast-timeline.ts alone. */
let enabled = true
export function useSteadyLoop(on: boolean): void {
  enabled = on
}
export function steadyEnabled(): boolean {
  return enabled
}

/** runSteady's answers besides -1 (the timeline is over) and a request's time T ≥ 0 past expire. */
export const STEADY_HANDOFF = -2, STEADY_RENDERING = -3

/**
 * Runs the cycle from a state with an entry that no tag marks, until something at or after
 * stopUs (a restart, an on-demand call or purge reaching the path, or an expire a call set
 * coming due: fast-timeline.ts runStretch) could change what a cycle does, which the general
 * code then takes. Returns:
 * - -1 when the path's timeline is over;
 * - the time T ≥ 0 of a request that came past expire (§2, 16.3+), which the caller handles as
 *   a blocking render;
 * - STEADY_HANDOFF when stopUs comes before the end of the next fresh window or before the next
 *   request: the general code takes that step, nothing of it consumed (the request drawn ahead
 *   is in st);
 * - STEADY_RENDERING when stopUs comes before the end of the background render started at
 *   st.renderAtUs: its STALE request, its draw (c.render.out: duration with the fetches' wait,
 *   ok) and its start are recorded, the rest is the general code's (backgroundEnd).
 * st is up to date (with the user request drawn ahead, if any, and who made T). Crawlers'
 * visits (rare next to renders) go through point() as fast-timeline.ts records them, with the
 * loop's age sums written back around each.
 */
export function runSteady(c: PathCtx, st: PathState, stopUs: number): number {
  const m = c.m, acc = c.acc, r = c.r, route = r.index, d = c.render
  const mu = acc.mu, ageTop = acc.ageTop, direct = acc.ageDirect, densityDiff = acc.ageDensityDiff, openDiff = acc.ageOpenDiff
  const counts = m.counts, countsAtWarmup = m.countsAtWarmup, series = m.series, ageHist = m.ageHist, ageSum = m.ageSum, ageMax = m.ageMax
  const renders = m.renders, failed = m.failed, renderUs = m.renderUs, writes = m.writes
  const enforces = c.profile.enforcesExpire
  // Unary + on every value read from an object or returned by a call that feeds a loop variable: it
  // types the value as a number, so V8 keeps the loop's variables as raw doubles (a value of
  // unknown type would make them tagged, and box a new double at every assignment).
  const endCont = +c.endCont, durationUs = +c.durationUs, warmupUs = +m.warmupUs, binUs = +m.binUs, lastBin = m.bins - 1
  const revalRoute = +r.revalidateUs, expireRoute = +r.expireUs
  // The rate (fast-rate.ts): flat, or a daily curve of segments segUs wide. The path's density
  // (share × the segment's rate, the same double bulk() computes per piece) holds for continuous
  // times below segEndCont; with a flat rate, everywhere.
  const curve = c.curve, segRate = curve.segRate, segLambda = curve.segLambda, segUs = +curve.segUs, nSeg = segRate.length, flat = segUs === Infinity
  const share = +c.share
  let density = share * segRate[0]!, segEndCont = flat ? Infinity : -Infinity
  const usPerArrival = +c.usPerArrival
  // The streams' Alea states (rng.ts AleaRng.s [c, s0, s1, s2]), stepped here by hand in locals and
  // written back before a rare case draws through the stream, and when the loop ends.
  const arrivals = c.arrivals, sa = arrivals.s, sf = d.failureRng.s, renderRng = d.renderRng, sr = renderRng.s, scratch = c.scratch, out = d.out
  let ac = sa[0]!, a0 = sa[1]!, a1 = sa[2]!, a2 = sa[3]!
  let fc = sf[0]!, f0 = sf[1]!, f1 = sf[2]!, f2 = sf[3]!
  let rc = sr[0]!, r0 = sr[1]!, r1 = sr[2]!, r2 = sr[3]!
  const params = d.params
  const lnMu = params === null ? 0 : params[0]!, lnSigma = params === null ? 0 : params[1]!, constantUs = +d.constantUs
  const alwaysOk = d.alwaysOk, flatOk = d.outages.length === 0, pOkFlat = 1 - d.failureRate
  const hRoute = route * K, sRoute = route * NO + STALE
  const fetches = c.fetches, runEndUs = +c.runEndUs
  const crawl = c.crawl, crawlerRequests = m.crawlerRequests, crawlerRenders = m.crawlerRenders
  // The next crawler visit (integer µs; Infinity: none left) and whose it is.
  let ci = crawl === null ? -1 : nextCrawler(crawl)
  let tc = ci < 0 ? Infinity : +crawl!.next[ci]!

  let lastMod = +st.lastModUs, contentAt = +st.contentAtUs, reval = +st.revalUs, expire = +st.expireUs, freshFrom = +st.freshFrom
  // The user request drawn ahead (continuous µs), or NaN (fast-timeline.ts PathState.pending); whether a crawler made T;
  // the path's first draw if already made (PathState.firstUs).
  let pending = +st.pending, byCrawler = false, given = +st.firstUs
  // The current piece: series bin and warmup side of continuous times below cutCont (as nextCut and binOfCont give them).
  let cutCont = -Infinity, cell = -1, measured = false
  // The series bin of integer times below binEndUs (as point() computes it).
  let bin = 0, binEndUs = -Infinity
  // Sums kept in locals while the loop runs and written back when it ends: the same additions in
  // the same order, without a load and a store each. The current cell's expected HITs and STALEs;
  // the current bin's STALE requests (each starts one background render); the route's counters.
  let muHit = 0, muStale = 0, nBin = 0, nStale = 0, nRenders = 0, nWrites = 0
  let sumAge = +ageSum[route]!, maxAge = +ageMax[route]!, sumRenderUs = +renderUs[route]!
  let ret = -1
  // The window in progress: [freshFrom, untilCont) with outcome o; then, after a HIT window, a
  // STALE request at T starts a render ending at endUs (ok or not).
  let o: typeof HIT | typeof STALE = HIT
  let untilCont = lastMod + (enforces ? Math.min(reval, expire) : reval) + 0.5
  let T = 0, endUs = 0, ok = true
  // The last render end the loop wrote (runStretch's background() moves the calls' view to it).
  let lastEndUs = -Infinity
  for (;;) {
    // Something at or after stopUs may cut this fresh window (runStretch: before its limit): the general code runs it.
    if (o === HIT && stopUs <= untilCont - 0.5) { ret = STEADY_HANDOFF; break }
    // window(): the window's arrivals, deferred piece by piece (bulk()) from its start, or from
    // the request drawn ahead when it falls in the window (recorded first); none when it falls after.
    const end = untilCont < endCont ? untilCont : endCont
    let t0 = freshFrom, inWindow = true
    if (pending === pending) {
      if (pending < end) {
        const fu = Math.floor(pending), U = fu + Number(pending - fu >= 0.5)
        ageSum[route] = sumAge
        ageMax[route] = maxAge
        point(m, route, o, U, U - contentAt, 0)
        sumAge = +ageSum[route]!
        maxAge = +ageMax[route]!
        t0 = pending
        pending = NaN
      } else inWindow = false
    }
    while (inWindow && t0 < end) {
      if (t0 >= cutCont) {
        if (cell >= 0) { mu[cell + HIT] = muHit; mu[cell + STALE] = muStale }
        cutCont = +nextCut(m, t0)
        measured = t0 >= warmupUs - 0.5
        cell = (binOfCont(m, t0) * 2 + (measured ? 1 : 0)) * NO
        muHit = mu[cell + HIT]!
        muStale = mu[cell + STALE]!
      }
      if (t0 >= segEndCont) {
        // bulk()'s segmentOf() and segment end.
        let seg = Math.floor(t0 / segUs)
        if (!(seg < nSeg)) seg = nSeg - 1
        segEndCont = (seg + 1) * segUs
        density = share * segRate[seg]!
      }
      let t1 = end < cutCont ? end : cutCont
      if (segEndCont < t1) t1 = segEndCont
      if (density > 0) {
        if (o === HIT) muHit += density * (t1 - t0)
        else muStale += density * (t1 - t0)
        if (measured) {
          // addPiece(): the piece's age density over the buckets it spans.
          const a0 = t0 - contentAt, a1 = t1 - contentAt
          if (a1 > ageTop[0]!) ageTop[0] = a1
          // bucketOf(roundHalfUp(a)) by hand (histogram.ts, time.ts) for both ends: a call would box the double.
          const f0 = Math.floor(a0), v0 = f0 + Number(a0 - f0 >= 0.5)
          const f1 = Math.floor(a1), v1 = f1 + Number(a1 - f1 >= 0.5)
          let b0: number, b1: number
          if (v0 < 256) b0 = v0 | 0
          else if (v0 < TWO32) { const u = v0 >>> 0, x = 31 - Math.clz32(u); b0 = 256 + (x - 8) * 128 + ((u >>> (x - 7)) - 128) }
          else { const x = 63 - Math.clz32((v0 / TWO32) >>> 0); b0 = (256 + (x - 8) * 128 + (Math.floor(v0 * BUCKET_SCALE[x]!) - 128)) | 0 }
          if (v1 < 256) b1 = v1 | 0
          else if (v1 < TWO32) { const u = v1 >>> 0, x = 31 - Math.clz32(u); b1 = 256 + (x - 8) * 128 + ((u >>> (x - 7)) - 128) }
          else { const x = 63 - Math.clz32((v1 / TWO32) >>> 0); b1 = (256 + (x - 8) * 128 + (Math.floor(v1 * BUCKET_SCALE[x]!) - 128)) | 0 }
          if (b0 === b1) direct[b0] = direct[b0]! + density * (a1 - a0)
          else {
            direct[b0] = direct[b0]! + density * (BETA[b0 + 1]! - a0)
            direct[b1] = direct[b1]! + density * (a1 - BETA[b1]!)
            densityDiff[b0 + 1] = densityDiff[b0 + 1]! + density
            densityDiff[b1] = densityDiff[b1]! - density
            openDiff[b0 + 1] = openDiff[b0 + 1]! + 1
            openDiff[b1] = openDiff[b1]! - 1
          }
        }
      }
      t0 = t1
    }
    if (inWindow && untilCont > freshFrom) freshFrom = untilCont
    // crawlerVisits(): the crawlers' visits up to the window's end, each a request with outcome o.
    while (tc < untilCont + 0.5 && tc < durationUs) {
      const Tv = tc
      advance(crawl!, ci)
      ci = nextCrawler(crawl!)
      tc = ci < 0 ? Infinity : +crawl!.next[ci]!
      if (Tv >= warmupUs) crawlerRequests[route] = crawlerRequests[route]! + 1
      ageSum[route] = sumAge
      ageMax[route] = maxAge
      point(m, route, o, Tv, Tv - contentAt, 0)
      sumAge = +ageSum[route]!
      maxAge = +ageMax[route]!
    }

    if (o === STALE) {
      // The regeneration ends: the entry is re-set (or backs off), fresh again until its revalidate.
      if (endUs >= durationUs) break
      lastEndUs = endUs
      if (ok) {
        if (endUs >= warmupUs) nWrites++
        contentAt = T
        reval = revalRoute
        expire = expireRoute
      } else {
        // §3: the old content stays, re-set from the failure with the clamped revalidate.
        const r2 = backoffRevalidateS(reval === Infinity ? false : reval / US_PER_S)
        reval = +secToUs(r2)
        expire = +backoffExpireUs(c.profile, r2, expire)
      }
      lastMod = endUs
      untilCont = lastMod + (enforces ? Math.min(reval, expire) : reval) + 0.5
      o = HIT
      continue
    }

    // The HIT window is over: the next request (nextRequest()), a user's or a crawler's, is STALE.
    if (!(untilCont < endCont)) break
    if (pending !== pending) {
      if (given === given) { pending = given; given = NaN }
      else if (freshFrom < endCont) {
        // nextArrival(): one Alea step of the arrivals stream (AleaRng.step, nextInt32), then the exponential
        // ziggurat's common case (dist.ts addExponential); its rare case re-draws through addExponential from the state before.
        const ta = ALEA_MUL * a0 + ac * UINT32_SCALE, ca = ta | 0, ua = ta - ca
        const jz = (ua * UINT32_RANGE) >>> 0
        let e = exponentialFast(jz)
        if (e >= 0) { a0 = a1; a1 = a2; ac = ca; a2 = ua }
        else {
          sa[0] = ac; sa[1] = a0; sa[2] = a1; sa[3] = a2
          scratch[0] = 0
          addExponential(scratch, 0, arrivals)
          e = scratch[0]!
          ac = sa[0]!; a0 = sa[1]!; a1 = sa[2]!; a2 = sa[3]!
        }
        if (flat) pending = freshFrom + e * usPerArrival
        else {
          // nextArrival() on the curve: timeAt(lambdaAt(freshFrom) + e / share), fast-rate.ts by hand.
          let j = Math.floor(freshFrom / segUs)
          if (!(j < nSeg)) j = nSeg - 1
          const x = segLambda[j]! + segRate[j]! * (freshFrom - j * segUs) + e / share
          if (!(x < segLambda[nSeg]!)) pending = Infinity
          else {
            // timeAt's segment: the last whose start Λ is at or below x, found forward from j (Λ(freshFrom) <= x), then past zero rates.
            let lo = j
            while (lo + 1 < nSeg && segLambda[lo + 1]! <= x) lo++
            while (segRate[lo]! === 0) lo++
            pending = lo * segUs + (x - segLambda[lo]!) / segRate[lo]!
          }
        }
      } else pending = Infinity
    }
    let Th = Infinity
    if (pending < endCont) { const fp = Math.floor(pending); Th = fp + Number(pending - fp >= 0.5) }
    // peekRequest(): a restart, call or purge at or before the next request (or with none left) is the general code's.
    if (stopUs <= (tc <= Th && tc < durationUs ? tc : Th)) { ret = STEADY_HANDOFF; break }
    if (tc <= Th && tc < durationUs) {
      // A crawler's visit comes first (first on a tie): the user's request stays drawn ahead.
      T = tc
      advance(crawl!, ci)
      ci = nextCrawler(crawl!)
      tc = ci < 0 ? Infinity : +crawl!.next[ci]!
      if (T >= warmupUs) crawlerRequests[route] = crawlerRequests[route]! + 1
      byCrawler = true
    } else {
      if (Th === Infinity) break
      T = Th
      freshFrom = pending
      pending = NaN
      byCrawler = false
    }
    if (enforces && T - lastMod > expire) { ret = T; break }
    if (T >= binEndUs) {
      if (nBin > 0) addBin(series, bin * SC, nBin)
      nBin = 0
      bin = Math.min(Math.floor(T / binUs), lastBin)
      binEndUs = bin === lastBin ? Infinity : (bin + 1) * binUs
    }
    const sBin = bin * SC
    // point(): the STALE request, with its age.
    nStale++
    nBin++
    const live = T >= warmupUs
    if (!live) countsAtWarmup[sRoute] = countsAtWarmup[sRoute]! + 1
    else {
      const ageUs = T - contentAt
      if (ageUs >= 0) {
        let h = hRoute
        if (ageUs < 256) h += ageUs | 0
        else if (ageUs < TWO32) { const u = ageUs >>> 0, x = 31 - Math.clz32(u); h += 256 + (x - 8) * 128 + ((u >>> (x - 7)) - 128) }
        else { const x = 63 - Math.clz32((ageUs / TWO32) >>> 0); h += (256 + (x - 8) * 128 + (Math.floor(ageUs * BUCKET_SCALE[x]!) - 128)) | 0 }
        ageHist[h] = ageHist[h]! + 1
        sumAge += ageUs
        if (ageUs > maxAge) maxAge = ageUs
      }
    }
    // drawRender(): its duration (a lognormal by the ziggurat normal, or a constant) and outcome.
    let durUs = constantUs
    if (params !== null) {
      // normalInto() by hand: one Alea step of the render stream (nextInt32), the ziggurat's common case.
      const tr = ALEA_MUL * r0 + rc * UINT32_SCALE
      r0 = r1; r1 = r2; rc = tr | 0; r2 = tr - rc
      const hz = (r2 * UINT32_RANGE) | 0
      let z = normalFast(hz)
      if (z !== z) {
        sr[0] = rc; sr[1] = r0; sr[2] = r1; sr[3] = r2
        normalSlowInto(out, 0, renderRng, hz)
        z = out[0]!
        rc = sr[0]!; r0 = sr[1]!; r1 = sr[2]!; r2 = sr[3]!
      }
      const x = expFast(lnMu + lnSigma * z), fx = Math.floor(x)
      durUs = fx + Number(x - fx >= 0.5)
    }
    if (alwaysOk) ok = true
    else {
      const tf = ALEA_MUL * f0 + fc * UINT32_SCALE
      f0 = f1; f1 = f2; fc = tf | 0; f2 = tf - fc
      ok = ((f2 * UINT32_RANGE) >>> 0) * UINT32_SCALE < (flatOk ? pOkFlat : okProbability(d, T))
    }
    // readFetches(): the route's fetches (fast-fetches.ts), which a stale or missing entry makes the render wait for.
    if (fetches !== null) durUs += readFetches(fetches, T, false, warmupUs, runEndUs, c.tags)
    // renderStarted(): a background render.
    if (!ok) series[sBin + NO + 3] = series[sBin + NO + 3]! + 1
    if (live) {
      nRenders++
      if (!ok) failed[route] = failed[route]! + 1
      sumRenderUs += durUs
      if (byCrawler) crawlerRenders[route] = crawlerRenders[route]! + 1
    }
    endUs = T + durUs
    if (stopUs <= endUs) {
      // Something lands during the render or at its end: background()'s rest (backgroundEnd) takes it from here.
      out[0] = durUs
      out[1] = ok ? 1 : 0
      st.renderAtUs = T
      ret = STEADY_RENDERING
      break
    }
    untilCont = endUs - 0.5
    o = STALE
  }
  // background() moves the calls' view to each render's end (advanceTags): so does the loop, once.
  const tags = c.tags
  if (tags !== null && lastEndUs > tags.atUs) tags.atUs = lastEndUs
  if (cell >= 0) { mu[cell + HIT] = muHit; mu[cell + STALE] = muStale }
  if (nBin > 0) addBin(series, bin * SC, nBin)
  counts[sRoute] = counts[sRoute]! + nStale
  renders[route * 3 + BACKGROUND] = renders[route * 3 + BACKGROUND]! + nRenders
  writes[route] = writes[route]! + nWrites
  ageSum[route] = sumAge
  ageMax[route] = maxAge
  renderUs[route] = sumRenderUs
  st.byCrawler = byCrawler
  st.firstUs = given
  sa[0] = ac; sa[1] = a0; sa[2] = a1; sa[3] = a2
  sf[0] = fc; sf[1] = f0; sf[2] = f1; sf[3] = f2
  sr[0] = rc; sr[1] = r0; sr[2] = r1; sr[3] = r2
  return done(st, lastMod, contentAt, reval, expire, freshFrom, pending, ret)
}

/** n STALE requests in the series bin at column sBin, each starting a background render. */
function addBin(series: Float64Array, sBin: number, n: number): void {
  series[sBin + STALE] = series[sBin + STALE]! + n
  series[sBin + NO + BACKGROUND] = series[sBin + NO + BACKGROUND]! + n
}

/** Writes the cycle's state back into st and returns ret. */
function done(st: PathState, lastMod: number, contentAt: number, reval: number, expire: number, freshFrom: number, pending: number, ret: number): number {
  st.lastModUs = lastMod
  st.contentAtUs = contentAt
  st.revalUs = reval
  st.expireUs = expire
  st.freshFrom = freshFrom
  st.pending = pending
  return ret
}
