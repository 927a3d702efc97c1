/**
 * `isrsim recommend`: revalidate values per route that minimise an objective (cost by
 * default) subject to constraints on other metrics.
 *
 * The search uses monotonicity: a larger revalidate never costs more and never makes pages
 * fresher. So, on the grid of candidate values per route, the feasible points form a
 * down-set and the optimum lies on its upper boundary. One route's n candidates run as one
 * batch (exact frontier, parallel on a pool); two routes by a staircase walk (O(n) runs instead of n²); with more
 * routes the outer ones are enumerated, pruned as soon as even the freshest values of the
 * rest are infeasible. Every run uses the same seed (common random numbers), which keeps
 * the simulated metrics monotone in practice. `exhaustive` evaluates the whole grid.
 */
import type { SimResult } from '../contract.ts'
import { UsageError } from '../kernel/errors.ts'
import { canonicalMetric, holds, metricProblem, parseCondition, type Condition } from '../scenario/metric-paths.ts'
import { metricOf } from './thresholds.ts'
import type { Scenario } from '../scenario/schema.ts'
import { expectedMaxRender, predictBuild } from './build-time.ts'
import { firingsIn } from './fill.ts'

export type Candidate = number | false
export type Assignment = Readonly<Record<string, Candidate>>

export interface Constraint { readonly metric: string; readonly condition: Condition; readonly text: string }

/** "ageP95S<=600" -> a metric and a condition; throws UsageError naming the problem. */
export function parseConstraint(text: string, routeIds: readonly string[], fetchIds: readonly string[]): Constraint {
  const m = /^\s*([A-Za-z0-9_.:-]+)\s*((?:<=|>=|==|!=|<|>).*)$/.exec(text)
  if (m === null) throw new UsageError(`--constraint "${text}": must be <metric><op><number>, e.g. "ageP95S<=600" or "routes.post.staleServedFraction<5%"`)
  const metric = m[1]!
  const bad = metricProblem(metric, routeIds, fetchIds)
  if (bad !== null) throw new UsageError(`--constraint "${text}": ${metric} ${bad}`)
  const condition = parseCondition(m[2]!)
  if (condition === null) throw new UsageError(`--constraint "${text}": "${m[2]}" must be an operator (<, <=, >, >=, ==, !=) and a number, e.g. <=600 or <5%`)
  return { metric: canonicalMetric(metric), condition, text: text.trim() }
}

/** "30,60,300,false" -> ascending numbers, then false (never by time). */
export function parseCandidates(text: string): Candidate[] {
  const parts = text.split(',').map((x) => x.trim())
  if (parts.length === 0 || parts.some((p) => p === '')) throw new UsageError(`--candidates "${text}": must be a comma-separated list of revalidate values, e.g. 30,60,300,false`)
  const out: Candidate[] = parts.map((p) => {
    if (p === 'false') return false
    const n = Number(p)
    if (!Number.isFinite(n) || n < 1) throw new UsageError(`--candidates: "${p}" must be a number of seconds >= 1 or false`)
    return n
  })
  if (new Set(out).size !== out.length) throw new UsageError(`--candidates "${text}": a value appears twice`)
  return out.sort((a, b) => (a === false ? 1 : b === false ? -1 : a - b))
}

export const DEFAULT_CANDIDATES: readonly Candidate[] = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400]

export interface Evaluated {
  readonly assignment: Assignment
  /** Other fields searched with the revalidate values (--vary deployment.cache=local,shared); absent when none. */
  readonly setting?: Readonly<Record<string, string | number | boolean>>
  readonly objective: number
  readonly values: Readonly<Record<string, number>>
  readonly feasible: boolean
}

export interface Recommendation {
  readonly objective: string
  readonly constraints: readonly string[]
  readonly routes: readonly string[]
  readonly candidates: readonly Candidate[]
  readonly method: 'monotone' | 'exhaustive'
  readonly gridSize: number
  readonly best: Evaluated | null
  readonly current: Evaluated
  /** Cost against the staleness axis (the first constraint's metric, else staleness.ageP95S): the points no other beats on both. */
  readonly frontier: readonly Evaluated[]
  readonly stalenessMetric: string
  readonly evaluated: readonly Evaluated[]
}

export interface SearchInput {
  readonly objective: string
  readonly constraints: readonly Constraint[]
  readonly routes: readonly string[]
  readonly candidates: readonly Candidate[]
  readonly current: Assignment
  readonly exhaustive: boolean
  /** Runs the scenario with these page revalidate values. */
  readonly run: (a: Assignment) => SimResult
  readonly onEvaluated?: (e: Evaluated, count: number) => void
}

/** Index vectors into the candidates, one per route. */
export type Idx = readonly number[]

/**
 * The search as batches of grid points: the driver evaluates a batch (in any order, or all at
 * once) and sends back whether each point is feasible. Exhaustive: the whole grid in one batch.
 */
export function* searchBatches(n: number, k: number, exhaustive: boolean): Generator<Idx[], void, boolean[]> {
  if (exhaustive || k === 0) {
    const all: number[][] = [[]]
    for (let r = 0; r < k; r++) all.splice(0, all.length, ...all.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i])))
    yield all
    return
  }
  const ok = function* (idx: Idx): Generator<Idx[], boolean, boolean[]> { return (yield [idx])[0]! }
  if (k === 1) {
    // One route: the whole line in one batch. On a pool it costs n / workers rounds against
    // log2(n) one after another for a binary search, and its frontier is the exact one.
    yield Array.from({ length: n }, (_, i) => [i])
    return
  }
  const staircase = function* (prefix: Idx): Generator<Idx[], void, boolean[]> {
    let j = n - 1
    for (let i = 0; i < n; i++) {
      while (j >= 0 && !(yield* ok([...prefix, i, j]))) j--
      if (j < 0) return
    }
  }
  const outer = function* (prefix: number[]): Generator<Idx[], void, boolean[]> {
    if (prefix.length === k - 2) { yield* staircase(prefix); return }
    // Every value of this route with the freshest values for the rest, in one batch; past the
    // first infeasible one, larger values are infeasible too. The feasible ones' searches are
    // independent, so they run side by side: each round is one batch for the pool.
    const probes = Array.from({ length: n }, (_, v) => [...prefix, v, ...new Array<number>(k - prefix.length - 1).fill(0)])
    const feasible = yield probes
    let m = 0
    while (m < n && feasible[m] === true) m++
    yield* sideBySide(Array.from({ length: m }, (_, v) => outer([...prefix, v])))
  }
  yield* outer([])
}

/** Runs several searches in lockstep: each round, one batch of all their points; each gets its own answers back. */
function* sideBySide(searches: Generator<Idx[], void, boolean[]>[]): Generator<Idx[], void, boolean[]> {
  const steps = searches.map((g) => g.next(undefined as unknown as boolean[]))
  for (;;) {
    const live = steps.flatMap((st, i) => (st.done ? [] : [{ i, batch: st.value }]))
    if (live.length === 0) return
    const answers = yield live.flatMap((l) => l.batch)
    let off = 0
    for (const l of live) {
      steps[l.i] = searches[l.i]!.next(answers.slice(off, off + l.batch.length))
      off += l.batch.length
    }
  }
}

/** Shared by both drivers: the memo, the metrics tracked and the final assembly. */
export function searchState(inp: Omit<SearchInput, 'run'>, setting: Readonly<Record<string, string | number | boolean>> | undefined) {
  const objective = canonicalMetric(inp.objective)
  const stalenessMetric = inp.constraints[0]?.metric ?? 'staleness.ageP95S'
  const memo = new Map<string, Evaluated>()
  const assign = (idx: Idx): Assignment => Object.fromEntries(inp.routes.map((r, i) => [r, inp.candidates[idx[i]!]!]))
  const record = (a: Assignment, r: SimResult): Evaluated => {
    const k = JSON.stringify(a)
    const hit = memo.get(k)
    if (hit) return hit
    const e = evaluatedOf(r, a, setting, inp)
    memo.set(k, e)
    inp.onEvaluated?.(e, memo.size)
    return e
  }
  const finish = (current: Evaluated): Recommendation => {
    const all = [...memo.values()]
    return {
      objective, constraints: inp.constraints.map((c) => c.text), routes: inp.routes, candidates: inp.candidates,
      method: inp.exhaustive ? 'exhaustive' : 'monotone', gridSize: inp.candidates.length ** inp.routes.length,
      best: pickBest(all.filter((e) => e.feasible), inp.routes, inp.candidates), current,
      frontier: paretoFrontier(all, stalenessMetric), stalenessMetric, evaluated: all,
    }
  }
  return { memo, assign, record, finish }
}

/** A staleness metric's per-route form for the tuned routes (so causes can name the route that drives it). */
function routeStaleness(metric: string, routes: readonly string[]): string[] {
  const m = /^staleness\.(\w+)$/.exec(metric)
  return m ? routes.map((r) => `routes.${r}.${m[1]}`) : []
}

export function recommend(inp: SearchInput): Recommendation {
  const st = searchState(inp, undefined)
  const gen = searchBatches(inp.candidates.length, inp.routes.length, inp.exhaustive)
  const evalIdx = (idx: Idx) => {
    const a = st.assign(idx)
    return st.memo.get(JSON.stringify(a)) ?? st.record(a, inp.run(a))
  }
  let step = gen.next(undefined as unknown as boolean[])
  while (!step.done) step = gen.next(step.value.map((idx) => evalIdx(idx).feasible))
  const cur = st.memo.get(JSON.stringify(inp.current)) ?? st.record(inp.current, inp.run(inp.current))
  return st.finish(cur)
}

/** Lowest objective; ties go to the larger revalidate values (fewer renders for the same figure). */
export function pickBest(feasible: readonly Evaluated[], routes: readonly string[], candidates: readonly Candidate[]): Evaluated | null {
  const rank = (e: Evaluated) => routes.reduce((s, r) => s + candidates.indexOf(e.assignment[r]!), 0)
  let best: Evaluated | null = null
  for (const e of feasible) {
    if (best === null || e.objective < best.objective - 1e-9 || (Math.abs(e.objective - best.objective) <= 1e-9 && rank(e) > rank(best))) best = e
  }
  return best
}

/** Points not beaten on both the objective and the staleness metric (lower is better on both), by staleness. */
export function paretoFrontier(points: readonly Evaluated[], staleness: string): Evaluated[] {
  const sorted = [...points].sort((a, b) => a.values[staleness]! - b.values[staleness]! || a.objective - b.objective)
  const out: Evaluated[] = []
  let bestObjective = Infinity
  for (const p of sorted) {
    if (p.objective < bestObjective - 1e-9) {
      out.push(p)
      bestObjective = p.objective
    }
  }
  return out
}

/** A run's figures as a search point (the current values when they are outside the searched grid). */
export function evaluatedOf(r: SimResult, a: Assignment, setting: Readonly<Record<string, string | number | boolean>> | undefined, inp: Pick<SearchInput, 'objective' | 'constraints' | 'routes'>): Evaluated {
  const objective = canonicalMetric(inp.objective)
  const stalenessMetric = inp.constraints[0]?.metric ?? 'staleness.ageP95S'
  const values: Record<string, number> = {}
  for (const m of new Set([objective, stalenessMetric, ...inp.constraints.map((c) => c.metric), ...routeStaleness(stalenessMetric, inp.routes)])) {
    const x = metricOf(r, m)
    values[m] = x.interval?.mean ?? x.value
  }
  const feasible = inp.constraints.every((c) => holds(c.condition.op, values[c.metric]!, c.condition.value))
  return { assignment: a, ...(setting ? { setting } : {}), objective: values[objective]!, values, feasible }
}

/**
 * Prerendering a route's paths at build against generating them on their first request
 * (docs/semantics.md, "Build time"): what the prerendered paths add to each `next build`
 * (build-time.ts) against what leaving them out costs in the run: the first visitors' misses
 * (blocking renders they wait for), the ISR writes and the cost. Both sides in seconds per
 * run: build seconds × the builds the run holds (the start's and each deploy), against the
 * extra misses × the route's mean render time. Both runs without warmup (the start's fill is
 * what prerendering saves).
 */
export interface PrerenderWeighing {
  readonly route: string
  readonly prerendered: number
  /** Seconds these paths add to one `next build`. */
  readonly buildS: number
  /** Builds in the run: the start's and each deploy's. */
  readonly builds: number
  readonly extraMisses: number
  /** extraMisses × the route's mean render time: what the first visitors wait in all. */
  readonly extraWaitS: number
  readonly extraIsrWrites: number
  readonly extraMonthlyUsd: number
  readonly advice: 'prerender' | 'first-request'
}

/** Each route with prerendered params paths, weighed by running the scenario (warmup 0) as it is and with the route's params.prebuilt at 0. */
export function weighPrerender(s0: Scenario, run: (s: Scenario) => SimResult): PrerenderWeighing[] {
  // Without warmup, so that the start's cold fill (what prerendering saves) is counted.
  const s: Scenario = { ...s0, warmupS: 0 }
  const base = predictBuild(s)
  const current = run(s)
  const builds = 1 + s.deploys.reduce((n, d) => n + firingsIn(d, 0, s.durationS), 0)
  return s.routes.flatMap((r, i) => {
    const prerendered = base.routes[r.id]?.pages ?? 0
    if (r.params === undefined || prerendered === 0) return []
    const variant: Scenario = { ...s, routes: s.routes.map((x, j) => (j === i ? { ...x, params: { ...r.params!, prebuilt: 0 } } : x)) }
    const without = run(variant)
    const buildS = Math.max(0, base.predictedS - predictBuild(variant).predictedS)
    const extraMisses = Math.max(0, without.routes[r.id]!.blockingRenders - current.routes[r.id]!.blockingRenders)
    const extraWaitS = extraMisses * expectedMaxRender(r.renderS, 1)
    return [{
      route: r.id, prerendered, buildS, builds, extraMisses, extraWaitS,
      extraIsrWrites: without.totals.isrWrites - current.totals.isrWrites,
      extraMonthlyUsd: without.cost.monthlyUsd - current.cost.monthlyUsd,
      advice: extraWaitS > buildS * builds ? 'prerender' : 'first-request',
    }]
  })
}
