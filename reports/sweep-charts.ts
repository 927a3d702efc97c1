/**
 * The charts of sweep and verdict reports: the cost/staleness frontier, heatmaps over the swept
 * values, predicted range against observed. Same kit as the run charts (charts.ts).
 */
import type { TopLevelSpec } from 'vega-lite'
import type { PointResult, SweepConstraint, SweepHeader, SweepPoint, VerdictJson } from '../sim/contract.ts'
import { metricAxis } from './age-charts.ts'
import { OUTCOMES, round, SCHEMA, WIDTH, type Chart } from './charts.ts'
import { fmtMetric, fmtUsd } from './format.ts'

// --- sweeps ----------------------------------------------------------------

const FRACTIONS: readonly string[] = OUTCOMES.map(([k]) => k)

/** A canonical metric path's value in a point result ("totals.errorFraction" is derived: error / requests). */
export function metricValue(r: PointResult, path: string): number {
  const parts = path.split('.')
  let node: unknown = r
  for (const p of parts.slice(0, -1)) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined
  const o = (node ?? {}) as Record<string, number>
  const k = parts.at(-1)!
  const base = k.replace(/Fraction$/, '')
  if (k.endsWith('Fraction') && FRACTIONS.includes(base) && typeof o[base] === 'number') return o.requests ? o[base] / o.requests : 0
  const v = o[k]
  if (typeof v !== 'number') throw new Error(`metric ${path} is not in this sweep's results`)
  return v
}

/** Whether a point's figure meets a constraint (the sweep pages and the verdict line read this one). */
export function holds(c: SweepConstraint, v: number): boolean {
  switch (c.op) {
    case '<': return v < c.value
    case '<=': return v <= c.value
    case '>': return v > c.value
    case '>=': return v >= c.value
    case '==': return v === c.value
    case '!=': return v !== c.value
  }
}

export interface SweepAnalysis {
  readonly stalenessMetric: string
  readonly objective: 'cost.monthlyUsd'
  /** Every point; `frontier` is within the point's own level (levels are never compared). */
  readonly rows: readonly { readonly point: SweepPoint; readonly label: string; readonly x: number; readonly cost: number; readonly feasible: boolean; readonly frontier: boolean }[]
  /** With one level (no header.given): that level's current and recommended points; with several, null (see levels). */
  readonly current: SweepPoint | null
  readonly recommended: SweepPoint | null
  /** How the recommended point was chosen (with levels: each level's, joined). */
  readonly rule: string
  /** One answer per level of header.given (traffic is a scenario, not a knob); one level without it. */
  readonly levels: readonly SweepLevel[]
}

export interface SweepLevel {
  /** "traffic.scale=2", or "" without header.given. */
  readonly label: string
  readonly given: Readonly<Record<string, string | number | boolean>>
  readonly rows: SweepAnalysis['rows']
  readonly current: SweepPoint | null
  readonly recommended: SweepPoint | null
  readonly rule: string
}

export const pointLabel = (vary: Readonly<Record<string, unknown>>) => Object.entries(vary).map(([k, v]) => `${k}=${String(v)}`).join(' ')

/** The point's values without the given fields (its label within a level). */
const levelLabel = (header: SweepHeader, vary: Readonly<Record<string, unknown>>) => pointLabel(Object.fromEntries(Object.entries(vary).filter(([k]) => !(header.given ?? []).includes(k))))

/**
 * Current = the point whose values are the scenario's own (within each level, the given fields
 * aside). Recommended = the cheapest point that meets every --constraint; without constraints,
 * the cheapest point no staler than the current one. With header.given, each level on its own.
 */
export function analyseSweep(header: SweepHeader, points: readonly SweepPoint[]): SweepAnalysis {
  const constraints = header.constraints ?? []
  const stalenessMetric = constraints[0]?.metric ?? 'staleness.ageP95S'
  const given = header.given ?? []
  const groups = new Map<string, SweepPoint[]>()
  for (const p of points) {
    const k = pointLabel(Object.fromEntries(given.map((g) => [g, p.vary[g]])))
    groups.set(k, [...(groups.get(k) ?? []), p])
  }
  const levels = [...groups].map(([label, pts]) => analyseLevel(header, pts, label, stalenessMetric))
  const one = levels.length === 1 ? levels[0]! : null
  return {
    stalenessMetric, objective: 'cost.monthlyUsd', rows: levels.flatMap((l) => l.rows),
    current: one?.current ?? null, recommended: one?.recommended ?? null,
    rule: one ? one.rule : levels.map((l) => `at ${l.label}: ${l.rule}`).join('; '),
    levels,
  }
}

function analyseLevel(header: SweepHeader, points: readonly SweepPoint[], label: string, stalenessMetric: string): SweepLevel {
  const constraints = header.constraints ?? []
  const own = header.vary.filter((v) => !(header.given ?? []).includes(v.path))
  const current = points.find((p) => own.every((v) => p.vary[v.path] === header.current[v.path])) ?? null
  const base = points.map((p) => ({ point: p, label: levelLabel(header, p.vary), x: metricValue(p.result, stalenessMetric), cost: p.result.cost.monthlyUsd, feasible: constraints.every((c) => holds(c, metricValue(p.result, c.metric))) }))
  // Pareto frontier: no other point is both cheaper-or-equal and fresher-or-equal, and strictly better in one.
  const rows = base.map((a) => ({ ...a, frontier: !base.some((b) => b !== a && b.cost <= a.cost && b.x <= a.x && (b.cost < a.cost || b.x < a.x)) }))
  let recommended: SweepPoint | null = null
  let rule: string
  const cheapest = (xs: typeof rows) => [...xs].sort((a, b) => a.cost - b.cost || a.x - b.x || a.point.index - b.point.index)[0]?.point ?? null
  if (constraints.length) {
    recommended = cheapest(rows.filter((x) => x.feasible))
    rule = recommended ? `the cheapest point that meets ${constraints.map((c) => c.text).join(', ')}` : `no point meets ${constraints.map((c) => c.text).join(', ')}`
  } else if (current) {
    const cx = metricValue(current.result, stalenessMetric)
    recommended = cheapest(rows.filter((x) => x.x <= cx))
    rule = `the cheapest point no staler than the current one (${stalenessMetric} ≤ ${fmtMetric(stalenessMetric, cx)}); pass --constraint to isrsim sweep to set your own bound`
  } else rule = 'none: the scenario\'s own values are not in the grid and no --constraint was given'
  return { label, given: Object.fromEntries((header.given ?? []).map((g) => [g, points[0]!.vary[g]!])), rows, current, recommended, rule }
}

/** A level as a one-level sweep (its header without the given fields), for the per-level charts. */
function levelView(header: SweepHeader, a: SweepAnalysis, l: SweepLevel): { header: SweepHeader; a: SweepAnalysis } {
  const { given: _g, ...rest } = header
  return {
    header: { ...rest, vary: header.vary.filter((v) => !(header.given ?? []).includes(v.path)) },
    a: { ...a, rows: l.rows, current: l.current, recommended: l.recommended, rule: l.rule, levels: [l] },
  }
}

/** One chart per level, side by side (hconcat), with one table whose first column is the level. */
function sideBySide(header: SweepHeader, a: SweepAnalysis, draw: (h: SweepHeader, a: SweepAnalysis) => Chart): Chart {
  if (!header.given?.length) return draw(header, a)
  if (a.levels.length === 1) { const v = levelView(header, a, a.levels[0]!); return draw(v.header, v.a) }
  const charts = a.levels.map((l) => {
    const v = levelView(header, a, l)
    return { l, c: draw(v.header, v.a) }
  })
  const first = charts[0]!.c
  // Side by side within the page's width: each panel gets its share of it.
  const strip = (spec: TopLevelSpec) => {
    const { $schema: _s, ...rest } = spec as unknown as Record<string, unknown>
    return typeof rest.width === 'number' ? { ...rest, width: Math.max(200, Math.floor(WIDTH / charts.length) - 40) } : rest
  }
  return {
    id: first.id,
    title: `${first.title}, per ${(header.given ?? []).join(', ')}`,
    caption: `One panel per level of ${(header.given ?? []).join(', ')}: each level is its own answer, never compared with another's points. ${first.caption}`,
    spec: { $schema: SCHEMA, hconcat: charts.map(({ l, c }) => ({ title: l.label, ...strip(c.spec) })) } as unknown as TopLevelSpec,
    table: {
      columns: [{ key: 'level', label: 'level' }, ...first.table.columns],
      rows: charts.flatMap(({ l, c }) => c.table.rows.map((r) => ({ level: l.label, ...r }))),
    },
  }
}

export function sweepFrontier(header: SweepHeader, a: SweepAnalysis): Chart {
  const statusOf = (x: SweepAnalysis['rows'][number]) => (x.point === a.recommended ? 'recommended' : x.point === a.current ? 'current' : x.feasible ? (x.frontier ? 'on the frontier' : 'other points') : 'breaks a constraint')
  // Marked points last, so that no other point is drawn over them.
  const highlighted = (x: SweepAnalysis['rows'][number]) => Number(x.point === a.recommended || x.point === a.current)
  // Ages in the unit they read best in (helper D, issue 16 item 4).
  const { div, title: xTitle } = metricAxis(a.stalenessMetric, a.rows.map((x) => x.x))
  const values = [...a.rows].sort((p, q) => highlighted(p) - highlighted(q)).map((x) => ({ label: x.label, x: round(x.x / div), cost: round(x.cost, 4), status: statusOf(x) }))
  const frontier = a.rows.filter((x) => x.frontier).sort((p, q) => p.x - q.x).map((x) => ({ x: round(x.x / div), cost: round(x.cost, 4) }))
  const statuses = ['recommended', 'current', 'on the frontier', 'other points', 'breaks a constraint']
  const marked = values.filter((v) => v.status === 'recommended' || v.status === 'current')
  return {
    id: 'sweep-frontier',
    title: 'Cost against staleness',
    caption: `Each point of the sweep: monthly cost (${header.pricing.name}, ${header.pricing.date}) against ${a.stalenessMetric}. The line joins the Pareto frontier; nothing beats a frontier point on both. Recommended: ${a.rule}.`,
    spec: {
      $schema: SCHEMA, width: WIDTH, height: 300,
      layer: [
        { data: { values: frontier }, mark: { type: 'line', color: '#9e9e9e', strokeDash: [4, 2] }, encoding: { x: { field: 'x', type: 'quantitative', title: xTitle }, y: { field: 'cost', type: 'quantitative', title: 'USD / month' } } },
        {
          data: { values },
          mark: { type: 'point', filled: true, size: 70, opacity: 1 },
          encoding: {
            x: { field: 'x', type: 'quantitative' }, y: { field: 'cost', type: 'quantitative' },
            color: { field: 'status', type: 'nominal', title: null, scale: { domain: statuses, range: ['#2e7d32', '#1565c0', '#424242', '#bdbdbd', '#e57373'] } },
            shape: { field: 'status', type: 'nominal', title: null, scale: { domain: statuses, range: ['diamond', 'square', 'circle', 'circle', 'cross'] } },
            size: { condition: { test: 'datum.status === "recommended" || datum.status === "current"', value: 220 }, value: 60 },
            tooltip: [{ field: 'label' }, { field: 'x', title: a.stalenessMetric }, { field: 'cost', title: 'USD / month' }],
          },
        },
        { data: { values: marked }, mark: { type: 'text', align: 'left', dx: 9, dy: -9, fontSize: 11 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'cost', type: 'quantitative' }, text: { field: 'status' } } },
      ],
    } as TopLevelSpec,
    table: {
      columns: [{ key: 'point', label: 'point' }, { key: 'x', label: a.stalenessMetric }, { key: 'cost', label: 'USD / month' }, { key: 'status', label: 'status' }],
      rows: a.rows.map((x) => ({ point: x.label, x: fmtMetric(a.stalenessMetric, x.x), cost: fmtUsd(x.cost), status: statusOf(x) })),
    },
  }
}

/**
 * A heatmap of a metric over the first two varied fields (others held at the current point's
 * values, or their first); with one varied field, the metric as a line over it.
 */
export function sweepHeatmap(header: SweepHeader, a: SweepAnalysis, metric: string, title: string): Chart {
  const [v1, v2] = header.vary
  const others = header.vary.slice(2)
  const fixed = Object.fromEntries(others.map((v) => [v.path, a.current?.vary[v.path] ?? v.values[0]!]))
  const pts = a.rows.filter((x) => others.every((v) => x.point.vary[v.path] === fixed[v.path]))
  const label = (x: unknown) => String(x)
  const fixedNote = others.length ? ` Other varied fields held at ${pointLabel(fixed)}.` : ''
  if (v2 === undefined) {
    const values = pts.map((x) => ({ v: label(x.point.vary[v1!.path]), m: round(metricValue(x.point.result, metric), 6) }))
    return {
      id: `sweep-line-${metric.replace(/\W+/g, '-')}`,
      title,
      caption: `${metric} at each value of ${v1!.path}.${fixedNote}`,
      spec: {
        $schema: SCHEMA, width: WIDTH, height: 200, data: { values },
        mark: { type: 'line', point: true },
        encoding: { x: { field: 'v', type: 'ordinal', title: v1!.path, sort: v1!.values.map(label), axis: { labelAngle: 0 } }, y: { field: 'm', type: 'quantitative', title: metric } },
      } as TopLevelSpec,
      table: { columns: [{ key: 'v', label: v1!.path }, { key: 'm', label: metric }], rows: values.map((x) => ({ v: x.v, m: fmtMetric(metric, x.m) })) },
    }
  }
  const values = pts.map((x) => {
    const m = metricValue(x.point.result, metric)
    return { a: label(x.point.vary[v1!.path]), b: label(x.point.vary[v2.path]), m: round(m, 6), text: fmtMetric(metric, m) }
  })
  return {
    id: `sweep-heatmap-${metric.replace(/\W+/g, '-')}`,
    title,
    caption: `${metric} over ${v1!.path} (across) and ${v2.path} (down); darker is higher.${fixedNote}`,
    spec: {
      $schema: SCHEMA, width: { step: Math.max(48, Math.min(110, Math.floor(WIDTH / v1!.values.length))) }, height: { step: 30 },
      data: { values },
      encoding: {
        x: { field: 'a', type: 'ordinal', title: v1!.path, sort: v1!.values.map(label), axis: { labelAngle: 0 } },
        y: { field: 'b', type: 'ordinal', title: v2.path, sort: v2.values.map(label) },
      },
      layer: [
        { mark: { type: 'rect' }, encoding: { color: { field: 'm', type: 'quantitative', title: metric, scale: { scheme: 'blues' } } } },
        { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'text' }, color: { condition: { test: `datum.m > ${round(Math.max(...values.map((x) => x.m)) * 0.6, 6)}`, value: 'white' }, value: 'black' } } },
      ],
    } as TopLevelSpec,
    table: { columns: [{ key: 'a', label: v1!.path }, { key: 'b', label: v2.path }, { key: 'text', label: metric }], rows: values.map((x) => ({ a: x.a, b: x.b, text: x.text })) },
  }
}

// --- verdicts --------------------------------------------------------------

export function verdictChart(v: VerdictJson): Chart {
  // Ages in the unit they read best in, per metric (helper D, issue 16 item 4).
  const axes = new Map([...new Set(v.checks.map((c) => c.metric))].map((m) => [m, metricAxis(m, v.checks.filter((c) => c.metric === m).flatMap((c) => [c.high, c.observed]))]))
  const values = v.checks.map((c) => { const d = axes.get(c.metric)!.div; return { metric: c.metric, scope: c.scope, low: c.low / d, high: c.high / d, predicted: c.predicted / d, observed: c.observed / d, verdict: c.verdict } })
  return {
    id: 'verdict',
    title: 'Predicted against observed',
    caption: 'For each metric and route: the accepted range (bar: the prediction interval, widened to the stated tolerance), the predicted mean (tick), and what the live run observed (dot: green PASS, red FAIL). Each metric has its own scale.',
    // One row per metric, each with its own data and x scale (a facet would union domains across layers).
    spec: {
      $schema: SCHEMA,
      vconcat: [...new Set(values.map((x) => x.metric))].map((metric) => ({
        title: { text: axes.get(metric)!.div === 1 ? metric : axes.get(metric)!.title, anchor: 'start', fontSize: 12 },
        width: WIDTH - 160, height: { step: 20 },
        data: { values: values.filter((x) => x.metric === metric) },
        encoding: { y: { field: 'scope', type: 'nominal', title: null } },
        layer: [
          { mark: { type: 'rule', strokeWidth: 6, color: '#90caf9' }, encoding: { x: { field: 'low', type: 'quantitative', title: null, scale: { zero: false }, ...(/fraction/i.test(metric) ? { axis: { format: '.1%' } } : {}) }, x2: { field: 'high' } } },
          { mark: { type: 'tick', color: '#0d47a1', thickness: 2 }, encoding: { x: { field: 'predicted', type: 'quantitative' } } },
          { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'observed', type: 'quantitative' }, color: { field: 'verdict', type: 'nominal', title: 'verdict', scale: { domain: ['PASS', 'FAIL', 'SKIP'], range: ['#2e7d32', '#c62828', '#9e9e9e'] } } } },
        ],
      })),
      resolve: { scale: { x: 'independent', y: 'independent' } },
    } as TopLevelSpec,
    table: {
      columns: [{ key: 'scope', label: 'route / fetch' }, { key: 'metric', label: 'metric' }, { key: 'predicted', label: 'predicted' }, { key: 'range', label: 'accepted range' }, { key: 'observed', label: 'observed' }, { key: 'verdict', label: 'verdict' }],
      rows: v.checks.map((c) => ({ scope: c.scope, metric: c.metric, predicted: fmtMetric(c.metric, c.predicted), range: `${fmtMetric(c.metric, c.low)} … ${fmtMetric(c.metric, c.high)} (${c.by})`, observed: fmtMetric(c.metric, c.observed), verdict: c.verdict })),
    },
  }
}


export function sweepCharts(header: SweepHeader, a: SweepAnalysis): Chart[] {
  return [
    sideBySide(header, a, sweepFrontier),
    sideBySide(header, a, (h, x) => sweepHeatmap(h, x, 'cost.monthlyUsd', 'Monthly cost over the swept values')),
    sideBySide(header, a, (h, x) => sweepHeatmap(h, x, x.stalenessMetric, `${x.stalenessMetric} over the swept values`)),
  ]
}
