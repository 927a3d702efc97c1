/**
 * A 'use cache' page under a cacheLife in closed form (§12.2, §12.3, §12.7), by renewal-reward
 * like closed-form.ts (derived in test/closed-form-cache-life.test.ts). One path, Poisson
 * arrivals at rate λ, constant render time R, no failures; the page's entry has the cacheLife's
 * revalidate T and expire E.
 *
 * A cycle starts when a render ends (the entry's clock starts then, §1.3): λT fresh requests
 * (HIT); then the first request after T, at T + X with X ~ Exp(λ). On a profile that enforces
 * expire (16.3+, §2) it is a blocking MISS when T + X > E, which happens with probability
 * e^(−λ(E−T)); otherwise it is STALE and starts a background render. The λR requests during
 * the render share its mode (STALE while a background render runs, MISS while a blocking one
 * does). One render per cycle of mean length T + 1/λ + R, over 1 + λT + λR requests:
 *   renders/s      = 1 / (T + R + 1/λ)
 *   stale fraction = q·(1 + λR) / (1 + λT + λR),   q = 1 − e^(−λ(E−T)) (q = 1 without expire)
 *   miss fraction  = (1 − q)·(1 + λR) / (1 + λT + λR)
 * Under cacheComponents a short-lived page (§12.3) is a hole: its shell never revalidates and
 * every request renders the hole, so renders/s = λ and nothing is served stale.
 */
import type { Scenario } from '../scenario/schema.ts'
import { cacheComponentsOn, INFINITE_CACHE_S, isHole, resolveLife, type CacheLife } from './cache-life.ts'
import { profileFor } from './profiles.ts'

export interface CacheLifeFigures {
  /** Fraction of requests served a stale page (STALE). */
  readonly staleFraction: number
  /** Fraction of requests that waited for a blocking render (MISS: past expire, 16.3+). */
  readonly missFraction: number
  /** Renders per second: regenerations of the page, or (a hole) one per request. */
  readonly rendersPerS: number
  /** Whether the page is a dynamic hole of its shell (cacheComponents, §12.3). */
  readonly hole: boolean
}

/** The figures of a page whose 'use cache' scope has `cacheLife`, on `next` (version, cacheComponents). */
export function cacheLifePageFigures(lambdaPerS: number, renderS: number, cacheLife: CacheLife, next: Scenario['next']): CacheLifeFigures {
  const p = profileFor(next.version)
  const life = resolveLife(p, cacheLife)
  if (cacheComponentsOn(p, next) && isHole(p, life)) return { staleFraction: 0, missFraction: 0, rendersPerS: lambdaPerS, hole: true }
  const l = lambdaPerS, T = life.revalidateS, R = renderS
  // The route's expire: the entry's, or next.config expireTime when it never expires (§12.2).
  const E = life.expireS >= INFINITE_CACHE_S ? next.expireTimeS : life.expireS
  const q = p.enforcesExpire ? 1 - Math.exp(-l * Math.max(E - T, 0)) : 1
  const perCycle = 1 + l * T + l * R
  return { staleFraction: (q * (1 + l * R)) / perCycle, missFraction: ((1 - q) * (1 + l * R)) / perCycle, rendersPerS: 1 / (T + R + 1 / l), hole: false }
}

/**
 * The closed form's figures for route `routeIndex` of a scenario, or why it has none: a page
 * whose only cache settings are its own cacheLife, one prebuilt path, constant render time,
 * stationary Poisson arrivals, one instance, no failures, invalidations or restarts.
 */
export function cacheLifeClosedForm(s: Scenario, routeIndex: number): CacheLifeFigures | string {
  const r = s.routes[routeIndex]!
  if (r.cacheLife === undefined) return 'the page has no cacheLife'
  if (typeof r.renderS !== 'number') return 'render time is not constant'
  if (r.layouts.length > 0 || r.fetches.length > 0 || r.revalidateS !== false || r.dynamic) return 'the page has layouts, fetches, a segment revalidate or request APIs'
  if ((r.params?.count ?? 1) !== 1) return 'more than one path'
  if (r.failureRate > 0) return 'renders fail'
  if (r.traffic.arrivals !== 'poisson' || (r.traffic.diurnal ?? s.diurnal) || r.traffic.schedule || r.traffic.unknownRate > 0 || r.traffic.rps <= 0 || (r.traffic.crawlers?.length ?? 0) > 0) return 'arrivals are not stationary Poisson to the one path'
  if (s.onDemand.length > 0 || s.outages.length > 0 || s.restarts.length > 0 || s.deploys.length > 0 || s.purges.length > 0 || (s.deployment?.instances ?? 1) > 1) return 'on-demand events, outages, restarts, deploys, purges or several instances'
  return cacheLifePageFigures(r.traffic.rps, r.renderS, r.cacheLife, s.next)
}
