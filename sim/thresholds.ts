/**
 * Budgets and regression gates over a SimResult: metric paths ("staleness.ageP95S",
 * "routes.post.errorFraction", "cost.monthlyUsd"), k6-style conditions ("<600", "<=5%"),
 * and the comparison of a result with a baseline that lets replication noise pass.
 * Pure: the CLI does the printing, JUnit and Markdown.
 */
import type { BaselineCheck, Interval, SimResult, ThresholdCheck } from './contract.ts'
import { OUTCOME_NAMES } from './metrics.ts'

/** Derived per-request fractions, on totals and on each route. */
const FRACTIONS = OUTCOME_NAMES.map((o) => `${o}Fraction`)
const RENDER_KEYS = ['renders', 'backgroundRenders', 'blockingRenders', 'dynamicRenders', 'failedRenders', 'renderCpuS', 'isrWrites']
const STALENESS_KEYS = ['staleServedFraction', 'ageMeanS', 'ageP50S', 'ageP95S', 'ageP99S', 'ageMaxS']
const LATENCY_KEYS = ['meanMs', 'p50Ms', 'p95Ms', 'p99Ms', 'maxMs']
const FRESHNESS_KEYS = ['dataChanges', 'reflected', 'dataLagMeanS', 'dataLagP50S', 'dataLagP95S', 'dataLagMaxS', 'outdatedServedFraction']
const COST_KEYS = ['monthlyUsd', 'runUsd', 'vercelMonthlyUsd', 'selfHostedMonthlyUsd', 'originMonthlyUsd', 'monthlyOriginCalls', 'monthlyRenderCpuS', 'originCallsPerS']

const GROUPS: Readonly<Record<string, readonly string[]>> = {
  totals: ['requests', ...OUTCOME_NAMES, ...RENDER_KEYS, 'originFetches', ...FRACTIONS],
  staleness: STALENESS_KEYS,
  latency: LATENCY_KEYS,
  freshness: FRESHNESS_KEYS,
  cost: COST_KEYS,
}
const ROUTE_KEYS = ['requests', ...OUTCOME_NAMES, ...RENDER_KEYS, ...STALENESS_KEYS, ...LATENCY_KEYS, 'outdatedServedFraction', ...FRACTIONS]
const FETCH_KEYS = ['originFetches']

/** Higher is better for these; every other metric is better when lower. */
const HIGHER_IS_BETTER = new Set(['hit', 'hitFraction', 'reflected'])

/** A bare key ("ageP95S") stands for the first group that has it: "staleness.ageP95S". */
export function canonicalMetric(path: string): string {
  if (path === 'cost') return 'cost.monthlyUsd' // the headline figure, as thresholds, constraints and objectives name it
  if (path.includes('.')) return path
  for (const [g, keys] of Object.entries(GROUPS)) if (keys.includes(path)) return `${g}.${path}`
  return path
}

/** Why a metric path is not one isrsim knows, or null. */
export function metricProblem(path: string, routeIds: readonly string[], fetchIds: readonly string[]): string | null {
  const parts = canonicalMetric(path).split('.')
  const [group, a, b] = parts
  const examples = 'e.g. "staleness.ageP95S", "ageP95S", "totals.errorFraction", "cost.monthlyUsd", "routes.<id>.staleServedFraction"'
  if (group === 'routes' || group === 'fetches') {
    const ids = group === 'routes' ? routeIds : fetchIds
    const keys = group === 'routes' ? ROUTE_KEYS : FETCH_KEYS
    if (parts.length !== 3 || a === undefined || b === undefined) return `must be ${group}.<id>.<metric> (${examples})`
    if (!ids.includes(a)) return `names ${group.slice(0, -1)} "${a}", which is not in the scenario (known: ${ids.map((x) => JSON.stringify(x)).join(', ') || 'none'})`
    if (!keys.includes(b)) return `has no metric "${b}" (allowed: ${keys.join(', ')})`
    return null
  }
  const keys = group === undefined ? undefined : GROUPS[group]
  if (keys === undefined || parts.length !== 2) return `is not a metric (${examples}; groups: ${[...Object.keys(GROUPS), 'routes', 'fetches'].join(', ')})`
  if (!keys.includes(a!)) return `has no metric "${a}" in ${group} (allowed: ${keys.join(', ')})`
  return null
}

export type Op = '<' | '<=' | '>' | '>=' | '==' | '!='
export interface Condition { readonly op: Op; readonly value: number; readonly text: string }

const CONDITION = /^\s*(?:value\s*)?(<=|>=|==|!=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(%?)\s*$/i

/** "<600", "<= 0.05", "<5%" (= 0.05); k6's "value<600" form is accepted too. */
export function parseCondition(text: string): Condition | null {
  const m = CONDITION.exec(text)
  if (m === null) return null
  const v = Number(m[2]) / (m[3] === '%' ? 100 : 1)
  return Number.isFinite(v) ? { op: m[1] as Op, value: v, text: text.trim() } : null
}

export function conditionProblem(text: string): string | null {
  return parseCondition(text) === null ? 'must be a condition: an operator (<, <=, >, >=, ==, !=) and a number, e.g. "<600" or "<=5%"' : null
}

export function holds(op: Op, x: number, v: number): boolean {
  switch (op) {
    case '<': return x < v
    case '<=': return x <= v
    case '>': return x > v
    case '>=': return x >= v
    case '==': return x === v
    case '!=': return x !== v
  }
}

/** A metric's value and, with replications, its interval. Throws on an unknown path (check metricProblem first). */
export function metricOf(r: SimResult, path: string): { value: number; interval?: Interval } {
  const full = canonicalMetric(path)
  const [group, a, b] = full.split('.') as [string, string, string | undefined]
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
    case 'routes': return pick(r.routes[a], i?.routes[a], b!)
    case 'fetches': return pick(r.fetches[a], i?.fetches[a], b!)
    case 'totals': return pick(r.totals, i?.totals, a)
    case 'staleness': return pick(r.staleness, i?.staleness, a)
    case 'latency': return pick(r.latency, i?.latency, a)
    case 'freshness': return pick(r.freshness, i?.freshness, a)
    case 'cost': return pick(r.cost, i?.cost, a)
    default: throw new Error(`metric ${path}: unknown group ${group}`)
  }
}

export type { BaselineCheck, ThresholdCheck } from './contract.ts'

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
    const why = diff < -1e-9 ? `better by ${fmtPct(-worseBy)}` : !beyond ? `within ${fmtPct(tolerance)} of the baseline` : separated ? `worse by ${fmtPct(worseBy)} (tolerance ${fmtPct(tolerance)})` : `worse by ${fmtPct(worseBy)}, but the 95% intervals overlap (noise)`
    return {
      kind: 'baseline', metric, better, value, baseline, worseBy,
      ...(cur.interval ? { interval: cur.interval } : {}),
      ...(old.interval ? { baselineInterval: old.interval } : {}),
      pass, why,
    }
  })
}

const fmtPct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'from 0')

/** "5%" or "0.05" -> 0.05. */
export function parseTolerance(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text)
  if (m === null) return null
  const v = Number(m[1]) / (m[2] === '%' ? 100 : 1)
  return v >= 0 && v <= 10 ? v : null
}
