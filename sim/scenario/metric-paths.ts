/**
 * The syntax of budgets (a scenario's `thresholds`, `--constraint`, `--objective`): metric
 * paths into a result ("staleness.ageP95S", "routes.post.errorFraction", "cost.monthlyUsd",
 * "fetches.<id>.originFetches") and k6-style conditions ("<600", "<=5%"). Checked when a
 * scenario is read; planning/thresholds.ts evaluates them.
 */
import { OUTCOME_NAMES } from '../isr/metrics.ts'

/** Derived per-request fractions, on totals and on each route. */
export const FRACTIONS = OUTCOME_NAMES.map((o) => `${o}Fraction`)
const RENDER_KEYS = ['renders', 'backgroundRenders', 'blockingRenders', 'dynamicRenders', 'failedRenders', 'renderCpuS', 'isrWrites', 'fillWrites', 'deployWrites']
const STALENESS_KEYS = ['staleServedFraction', 'ageMeanS', 'ageP50S', 'ageP95S', 'ageP99S', 'ageMaxS']
const LATENCY_KEYS = ['meanMs', 'p50Ms', 'p95Ms', 'p99Ms', 'maxMs']
const FRESHNESS_KEYS = ['dataChanges', 'reflected', 'dataLagMeanS', 'dataLagP50S', 'dataLagP95S', 'dataLagMaxS', 'outdatedServedFraction']
const COST_KEYS = ['monthlyUsd', 'runUsd', 'vercelMonthlyUsd', 'selfHostedMonthlyUsd', 'originMonthlyUsd', 'monthlyOriginCalls', 'monthlyRenderCpuS', 'originCallsPerS', 'selfHostedCpuUtilization', 'selfHostedPeakCpuUtilization', 'selfHostedInstancesNeeded', 'selfHostedInstances', 'oneOffUsd', 'vercelOneOffUsd']

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
export const HIGHER_IS_BETTER = new Set(['hit', 'hitFraction', 'reflected'])

/** A bare key ("ageP95S") stands for the first group that has it: "staleness.ageP95S". */
export function canonicalMetric(path: string): string {
  if (path === 'cost') return 'cost.monthlyUsd' // the headline figure, as thresholds, constraints and objectives name it
  if (path.includes('.')) return path
  for (const [g, keys] of Object.entries(GROUPS)) if (keys.includes(path)) return `${g}.${path}`
  return path
}

/**
 * A canonical metric path in its parts. Route ids have no ".", fetch ids may ("api.v1"): an id
 * is everything between the group and the last part.
 */
export function splitMetric(path: string): { readonly group: string; readonly id?: string; readonly key: string } {
  const parts = canonicalMetric(path).split('.')
  const group = parts[0]!
  if ((group === 'routes' || group === 'fetches') && parts.length >= 3) return { group, id: parts.slice(1, -1).join('.'), key: parts[parts.length - 1]! }
  return { group, key: parts.slice(1).join('.') }
}

/** Why a metric path is not one isrsim knows, or null. */
export function metricProblem(path: string, routeIds: readonly string[], fetchIds: readonly string[]): string | null {
  const { group, id, key } = splitMetric(path)
  const examples = 'e.g. "staleness.ageP95S", "ageP95S", "totals.errorFraction", "cost.monthlyUsd", "routes.<id>.staleServedFraction"'
  if (group === 'routes' || group === 'fetches') {
    const ids = group === 'routes' ? routeIds : fetchIds
    const keys = group === 'routes' ? ROUTE_KEYS : FETCH_KEYS
    if (id === undefined || id === '' || key === '') return `must be ${group}.<id>.<metric> (${examples})`
    if (!ids.includes(id)) return `names ${group.slice(0, -1)} "${id}", which is not in the scenario (known: ${ids.map((x) => JSON.stringify(x)).join(', ') || 'none'})`
    if (!keys.includes(key)) return `has no metric "${key}" (allowed: ${keys.join(', ')})`
    return null
  }
  const keys = GROUPS[group]
  if (keys === undefined || key === '' || key.includes('.')) return `is not a metric (${examples}; groups: ${[...Object.keys(GROUPS), 'routes', 'fetches'].join(', ')})`
  if (!keys.includes(key)) return `has no metric "${key}" in ${group} (allowed: ${keys.join(', ')})`
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

