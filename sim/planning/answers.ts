/**
 * One answer per level of the given fields (`--given traffic.scale=1,2`): traffic is a
 * scenario, not a knob, so each level gets its own search, frontier, recommendation and table,
 * and points of different levels are never compared. Within a level, the searches over the
 * options (`--vary deployment.cache=local,shared`) merge into one recommendation.
 */
import type { Causes } from './causes.ts'
import { paretoFrontier, pickBest, type Constraint, type Evaluated, type Recommendation } from './recommend.ts'

export type Setting = Readonly<Record<string, string | number | boolean>>

export interface Answer {
  /** The level's given values ({} without --given). */
  readonly given: Setting
  readonly recommendation: Recommendation
  /** The options searched (one {} without --vary). */
  readonly options: readonly Setting[]
  /** Every grid point of every option was evaluated: frontier statements hold for the whole grid. */
  readonly complete: boolean
  /** Why an option (or the only one) has no point that meets the constraints, attributed and checked. */
  readonly causes: readonly { readonly setting: Setting; readonly causes: Causes }[]
}

export const settingLabel = (s: Setting | undefined) => Object.entries(s ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' ')

/** "deployment.cache=shared category=300 product=300". */
export function evalLabel(e: Evaluated): string {
  return [settingLabel(e.setting), ...Object.entries(e.assignment).map(([r, v]) => `${r}=${String(v)}`)].filter((x) => x !== '').join(' ')
}

/** The searches of one level's options as one recommendation (frontier and best over all of them). */
export function mergeOptions(recs: readonly Recommendation[], current: Evaluated): Recommendation {
  const first = recs[0]!
  if (recs.length === 1 && first.current === current) return first
  const evaluated = recs.flatMap((r) => r.evaluated)
  const all = evaluated.includes(current) ? evaluated : [...evaluated, current]
  return {
    ...first,
    gridSize: recs.reduce((a, r) => a + r.gridSize, 0),
    best: pickBest(all.filter((e) => e.feasible), first.routes, first.candidates),
    current,
    frontier: paretoFrontier(all, first.stalenessMetric),
    evaluated: all,
  }
}

/** How far a figure is from meeting a constraint, relative to the bound (0 when it meets it). */
export function violation(c: Constraint, v: number): number {
  const b = c.condition.value
  const scale = Math.max(Math.abs(b), 1e-9)
  switch (c.condition.op) {
    case '<': case '<=': return Math.max(0, (v - b) / scale)
    case '>': case '>=': return Math.max(0, (b - v) / scale)
    case '==': return Math.abs(v - b) / scale
    case '!=': return v === b ? 1 : 0
  }
}

/** The point closest to meeting every constraint, and the constraint it breaks most (the binding one). */
export function closestPoint(points: readonly Evaluated[], constraints: readonly Constraint[]): { point: Evaluated; binding: Constraint } | null {
  let best: { point: Evaluated; binding: Constraint; worst: number } | null = null
  for (const e of points) {
    let worst = -1
    let binding: Constraint | null = null
    for (const c of constraints) {
      const v = violation(c, e.values[c.metric]!)
      if (v > worst) { worst = v; binding = c }
    }
    if (binding !== null && (best === null || worst < best.worst)) best = { point: e, binding, worst }
  }
  return best && { point: best.point, binding: best.binding }
}

/**
 * Where the current values stand against the frontier. "On the frontier" is claimed only when
 * every grid point was evaluated; "beaten" always names an evaluated point that is cheaper and no staler.
 */
export function currentStanding(r: Recommendation, complete: boolean): { readonly kind: 'beaten'; readonly by: Evaluated } | { readonly kind: 'on-frontier' | 'unbeaten-among-evaluated' } {
  const cur = r.current
  const m = r.stalenessMetric
  const beaters = r.evaluated.filter((e) => e !== cur && e.values[m]! <= cur.values[m]! + 1e-9 && e.objective < cur.objective - 1e-9)
  const by = beaters.sort((a, b) => a.objective - b.objective || a.values[m]! - b.values[m]!)[0]
  if (by) return { kind: 'beaten', by }
  return { kind: complete ? 'on-frontier' : 'unbeaten-among-evaluated' }
}
