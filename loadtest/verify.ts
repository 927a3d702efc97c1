/**
 * Predicted vs observed: `isrsim verify <prediction.json> <observed.json...>`.
 *
 * A prediction is a SimResult with replications (>= 2). For each headline metric the
 * accepted range is the 95% prediction interval of one run, mean ± t·sd·√(1 + 1/n) over
 * the replications, widened to a stated tolerance where that is larger: a live system
 * adds noise the model does not have (timer jitter, HTTP overhead). Tolerances: fractions
 * ±2 percentage points, counts ±5%, ages ±10% (and ±0.5 s, the resolution of timers here),
 * data lags ±10% (and ±0.1 s). Several observed files (distributed k6 runners) are merged first.
 *
 * With a CDN in front (prediction.cdn, §16) the CDN layer is checked on what users got (k6's
 * CDN status counts) and the routes' outcomes on what reached Next (the CDN's access log,
 * `observed.next`); users' ages are then the CDN's, checked where the plan has one route.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile'
import type { Freshness, Interval, SimResult, VerdictCheck, VerdictJson } from '../sim/contract.ts'
import type { OriginCounters } from './origin.ts'
import type { NextLayer } from './services/nginx-cdn.ts'

export const OUTCOMES = ['hit', 'stale', 'miss', 'dynamic', 'notFound', 'error'] as const

export interface ObservedRoute {
  readonly requests: number
  readonly hit: number; readonly stale: number; readonly miss: number
  readonly dynamic: number; readonly notFound: number; readonly error: number
  readonly ageSamples: number
  readonly ageP50S: number
  readonly ageP95S: number
  readonly latencyP95Ms: number
  /** Pages Router fallback shells served (k6 writes it; absent in observations made before issue 17). */
  readonly fallback?: number
  /** The browser-like /_next/data requests k6 sent after those shells, and how many failed. */
  readonly fallbackData?: number
  readonly fallbackDataErrors?: number
  /** Responses of a Cache Components page with dynamic holes (x-nextjs-postponed), counted as dynamic. */
  readonly postponed?: number
  /** Responses whose page showed outdated data (plans with data changes). */
  readonly outdated?: number
  /** Key changes a response of this route showed, and their lags (the route's first response showing each). */
  readonly dataLagReflected?: number
  readonly dataLagP50S?: number
  readonly dataLagP95S?: number
  /** The CDN's status per response (k6's CDN_HEADER): what users got at the edge. */
  readonly cdnHit?: number
  readonly cdnStale?: number
  readonly cdnMiss?: number
}

/** Data lag over all routes, as the simulator's freshness: each key change's first response showing it (the outdated fraction is per route). */
export type ObservedFreshness = Omit<Freshness, 'outdatedServedFraction'>

/** What loadtest/k6/isr.ts writes, plus the origin's counters added by the driver. */
export interface Observed {
  readonly observedVersion: 1
  readonly scenario: { readonly name: string; readonly hash: string; readonly durationS: number; readonly warmupS: number }
  readonly seed: string
  readonly target: string
  readonly cacheHeader: string
  readonly startMs: number
  readonly testRunDurationMs: number
  readonly droppedIterations: number
  readonly unknownCacheHeader: number
  readonly onDemand: { readonly planned: number; readonly sent: number; readonly failed: number }
  readonly routes: Readonly<Record<string, ObservedRoute>>
  readonly origin?: OriginCounters
  readonly freshness?: ObservedFreshness
  /** The CDN layer's totals (k6, CDN_HEADER). */
  readonly cdn?: { readonly header: string; readonly hit: number; readonly stale: number; readonly miss: number; readonly unknownStatus: number }
  /** What reached Next behind the CDN (the driver reads the CDN's access log). */
  readonly next?: NextLayer
}

export type { Verdict, VerdictJson } from '../sim/contract.ts'
export type Check = VerdictCheck

export class VerifyError extends Error {}

/** A predicted count the prediction does not have: zero, with no spread. */
const ZERO: Interval = { mean: 0, sd: 0, low: 0, high: 0 }

/**
 * Merge observations of the same plan from several runners: counts add, ages are
 * request-weighted. Origin counters describe the whole target, so the first file's are kept.
 */
export function mergeObserved(all: readonly Observed[]): Observed {
  const first = all[0]
  if (!first) throw new VerifyError('no observed files given')
  for (const o of all) {
    if (o.observedVersion !== 1) throw new VerifyError(`observed file has observedVersion ${String(o.observedVersion)}; this isrsim reads 1`)
    if (o.scenario.hash !== first.scenario.hash) throw new VerifyError(`observed files come from different scenarios: ${first.scenario.name} (${first.scenario.hash}) and ${o.scenario.name} (${o.scenario.hash})`)
  }
  if (all.length === 1) return first
  const routes: Record<string, ObservedRoute> = {}
  for (const id of Object.keys(first.routes)) {
    const rs = all.map((o) => o.routes[id]).filter((r): r is ObservedRoute => r !== undefined)
    const sum = (k: keyof ObservedRoute) => rs.reduce((n, r) => n + (r[k] ?? 0), 0)
    const ages = sum('ageSamples')
    const wavg = (k: 'ageP50S' | 'ageP95S') => (ages > 0 ? rs.reduce((n, r) => n + r[k] * r.ageSamples, 0) / ages : 0)
    // Counts add; a data lag is each change's first response over all runners, which the files do not keep: dropped.
    const opt = (k: 'outdated' | 'cdnHit' | 'cdnStale' | 'cdnMiss') => (rs.some((r) => r[k] !== undefined) ? { [k]: sum(k) } : {})
    routes[id] = { requests: sum('requests'), hit: sum('hit'), stale: sum('stale'), miss: sum('miss'), dynamic: sum('dynamic'), notFound: sum('notFound'), error: sum('error'), fallback: sum('fallback'), fallbackData: sum('fallbackData'), fallbackDataErrors: sum('fallbackDataErrors'), postponed: sum('postponed'), ageSamples: ages, ageP50S: wavg('ageP50S'), ageP95S: wavg('ageP95S'), latencyP95Ms: Math.max(...rs.map((r) => r.latencyP95Ms)), ...opt('outdated'), ...opt('cdnHit'), ...opt('cdnStale'), ...opt('cdnMiss') }
  }
  const { freshness: _, ...rest } = first
  const cdns = all.map((o) => o.cdn).filter((c) => c !== undefined)
  return {
    ...rest,
    ...(cdns.length > 0 ? { cdn: { header: cdns[0]!.header, hit: cdns.reduce((n, c) => n + c.hit, 0), stale: cdns.reduce((n, c) => n + c.stale, 0), miss: cdns.reduce((n, c) => n + c.miss, 0), unknownStatus: cdns.reduce((n, c) => n + c.unknownStatus, 0) } } : {}),
    droppedIterations: all.reduce((n, o) => n + o.droppedIterations, 0),
    unknownCacheHeader: all.reduce((n, o) => n + o.unknownCacheHeader, 0),
    onDemand: { planned: first.onDemand.planned, sent: all.reduce((n, o) => n + o.onDemand.sent, 0), failed: all.reduce((n, o) => n + o.onDemand.failed, 0) },
    routes,
  }
}

/** The stated tolerances: fractions ±2 points, counts ±5% (at least 1), ages ±10% (at least 0.5 s). */
export const FRACTION_TOL = 0.02
export const COUNT_TOL = 0.05
const AGE_TOL = 0.1
const AGE_FLOOR_S = 0.5
/** Data lag: ±10% (what the issue asks), at least 0.1 s (timers, HTTP). */
export const LAG_TOL = 0.1
const LAG_FLOOR_S = 0.1

/** The accepted range of one run: the 95% prediction interval over n replications, widened to `tol` where that is larger. */
export function acceptedRange(iv: Interval, n: number, tol: number): { low: number; high: number; by: 'spread' | 'tolerance' } {
  const half = n > 1 ? tQuantile(0.975, n - 1) * iv.sd * Math.sqrt(1 + 1 / n) : 0
  return half >= tol ? { low: iv.mean - half, high: iv.mean + half, by: 'spread' } : { low: iv.mean - tol, high: iv.mean + tol, by: 'tolerance' }
}

/** One check: `observed` against the accepted range of the predicted interval `iv` (n replications). */
export function checkOf(scope: string, metric: string, iv: Interval, n: number, observed: number, tol: number, note?: string): Check {
  const r = acceptedRange(iv, n, tol)
  const ok = observed >= r.low - 1e-9 && observed <= r.high + 1e-9
  return { scope, metric, predicted: iv.mean, low: r.low, high: r.high, observed, verdict: ok ? 'PASS' : 'FAIL', by: r.by, ...(note ? { note } : {}) }
}

export function verify(prediction: SimResult, observedFiles: readonly Observed[]): VerdictJson {
  const obs = mergeObserved(observedFiles)
  // A driver-made prediction is of the calibrated scenario; it names the plan's scenario it came from.
  const from = (prediction as SimResult & { calibration?: { fromHash?: string } }).calibration?.fromHash
  if (obs.scenario.hash !== prediction.scenario.hash && obs.scenario.hash !== from) {
    throw new VerifyError(`prediction and observation are from different scenarios: the prediction is ${prediction.scenario.name} (hash ${prediction.scenario.hash}), the observation ${obs.scenario.name} (hash ${obs.scenario.hash}). Re-run the prediction on the scenario the load test used.`)
  }
  const iv = prediction.intervals
  const n = prediction.replications
  if (!iv || n < 2) throw new VerifyError(`the prediction has ${n} replication(s); verify needs intervals: isrsim run <scenario> --replications 10 --out prediction.json`)
  const checks: Check[] = []
  const add = (scope: string, metric: string, i: Interval | undefined, observed: number, tol: number, note?: string) => {
    if (i) checks.push(checkOf(scope, metric, i, n, observed, tol, note))
  }
  const frac = (i: Interval | undefined, requests: number): Interval | undefined => (i && requests > 0 ? { mean: i.mean / requests, sd: i.sd / requests, low: i.low / requests, high: i.high / requests } : undefined)
  const cdn = prediction.cdn
  if (cdn && (!obs.cdn || !obs.next)) throw new VerifyError(`the prediction has a CDN in front (deployment.cdn) but the observation has no ${obs.cdn ? "Next layer (the CDN's access log, observed.next)" : 'CDN layer (k6 -e CDN_HEADER=X-Cache-Status)'}; run it with isrsim loadtest, which puts nginx's proxy_cache in front`)
  for (const [id, pr] of Object.entries(prediction.routes)) {
    const o = obs.routes[id]
    const ri = iv.routes[id]
    if (!o || !ri) continue
    const reqs = ri.requests?.mean ?? pr.requests
    if (o.requests === 0) continue
    // Behind a CDN the routes' outcomes are what reached Next (§16): the CDN's access log.
    const at = cdn && obs.next ? obs.next.routes[id] ?? { requests: 0, hit: 0, stale: 0, miss: 0, dynamic: 0, notFound: 0, error: 0 } : o
    if (cdn && ri.requests) add(id, 'requests reaching Next', ri.requests, at.requests, Math.max(COUNT_TOL * ri.requests.mean, 1), "the CDN's access log")
    const isStatic = pr.effectiveRevalidateS !== 0
    if (at.requests > 0) {
      if (isStatic) {
        add(id, 'HIT fraction', frac(ri.hit, reqs), at.hit / at.requests, FRACTION_TOL)
        add(id, 'STALE fraction', frac(ri.stale, reqs), at.stale / at.requests, FRACTION_TOL)
        add(id, 'MISS fraction', frac(ri.miss, reqs), at.miss / at.requests, FRACTION_TOL)
      } else add(id, 'dynamic fraction', frac(ri.dynamic, reqs), at.dynamic / at.requests, FRACTION_TOL)
      if (pr.error > 0 || at.error > 0) add(id, 'error fraction', frac(ri.error, reqs), at.error / at.requests, FRACTION_TOL)
    }
    if (o.outdated !== undefined && prediction.freshness.dataChanges > 0) add(id, 'outdated fraction', ri.outdatedServedFraction, o.outdated / o.requests, FRACTION_TOL, 'pages showing data older than the origin had')
    // The route's own data lag (each change's first response of this route), where the prediction has one.
    if ((o.dataLagReflected ?? 0) > 0 && (pr.dataLagReflected ?? 0) > 0) {
      add(id, 'data lag p50 (s)', ri.dataLagP50S, o.dataLagP50S ?? 0, Math.max(LAG_TOL * (ri.dataLagP50S?.mean ?? 0), LAG_FLOOR_S))
      add(id, 'data lag p95 (s)', ri.dataLagP95S, o.dataLagP95S ?? 0, Math.max(LAG_TOL * (ri.dataLagP95S?.mean ?? 0), LAG_FLOOR_S))
    }
    // Pages Router fallback shells (issue 17): checked where either side has any.
    const fallback = (pr as { fallback?: number }).fallback ?? 0
    if (fallback > 0 || (o.fallback ?? 0) > 0) add(id, 'FALLBACK fraction', frac((ri as { fallback?: Interval }).fallback ?? ZERO, reqs), (o.fallback ?? 0) / o.requests, FRACTION_TOL)
    if (obs.origin) {
      const renders = ri.renders
      if (renders) add(id, 'renders', renders, obs.origin.renders[id] ?? 0, Math.max(COUNT_TOL * renders.mean, 1), 'origin /render calls')
    }
    if (o.ageSamples > 0 && !cdn) {
      if (ri.ageP50S) add(id, 'age p50 (s)', ri.ageP50S, o.ageP50S, Math.max(AGE_TOL * ri.ageP50S.mean, AGE_FLOOR_S))
      if (ri.ageP95S) add(id, 'age p95 (s)', ri.ageP95S, o.ageP95S, Math.max(AGE_TOL * ri.ageP95S.mean, AGE_FLOOR_S))
    }
  }
  if (obs.origin) {
    for (const [id, fi] of Object.entries(iv.fetches ?? {})) {
      if (fi.originFetches) add(`fetch ${id}`, 'origin fetches', fi.originFetches, obs.origin.fetches[id] ?? 0, Math.max(COUNT_TOL * fi.originFetches.mean, 1))
    }
  }
  const fr = obs.freshness
  if (fr && prediction.freshness.dataChanges > 0) {
    const f = iv.freshness
    const lagTol = (i: Interval | undefined) => Math.max(LAG_TOL * (i?.mean ?? 0), LAG_FLOOR_S)
    add('freshness', 'data changes shown', f.reflected, fr.reflected, Math.max(COUNT_TOL * (f.reflected?.mean ?? 0), 1))
    if (fr.reflected > 0) {
      add('freshness', 'data lag p50 (s)', f.dataLagP50S, fr.dataLagP50S, lagTol(f.dataLagP50S))
      add('freshness', 'data lag p95 (s)', f.dataLagP95S, fr.dataLagP95S, lagTol(f.dataLagP95S))
    }
  }
  if (cdn && iv.cdn && obs.cdn && obs.next) {
    const c = iv.cdn
    const users = obs.cdn.hit + obs.cdn.stale + obs.cdn.miss
    if (users > 0) {
      add('cdn', 'CDN HIT fraction', c.hit, obs.cdn.hit / users, FRACTION_TOL, 'X-Cache-Status HIT')
      add('cdn', 'CDN STALE fraction', c.stale, obs.cdn.stale / users, FRACTION_TOL, 'X-Cache-Status STALE or UPDATING')
      add('cdn', 'CDN MISS fraction', c.miss, obs.cdn.miss / users, FRACTION_TOL, 'X-Cache-Status MISS, EXPIRED or BYPASS')
    }
    add('cdn', 'origin requests', c.originRequests, obs.next.originRequests, Math.max(COUNT_TOL * (c.originRequests?.mean ?? 0), 1), "requests the CDN forwarded to Next (its access log, background updates included)")
    // Users' ages per route, end to end (CDN time included): the prediction's first replication
    // (result.cdn.routes has no intervals), accepted within the age tolerance.
    for (const [id, cr] of Object.entries(cdn.routes)) {
      const o = obs.routes[id]
      if (!o || o.ageSamples === 0) continue
      const at = (mean: number): Interval => ({ mean, sd: 0, low: mean, high: mean })
      add(id, 'age p50 (s)', at(cr.ageP50S), o.ageP50S, Math.max(AGE_TOL * cr.ageP50S, AGE_FLOOR_S), 'users, CDN time included')
      add(id, 'age p95 (s)', at(cr.ageP95S), o.ageP95S, Math.max(AGE_TOL * cr.ageP95S, AGE_FLOOR_S), 'users, CDN time included')
    }
  }
  return { verdictVersion: 1, scenario: { name: prediction.scenario.name, hash: prediction.scenario.hash }, seed: prediction.seed, modelVersion: prediction.modelVersion, isrsimVersion: prediction.isrsimVersion, replications: n, pass: checks.every((c) => c.verdict !== 'FAIL'), checks }
}
