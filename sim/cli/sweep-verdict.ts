/**
 * The verdict of `sweep --constraint`, one line per level of the given fields: the cheapest
 * point that meets every constraint, or "no point meets …" with the binding cause, attributed
 * by re-running the closest point with one change at a time (planning/causes.ts) on the pool.
 */
import type { SimResult, SweepHeader, SweepPoint } from '../contract.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import { closestPoint, settingLabel, type Answer, type Setting } from '../planning/answers.ts'
import { counterfactuals, explain, tailEstimate } from '../planning/causes.ts'
import { evaluatedOf, paretoFrontier, type Candidate, type Constraint, type Evaluated } from '../planning/recommend.ts'
import { applyPoint } from '../planning/sweep.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { Pool } from './worker-pool.ts'

/** The sweep's points as one answer per level (header.given), with causes where no point meets the constraints. */
export async function sweepAnswers(o: { readonly scenario: Scenario; readonly source: string; readonly header: SweepHeader; readonly lines: ReadonlyMap<number, string>; readonly constraints: readonly Constraint[]; readonly pool: Pool }): Promise<Answer[]> {
  const given = o.header.given ?? []
  const points = [...o.lines.keys()].sort((a, b) => a - b).map((i) => JSON.parse(o.lines.get(i)!) as SweepPoint)
  const levels = new Map<string, SweepPoint[]>()
  for (const p of points) {
    const k = JSON.stringify(given.map((g) => p.vary[g]))
    levels.set(k, [...(levels.get(k) ?? []), p])
  }
  const own = (vary: Setting): Setting => Object.fromEntries(Object.entries(vary).filter(([k]) => !given.includes(k)))
  const revalidatePaths = o.header.vary.filter((v) => /^routes\.[^.]+\.revalidateS$/.test(v.path))
  const tuned = revalidatePaths.length ? revalidatePaths.map((v) => v.path.split('.')[1]!) : o.scenario.routes.filter((r) => effectiveRevalidate(r, o.scenario.next).revalidateS !== 0).map((r) => r.id)
  const candidates: Candidate[] = revalidatePaths.length
    ? [...new Set(revalidatePaths.flatMap((v) => v.values.filter((x): x is number => typeof x === 'number')))].sort((a, b) => a - b)
    : [Math.min(...o.scenario.routes.map((r) => effectiveRevalidate(r, o.scenario.next).revalidateS).filter((x): x is number => typeof x === 'number' && x > 0), 3600)]
  const inp = { objective: 'cost.monthlyUsd', constraints: o.constraints, routes: [] as string[] }
  return Promise.all([...levels.values()].map(async (pts): Promise<Answer> => {
    const level: Setting = Object.fromEntries(given.map((g) => [g, pts[0]!.vary[g]!]))
    const byEval = new Map<Evaluated, SweepPoint>()
    const evaluated = pts.map((p) => {
      const e = evaluatedOf(p.result as SimResult, {}, own(p.vary), inp)
      byEval.set(e, p)
      return e
    })
    const stalenessMetric = o.constraints[0]?.metric ?? 'staleness.ageP95S'
    const best = [...evaluated].filter((e) => e.feasible).sort((a, b) => a.objective - b.objective || a.values[stalenessMetric]! - b.values[stalenessMetric]! || byEval.get(a)!.index - byEval.get(b)!.index)[0] ?? null
    const current = evaluated.find((e) => Object.entries(e.setting ?? {}).every(([k, v]) => o.header.current[k] === v)) ?? evaluated[0]!
    const causes = []
    const closest = best === null && o.constraints.length ? closestPoint(evaluated, o.constraints) : null
    if (closest) {
      const p = byEval.get(closest.point)!
      const scenario = applyPoint(o.scenario, p.vary, o.source)
      const checks = await Promise.all(counterfactuals(scenario, tuned, candidates).map(async (cf) => ({ cf, result: await o.pool.run(cf.scenario, `${settingLabel(p.vary)} ${cf.change}`) as SimResult })))
      const revalidateOf = (id: string) => {
        const v = effectiveRevalidate(scenario.routes.find((r) => r.id === id)!, scenario.next).revalidateS
        return v === false ? scenario.durationS : v
      }
      const tail = tailEstimate(scenario, closest.binding.metric, closest.binding.condition.value, revalidateOf)
      causes.push({ setting: own(p.vary), causes: explain({ constraint: closest.binding, at: settingLabel(own(p.vary)), result: p.result as SimResult, routes: tuned, tail, checks }) })
    }
    return {
      given: level, options: [{}], complete: true, causes,
      recommendation: {
        objective: 'cost.monthlyUsd', constraints: o.constraints.map((c) => c.text), routes: [], candidates: [], method: 'exhaustive', gridSize: pts.length,
        best, current, frontier: paretoFrontier(evaluated, stalenessMetric), stalenessMetric, evaluated,
      },
    }
  }))
}
