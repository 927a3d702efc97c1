/**
 * Why no point meets a constraint, attributed from the simulation. The result has per-route
 * metrics, not per-path ones, so a cause is found in two honest, cheap ways:
 *  - which route's own metric breaks the bound (the per-route figures of the run);
 *  - targeted re-runs of the same point with one thing changed (a shared cache, much smaller
 *    revalidate values, renders twice as fast, no failures): a change that reaches the bound
 *    is the cause, and the re-run is the check.
 * For served-age quantiles, the long tail is estimated with the closed form (isr/closed-form.ts):
 * a stale-while-revalidate cache serves a rarely requested path at the age of the previous
 * request to that cache, so revalidate cannot bring it down, while fewer caches can.
 */
import type { SimResult } from '../contract.ts'
import { servedAgeCdf } from '../isr/closed-form.ts'
import { popularityWeights } from '../isr/popularity.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import { holds, splitMetric } from '../scenario/metric-paths.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import type { Candidate, Constraint } from './recommend.ts'
import { metricOf } from './thresholds.ts'

/** A re-run of the analysed point with one change. */
export interface Counterfactual {
  /** What changes, as the user would write it ("deployment.cache=shared", "renderS halved"). */
  readonly change: string
  readonly kind: 'shared-cache' | 'smaller-revalidate' | 'more-routes' | 'faster-renders' | 'no-failures'
  readonly scenario: Scenario
}

/** A counterfactual's simulated figure on the binding metric. */
export interface CauseCheck {
  readonly change: string
  readonly kind: Counterfactual['kind']
  readonly value: number
  readonly meets: boolean
}

/** The long tail behind a served-age quantile, estimated from the popularity and the caches. */
export interface TailEstimate {
  readonly quantile: number
  /** The quantile as every revalidate goes to 0 (estimate). */
  readonly floorS: number
  /** Caches a path's requests are split over (instances with local caches, else 1). */
  readonly caches: number
  /** The route with the most responses older than the bound. */
  readonly route: string
  /** Of the responses older than the bound, the share to paths below their route's popularity median. */
  readonly tailShare: number
  /** The route's median path: the mean gap between its requests on one cache. */
  readonly medianGapS: number
  /** The route's paths requested less than once per bound on each cache, of all its paths. */
  readonly rarePaths: number
  readonly paths: number
  /** Those paths' share of the route's requests. */
  readonly rareRequestShare: number
  /** Of the responses older than the bound (all routes), the share to such rare paths. */
  readonly rareAgedShare: number
}

export interface Causes {
  readonly constraint: string
  readonly metric: string
  /** The analysed point (closest to meeting the constraint) and its figure. */
  readonly at: string
  readonly value: number
  /** Every route's own figure for the metric, worst first (staleness metrics only). */
  readonly routes: readonly { readonly id: string; readonly value: number }[]
  readonly tail?: TailEstimate
  readonly checks: readonly CauseCheck[]
  /** The cheapest-to-make change that reaches the bound in its re-run, or null. */
  readonly fix: CauseCheck | null
  /** One sentence: the binding cause and the checked change. */
  readonly summary: string
}

const QUANTILE = /^age(P50|P95|P99)S$/

/** The re-runs worth making for this constraint at this point (a scenario with the point's values applied). */
export function counterfactuals(s: Scenario, routes: readonly string[], candidates: readonly Candidate[]): Counterfactual[] {
  const out: Counterfactual[] = []
  const d = deploymentOf(s)
  if (d.instances > 1 && d.cache === 'local') out.push({ change: 'deployment.cache=shared', kind: 'shared-cache', scenario: { ...s, deployment: { ...d, cache: 'shared' } } })
  const smallest = candidates.find((c): c is number => c !== false)
  if (smallest !== undefined && routes.length > 0) {
    const tiny = Math.max(1, Math.floor(smallest / 10))
    out.push({
      change: `revalidateS=${tiny} on ${routes.join(', ')}`, kind: 'smaller-revalidate',
      scenario: { ...s, routes: s.routes.map((r) => (routes.includes(r.id) ? { ...r, revalidateS: tiny } : r)) },
    })
  }
  const untuned = s.routes.filter((r) => !routes.includes(r.id) && effectiveRevalidate(r, s.next).revalidateS !== 0 && r.revalidateS !== false && (smallest === undefined || r.revalidateS > smallest)).map((r) => r.id)
  if (smallest !== undefined && untuned.length > 0) {
    out.push({
      change: `revalidateS=${smallest} on ${untuned.join(', ')}`, kind: 'more-routes',
      scenario: { ...s, routes: s.routes.map((r) => (untuned.includes(r.id) ? { ...r, revalidateS: smallest } : r)) },
    })
  }
  out.push({
    change: 'renderS halved', kind: 'faster-renders',
    scenario: { ...s, routes: s.routes.map((r) => ({ ...r, renderS: typeof r.renderS === 'number' ? r.renderS / 2 : { lognormal: { medianS: r.renderS.lognormal.medianS / 2, p95S: r.renderS.lognormal.p95S / 2 } } })) },
  })
  const failing = s.outages.length > 0 || s.routes.some((r) => r.failureRate > 0 || r.fetches.some((f) => f.failureRate > 0))
  if (failing) {
    out.push({
      change: 'no render or origin failures', kind: 'no-failures',
      scenario: { ...s, outages: [], routes: s.routes.map((r) => ({ ...r, failureRate: 0, fetches: r.fetches.map((f) => ({ ...f, failureRate: 0 })) })) },
    })
  }
  return out
}

/** Mean of a metric (over replications) in a result. */
export const figure = (r: SimResult, metric: string): number => {
  const x = metricOf(r, metric)
  return x.interval?.mean ?? x.value
}

/**
 * The tail behind a served-age quantile (staleness.ageP95S, routes.<id>.ageP95S), or null for
 * other metrics. Each path is a renewal process (closed-form.ts) at its share of the route's
 * rate, split over the caches; the quantile solves P(age > a) = 1 − q over the mixture.
 */
export function tailEstimate(s: Scenario, metric: string, boundS: number, revalidateS: (routeId: string) => number): TailEstimate | null {
  const { group, id, key } = splitMetric(metric)
  const q = QUANTILE.exec(key)
  if (q === null || (group !== 'staleness' && group !== 'routes')) return null
  const quantile = Number(q[1]!.slice(1)) / 100
  const d = deploymentOf(s)
  const caches = d.cache === 'local' ? d.instances : 1
  const scope = s.routes.filter((r) => id === undefined || r.id === id)
  const totalRps = scope.reduce((a, r) => a + r.traffic.rps + r.traffic.unknownRate, 0)
  if (totalRps <= 0) return null
  // Per cached route: its paths' shares and per-cache rates (dynamic routes and one-off paths serve age 0).
  const parts = scope.filter((r) => effectiveRevalidate(r, s.next).revalidateS !== 0 && r.traffic.rps > 0).map((r) => {
    const n = r.params?.count ?? 1
    const w = popularityWeights(r.traffic.popularity, n)
    const total = w === null ? n : w.reduce((a, b) => a + b, 0)
    const p = Array.from({ length: n }, (_, i) => (w === null ? 1 : w[i]!) / total)
    const renderS = typeof r.renderS === 'number' ? r.renderS : r.renderS.lognormal.medianS
    return { id: r.id, share: r.traffic.rps / totalRps, p, lambda: p.map((pi) => (r.traffic.rps * pi) / caches), renderS, n }
  })
  if (parts.length === 0) return null
  const older = (a: number, T: (rid: string) => number) => parts.map((x) => {
    let all = 0, tail = 0, rare = 0
    x.p.forEach((pi, i) => {
      const o = pi * (1 - servedAgeCdf(x.lambda[i]!, T(x.id), x.renderS, a))
      all += o
      if (i >= x.n / 2) tail += o
      if (x.lambda[i]! * boundS < 1) rare += o
    })
    return { id: x.id, all: all * x.share, tail: tail * x.share, rare: rare * x.share }
  })
  const total = (a: number) => older(a, () => 0).reduce((s2, x) => s2 + x.all, 0)
  // Bisection: P(age > a) falls as a grows.
  let lo = 0, hi = Math.max(s.durationS, 1)
  if (total(lo) <= 1 - quantile) hi = 0
  for (let i = 0; i < 60 && hi - lo > Math.max(0.01, hi * 1e-4); i++) {
    const mid = (lo + hi) / 2
    if (total(mid) > 1 - quantile) lo = mid
    else hi = mid
  }
  const at = older(boundS, revalidateS)
  const sumAll = at.reduce((a, x) => a + x.all, 0)
  const worst = [...at].sort((a, b) => b.all - a.all)[0]!
  const route = parts.find((x) => x.id === worst.id)!
  const median = route.lambda[Math.floor((route.n - 1) / 2)]!
  const rareIdx = route.lambda.map((l, i) => (l * boundS < 1 ? i : -1)).filter((i) => i >= 0)
  return {
    rarePaths: rareIdx.length, paths: route.n, rareRequestShare: rareIdx.reduce((a, i) => a + route.p[i]!, 0),
    rareAgedShare: sumAll > 0 ? at.reduce((a, x) => a + x.rare, 0) / sumAll : 0,
    quantile, floorS: hi, caches, route: worst.id,
    tailShare: sumAll > 0 ? at.reduce((a, x) => a + x.tail, 0) / sumAll : 0,
    medianGapS: median > 0 ? 1 / median : Infinity,
  }
}

const fmtS = (s: number) => (s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`)
const fmtV = (metric: string, x: number) => (metric.endsWith('S') ? fmtS(x) : metric.endsWith('Fraction') ? `${(x * 100).toFixed(2)}%` : x.toFixed(x >= 100 ? 0 : 3))

/** Puts the figures together into the causes and their one-sentence summary. */
export function explain(inp: {
  readonly constraint: Constraint
  readonly at: string
  readonly result: SimResult
  readonly routes: readonly string[]
  readonly tail: TailEstimate | null
  readonly checks: readonly { readonly cf: Counterfactual; readonly result: SimResult }[]
}): Causes {
  const c = inp.constraint
  const value = figure(inp.result, c.metric)
  const m = /^staleness\.(\w+)$/.exec(c.metric)
  // Every route's own figure, tuned or not: the route behind the metric may be one left out of --routes.
  const routes = m ? Object.keys(inp.result.routes).map((id) => ({ id, value: figure(inp.result, `routes.${id}.${m[1]}`) })).sort((a, b) => b.value - a.value) : []
  const checks = inp.checks.map(({ cf, result }) => {
    const v = figure(result, c.metric)
    return { change: cf.change, kind: cf.kind, value: v, meets: holds(c.condition.op, v, c.condition.value) }
  })
  // The change users can make most easily first: a cache handler, then values, then the app itself.
  const order: Counterfactual['kind'][] = ['smaller-revalidate', 'more-routes', 'shared-cache', 'no-failures', 'faster-renders']
  const fix = [...checks].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)).find((x) => x.meets) ?? null
  const parts: string[] = [`at the point closest to it (${inp.at}) ${c.metric} is ${fmtV(c.metric, value)}`]
  const over = routes.filter((r) => !holds(c.condition.op, r.value, c.condition.value))
  if (over.length) parts.push(`driven by ${over.map((r) => `${r.id} (${fmtV(c.metric, r.value)}${inp.routes.includes(r.id) ? '' : ', not tuned: add it to --routes'})`).join(', ')}`)
  const t = inp.tail
  const smaller = checks.find((x) => x.kind === 'smaller-revalidate')
  if (t && t.floorS > c.condition.value && smaller && !smaller.meets) {
    const where = `on each of ${t.caches} ${t.caches > 1 ? 'local caches' : 'cache'}`
    parts.push(`the long tail: ${t.rarePaths.toLocaleString('en-US')} of ${t.paths.toLocaleString('en-US')} ${t.route} paths (${(t.rareRequestShare * 100).toFixed(0)}% of its requests) are requested less than once every ${fmtS(c.condition.value)} ${where} and serve ${(t.rareAgedShare * 100).toFixed(0)}% of responses older than ${fmtS(c.condition.value)}; ${(t.tailShare * 100).toFixed(0)}% go to ${t.route} paths below the popularity median, each requested about once every ${fmtS(t.medianGapS)} ${where}. A cache serves such a path at the age of its previous request, so no revalidate value helps (${smaller.change} gives ${fmtV(c.metric, smaller.value)}; estimated floor ${fmtS(t.floorS)})`)
  } else if (smaller && !smaller.meets) {
    parts.push(`smaller revalidate values do not help (${smaller.change} gives ${fmtV(c.metric, smaller.value)})`)
  }
  const failures = checks.find((x) => x.kind === 'no-failures')
  if (failures?.meets) parts.push(`failures: without them ${c.metric} is ${fmtV(c.metric, failures.value)}`)
  const renders = checks.find((x) => x.kind === 'faster-renders')
  if (renders?.meets) parts.push(`render time: renders twice as fast give ${fmtV(c.metric, renders.value)}`)
  const fixText = fix === null
    ? `none of the checked changes reaches it (${checks.map((x) => `${x.change}: ${fmtV(c.metric, x.value)}`).join('; ')}): relax the constraint`
    : `checked: ${fix.change} reaches ${c.metric} ${fmtV(c.metric, fix.value)} ${c.condition.op} ${fmtV(c.metric, c.condition.value)}${fix.kind === 'smaller-revalidate' ? ' (add smaller values to --candidates)' : fix.kind === 'more-routes' ? ' (add them to --routes)' : ''}`
  return { constraint: c.text, metric: c.metric, at: inp.at, value, routes, ...(t ? { tail: t } : {}), checks, fix, summary: `${parts.join('; ')}. ${fixText}` }
}
