/**
 * The served-age CDF in closed form, from renewal-reward theory (the cycle is derived in
 * test/closed-form.test.ts). One path, Poisson arrivals at rate λ, revalidate T, constant
 * render time R, no failures. Per cycle, the expected number of requests served a page of
 * age <= a is
 *   HIT phase (ages R..R+T):   λ·clamp(a − R, 0, T)
 *   the stale trigger:         1 − e^(−λb)                       b = a − R − T > 0
 *   stale during the render:   λ·E[clamp(b − X, 0, R)] = λm − e^(−λ(b−m)) + e^(−λb),  m = min(R, b)
 * over 1 + λT + λR requests per cycle. Paths of a route are independent renewal processes
 * (Poisson splitting), so a route of N prebuilt paths with popularity weights pᵢ has the
 * request-weighted mixture Σ pᵢ·F(a; λpᵢ).
 */
import { round } from './metrics.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { popularityWeights } from './popularity.ts'
import { effectiveRevalidate } from './revalidate.ts'

/** P(served age <= ageS) for one path: Poisson rate lambdaPerS, revalidate revalidateS, render renderS. */
export function servedAgeCdf(lambdaPerS: number, revalidateS: number, renderS: number, ageS: number): number {
  const l = lambdaPerS, T = revalidateS, R = renderS
  let n = l * Math.min(Math.max(ageS - R, 0), T)
  const b = ageS - R - T
  if (b > 0) {
    const m = Math.min(R, b)
    n += 1 - Math.exp(-l * b) + l * m - Math.exp(-l * (b - m)) + Math.exp(-l * b)
  }
  return n / (1 + l * T + l * R)
}

interface ClosedFormCase {
  readonly revalidateS: number
  readonly renderS: number
  readonly rps: number
  /** Request share of each path (sums to 1). */
  readonly popularity: readonly number[]
}

/** The closed form's parameters for a route, or why it has none. */
function caseOf(s: Scenario, routeIndex: number): ClosedFormCase | string {
  const r = s.routes[routeIndex]!
  const dep = deploymentOf(s)
  const eff = effectiveRevalidate(r, s.next)
  const T = eff.revalidateS
  if (typeof r.renderS !== 'number') return 'render time is not constant'
  if (T === false || T <= 0) return 'no time-based revalidate'
  if (r.fetches.length > 0) return 'the route fetches data'
  if (r.failureRate > 0) return 'renders fail'
  if (r.traffic.arrivals !== 'poisson' || (r.traffic.diurnal ?? s.diurnal) || r.traffic.schedule || r.traffic.unknownRate > 0 || r.traffic.rps <= 0) return 'arrivals are not stationary Poisson to known paths'
  if ((r.traffic.crawlers?.length ?? 0) > 0) return 'crawlers walk the route (evenly spaced visits, not Poisson)'
  if (r.params && r.params.prebuilt !== undefined && r.params.prebuilt < r.params.count) return 'some paths are not prebuilt'
  if (s.onDemand.length > 0 || s.outages.some((o) => !o.routes || o.routes.includes(r.id))) return 'on-demand events or outages'
  if (dep.instances > 1 || s.restarts.length > 0) return 'several instances or restarts'
  const count = r.params?.count ?? 1
  if (count > 10_000) return 'too many paths to sum'
  const popularity = popularityOf(r.traffic.popularity, count)
  // A path whose stale wait can outlast expire would block instead (16.x): out of the model.
  // The route's expire: a 'use cache' entry's (§12.2), else next.config expireTime.
  if ((eff.expireS ?? s.next.expireTimeS) - T < 40 / (r.traffic.rps * Math.min(...popularity))) return 'entries may expire'
  return { revalidateS: T, renderS: r.renderS, rps: r.traffic.rps, popularity }
}

/** Why a route has no closed form, or null when it has one. */
export function closedFormProblem(s: Scenario, routeIndex: number): string | null {
  const c = caseOf(s, routeIndex)
  return typeof c === 'string' ? c : null
}

function popularityOf(p: Scenario['routes'][number]['traffic']['popularity'], count: number): number[] {
  const w = popularityWeights(p, count)
  if (w === null) return new Array<number>(count).fill(1 / count)
  const total = w.reduce((a, b) => a + b, 0)
  return [...w].map((x) => x / total)
}

/** The route's closed-form served-age CDF on a grid from 0 to where it reaches 0.999+, or null. Seed-independent. */
export function closedFormAgeCdf(s: Scenario, routeIndex: number): { ageS: number[]; fraction: number[] } | null {
  const c = caseOf(s, routeIndex)
  if (typeof c === 'string') return null
  const { revalidateS: T, renderS: R, rps, popularity: p } = c
  const maxS = 2 * R + T + 7 / (rps * Math.min(...p))
  const points = 120
  const grid = new Set<number>([R, R + T, 2 * R + T])
  for (let i = 0; i <= points; i++) grid.add((maxS * i) / points)
  const ageS = [...grid].sort((a, b) => a - b)
  const fraction = ageS.map((a) => p.reduce((f, pi) => f + pi * servedAgeCdf(rps * pi, T, R, a), 0))
  return { ageS: ageS.map((a) => round(a, 6)), fraction: fraction.map((f) => round(f, 9)) }
}
