/**
 * What a log observed, in the shape `verify` compares: each logged request's outcome from its
 * cache status and HTTP status, per route, after the warmup. The mapping is k6's (loadtest/k6/
 * isr.ts), so that a replay and a load test count the same response the same way.
 */
import type { SimResult } from '../sim/contract.ts'
import { CACHE_HIT, CACHE_MISS, CACHE_NONE, CACHE_REVALIDATED, CACHE_STALE, type LogRequests } from '../scenarios/from-logs/index.ts'
import type { Observed, ObservedRoute } from './verify.ts'

export interface LogOutcomes {
  /** Per route id, the requests at or after the warmup. */
  readonly routes: Readonly<Record<string, ObservedRoute>>
  /** Per route id, requests before the warmup (simulated, not compared). */
  readonly beforeWarmup: Readonly<Record<string, number>>
  /** Per route id, background regenerations the log records (Vercel statusCode -1), whole log. */
  readonly background: Readonly<Record<string, number>>
}

type Counts = { -readonly [K in 'requests' | 'hit' | 'stale' | 'miss' | 'dynamic' | 'notFound' | 'error']: number }

/**
 * A 5xx is an error; otherwise a logged cache status says what Next served (MISS and
 * REVALIDATED, the leader of a blocking regeneration, are misses), whatever the status: a page
 * that calls notFound() is cached like any other. Without one, a 404/410 is a 404 without a
 * render, and anything else was rendered for the request alone (Next sends no x-nextjs-cache
 * on a dynamic render).
 */
function count(c: Counts, status: number, cache: number): void {
  c.requests++
  if (status >= 500) c.error++
  else if (cache === CACHE_HIT) c.hit++
  else if (cache === CACHE_STALE) c.stale++
  else if (cache === CACHE_MISS || cache === CACHE_REVALIDATED) c.miss++
  else if (cache === CACHE_NONE && (status === 404 || status === 410)) c.notFound++
  else c.dynamic++
}

/** Requests at or after `warmupS` (times rounded to the ms, as the replay's schedule has them). */
export function logOutcomes(log: LogRequests, warmupS: number): LogOutcomes {
  const routes: Record<string, ObservedRoute> = {}
  const beforeWarmup: Record<string, number> = {}
  const background: Record<string, number> = {}
  for (const r of log.routes) {
    const c: Counts = { requests: 0, hit: 0, stale: 0, miss: 0, dynamic: 0, notFound: 0, error: 0 }
    let before = 0
    for (let k = 0; k < r.atS.length; k++) {
      if (Math.round(r.atS[k]! * 1000) / 1000 < warmupS) before++
      else count(c, r.status[k]!, r.cache[k]!)
    }
    routes[r.routeId] = { ...c, ageSamples: 0, ageP50S: 0, ageP95S: 0, latencyP95Ms: 0 }
    beforeWarmup[r.routeId] = before
    background[r.routeId] = r.backgroundRegenerations
  }
  return { routes, beforeWarmup, background }
}

/** The log's outcomes as an observation of `prediction`'s scenario (no ages, no origin counters: a log has neither). */
export function observedOf(prediction: SimResult, o: LogOutcomes, log: LogRequests, logs: readonly string[]): Observed {
  return {
    observedVersion: 1,
    scenario: prediction.scenario,
    seed: prediction.seed,
    target: logs.join(', '),
    cacheHeader: 'logged cache status',
    startMs: log.startMs,
    testRunDurationMs: log.spanS * 1000,
    droppedIterations: 0,
    unknownCacheHeader: 0,
    onDemand: { planned: 0, sent: 0, failed: 0 },
    routes: o.routes,
  }
}

/** Routes the prediction caches (not rendered on every request). */
export const isCached = (p: SimResult, id: string): boolean => p.routes[id] !== undefined && p.routes[id].effectiveRevalidateS !== 0
