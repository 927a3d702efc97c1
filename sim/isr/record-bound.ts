/**
 * How many per-(instance, path) records a run can make, and whether exact mode should keep them
 * lazy (entries.ts): only when a site has more than LAZY_ABOVE_SLOTS slots and its traffic can
 * reach fewer than half of them. A site whose crawlers walk every path makes a record for
 * nearly every slot anyway, and eager records are faster (no slot map) and smaller (no map
 * cells): the 1.1M-path benchmark site ran 28% slower and took 400 MiB instead of 260 lazily.
 */
import type { Scenario } from '../scenario/schema.ts'
import { LAZY_ABOVE_SLOTS, type ResolvedRoute } from './entries.ts'

/** Requests route r can get in a run, as the arrivals' runaway guard bounds them: humans at the daily curve's peak, schedules and crawlers' visits. */
export function visitsBound(s: Scenario, r: ResolvedRoute): number {
  const t = s.routes[r.index]!.traffic
  const curve = t.diurnal ?? s.diurnal
  const peak = curve ? Math.max(...curve.hourly) : 1
  const crawled = (t.crawlers ?? []).reduce((n, c) => n + (Math.min(c.paths ?? r.count, r.count) / c.revisitS) * s.durationS, 0)
  return t.rps * peak * s.durationS + (t.schedule?.atS.length ?? 0) + crawled + 1
}

/**
 * At most how many records routes' slots get in a lazy run: one per request (two with a shared
 * cache: the own slot and cache 0's), plus the prerendered entries a purge or an invalidation's
 * fan-out reaches; never more than the slots.
 */
export function recordsBound(s: Scenario, routes: readonly ResolvedRoute[], instances: number, sharedCache: boolean): number {
  const reachesAll = s.purges.length > 0 || s.onDemand.length > 0 || s.dataChanges.length > 0
  const caches = sharedCache ? 1 : instances
  const slots = instances * routes.reduce((n, r) => n + r.count, 0)
  return Math.min(slots, routes.reduce((n, r) => n + visitsBound(s, r) * (sharedCache ? 2 : 1) + (reachesAll ? caches * r.prebuilt : 0), 0))
}

/** Whether a CDN with `pops` points of presence in front of routes keeps lazy (PoP, path) records (cdn.ts): each request makes at most one. */
export function wantsLazyCdnRecords(s: Scenario, routes: readonly ResolvedRoute[], pops: number): boolean {
  const slots = pops * routes.reduce((n, r) => n + r.count, 0)
  return slots > LAZY_ABOVE_SLOTS && routes.reduce((n, r) => n + visitsBound(s, r), 0) < slots / 2
}

/** Whether a run of routes keeps lazy records. */
export function wantsLazyRecords(s: Scenario, routes: readonly ResolvedRoute[], instances: number, sharedCache: boolean): boolean {
  const slots = instances * routes.reduce((n, r) => n + r.count, 0)
  return slots > LAZY_ABOVE_SLOTS && recordsBound(s, routes, instances, sharedCache) < slots / 2
}
