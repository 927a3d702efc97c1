/**
 * One path's whole timeline in fast mode (docs/fast-mode.md), from state change to state change:
 *   - no entry: the next request blocks on a render (MISS); the requests during it wait for it;
 *   - a fresh entry: every request until lastModified + revalidate is a HIT;
 *   - then the next request is STALE and starts a regeneration (or, past expire on 16.3+, blocks);
 *   - requests during a regeneration are STALE from the old entry; its end re-sets the entry.
 * Users' requests are a Poisson process. The timeline keeps at most one of them drawn ahead
 * (`pending`): a window that starts with none pending defers every arrival in it (bulk, never
 * drawn); a window that holds the pending one records it and defers from it on, since the
 * process is memoryless from any arrival; a window that ends before it has none. So no part of
 * the process is drawn twice or skipped. Crawlers' visits are known in advance (fast-crawl.ts)
 * and recorded one by one; at the same µs a crawler's visit comes before a user's.
 *
 * Rule references (§n) point at docs/semantics.md: §1.1–1.3 (fresh, stale, de-duplication),
 * §2 (expire, 16.3+), §3 (the failure back-off), §6 (dynamicParams false), §14.3 (fallback shells).
 */
import { roundHalfUp, secToUs, US_PER_S } from '../kernel/time.ts'
import { DEFAULT_REVALIDATE_US } from './entries.ts'
import { advance, nextCrawler, startPath } from './fast-crawl.ts'
import { readFetches, resetFetches, restartFetches, reuseFetches } from './fast-fetches.ts'
import { point, renderStarted, written } from './fast-metrics.ts'
import { arrivalFrom, bulk, drawRender, nextArrival, type PathCtx, type PathState } from './fast-path-ctx.ts'
import { runSteady, STEADY_HANDOFF, STEADY_RENDERING, steadyEnabled } from './fast-steady.ts'
import { advanceMarked, advanceTags, attributeTagRender, nextBuild, nextPurge, nextTagChange, tagState } from './fast-tags.ts'
import { TAGS_EXPIRED, TAGS_NONE } from './decide.ts'
import { BACKGROUND, BLOCKING, ERROR, FALLBACK, HIT, MISS, NOT_FOUND, STALE, type Outcome } from './metrics.ts'
import { backoffExpireUs, backoffRevalidateS } from './profiles.ts'

/** Records every request of [.., endCont) up to a window's end `untilCont` with outcome o (HIT or STALE from the entry). */
function window(c: PathCtx, st: PathState, o: Outcome, untilCont: number): void {
  const end = Math.min(untilCont, c.endCont)
  if (Number.isNaN(st.pending)) {
    if (end > st.freshFrom) bulk(c, o, st.freshFrom, end, st.contentAtUs, true)
  } else if (st.pending < end) {
    const T = roundHalfUp(st.pending)
    point(c.m, c.r.index, o, T, T - st.contentAtUs, 0)
    bulk(c, o, st.pending, end, st.contentAtUs, true)
    st.pending = NaN
  } else return
  if (untilCont > st.freshFrom) st.freshFrom = untilCont
}

/** Crawlers' visits before `beforeUs`, each recorded with outcome o (age from the entry, or as a waiter of a render ending at endUs). */
function crawlerVisits(c: PathCtx, st: PathState, o: Outcome, beforeUs: number, waitEndUs: number, renderUs: number): void {
  const crawl = c.crawl
  if (crawl === null) return
  const limit = Math.min(beforeUs, c.durationUs)
  for (let i = nextCrawler(crawl); i >= 0 && crawl.next[i]! < limit; i = nextCrawler(crawl)) {
    const T = crawl.next[i]!
    advance(crawl, i)
    crawlerRequest(c, T)
    if (waitEndUs < 0) point(c.m, c.r.index, o, T, o === NOT_FOUND ? -1 : T - st.contentAtUs, 0)
    else point(c.m, c.r.index, o, T, o === MISS ? renderUs : -1, waitEndUs - T)
  }
}

function crawlerRequest(c: PathCtx, T: number): void {
  if (T >= c.m.warmupUs) c.m.crawlerRequests[c.r.index] = c.m.crawlerRequests[c.r.index]! + 1
}

/**
 * The next request, user's or crawler's, at or after the state's fresh point: its time in µs,
 * or -1 when none comes before the end. A user's becomes the new fresh point; a crawler's
 * leaves the pending user request in place.
 */
function nextRequest(c: PathCtx, st: PathState): number {
  const T = peekRequest(c, st)
  if (T === Infinity) return -1
  const crawl = c.crawl
  const ci = crawl === null ? -1 : nextCrawler(crawl)
  if (ci >= 0 && crawl!.next[ci] === T) {
    // A crawler's visit comes first at a tie; the user's request stays drawn ahead.
    advance(crawl!, ci)
    crawlerRequest(c, T)
    st.byCrawler = true
    return T
  }
  st.freshFrom = st.pending
  st.pending = NaN
  st.byCrawler = false
  return T
}

/**
 * One path's whole timeline (path k of the route): one stretch per live build. `firstUs`: its
 * first draw, already made (fast-sparse.ts). A deploy at t
 * (deploys.ts) starts the path again from the new build: its prerendered entry written at t, or
 * none; the old build's render in flight writes nothing (its stretch ends at t, as the run's end
 * would end it), and requests from t on (the engine fires the deploy first at a tie) see the new
 * build. Users' arrivals start again from the stretch's start, which is exact for a Poisson
 * process (independent increments); an arrival drawn past the old stretch is dropped.
 */
export function runPath(c: PathCtx, st: PathState, k: number, buildAtUs: number, firstUs = NaN): void {
  if (c.crawl !== null) startPath(c.crawl, k)
  st.firstUs = firstUs
  st.restartI = 0
  const cuts = c.deployAtUs
  let built = k < c.r.prebuilt, atUs = buildAtUs, fromCont = 0
  if (c.fetches !== null) resetFetches(c.fetches, atUs, built)
  for (let i = 0; ; i++) {
    const first = i
    while (i < cuts.length - 1 && cuts[i + 1] === cuts[i]) i++ // deploys at one µs: the last one's build is live
    const toUs = i < cuts.length ? cuts[i]! : c.runEndUs
    c.durationUs = toUs
    c.endCont = toUs - 0.5
    st.pending = NaN
    st.freshFrom = fromCont
    runStretch(c, st, built, atUs, fromCont)
    if (c.tags !== null) {
      // The calls of this build still to come (touches only), then the deploys' builds (fast-tags.ts).
      const prerenders = c.deployPrerenders, prebuilt = k < c.r.prebuilt
      nextBuild(c.tags, st.has, i >= cuts.length ? Infinity : i + 1, (b) => prerenders[b - 1]! && prebuilt)
    }
    if (i >= cuts.length) break
    atUs = toUs
    // The path's Data Cache entries after each deploy at this µs, in order (a build that keeps the fetch cache reads what the one before left).
    for (let j = first; j <= i; j++) {
      const b = c.deployPrerenders[j]! && k < c.r.prebuilt
      if (c.fetches !== null) (c.deployReuses[j] ? reuseFetches : resetFetches)(c.fetches, atUs, b)
    }
    built = c.deployPrerenders[i]! && k < c.r.prebuilt
    fromCont = Math.max(0, toUs - 0.5) // (arrivals start at t = 0: a deploy at 0 leaves nothing before it)
  }
}

/** The path from continuous time fromCont to c.endCont, from a build's state: its prerendered entry written at atUs, or none. */
function runStretch(c: PathCtx, st: PathState, built: boolean, atUs: number, fromCont: number): void {
  const r = c.r
  st.has = built
  if (!built && !r.dynamicParams) {
    // §6: never rendered, every request a 404.
    bulk(c, NOT_FOUND, fromCont, c.endCont, 0, false)
    crawlerVisits(c, st, NOT_FOUND, Infinity, -1, 0)
    return
  }
  const enforces = c.profile.enforcesExpire, tags = c.tags
  st.lastModUs = atUs
  st.contentAtUs = atUs
  st.revalUs = built ? r.revalidateUs : DEFAULT_REVALIDATE_US
  st.expireUs = built ? r.expireUs : Infinity
  // A deploy's manifest replaces what the restarts before it left.
  while (st.restartI < c.restartUs.length && c.restartUs[st.restartI]! < atUs) st.restartI++
  const steady = steadyEnabled()
  // After the steady loop handed a step over, the general code takes that one step.
  let handedOver = false
  for (;;) {
    let withPrev = false
    const restartUs = nextRestart(c, st)
    const marked = st.has && tags !== null && tagState(tags, st.lastModUs, tags.atUs) !== TAGS_NONE
    // The loop's stop; one before the fresh window's end is the general code's at once (runSteady would hand it back).
    const stopUs = !st.has || !steady || marked || handedOver ? -Infinity : tags === null ? restartUs : Math.min(restartUs, nextTagChange(tags, st.lastModUs))
    const loop = stopUs > st.lastModUs + (enforces ? Math.min(st.revalUs, st.expireUs) : st.revalUs)
    handedOver = false
    if (loop) {
      // The common case, in one tight loop (fast-steady.ts), until a restart, a call or a purge could change a cycle.
      const T = runSteady(c, st, stopUs)
      if (T === -1) return
      if (T === STEADY_HANDOFF) handedOver = true
      else if (T === STEADY_RENDERING) { if (!backgroundEnd(c, st, st.renderAtUs, built)) return }
      else blocking(c, st, T, st.byCrawler, true, built)
    } else if (marked) {
      // §4.3: a tag marked the entry stale or expired; the next request decides, unless a restart or a tag change comes first.
      const Tp = peekRequest(c, st)
      if (restartUs !== Infinity && restartUs <= Tp) { restart(c, st, built); continue }
      const cut = nextTagChange(tags, st.lastModUs)
      // (An expire coming due first, with no op before the request, is advanceTags' to apply.)
      if (cut !== Infinity && cut <= Tp) { if (advanceMarked(tags, Tp) || advanceTags(tags, cut, true)) st.has = false; continue }
      const T = nextRequest(c, st)
      if (T < 0) return
      const sinceUs = T - st.lastModUs
      if (tagState(tags, st.lastModUs, T) === TAGS_EXPIRED) {
        // It reads as missing: a blocking render with no previous entry (MISS_TAG_EXPIRED).
        attributeTagRender(tags, T)
        blocking(c, st, T, st.byCrawler, false, built)
      } else if (enforces && sinceUs > st.expireUs) blocking(c, st, T, st.byCrawler, true, built)
      else {
        // STALE, and a background regeneration: the tag's (SERVE_STALE_TAG) while fresh by time.
        if (sinceUs <= st.revalUs) attributeTagRender(tags, T)
        if (!background(c, st, T, built)) return
        continue
      }
    } else if (st.has) {
      // Fresh until lastModified + revalidate (the boundary is fresh, §1.1), or expire if lower (§2).
      const limitUs = st.lastModUs + (enforces ? Math.min(st.revalUs, st.expireUs) : st.revalUs)
      const cut = tags === null ? Infinity : nextTagChange(tags, st.lastModUs)
      if (cut !== Infinity && cut <= limitUs && cut <= restartUs) {
        // §4.3: a call reaches the fresh entry's tags, or (§11.10) a purge drops it: requests from its µs on see it.
        window(c, st, HIT, cut - 0.5)
        crawlerVisits(c, st, HIT, cut, -1, 0)
        if (advanceTags(tags!, cut, true)) st.has = false
        continue
      }
      if (restartUs !== Infinity && restartUs <= limitUs) {
        // §11.2: a restart while the entry is fresh (before any request at its µs): its cache control may change.
        window(c, st, HIT, restartUs - 0.5)
        crawlerVisits(c, st, HIT, restartUs, -1, 0)
        restart(c, st, built)
        continue
      }
      window(c, st, HIT, limitUs + 0.5)
      crawlerVisits(c, st, HIT, limitUs + 1, -1, 0)
      if (!(limitUs + 0.5 < c.endCont)) return
      // A restart before the next request can make the entry fresh again (the manifest's revalidate over a back-off's).
      const Tp = peekRequest(c, st)
      if (restartUs !== Infinity && restartUs <= Tp) { restart(c, st, built); continue }
      if (cut !== Infinity && cut <= Tp) { if (advanceTags(tags!, cut, true)) st.has = false; continue }
      const T = nextRequest(c, st)
      if (T < 0) return
      if (!(enforces && T - st.lastModUs > st.expireUs)) {
        // §1.1, §1.3: STALE, and a background regeneration; requests meanwhile are STALE too.
        if (!background(c, st, T, built)) return
        continue
      }
      withPrev = true // §2, 16.3+: past expire, the request blocks on a render that keeps the entry for a failure
      blocking(c, st, T, st.byCrawler, withPrev, built)
    } else {
      const T = nextRequest(c, st)
      if (T < 0) return
      restartsUntil(c, st, built, T)
      if (tags !== null) advanceTags(tags, T, false) // the render reads its fetches' tags as of T
      // §14.3: no entry on a fallback: true route: a user gets the shell, whose data request renders; a crawler
      // waits, and so does anyone for a path the live build prerendered (purged since, §11.10).
      blocking(c, st, T, st.byCrawler, withPrev, built, c.shell && !st.byCrawler && !built)
    }
    if (Number.isNaN(st.lastModUs)) return // the render outlived the run
  }
}

/**
 * A background regeneration started by the STALE request at T (§1.3): requests until it ends
 * are STALE too; its end re-sets the entry, or applies the back-off (§3). False when it outlives the stretch.
 */
function background(c: PathCtx, st: PathState, T: number, built: boolean): boolean {
  const m = c.m, route = c.r.index, d = c.render
  point(m, route, STALE, T, T - st.contentAtUs, 0)
  drawRender(d, T)
  if (c.fetches !== null) d.out[0] = d.out[0]! + readFetches(c.fetches, T, false, m.warmupUs, c.runEndUs, c.tags)
  renderStarted(m, route, BACKGROUND, d.out[1] === 1, T, d.out[0]!)
  if (st.byCrawler && T >= m.warmupUs) m.crawlerRenders[route] = m.crawlerRenders[route]! + 1
  return backgroundEnd(c, st, T, built)
}

/** The rest of the background regeneration started at T, drawn into c.render.out (duration, ok) and recorded as started. */
function backgroundEnd(c: PathCtx, st: PathState, T: number, built: boolean): boolean {
  const d = c.render, dur = d.out[0]!, ok = d.out[1] === 1
  const endUs = T + dur
  // §11.10: a purge during the regeneration leaves no page to serve: from it on, requests wait for the render.
  const purgeUs = c.tags === null ? Infinity : nextPurge(c.tags, endUs)
  window(c, st, STALE, Math.min(endUs, purgeUs) - 0.5)
  crawlerVisits(c, st, STALE, Math.min(endUs, purgeUs), -1, 0)
  if (purgeUs !== Infinity) {
    const o: Outcome = ok ? MISS : ERROR
    joiners(c, st, o, ok, dur, endUs)
    crawlerVisits(c, st, o, endUs, endUs, dur)
  }
  if (endUs >= c.durationUs) return false
  restartsUntil(c, st, built, endUs) // a restart lands before a render's end at its µs
  if (c.tags !== null && advanceTags(c.tags, endUs, true)) {
    // and so do a call and a purge: with no page left, a success is a fill and a failure keeps nothing (§3.3).
    st.has = false
    if (ok) blockingDone(c, st, T, endUs)
    return true
  }
  if (ok) {
    written(c.m, c.r.index, false, endUs)
    st.contentAtUs = T
    st.revalUs = c.r.revalidateUs
    st.expireUs = c.r.expireUs
  } else backoff(c, st)
  st.lastModUs = endUs
  return true
}

/** Users' requests until a render ends at endUs, one by one: each waits its own time for its result (§1.2). */
function joiners(c: PathCtx, st: PathState, o: Outcome, ok: boolean, dur: number, endUs: number): void {
  const m = c.m, route = c.r.index
  const until = Math.min(endUs - 0.5, c.endCont)
  if (Number.isNaN(st.pending)) st.pending = arrivalFrom(c, st)
  while (st.pending < until) {
    const U = roundHalfUp(st.pending)
    point(m, route, o, U, ok ? dur : -1, endUs - U)
    st.pending = nextArrival(c, st.pending)
  }
}

/** A render started at T that the waiting requests shared ends well at endUs: the entry is written (a fill when the path had none). */
function blockingDone(c: PathCtx, st: PathState, T: number, endUs: number): void {
  written(c.m, c.r.index, !st.has, endUs)
  st.has = true
  st.contentAtUs = T
  st.revalUs = c.r.revalidateUs
  st.expireUs = c.r.expireUs
  st.lastModUs = endUs
}

/** The time of the instance's next restart in this stretch, µs, or Infinity. */
function nextRestart(c: PathCtx, st: PathState): number {
  const t = st.restartI < c.restartUs.length ? c.restartUs[st.restartI]! : Infinity
  return t < c.durationUs ? t : Infinity
}

/**
 * §11.2: the process restarts: its cache controls are gone, unless the profile reads an entry's
 * back (16.4, App pages only, §14.7): the manifest's for a path the live build prerendered
 * (`built`), else the 1 s default and no expire until regenerated once; and so are its 'use
 * cache' entries (§12.5). A render in flight finishes (a graceful restart).
 */
function restart(c: PathCtx, st: PathState, built: boolean): void {
  st.restartI++
  if (c.fetches !== null) restartFetches(c.fetches)
  if (c.keepsCacheControl && st.has) return
  st.revalUs = built ? c.r.revalidateUs : DEFAULT_REVALIDATE_US
  st.expireUs = built ? c.r.expireUs : Infinity
}

/** Every restart at or before atUs. */
function restartsUntil(c: PathCtx, st: PathState, built: boolean, atUs: number): void {
  while (nextRestart(c, st) <= atUs) restart(c, st, built)
}

/** The time of the next request, user's (drawn ahead, kept pending) or crawler's, µs; Infinity if none. */
function peekRequest(c: PathCtx, st: PathState): number {
  if (Number.isNaN(st.pending)) st.pending = arrivalFrom(c, st)
  const Th = st.pending < c.endCont ? roundHalfUp(st.pending) : Infinity
  const crawl = c.crawl
  const ci = crawl === null ? -1 : nextCrawler(crawl)
  const Tc = ci < 0 ? Infinity : crawl!.next[ci]!
  return Tc <= Th && Tc < c.durationUs ? Tc : Th
}

/** §3: the old content stays, re-set from the failure with the clamped revalidate. */
function backoff(c: PathCtx, st: PathState): void {
  const r2 = backoffRevalidateS(st.revalUs === Infinity ? false : st.revalUs / US_PER_S)
  st.revalUs = secToUs(r2)
  st.expireUs = backoffExpireUs(c.profile, r2, st.expireUs)
}

/**
 * A blocking render at T (§1.2): this request and every request until it ends wait for it; with
 * `shell`, this one got the fallback shell instead (§14.3). Sets lastModUs to NaN when it outlives the run.
 */
function blocking(c: PathCtx, st: PathState, T: number, byCrawler: boolean, withPrev: boolean, built: boolean, shell = false): void {
  const m = c.m, route = c.r.index, d = c.render
  drawRender(d, T)
  // A render past expire (withPrev, §2) bypasses the Data Cache.
  if (c.fetches !== null) d.out[0] = d.out[0]! + readFetches(c.fetches, T, withPrev, m.warmupUs, c.runEndUs, c.tags)
  const dur = d.out[0]!, ok = d.out[1] === 1
  const o: Outcome = ok ? MISS : ERROR
  renderStarted(m, route, BLOCKING, ok, T, dur)
  if (byCrawler && T >= m.warmupUs) m.crawlerRenders[route] = m.crawlerRenders[route]! + 1
  const endUs = T + dur
  if (shell) point(m, route, FALLBACK, T, -1, 0) // a static file: no page content, so no age
  else point(m, route, o, T, ok ? dur : -1, dur)
  joiners(c, st, o, ok, dur, endUs)
  crawlerVisits(c, st, o, endUs, endUs, dur)
  if (endUs >= c.durationUs) { st.lastModUs = NaN; return }
  restartsUntil(c, st, built, endUs) // a restart lands before a render's end at its µs
  if (c.tags !== null && advanceTags(c.tags, endUs, st.has)) st.has = false // and so do a call and a purge (§11.10)
  if (ok) blockingDone(c, st, T, endUs)
  else if (withPrev) {
    backoff(c, st)
    st.lastModUs = endUs
  }
}
