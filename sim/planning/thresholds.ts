/**
 * Budgets and regression gates over a SimResult: a metric's value and interval, thresholds
 * checked against the mean, and the comparison of a result with a baseline that lets
 * replication noise pass. The paths and conditions are scenario/metric-paths.ts's.
 * Pure: the CLI does the printing, JUnit and Markdown.
 */
import type { BaselineCheck, Interval, SimResult, ThresholdCheck } from '../contract.ts'
import { canonicalMetric, conditionProblem, FRACTIONS, HIGHER_IS_BETTER, holds, parseCondition, splitMetric } from '../scenario/metric-paths.ts'

/** A metric's value and, with replications, its interval. Throws on an unknown path (check metricProblem first). */
export function metricOf(r: SimResult, path: string): { value: number; interval?: Interval } {
  const { group, id, key } = splitMetric(path)
  const frac = (o: Record<string, number>, k: string) => {
    const n = o.requests ?? 0
    return n === 0 ? 0 : (o[k.replace(/Fraction$/, '')] ?? 0) / n
  }
  const pick = (obj: object | undefined, ints: object | undefined, k: string) => {
    const o = (obj ?? {}) as Record<string, number>
    if (FRACTIONS.includes(k)) return { value: frac(o, k) }
    const value = o[k]
    if (typeof value !== 'number') throw new Error(`metric ${path}: not in this result`)
    const interval = (ints as Record<string, Interval> | undefined)?.[k]
    return interval === undefined ? { value } : { value, interval }
  }
  const i = r.intervals
  switch (group) {
    case 'routes': return pick(r.routes[id!], i?.routes[id!], key)
    case 'fetches': return pick(r.fetches[id!], i?.fetches[id!], key)
    case 'totals': return pick(r.totals, i?.totals, key)
    case 'staleness': return pick(r.staleness, i?.staleness, key)
    case 'latency': return pick(r.latency, i?.latency, key)
    case 'freshness': return pick(r.freshness, i?.freshness, key)
    case 'cost': return pick(r.cost, i?.cost, key)
    default: throw new Error(`metric ${path}: unknown group ${group}`)
  }
}

export type { BaselineCheck, ThresholdCheck } from '../contract.ts'

/** Each condition of each threshold against the result's value (the mean over replications). */
export function evaluateThresholds(r: SimResult, thresholds: Readonly<Record<string, readonly string[]>>): ThresholdCheck[] {
  const out: ThresholdCheck[] = []
  for (const [metric, conds] of Object.entries(thresholds)) {
    const m = metricOf(r, metric)
    const value = m.interval?.mean ?? m.value
    for (const text of conds) {
      const c = parseCondition(text)
      if (c === null) throw new Error(`threshold ${metric}: ${conditionProblem(text)}`)
      out.push({ kind: 'threshold', metric, condition: c.text, value, ...(m.interval ? { interval: m.interval } : {}), pass: holds(c.op, value, c.value) })
    }
  }
  return out
}

/** The metrics a baseline comparison covers by default: the headline figures, overall and per route. */
export function defaultBaselineMetrics(r: SimResult): string[] {
  const m = ['staleness.ageP95S', 'staleness.ageMeanS', 'staleness.staleServedFraction', 'latency.p95Ms', 'totals.errorFraction', 'totals.renders', 'totals.isrWrites', 'totals.originFetches', 'cost.monthlyUsd']
  if (r.freshness.dataChanges > 0) m.push('freshness.dataLagP95S', 'freshness.outdatedServedFraction')
  for (const id of Object.keys(r.routes)) m.push(`routes.${id}.ageP95S`, `routes.${id}.staleServedFraction`, `routes.${id}.errorFraction`)
  return m
}

/**
 * A metric regresses when it is worse than the baseline by more than `tolerance` (relative)
 * and, when both results have replication intervals, the intervals do not overlap: a
 * difference the replications cannot tell from noise does not fail a build.
 */
export function compareWithBaseline(r: SimResult, base: SimResult, metrics: readonly string[], tolerance: number): BaselineCheck[] {
  return metrics.map((metric) => {
    const key = canonicalMetric(metric).split('.').pop()!
    const better = HIGHER_IS_BETTER.has(key) ? 'higher' : 'lower'
    const cur = metricOf(r, metric)
    const old = metricOf(base, metric)
    const value = cur.interval?.mean ?? cur.value
    const baseline = old.interval?.mean ?? old.value
    const diff = better === 'lower' ? value - baseline : baseline - value
    const worseBy = baseline === 0 ? (diff > 0 ? Infinity : diff < 0 ? -Infinity : 0) : diff / Math.abs(baseline)
    const beyond = diff > 1e-9 && worseBy > tolerance
    const separated = cur.interval !== undefined && old.interval !== undefined
      ? (better === 'lower' ? cur.interval.low > old.interval.high : cur.interval.high < old.interval.low)
      : true
    const pass = !(beyond && separated)
    const worse = Number.isFinite(worseBy) ? `worse by ${fmtPct(worseBy)}` : 'worse (the baseline is 0)'
    const why = diff < -1e-9 ? (Number.isFinite(worseBy) ? `better by ${fmtPct(-worseBy)}` : 'better (the baseline is 0)') : !beyond ? `within ${fmtPct(tolerance)} of the baseline` : separated ? `${worse} (tolerance ${fmtPct(tolerance)})` : `${worse}, but the 95% intervals overlap (noise)`
    return {
      kind: 'baseline', metric, better, value, baseline, worseBy,
      ...(cur.interval ? { interval: cur.interval } : {}),
      ...(old.interval ? { baselineInterval: old.interval } : {}),
      pass, why,
    }
  })
}

const fmtPct = (x: number) => `${(x * 100).toFixed(1)}%`

/** "5%" or "0.05" -> 0.05. */
export function parseTolerance(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text)
  if (m === null) return null
  const v = Number(m[1]) / (m[2] === '%' ? 100 : 1)
  return v >= 0 && v <= 10 ? v : null
}
