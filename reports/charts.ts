/**
 * Every chart of a report: a pure function from the JSON input to a Vega-Lite spec plus
 * the data table printed beside it (copyable numbers, and the fallback for readers who
 * cannot see the chart). Time axes are quantitative seconds scaled to minutes or hours,
 * never Vega "temporal" fields: those format in the machine's time zone, and the same
 * input must give the same bytes everywhere.
 */
import type { TopLevelSpec } from 'vega-lite'
import type { SimResult } from '../sim/contract.ts'
import { ageCdfs } from './age-charts.ts'
import { fmtCount, fmtNum, fmtPct, fmtS, fmtUsd } from './format.ts'

export interface Column {
  readonly key: string
  readonly label: string
  /** The cell's text is also its class (PASS, FAIL: coloured by the page's styles). */
  readonly classed?: boolean
  /** Free text (a sentence, a route pattern): left-aligned and wrapped instead of kept on one line. */
  readonly wrap?: boolean
}
export interface Table {
  readonly columns: readonly Column[]
  readonly rows: readonly Readonly<Record<string, string>>[]
  /** Said under the table, e.g. how rows were aggregated. */
  readonly note?: string
}
export interface Chart {
  readonly id: string
  readonly title: string
  /** What the chart shows and how to read it (also the SVG's accessible description). */
  readonly caption: string
  readonly spec: TopLevelSpec
  readonly table: Table
}

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'
export const WIDTH = 640
export const OUTCOME_COLORS: Readonly<Record<string, string>> = { HIT: '#2e7d32', STALE: '#f9a825', MISS: '#1565c0', dynamic: '#6a1b9a', '404': '#9e9e9e', error: '#c62828' }
const MODE_COLORS: Readonly<Record<string, string>> = { background: '#00897b', blocking: '#1565c0', dynamic: '#6a1b9a' }
/** Axis labels longer than this (characters) give way to short ids that the chart's table names. */
const MAX_AXIS_LABEL = 48
/** At most this many rows in a time-series table: more bins are summed into wider rows. */
const MAX_TABLE_ROWS = 48

/**
 * The time axis of a run's series charts: minutes for runs up to 6 hours, hours beyond, as
 * plain numbers; `div` turns seconds into that unit, `perMin` a bin's count into a rate.
 */
function timeAxis(r: SimResult) {
  const { div, label } = r.scenario.durationS <= 6 * 3600 ? { div: 60, label: 'min' } : { div: 3600, label: 'h' }
  const x = { field: 't', type: 'quantitative', title: `time (${label})`, scale: { domain: [0, round(r.scenario.durationS / div)], nice: false } } as const
  return { div, x, binS: r.series.binS, perMin: 60 / r.series.binS }
}

export const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d

/**
 * The data table of a series chart: from, to and the given columns, with consecutive bins
 * summed so that it has at most MAX_TABLE_ROWS rows.
 */
function seriesTable<T extends { atS: number }>(bins: readonly T[], binS: number, cols: readonly (readonly [keyof T & string, string])[]): Table {
  const group = Math.max(1, Math.ceil(bins.length / MAX_TABLE_ROWS))
  const rows: Record<string, string>[] = []
  for (let i = 0; i < bins.length; i += group) {
    const chunk = bins.slice(i, i + group)
    rows.push({ from: fmtS(chunk[0]!.atS), to: fmtS(chunk.at(-1)!.atS + binS), ...Object.fromEntries(cols.map(([k]) => [k, fmtCount(chunk.reduce((a, b) => a + (b[k] as number), 0))])) })
  }
  return {
    columns: [{ key: 'from', label: 'from' }, { key: 'to', label: 'to' }, ...cols.map(([key, label]) => ({ key, label }))],
    rows,
    ...(group > 1 ? { note: `${group} bins of ${fmtS(binS)} per row.` } : {}),
  }
}

/** The label of on-demand event i, as the charts and tables name it. */
function eventLabel(e: SimResult['onDemand'][number], i: number): string {
  return `#${i + 1} ${e.kind}(${e.tag ?? e.path ?? ''})`
}

function onDemandMarks(r: SimResult, div: number): { t: number; event: string }[] {
  return r.onDemand.flatMap((e, i) => e.atS.map((at) => ({ t: round(at / div), event: eventLabel(e, i) })))
}

export const OUTCOMES = [['hit', 'HIT'], ['stale', 'STALE'], ['miss', 'MISS'], ['dynamic', 'dynamic'], ['notFound', '404'], ['error', 'error']] as const

export function outcomesOverTime(r: SimResult): Chart {
  const { div, x: xEnc, binS, perMin } = timeAxis(r)
  const present = OUTCOMES.filter(([k]) => r.series.bins.some((b) => b[k] > 0))
  const values = r.series.bins.flatMap((b) => present.map(([k, name]) => ({ t: round(b.atS / div), outcome: name, perMin: round(b[k] * perMin, 3) })))
  const outages = r.outages.map((o) => ({ from: round(o.fromS / div), to: round(o.toS / div), label: `outage ${fmtPct(o.failureRate)} failures${o.routes ? ` (${o.routes.join(', ')})` : ''}` }))
  const marks = onDemandMarks(r, div)
  const layer: object[] = []
  if (outages.length) layer.push({ data: { values: outages }, mark: { type: 'rect', color: '#ef9a9a', opacity: 0.35 }, encoding: { x: { ...xEnc, field: 'from' }, x2: { field: 'to' }, tooltip: { field: 'label' } } })
  layer.push({
    data: { values },
    mark: { type: 'area', interpolate: 'step-after' },
    encoding: {
      x: xEnc,
      y: { field: 'perMin', type: 'quantitative', stack: 'zero', title: 'responses / min' },
      color: { field: 'outcome', type: 'nominal', title: 'outcome', scale: { domain: present.map(([, n]) => n), range: present.map(([, n]) => OUTCOME_COLORS[n]!) }, sort: present.map(([, n]) => n) },
      order: { field: 'order', type: 'quantitative' },
    },
    transform: [{ calculate: `indexof(${JSON.stringify(present.map(([, n]) => n))}, datum.outcome)`, as: 'order' }],
  })
  if (marks.length) layer.push({ data: { values: marks }, mark: { type: 'rule', color: '#212121', strokeDash: [4, 3], strokeWidth: 1 }, encoding: { x: { ...xEnc }, tooltip: { field: 'event' } } })
  return {
    id: 'outcomes-over-time',
    title: 'Outcome mix over time',
    caption: `Responses per minute by x-nextjs-cache outcome, in ${fmtS(binS)} bins (warmup included)${outages.length ? '; shaded: outage windows' : ''}${marks.length ? '; dashed lines: on-demand revalidation calls' : ''}.`,
    spec: { $schema: SCHEMA, width: WIDTH, height: 220, layer } as TopLevelSpec,
    table: seriesTable(r.series.bins, binS, present.map(([k, n]) => [k, `${n} (responses)`] as const)),
  }
}

export function rendersOverTime(r: SimResult): Chart {
  const { div, x: xEnc, binS, perMin } = timeAxis(r)
  // Results from before renders were split by kind have only the total.
  const split = r.series.bins.every((b) => typeof b.backgroundRenders === 'number')
  const modes = split ? ([['backgroundRenders', 'background'], ['blockingRenders', 'blocking'], ['dynamicRenders', 'dynamic']] as const) : ([['renders', 'all renders']] as const)
  const values = r.series.bins.flatMap((b) => modes.map(([k, name]) => ({ t: round(b.atS / div), mode: name, perMin: round(b[k] * perMin, 3) })))
  const failed = r.series.bins.map((b) => ({ t: round(b.atS / div), perMin: round(b.failedRenders * perMin, 3), series: 'failed' }))
  const meanRenderS = r.totals.renders > 0 ? r.totals.renderCpuS / r.totals.renders : 0
  const conc = r.deployment.renderConcurrency
  const capacityPerMin = conc !== undefined && meanRenderS > 0 ? round((conc * r.deployment.instances * 60) / meanRenderS, 1) : null
  const layer: object[] = [
    {
      data: { values },
      mark: { type: 'area', interpolate: 'step-after' },
      encoding: {
        x: xEnc,
        y: { field: 'perMin', type: 'quantitative', stack: 'zero', title: 'renders / min' },
        color: { field: 'mode', type: 'nominal', title: 'render', scale: { domain: modes.map(([, n]) => n), range: modes.map(([, n]) => MODE_COLORS[n] ?? '#546e7a') } },
      },
    },
    { data: { values: failed }, mark: { type: 'line', color: '#c62828', strokeWidth: 1.5, interpolate: 'step-after' }, encoding: { x: xEnc, y: { field: 'perMin', type: 'quantitative' }, strokeDash: { field: 'series', type: 'nominal', title: 'of which', scale: { domain: ['failed'], range: [[1, 0]] } } } },
  ]
  if (capacityPerMin !== null) layer.push({ data: { values: [{ y: capacityPerMin, label: `capacity ${fmtNum(capacityPerMin)} / min` }] }, mark: { type: 'rule', color: '#000', strokeDash: [6, 4] }, encoding: { y: { field: 'y', type: 'quantitative' }, tooltip: { field: 'label' } } })
  return {
    id: 'renders-over-time',
    title: 'Renders over time',
    caption: `Render attempts per minute by kind: background regenerations (STALE), blocking renders (MISS) and dynamic renders; the red line is the failed ones among them${capacityPerMin !== null ? `; dashed: what renderConcurrency ${conc} × ${r.deployment.instances} instance(s) can finish at the mean render time of ${fmtS(meanRenderS)} (${fmtNum(capacityPerMin)} / min)` : ''}.`,
    spec: { $schema: SCHEMA, width: WIDTH, height: 200, layer, resolve: { scale: { color: 'independent' } } } as TopLevelSpec,
    table: seriesTable(r.series.bins, binS, [...modes.map(([k, n]) => [k, `${n} (renders)`] as const), ['failedRenders', 'failed (renders)'] as const]),
  }
}

/** Horizontal bars of USD / month, one per row of `values`, labelled by the `y` field. */
function usdBars(values: readonly object[], y: string, sort: null | '-x', mark: object, encoding: object = {}): TopLevelSpec {
  return {
    $schema: SCHEMA, width: WIDTH - 160, height: { step: 22 },
    data: { values },
    mark: { type: 'bar', ...mark },
    encoding: { y: { field: y, type: 'nominal', title: null, sort, axis: { labelLimit: 0 } }, x: { field: 'usd', type: 'quantitative', title: 'USD / month' }, ...encoding },
  } as TopLevelSpec
}

export function costByMeter(r: SimResult): Chart {
  const c = r.cost
  const values = c.meters.map((m) => ({ meter: m.id, usd: round(m.monthlyUsd, 4), model: m.id.split('.')[0]! }))
  return {
    id: 'cost-by-meter',
    title: 'Monthly cost by meter',
    caption: `Dollars for 30 days of this traffic after each meter's monthly allowance, at ${c.pricing.name} prices dated ${c.pricing.date}. Vercel and self-hosted are alternatives; origin calls add to either.`,
    spec: usdBars(values, 'meter', null, {}, { color: { field: 'model', type: 'nominal', title: 'cost model', scale: { domain: ['vercel', 'selfHosted', 'origin'], range: ['#000000', '#00897b', '#ef6c00'] } } }),
    table: {
      columns: [{ key: 'meter', label: 'meter' }, { key: 'unit', label: 'unit' }, { key: 'price', label: 'price (USD / unit)' }, { key: 'run', label: 'units in the run' }, { key: 'month', label: 'units / month' }, { key: 'included', label: 'included / month' }, { key: 'usd', label: 'USD / month' }],
      rows: c.meters.map((m) => ({ meter: m.id, unit: m.unit, price: fmtNum(m.usdPerUnit), run: fmtCount(m.runUnits), month: fmtCount(m.monthlyUnits), included: m.includedPerMonth ? fmtCount(m.includedPerMonth) : '-', usd: fmtUsd(m.monthlyUsd) })),
      note: `Prices: ${c.pricing.name}, dated ${c.pricing.date}. Month = ${fmtNum(c.monthFactor)} × the measured ${fmtS(c.measuredS)}.`,
    },
  }
}

export function costByRoute(r: SimResult): Chart {
  const c = r.cost
  const key = c.primary === 'vercel' ? 'vercelMonthlyUsd' : 'selfHostedMonthlyUsd'
  const values = Object.entries(c.routes).map(([id, rc]) => ({ route: id, usd: round(rc[key], 4) }))
  return {
    id: 'cost-by-route',
    title: `Monthly ${c.primary === 'vercel' ? 'Vercel' : 'self-hosted'} cost by route`,
    caption: `Each route's share of the ${c.primary} meters, USD for 30 days (allowances shared pro rata), at prices dated ${c.pricing.date}.`,
    spec: usdBars(values, 'route', '-x', { color: c.primary === 'vercel' ? '#000000' : '#00897b' }),
    table: {
      columns: [{ key: 'route', label: 'route' }, { key: 'reads', label: 'ISR reads (8 KB units)' }, { key: 'writes', label: 'ISR writes (8 KB units)' }, { key: 'inv', label: 'invocations' }, { key: 'cpu', label: 'active CPU (h)' }, { key: 'vercel', label: 'Vercel (USD / month)' }, { key: 'self', label: 'self-hosted (USD / month)' }],
      rows: Object.entries(c.routes).map(([id, rc]) => ({ route: id, reads: fmtCount(rc.isrReadUnits), writes: fmtCount(rc.isrWriteUnits), inv: fmtCount(rc.invocations), cpu: fmtNum(rc.activeCpuHours), vercel: fmtUsd(rc.vercelMonthlyUsd), self: fmtUsd(rc.selfHostedMonthlyUsd) })),
      note: 'Units over the measured run; dollars for 30 days.',
    },
  }
}

/** Entries each on-demand call reached and the renders that followed, per occurrence. */
export function tagFanOut(r: SimResult): Chart | null {
  const events = [
    ...r.onDemand.map((e, i) => ({ label: eventLabel(e, i), n: e.occurrences, e })),
    ...r.dataChanges.filter((d) => d.webhookCalls > 0).map((d, i) => ({ label: `data change #${i + 1} webhook (${d.tag ?? d.fetch ?? ''})`, n: d.webhookCalls, e: d })),
  ].filter((x) => x.n > 0)
  if (events.length === 0) return null
  // Labels are drawn in full (labelLimit 0); names too long for an axis become E1, E2, ... and the table gives the full names.
  const short = events.some((x) => x.label.length > MAX_AXIS_LABEL)
  const axisLabel = (i: number) => (short ? `E${i + 1}` : events[i]!.label)
  const measures = [['entriesTouched', 'entries touched'], ['rendersWithin1m', 'renders within 1 min'], ['rendersWithin1h', 'renders within 1 h']] as const
  const values = events.flatMap((x, i) => measures.map(([k, name]) => ({ event: axisLabel(i), measure: name, perCall: round(x.e[k] / x.n, 3) })))
  return {
    id: 'tag-fan-out',
    title: 'On-demand fan-out',
    caption: `Per call: cached entries the tag or path reached (marked, not rendered), and the renders that followed because of it within 1 minute and 1 hour.${short ? ' Events are numbered E1, E2, ... on the axis; the table gives their full names.' : ''}`,
    spec: {
      $schema: SCHEMA, width: WIDTH - 200, height: { step: 12 },
      data: { values },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'event', type: 'nominal', title: null, sort: null, axis: { labelLimit: 0 } },
        yOffset: { field: 'measure', type: 'nominal', sort: measures.map(([, n]) => n) },
        x: { field: 'perCall', type: 'quantitative', title: 'per call (entries or renders)' },
        color: { field: 'measure', type: 'nominal', title: null, sort: measures.map(([, n]) => n), scale: { range: ['#5e35b1', '#ef6c00', '#fbc02d'] } },
      },
    } as TopLevelSpec,
    table: {
      columns: [...(short ? [{ key: 'id', label: 'id' }] : []), { key: 'event', label: 'event' }, { key: 'calls', label: 'calls' }, { key: 'touched', label: 'entries touched (total)' }, { key: 'r1m', label: 'renders within 1 min' }, { key: 'r1h', label: 'renders within 1 h' }, { key: 'r1d', label: 'renders within 1 day' }],
      rows: events.map((x, i) => ({ ...(short ? { id: axisLabel(i) } : {}), event: x.label, calls: fmtCount(x.n), touched: fmtCount(x.e.entriesTouched), r1m: fmtCount(x.e.rendersWithin1m), r1h: fmtCount(x.e.rendersWithin1h), r1d: fmtCount(x.e.rendersWithin1d) })),
    },
  }
}

/** Every chart of a run report, in page order. */
export function runCharts(r: SimResult): Chart[] {
  const fan = tagFanOut(r)
  return [outcomesOverTime(r), rendersOverTime(r), ...ageCdfs(r), costByMeter(r), costByRoute(r), ...(fan ? [fan] : [])]
}
