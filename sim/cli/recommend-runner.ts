/**
 * `isrsim recommend` on all cores: one revalidate search per level of the given fields and
 * per option of the varied ones, all at once on a worker pool; then, where no point meets the
 * constraints, the causes' re-runs (planning/causes.ts), also on the pool.
 */
import type { PointResult, SimResult, SweepHeader, Vary } from '../contract.ts'
import { closestPoint, evalLabel, mergeOptions, settingLabel, type Answer, type Setting } from '../planning/answers.ts'
import { counterfactuals, explain, tailEstimate } from '../planning/causes.ts'
import { evaluatedOf, searchBatches, searchState, type Assignment, type Candidate, type Constraint, type Evaluated, type Recommendation, type SearchInput } from '../planning/recommend.ts'
import { applyPoint, canonicalSweep, currentValue, grid, pointLine, sweepHeader } from '../planning/sweep.ts'
import type { Pricing } from '../planning/pricing.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import type { Pool } from './worker-pool.ts'

export interface RecommendJob {
  readonly scenario: Scenario
  readonly source: string
  readonly seed: string
  readonly replications: number
  readonly pricing: Pricing
  readonly objective: string
  readonly constraints: readonly Constraint[]
  readonly routes: readonly string[]
  readonly candidates: readonly Candidate[]
  readonly exhaustive: boolean
  /** Options searched together with the revalidate values (--vary). */
  readonly vary: readonly Vary[]
  /** Levels answered apart (--given). */
  readonly given: readonly Vary[]
  readonly pool: Pool
  readonly onEvaluated?: (label: string, e: Evaluated) => void
}

export interface RecommendOutcome {
  readonly answers: readonly Answer[]
  /** Every evaluated point as a sweep file (header and lines): what --report draws and the JSON keeps. */
  readonly sweep: string
}

const revalidatePoint = (a: Assignment) => Object.fromEntries(Object.entries(a).map(([id, v]) => [`routes.${id}.revalidateS`, v]))

export async function runRecommend(job: RecommendJob): Promise<RecommendOutcome> {
  const levels = grid(job.given)
  const options = grid(job.vary)
  // The scenario's own value of each searched field; a deployment field left out has its default.
  const deployment = deploymentOf(job.scenario) as unknown as Record<string, string | number | boolean>
  const currentSetting: Setting = Object.fromEntries(job.vary.map((v) => [v.path, currentValue(job.scenario, v.path) ?? (v.path.startsWith('deployment.') ? deployment[v.path.slice('deployment.'.length)] : undefined)]).filter(([, x]) => x !== null && x !== undefined))
  const current: Assignment = Object.fromEntries(job.routes.map((r) => [r, job.scenario.routes.find((x) => x.id === r)!.revalidateS as Candidate]))
  const results = new Map<string, { vary: Setting; result: PointResult }>()
  const at = (level: Setting, option: Setting, a: Assignment) => ({ ...level, ...option, ...revalidatePoint(a) })
  const runAt = async (level: Setting, option: Setting, a: Assignment): Promise<SimResult> => {
    const vary = at(level, option, a)
    const key = JSON.stringify(vary)
    const hit = results.get(key)
    if (hit) return hit.result as SimResult
    const result = await job.pool.run(applyPoint(job.scenario, vary, job.source), settingLabel(vary))
    results.set(key, { vary, result })
    return result as SimResult
  }
  const search = (level: Setting, option: Setting) => recommendAsync({
    objective: job.objective, constraints: job.constraints, routes: job.routes, candidates: job.candidates, current, exhaustive: job.exhaustive,
    ...(job.vary.length ? { setting: option } : {}),
    run: (a) => runAt(level, option, a),
    ...(job.onEvaluated ? { onEvaluated: (e: Evaluated) => job.onEvaluated!(settingLabel({ ...level }), e) } : {}),
  })
  const currentIn = options.some((o) => JSON.stringify(o) === JSON.stringify(currentSetting))
  const answers = await Promise.all(levels.map(async (level): Promise<Answer> => {
    const recs = await Promise.all(options.map((o) => search(level, o)))
    const cur = currentIn || job.vary.length === 0
      ? recs[options.findIndex((o) => JSON.stringify(o) === JSON.stringify(currentSetting))]?.current ?? recs[0]!.current
      : evaluatedOf(await runAt(level, currentSetting, current), current, currentSetting, job)
    const merged = mergeOptions(recs, cur)
    // Complete when every grid point was run (the current values may lie outside the grid).
    const inGrid = new Set(merged.evaluated.filter((e) => job.routes.every((r) => job.candidates.includes(e.assignment[r]!))).map((e) => JSON.stringify([e.setting, e.assignment])))
    const complete = inGrid.size >= merged.gridSize
    // Why each option without a feasible point fails: its closest point, re-run with one change at a time.
    const failing = recs.map((r, i) => ({ r, o: options[i]! })).filter(({ r }) => r.best === null && job.constraints.length > 0)
    const causes = await Promise.all(failing.map(async ({ r, o }) => ({ setting: o, causes: await causesOf(job, r, level, o, runAt) })))
    return { given: level, recommendation: merged, options, complete, causes }
  }))
  const names = new Set<string>()
  const header: SweepHeader = {
    ...sweepHeader(job.scenario, job.seed, job.replications, job.pricing, [...job.given, ...job.vary, ...job.routes.map((r) => ({ path: `routes.${r}.revalidateS`, values: job.candidates }))], null,
      job.constraints.map((c) => ({ metric: c.metric, op: c.condition.op, value: c.condition.value, text: c.text }))),
    points: results.size,
    ...(job.given.length ? { given: job.given.map((g) => g.path) } : {}),
  }
  const lines = new Map<number, string>()
  for (const { vary, result } of results.values()) {
    const key = JSON.stringify(vary)
    if (names.has(key)) continue
    names.add(key)
    lines.set(lines.size, pointLine(lines.size, vary, result as SimResult))
  }
  return { answers, sweep: canonicalSweep(header, lines) }
}

async function causesOf(job: RecommendJob, r: Recommendation, level: Setting, option: Setting, runAt: (l: Setting, o: Setting, a: Assignment) => Promise<SimResult>) {
  const closest = closestPoint(r.evaluated.filter((e) => JSON.stringify(e.setting ?? {}) === JSON.stringify(job.vary.length ? option : {})), job.constraints)!
  const e = closest.point
  const result = await runAt(level, option, e.assignment)
  const scenario = applyPoint(job.scenario, { ...level, ...option, ...revalidatePoint(e.assignment) }, job.source)
  const cfs = counterfactuals(scenario, job.routes, job.candidates)
  const checks = await Promise.all(cfs.map(async (cf) => ({ cf, result: await job.pool.run(cf.scenario, `${settingLabel({ ...level, ...option })} ${cf.change}`) as SimResult })))
  const revalidateOf = (id: string) => {
    const v = e.assignment[id] ?? scenario.routes.find((x) => x.id === id)?.revalidateS
    return v === false || v === undefined ? scenario.durationS : v
  }
  const tail = tailEstimate(scenario, closest.binding.metric, closest.binding.condition.value, revalidateOf)
  return explain({ constraint: closest.binding, at: evalLabel(e), result, routes: job.routes, tail, checks })
}

/** The same search with runs that may go to other threads: every batch runs at once. */
export interface AsyncSearchInput extends Omit<SearchInput, 'run'> {
  readonly run: (a: Assignment) => Promise<SimResult>
  /** Fixed fields of this search, recorded on every point (the deployment option searched). */
  readonly setting?: Readonly<Record<string, string | number | boolean>>
}

/** recommend() with runs that return promises: each batch (and the current values with the first) runs at once. */
async function recommendAsync(inp: AsyncSearchInput): Promise<Recommendation> {
  const st = searchState(inp, inp.setting)
  const gen = searchBatches(inp.candidates.length, inp.routes.length, inp.exhaustive)
  const evalA = async (a: Assignment) => st.memo.get(JSON.stringify(a)) ?? st.record(a, await inp.run(a))
  let step = gen.next(undefined as unknown as boolean[])
  const currentP = evalA(inp.current)
  while (!step.done) {
    const batch = await Promise.all(step.value.map((idx) => evalA(st.assign(idx))))
    step = gen.next(batch.map((e) => e.feasible))
  }
  return st.finish(await currentP)
}

