/**
 * The ISR model of a deployment of `next start` instances: the request state machine (what a
 * request is served, decide.ts, and what it starts), renders from start to completion (their
 * write, the failure back-off), and the dispatch of the engine's events. Its parts
 * are their own modules (sim/README.md): the per-path records (entries.ts), arrivals, the tags
 * manifest, the Data Cache, freshness, the render being prepared, the invalidating events and
 * their statistics. Per-path state lives in typed arrays indexed by a global path id, so a
 * request allocates nothing.
 *
 * Rule references (§n) point at docs/semantics.md.
 */
import { assert, assertNever, InvariantError } from '../kernel/errors.ts'
import type { Engine, Lane } from '../kernel/engine.ts'
import { UINT32_SCALE, type Streams } from '../kernel/rng.ts'
import { secToUs } from '../kernel/time.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { createArrivals } from './arrivals.ts'
import { createCdn } from './cdn.ts'
import { withPlatform } from './cdn-vercel.ts'
import { createDataCache } from './data-cache.ts'
import { createDeploys } from './deploys.ts'
import * as Decision from './decide.ts'
import { decide, RENDER_CAUSE_OF } from './decide.ts'
import * as Rec from './entries.ts'
import { Entries, resolveRoutes, type ResolvedRoute } from './entries.ts'
import { EV_BIN_TICK, EV_DATA_CHANGE, EV_DEPLOY, EV_ON_DEMAND, EV_PURGE, EV_RENDER_DONE, EV_RESTART, EV_TAG_PROPAGATE, EV_WARMUP, EV_WEBHOOK, eventKindName, RANK_ON_DEMAND, RANK_RENDER_DONE } from './events.ts'
import { createFreshness, type FreshnessStats } from './freshness.ts'
import { createInvalidations } from './invalidations.ts'
import { CAUSE_COLD, CAUSE_DYNAMIC, CAUSE_EXPIRE, CAUSE_ONE_OFF, CAUSE_RES_REVALIDATE, CAUSE_TAG_EXPIRED, CAUSE_TAG_STALE, checkEndState, createRenderLedger, endStateOf, type EndState, type EndStateParts } from './invariants.ts'
import * as Metric from './metrics.ts'
import { OUTCOME_NAMES, RENDER_MODE_NAMES, type Metrics, type Outcome, type RenderMode } from './metrics.ts'
import { requestHandler } from './plain-requests.ts'
import { renderCompletion } from './render-done.ts'
import { createPagesRoutes, pagesRevalidator, withPagesRoutes } from './pages.ts'
import { wantsLazyRecords } from './record-bound.ts'
import type { VersionProfile } from './profiles.ts'
import { createRenderer } from './renders.ts'
import { createRestarts } from './restarts.ts'
import { withSegmentConfig } from './segment-config.ts'
import { createInvalidationStats, type OnDemandStats } from './stats.ts'
import { createTagsManifest } from './tags-manifest.ts'
import type { TraceEvent } from './trace.ts'

// The hot path's constants, bound as this module's own: V8 folds a module's constants into
// optimized code, but reads an imported binding from its module cell at every use (which cost
// the catalogue 4% when the record layout moved to entries.ts; docs/performance.md).
const { BACKGROUND, BLOCKING, DYNAMIC, DYNAMIC_RENDER, ERROR, FALLBACK, HIT, MISS, NOT_FOUND, OBS_AGE, OBS_AT, OBS_DURATION, OBS_LATENCY, STALE } = Metric
const { JOIN_BLOCKING, JOIN_STALE, MISS_EXPIRED, MISS_NO_ENTRY, MISS_TAG_EXPIRED, RENDER_DYNAMIC, SERVE_FALLBACK, SERVE_HIT, SERVE_NOT_FOUND, SERVE_STALE, SERVE_STALE_TAG, TAGS_NONE } = Decision
const { F_CONTENT_AT, F_EXPIRE, F_FLIGHT_END, F_FLIGHT_MODE, F_FLIGHT_START, F_HAS_ENTRY, F_LAST_MOD, F_REVAL, FLIGHT_BACKGROUND, FLIGHT_BLOCKING, FLIGHT_NONE, FLIGHT_ON_DEMAND, SHIFT } = Rec
/** What a response's page read its data from (respond()). */
const READ_NONE = 0, READ_PAGE = 1, READ_FLIGHT = 2, READ_RENDER = 3

export interface IsrModel {
  readonly routes: readonly ResolvedRoute[]
  readonly totalPaths: number
  /** Schedules the first events. */
  start(): void
  /** Handles one event at `engine.nowUs`. */
  dispatch(kind: number, arg: number): void
  /** The requests: every route's arrival sources, merged (arrivals.ts). */
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

export function createIsrModel(
  s: Scenario,
  profile: VersionProfile,
  streams: Streams,
  metrics: Metrics,
  engine: Engine,
  trace: ((e: TraceEvent) => void) | null,
): IsrModel {
  s = withPlatform(withSegmentConfig(s)) // each fetch as its segment's fetchCache leaves it (§15.3); Vercel as one cache (§17)
  const routes = withPagesRoutes(s, resolveRoutes(s))
  // The Pages Router (§14): fallback shells, res.revalidate calls, restarts (pages.ts).
  const pages = createPagesRoutes(s, routes)
  const shellOf = pages.shell
  if (shellOf.includes(1)) metrics.shellRoutes = shellOf
  const durationUs = secToUs(s.durationS)
  /** The engine's clock: clock[0] is now, µs (read directly, never through a getter). */
  const clock = engine.clock
  /** The engine's when[0]: the time of the next event schedule() adds. */
  const when = engine.when
  const buildAtUs = -secToUs(s.buildAgeS)

  // Several instances (§8). Each instance has its own in-flight de-duplication; with local
  // caches (the default) each also has its own entries and tags manifest, and with a shared
  // cache handler they all read and write the entry of instance 0's slot.
  const deployment = deploymentOf(s)
  const instances = deployment.instances
  const sharedCache = deployment.cache === 'shared'
  const entries = new Entries(routes, instances, sharedCache, buildAtUs, deployment.cacheHandler, wantsLazyRecords(s, routes, instances, sharedCache))
  const { caches, totalPaths } = entries
  const balancerRng = instances > 1 && deployment.balancer === 'random' ? streams.claim('balancer') : null
  let roundRobin = 0
  /** What the end-of-run checks count (invariants.ts): renders by cause, cached renders started and finished. */
  const ledger = createRenderLedger(routes.length, metrics.warmupUs, clock)

  // Per-(instance, path) records (entries.ts): a request touches one 64-byte line. Lazy
  // records move as they grow, so each step reads entries.rec after taking its offsets.

  // ---- On-demand invalidation (§4): the tags manifest (tags-manifest.ts).
  const manifest = createTagsManifest(s, routes, profile, totalPaths, instances, sharedCache, deployment.tagPropagationS, engine, durationUs, entries.lazy)
  const nTags = manifest.names.length
  // Fan-out accounting: per on-demand call, then per data change (stats.ts).
  const invalidationStats = createInvalidationStats(s.onDemand.length, s.dataChanges.length, entries, nTags > 0, clock)

  // ---- The Data Cache (§5.3, data-cache.ts).
  const data = createDataCache(s, routes, profile, caches, sharedCache, streams, manifest, clock, buildAtUs, metrics.warmupUs, durationUs, trace, entries.lazy)
  const { keys: fetchKeys, maxF, readAt: renderData } = data

  // ---- Origin data changes and freshness (freshness.ts).
  const fresh = createFreshness(s, routes, data, entries, clock, buildAtUs, metrics.warmupUs)
  const tracksFreshness = fresh.tracks
  // The render being prepared: its time, outcome and start (renders.ts).
  const render = createRenderer(s, routes, streams, instances, deployment.renderConcurrency ?? 0, clock, data)
  // res.revalidate calls (§14.5): a render of the path in its own batch (entries.ts FLIGHT_ON_DEMAND).
  const revalidatePage = pagesRevalidator(pages, profile, routes, entries, (route, slot, eslot, hasEntry) => {
    startRender(route, slot, eslot, BACKGROUND, hasEntry, CAUSE_RES_REVALIDATE)
    const o = entries.off(slot) // (taken before entries.rec: a lazy record may move when made)
    entries.rec[o + F_FLIGHT_MODE] = FLIGHT_ON_DEMAND
  })
  // On-demand calls and data changes with their webhooks, when they fire (invalidations.ts).
  const invalidations = createInvalidations(s, routes, streams, engine, durationUs, sharedCache, manifest, invalidationStats, fresh, data, trace, revalidatePage)
  const enforcesExpire = profile.enforcesExpire
  /** Per route, 1 when its cached shell has dynamic holes (cacheComponents, §12.3). */
  const holeRoutes = Uint8Array.from(routes, (r) => (r.effective.holes === undefined ? 0 : 1))
  const warmupUs = metrics.warmupUs
  const obs = metrics.obs

  // The requests (arrivals.ts): the engine's lane, which hands each to onRequest or onUnknown.
  // A CDN in front (§16): users' requests reach Next only through it; respond() tells it what Next answered.
  const cdnReply = deployment.cdn === undefined ? null : new Int32Array(2)
  const cdn = cdnReply === null ? null : createCdn(s, routes, profile, streams, metrics, clock, entries, { onRequest, onUnknown, reply: cdnReply, crawler: () => lane.crawler }, trace)
  const lane = createArrivals(s, routes, streams, engine, durationUs, metrics, cdn?.onRequest ?? requestHandler({ instances, cdn: cdnReply !== null, trace: trace !== null, tracksFreshness, redisKeyTtl: entries.keyTtlUs !== null, holeRoutes, tags: nTags, totalPaths, pathHasTag: (p) => manifest.has(p), lazy: entries.lazy }, entries.rec, clock, metrics, enforcesExpire, onRequest), cdn?.onUnknown ?? onUnknown)
  // Deploys of a new build and purges of the cache (deploys.ts).
  const deploys = createDeploys(s, routes, entries, manifest, data, fresh, render, metrics, ledger, engine, durationUs, trace)
  // Process restarts (restarts.ts).
  const restarts = createRestarts(s, profile, instances, sharedCache, entries, manifest, data, pages, engine, durationUs)
  // A cached render's completion: the entry written, or the back-off (render-done.ts).
  const onRenderDone = renderCompletion({ routes, entries, profile, clock, metrics, fresh, ledger, trace, deploys })

  // Doubles (times, ages) cross calls only through typed-array slots (the clock, Metrics.obs,
  // the record) or fields of the component that owns them (Renderer, DataCache.waitUs): V8
  // boxes a double argument it does not inline, an allocation per request (docs/performance.md).

  /** Start a cached-path render (background or blocking); de-duplicated per path (§1.3, rule 4). */
  function startRender(route: ResolvedRoute, slot: number, eslot: number, mode: typeof BACKGROUND | typeof BLOCKING, withPrev: boolean, cause: number): void {
    const nowUs = clock[0]!
    const o = entries.off(slot)
    const st = entries.rec
    const p = entries.pathOf(slot)
    const inst = entries.instanceOf(slot, p)
    assert(st[o + F_FLIGHT_MODE] === FLIGHT_NONE, () => `two regenerations in flight for ${route.id} path #${p - route.firstPath} on instance ${inst}`, nowUs)
    ledger.count(route.index, cause, true)
    if (cause === CAUSE_TAG_STALE || cause === CAUSE_TAG_EXPIRED) invalidationStats.attribute(eslot)
    // An expired entry's render (16.3+, isStale -1) is an on-demand revalidation: it bypasses the Data Cache (§5.3).
    render.prepare(route, p, inst, true, cause === CAUSE_EXPIRE)
    if (tracksFreshness) fresh.startFlight(o >>> SHIFT)
    const startUs = render.startUs
    const endUs = startUs + render.durUs
    st[o + F_FLIGHT_MODE] = mode === BACKGROUND ? FLIGHT_BACKGROUND : FLIGHT_BLOCKING
    entries.flightOk[o >>> SHIFT] = render.ok ? 1 : 0
    entries.flightPrev[o >>> SHIFT] = withPrev ? 1 : 0
    st[o + F_FLIGHT_START] = startUs
    st[o + F_FLIGHT_END] = endUs
    obs[OBS_AT] = nowUs
    obs[OBS_DURATION] = render.durUs
    metrics.render(route.index, mode, render.ok)
    if (lane.crawler >= 0) metrics.crawlerRender(route.index)
    if (trace !== null) trace({ kind: 'render', atUs: startUs, route: route.id, path: p - route.firstPath, mode: RENDER_MODE_NAMES[mode], endUs, ok: render.ok, instance: inst, ...deploys.build() })
    when[0] = endUs
    engine.schedule(RANK_RENDER_DONE, EV_RENDER_DONE, o >>> SHIFT) // the record, not the slot: slots pass 2^31 with lazy records
  }

  /**
   * Record a response whose age and latency are already in `obs[OBS_AGE]` / `obs[OBS_LATENCY]`,
   * for `path` (route-local; -1 for a one-off unknown path, whose per-path data is a new URL).
   * Its page read fetch i's data (freshness.ts) at: READ_PAGE, the entry's (record d); READ_FLIGHT,
   * the render's in flight (own record d); READ_RENDER, the render just prepared; READ_NONE, no page.
   * (The arrays are read only when freshness is tracked: lazy records move them.)
   */
  function respond(route: ResolvedRoute, path: number, outcome: Outcome, inst: number, read: number, d: number): void {
    metrics.request(route.index, outcome) // (request() reads no time: the series and warmup are cut by events)
    if (cdnReply !== null) { cdnReply[0] = outcome; cdnReply[1] = inst }
    if (tracksFreshness && read !== READ_NONE && obs[OBS_AGE]! >= 0) {
      const from = read === READ_PAGE ? fresh.pageData : read === READ_FLIGHT ? fresh.flightData : renderData
      fresh.check(route, path < 0 ? -1 : route.firstPath + path, from, read === READ_RENDER ? 0 : d * maxF)
    }
    if (trace !== null) traceResponse(route, path, outcome, inst)
  }

  /** The trace event of a response (apart from respond(), which stays small enough to inline). */
  function traceResponse(route: ResolvedRoute, path: number, outcome: Outcome, inst: number): void {
    const e = { kind: 'request', atUs: clock[0]!, route: route.id, path, outcome: OUTCOME_NAMES[outcome], ageUs: obs[OBS_AGE]!, latencyUs: obs[OBS_LATENCY]!, instance: inst } as const
    trace!(lane.crawler >= 0 ? { ...e, crawler: lane.crawler } : e)
  }

  /** A render that caches nothing: for a dynamic route, a one-off path, or a cached shell's holes (§12.4, path p). */
  function renderUncached(route: ResolvedRoute, mode: RenderMode, p: number, inst: number, tracePath: number): void {
    ledger.count(route.index, mode === DYNAMIC_RENDER ? CAUSE_DYNAMIC : CAUSE_ONE_OFF, false)
    render.prepare(route, p, inst, mode !== DYNAMIC_RENDER, false)
    obs[OBS_AT] = clock[0]!
    obs[OBS_DURATION] = render.durUs
    metrics.render(route.index, mode, render.ok)
    if (lane.crawler >= 0) metrics.crawlerRender(route.index)
    if (trace !== null) trace({ kind: 'render', atUs: render.startUs, route: route.id, path: tracePath, mode: RENDER_MODE_NAMES[mode], endUs: render.startUs + render.durUs, ok: render.ok, instance: inst })
  }

  /** A render for this request only: dynamic routes, and one-off unknown paths. Nothing is cached. */
  function renderForRequest(route: ResolvedRoute, mode: RenderMode, okOutcome: Outcome, p: number, inst: number): void {
    const nowUs = clock[0]!
    renderUncached(route, mode, p, inst, -1)
    const waitUs = render.startUs - nowUs
    // A one-off path's blocking render stores a new entry: an ISR write.
    if (mode === BLOCKING && render.ok) metrics.write(route.index, false) // steady traffic, not fill
    obs[OBS_AGE] = render.ok ? render.durUs : -1
    obs[OBS_LATENCY] = waitUs + render.durUs
    // A dynamic render of a known path caches no page, but it read that path's data: its
    // freshness is checked against that path's keys (a templated tag's key among them).
    respond(route, p < 0 ? -1 : p - route.firstPath, render.ok ? okOutcome : ERROR, inst, READ_RENDER, 0)
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
    const slot = inst * totalPaths + p
    const eslot = sharedCache ? p : slot
    const o = entries.off(slot)
    const e = sharedCache ? entries.off(eslot) : o
    const st = entries.rec
    // §12.4: a Cache Components shell's holes render for every request; the shell is served below.
    if (holeRoutes[route.index] === 1) renderUncached(route, DYNAMIC_RENDER, p, inst, -1)
    if (entries.keyTtlUs !== null) entries.dropExpiredKey(e, route.index, clock[0]!) // §8.2: the Redis key's TTL
    const tags = route.isDynamic || !manifest.has(p) ? TAGS_NONE : manifest.check(inst, p, null, 0, st, e + F_LAST_MOD)
    const d = decide(st, o, e, clock, tags, route.isDynamic, route.dynamicParams, enforcesExpire, shellOf[route.index] === 1)
    if (d === SERVE_HIT) {
      // The hot path: a fresh entry, served at once.
      obs[OBS_AGE] = clock[0]! - st[e + F_CONTENT_AT]!
      obs[OBS_LATENCY] = 0
      respond(route, path, HIT, inst, READ_PAGE, e >>> SHIFT)
      return
    }
    switch (d) {
      case SERVE_STALE:
      case SERVE_STALE_TAG:
      case JOIN_STALE:
        // The stale entry, served at once (also while a regeneration runs).
        obs[OBS_AGE] = clock[0]! - st[e + F_CONTENT_AT]!
        obs[OBS_LATENCY] = 0
        respond(route, path, STALE, inst, READ_PAGE, e >>> SHIFT)
        if (d !== JOIN_STALE) startRender(route, slot, eslot, BACKGROUND, true, RENDER_CAUSE_OF[d]!)
        return
      case JOIN_BLOCKING: {
        // The leader's result, shared: its render's age, and the wait until it ends.
        const end = st[o + F_FLIGHT_END]!
        const ok = entries.flightOk[o >>> SHIFT] === 1
        obs[OBS_AGE] = ok ? end - st[o + F_FLIGHT_START]! : -1
        obs[OBS_LATENCY] = end - clock[0]!
        respond(route, path, ok ? MISS : ERROR, inst, READ_FLIGHT, o >>> SHIFT)
        return
      }
      case MISS_NO_ENTRY:
      case MISS_TAG_EXPIRED:
        blocking(route, slot, eslot, inst, false, RENDER_CAUSE_OF[d]!)
        return
      case MISS_EXPIRED:
        blocking(route, slot, eslot, inst, true, CAUSE_EXPIRE)
        return
      case SERVE_NOT_FOUND:
        // A path the live build prerendered renders again once purged; only unknown ones are 404 (§6).
        if (path < route.prebuilt && entries.prerendered) { blocking(route, slot, eslot, inst, false, CAUSE_COLD); return }
        obs[OBS_AGE] = -1
        obs[OBS_LATENCY] = 0
        respond(route, path, NOT_FOUND, inst, READ_NONE, 0)
        return
      case RENDER_DYNAMIC:
        renderForRequest(route, DYNAMIC_RENDER, DYNAMIC, p, inst)
        return
      case SERVE_FALLBACK:
        // §14.3: a prebuilt (purged) path or a bot blocks on the render; anyone else gets the
        // shell, and the browser's data request starts the render the next requests join.
        if ((path < route.prebuilt && entries.prerendered) || lane.crawler >= 0) { blocking(route, slot, eslot, inst, false, CAUSE_COLD); return }
        startRender(route, slot, eslot, BLOCKING, false, CAUSE_COLD)
        shell(route, path, inst)
        return
      default: assertNever(d)
    }
  }

  function blocking(route: ResolvedRoute, slot: number, eslot: number, inst: number, withPrev: boolean, cause: number): void {
    startRender(route, slot, eslot, BLOCKING, withPrev, cause)
    const o = entries.off(slot)
    const st = entries.rec
    const dur = st[o + F_FLIGHT_END]! - st[o + F_FLIGHT_START]!
    const ok = entries.flightOk[o >>> SHIFT] === 1
    obs[OBS_AGE] = ok ? dur : -1
    obs[OBS_LATENCY] = st[o + F_FLIGHT_END]! - clock[0]! // the render, plus any wait for a worker
    respond(route, entries.pathOf(slot) - route.firstPath, ok ? MISS : ERROR, inst, READ_FLIGHT, o >>> SHIFT)
  }

  /** A request for a one-off path the route does not know (§6): any instance renders it the same way. */
  function onUnknown(route: ResolvedRoute): void {
    const inst = chooseInstance()
    if (route.isDynamic) renderForRequest(route, DYNAMIC_RENDER, DYNAMIC, -1, inst)
    else if (!route.dynamicParams) {
      // A never-seen path: 404 without dynamicParams, else a blocking render that is
      // cached but never asked for again.
      obs[OBS_AGE] = -1
      obs[OBS_LATENCY] = 0
      respond(route, -1, NOT_FOUND, inst, READ_NONE, 0)
    } else if (shellOf[route.index] === 1 && lane.crawler < 0) {
      // §14.3: the shell; the data request renders the one-off path (cached, never asked for again).
      renderUncached(route, BLOCKING, -1, inst, -1)
      if (render.ok) metrics.write(route.index, false)
      shell(route, -1, inst)
    } else renderForRequest(route, BLOCKING, MISS, -1, inst)
  }

  /** A Pages fallback shell (§14.3): a static file, no page content, so no age. */
  function shell(route: ResolvedRoute, path: number, inst: number): void {
    obs[OBS_AGE] = -1
    obs[OBS_LATENCY] = 0
    respond(route, path, FALLBACK, inst, READ_NONE, 0)
  }

  /** The end state the invariants are checked on (invariants.ts): read once, after the last event. */
  const endParts: EndStateParts = {
    routes, instances, caches, totalPaths, records: entries, metrics, ledger, arrived: () => (cdn === null ? lane.arrived() : cdn.reachedNext(lane.arrived(), clock[0]!)), eventStats: () => invalidationStats.rows, freshness: () => fresh.endState(),
    layout: { stride: Rec.W, lastModUs: F_LAST_MOD, contentAtUs: F_CONTENT_AT, hasEntry: F_HAS_ENTRY, inflight: F_FLIGHT_MODE, inflightStartUs: F_FLIGHT_START, inflightEndUs: F_FLIGHT_END, revalidateUs: F_REVAL, expireUs: F_EXPIRE },
    dataCache: () => ({ keys: fetchKeys, rows: data.rows }),
  }
  const endState = (nowUs: number): EndState => endStateOf(endParts, nowUs)

  const expectedEvents = metrics.bins + 1 + lane.expectedEvents + invalidations.expectedEvents + deploys.expectedEvents

  return {
    routes,
    totalPaths,
    expectedEvents,
    start() {
      lane.start()
      invalidations.startCalls()
      // Metrics ticks: series bin boundaries, and the end of the warmup. Rank 0: before any
      // request at the same time, which belongs to the new bin / the measured period.
      if (metrics.bins > 1) engine.at(metrics.binUs, RANK_ON_DEMAND, EV_BIN_TICK, 1)
      if (warmupUs > 0) engine.at(warmupUs, RANK_ON_DEMAND, EV_WARMUP, 0)
      restarts.start()
      invalidations.startChanges()
      deploys.start()
    },
    lane,
    dispatch(kind, arg) {
      switch (kind) {
        case EV_RENDER_DONE: onRenderDone(entries.slotOfRecord(arg)); return
        case EV_ON_DEMAND: invalidations.onDemand(arg); return
        case EV_TAG_PROPAGATE: manifest.propagate(arg); return
        case EV_DATA_CHANGE: invalidations.dataChange(arg); return
        case EV_WEBHOOK: invalidations.webhook(arg); return
        case EV_RESTART: restarts.restart(arg); return
        case EV_DEPLOY: deploys.deploy(arg); return
        case EV_PURGE: deploys.purge(arg); return
        case EV_BIN_TICK:
          metrics.tick()
          if (arg + 1 < metrics.bins) engine.at((arg + 1) * metrics.binUs, RANK_ON_DEMAND, EV_BIN_TICK, arg + 1)
          return
        case EV_WARMUP: metrics.measure(); return
        default: throw new InvariantError(`no handler for ${eventKindName(kind)}`, clock[0]!)
      }
    },
    fetchStats: data.stats,
    freshness() {
      return { ...fresh.summary(), changes: invalidations.changeStats() }
    },
    onDemandStats: invalidationStats.onDemand,
    finish(nowUs) {
      const broken = checkEndState(endState(nowUs))
      if (broken.length > 0) throw new InvariantError(`${broken.length} end-of-run invariant${broken.length === 1 ? '' : 's'} broken:\n  ${broken.join('\n  ')}`, nowUs)
    },
    endState,
  }
}
