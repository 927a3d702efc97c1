/**
 * Deploys and purges (docs/semantics.md, "Deploys and purges"). A deploy puts a new build
 * live on every instance at once: each cache starts again from the build's prerendered
 * pages (fresh from the deploy, their data read then), every other path is cold, the
 * processes start with the new prerender manifest's cache controls, an empty tags manifest
 * and the new build's fetch cache, and the old build's renders still in flight are
 * discarded (their results belong to the old build id). A purge drops the cached pages of
 * every path, or of the paths under a URL prefix, from every cache.
 *
 * Cold path: each event walks the records once; nothing here runs per request. A discarded
 * render's completion event still fires (the engine has no cancel): discards() recognises it.
 */
import type { Engine } from '../kernel/engine.ts'
import type { RouteConfig, Scenario } from '../scenario/schema.ts'
import { reuseFetchCache, snapshotFetchCache } from './build-reuse.ts'
import type { DataCache } from './data-cache.ts'
import { Entries, F_FLIGHT_END, F_FLIGHT_MODE, F_HAS_ENTRY, FLIGHT_BACKGROUND, FLIGHT_BLOCKING, FLIGHT_NONE, routeOfPath, SHIFT, type ResolvedRoute } from './entries.ts'
import { createEventTimer, EV_DEPLOY, EV_PURGE, expectedFirings, timingOf, type Timing } from './events.ts'
import type { DataFreshness } from './freshness.ts'
import type { RenderLedger } from './invariants.ts'
import { OBS_AT, type Metrics } from './metrics.ts'
import { profileFor } from './profiles.ts'
import type { Renderer } from './renders.ts'
import type { TagsManifest } from './tags-manifest.ts'
import { urlOf } from './tags.ts'
import type { TraceEvent } from './trace.ts'

/** Whether URL `url` is under path prefix `prefix`: the prefix itself, or below it ("/blog" holds "/blog/7", not "/blogs"). */
export function underPrefix(url: string, prefix: string): boolean {
  return url === prefix || url.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)
}

/**
 * The paths of a route under `prefix` (route-local indexes), or 'all'. The static head of
 * the pattern (the URL before its first dynamic segment) decides most routes without
 * spelling their URLs: a head under the prefix holds every path, a prefix that leaves the
 * head holds none; only a prefix that reaches into the dynamic part is checked path by path.
 */
export function pathsUnder(r: Pick<RouteConfig, 'pattern' | 'params'>, prefix: string): 'all' | number[] {
  const count = r.params?.count ?? 1
  const segments = r.pattern.replace(/\/\([^)]*\)/g, '').split('/')
  const dyn = segments.findIndex((x) => x.includes('['))
  if (dyn >= 0 && r.params?.paths === undefined) {
    const head = segments.slice(0, dyn).join('/')
    if (head !== '' && underPrefix(head, prefix)) return 'all'
    if (!prefix.startsWith(`${head}/`)) return []
  }
  const out: number[] = []
  for (let k = 0; k < count; k++) if (underPrefix(urlOf(r, k), prefix)) out.push(k)
  return out.length === count ? 'all' : out
}

export interface Deploys {
  /** Schedules every deploy's and purge's first firing. */
  start(): void
  /** The EV_DEPLOY event: deploy di puts a new build live now. */
  deploy(di: number): void
  /** The EV_PURGE event: purge pi drops its pages from every cache now. */
  purge(pi: number): void
  /**
   * Whether the render completing now on own slot `slot` was discarded by a deploy (the old
   * build's): then it writes nothing, and its completion is only traced.
   */
  discards(slot: number): boolean
  /** For the trace of a cached render starting now: the live build's number, when a deploy has happened. */
  build(): { readonly build?: number }
  /** Expected events, for the runaway guard. */
  readonly expectedEvents: number
}

export function createDeploys(
  s: Scenario, routes: readonly ResolvedRoute[], entries: Entries, manifest: TagsManifest, data: DataCache, fresh: DataFreshness,
  render: Renderer, metrics: Metrics, ledger: RenderLedger, engine: Engine, durationUs: number, trace: ((e: TraceEvent) => void) | null,
): Deploys {
  const clock = engine.clock
  const timer = createEventTimer(engine, durationUs)
  const deploys: readonly { readonly timing: Timing; readonly prerender: boolean; readonly reuse: boolean }[] = s.deploys.map((d) => ({ timing: timingOf(d, null), prerender: d.prerender, reuse: d.reuseFetchCache === true }))
  const profile = profileFor(s.next.version)
  const purges: readonly { readonly timing: Timing; readonly paths: readonly (number[] | 'all')[] }[] = s.purges.map((x) => ({
    timing: timingOf(x, null),
    paths: routes.map((r) => (r.isDynamic ? [] : x.prefix === undefined ? 'all' : pathsUnder(s.routes[r.index]!, x.prefix))),
  }))
  const P = entries.totalPaths
  /** Per own slot, the discarded renders still to complete: their end time and outcome. */
  const discarded = new Map<number, { readonly endUs: number; readonly ok: boolean }[]>()
  let builds = 0
  let expectedEvents = 0
  for (const d of [...s.deploys, ...s.purges]) expectedEvents += expectedFirings(d, s.durationS)

  return {
    expectedEvents,
    start() {
      deploys.forEach((d, i) => timer.first(d.timing, EV_DEPLOY, i))
      purges.forEach((x, i) => timer.first(x.timing, EV_PURGE, i))
    },
    deploy(di) {
      const d = deploys[di]!
      const now = clock[0]!
      timer.next(d.timing, EV_DEPLOY, di)
      builds++
      // The old build's renders in flight are not the new build's: they finish on the old
      // processes and write nothing here. They leave the ledger now, as if done.
      let n = 0
      const rec = entries.rec
      entries.eachRecord((slot, o) => {
        if (rec[o + F_FLIGHT_MODE] === FLIGHT_NONE) return
        const list = discarded.get(slot)
        const x = { endUs: rec[o + F_FLIGHT_END]!, ok: entries.flightOk[o >>> SHIFT] === 1 }
        if (list) list.push(x)
        else discarded.set(slot, [x])
        rec[o + F_FLIGHT_MODE] = FLIGHT_NONE
        ledger.finished++
        n++
      })
      entries.rebuild(routes, now, d.prerender)
      if (fresh.tracks && d.prerender) fresh.prerendered(now) // the build read every prerendered page's data now
      manifest.reset()
      // A build that keeps .next/cache/fetch-cache reads the entries still there (§15.5).
      const old = d.reuse ? snapshotFetchCache(data) : null
      data.rebuild(now, d.prerender)
      if (old !== null) reuseFetchCache(s, routes, profile, data, old, fresh, entries.caches, P, now, d.prerender)
      render.reset()
      metrics.obs[OBS_AT] = now
      if (d.prerender) for (const r of routes) if (!r.isDynamic && r.prebuilt > 0) metrics.deployWrite(r.index, r.prebuilt)
      if (trace !== null) trace({ kind: 'deploy', atUs: now, deploy: di, prerender: d.prerender, rendersDiscarded: n })
    },
    purge(pi) {
      const x = purges[pi]!
      timer.next(x.timing, EV_PURGE, pi)
      let dropped = 0
      // A lazy slot with no record holds no render, and its entry, if any, is the build's (entries.ts).
      const dropEntry = (slot: number) => {
        const e = entries.offIfEntry(slot)
        if (e >= 0 && entries.rec[e + F_HAS_ENTRY] === 1) { entries.rec[e + F_HAS_ENTRY] = 0; dropped++ }
      }
      // A background render has no page left to serve meanwhile: requests now wait for it,
      // and if it fails there is nothing to keep (§3.3).
      const blockFlight = (slot: number) => {
        const o = entries.find(slot)
        if (o >= 0 && entries.rec[o + F_FLIGHT_MODE] === FLIGHT_BACKGROUND) { entries.rec[o + F_FLIGHT_MODE] = FLIGHT_BLOCKING; entries.flightPrev[o >>> SHIFT] = 0 }
      }
      const drop = (p: number) => {
        for (let c = 0; c < entries.caches; c++) dropEntry(c * P + p)
        for (let i = 0; i < entries.instances; i++) blockFlight(i * P + p)
      }
      routes.forEach((r, ri) => {
        const paths = x.paths[ri]!
        if (paths !== 'all') { for (const k of paths) drop(r.firstPath + k); return }
        if (entries.lazy) {
          // The records, and the build's implicit entries as a set (they get no record).
          for (let c = 0; c < entries.caches; c++) {
            const implicit = entries.purgeImplicit(r, c * P, dropEntry) // (apart: dropEntry counts into dropped too)
            dropped += implicit
          }
          for (let i = 0; i < entries.instances; i++) entries.eachRecordOf(r, i * P, blockFlight)
          return
        }
        for (let c = 0; c < entries.caches; c++) entries.eachCandidate(r, c * P, dropEntry)
        for (let i = 0; i < entries.instances; i++) entries.eachCandidate(r, i * P, blockFlight)
      })
      if (trace !== null) trace({ kind: 'purge', atUs: clock[0]!, purge: pi, entriesDropped: dropped })
    },
    build() {
      return builds === 0 ? {} : { build: builds }
    },
    discards(slot) {
      if (discarded.size === 0) return false
      const list = discarded.get(slot)
      const now = clock[0]!
      const j = list === undefined ? -1 : list.findIndex((x) => x.endUs === now)
      if (j < 0) return false
      const x = list!.splice(j, 1)[0]!
      if (list!.length === 0) discarded.delete(slot)
      if (trace !== null) {
        const p = entries.pathOf(slot)
        const r = routes[routeOfPath(routes, p)]!
        trace({ kind: 'render-done', atUs: now, route: r.id, path: p - r.firstPath, ok: x.ok })
      }
      return true
    },
  }
}
