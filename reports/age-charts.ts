/**
 * The served-age charts of a run report: one CDF per route that served cached pages, on an
 * axis in the unit its ages read best in (s, min, h or d), with the route's revalidate marked.
 */
import type { TopLevelSpec } from 'vega-lite'
import type { SimResult } from '../sim/contract.ts'
import { round, SCHEMA, WIDTH, type Chart } from './charts.ts'
import { fmtCount, fmtPct, fmtS } from './format.ts'

export type AgeUnit = 's' | 'min' | 'h' | 'd'

/**
 * The unit an axis from 0 to `maxS` seconds reads best in, and its size in seconds: the largest
 * unit that still gives whole-number ticks (up to 5 min in s, 3 h in min, 3 d in h, then d).
 */
export function ageUnit(maxS: number): { readonly unit: AgeUnit; readonly div: number } {
  if (maxS <= 300) return { unit: 's', div: 1 }
  if (maxS <= 3 * 3600) return { unit: 'min', div: 60 }
  if (maxS <= 3 * 86400) return { unit: 'h', div: 3600 }
  return { unit: 'd', div: 86400 }
}

/**
 * An axis of a metric named by a result path or label: ages ("staleness.ageP95S", "age p50 (s)")
 * in the unit from ageUnit over `valuesS`, anything else as it is. `title` names the unit.
 */
export function metricAxis(metric: string, valuesS: readonly number[]): { readonly div: number; readonly title: string } {
  const seconds = /S$/.test(metric.split('.').at(-1)!) || /\(s\)$/.test(metric)
  if (!seconds) return { div: 1, title: `${metric} (${/Fraction$/.test(metric) ? 'fraction' : 'value'})` }
  const { unit, div } = ageUnit(Math.max(0, ...valuesS.filter(Number.isFinite)))
  return { div, title: /\(s\)$/.test(metric) ? metric.replace(/\(s\)$/, `(${unit})`) : `${metric} (${unit})` }
}

/** The revalidate line is drawn when it is within this many axis lengths; further out, the caption says where it is. */
const REVALIDATE_REACH = 4
const REVALIDATE_COLOR = '#6d4c41'
const AGE_CHART_HEIGHT = 180

/** One chart per route that served cached pages: its served-age CDF, and the closed form dashed where one exists. */
export function ageCdfs(r: SimResult): Chart[] {
  const out: Chart[] = []
  for (const [id, cdf] of Object.entries(r.ageCdf)) {
    const route = r.routes[id]
    if (cdf.samples === 0 || route?.effectiveRevalidateS === 0) continue
    const revalidateS = typeof route?.effectiveRevalidateS === 'number' ? route.effectiveRevalidateS : null
    // A long tail (one path idle for hours) would squash the body: cut the axis past p99.
    const bodyX = Math.max(cdf.ageS[99]! * 1.25, cdf.closedForm ? cdf.closedForm.ageS.at(-1)! : 0)
    const showRevalidate = revalidateS !== null && revalidateS <= REVALIDATE_REACH * Math.max(bodyX, 1e-9)
    const maxX = Math.max(bodyX, showRevalidate ? revalidateS * 1.08 : 0, 1e-6)
    const cut = cdf.ageS[100]! > maxX
    const { unit, div } = ageUnit(maxX)
    const sim = cdf.ageS.map((a, k) => ({ age: round(a / div, 6), fraction: k / 100, series: 'simulated' }))
    const cf = cdf.closedForm ? cdf.closedForm.ageS.map((a, i) => ({ age: round(a / div, 6), fraction: cdf.closedForm!.fraction[i]!, series: 'closed form' })) : []
    const domain = cf.length ? ['simulated', 'closed form'] : ['simulated']
    const x = { field: 'age', type: 'quantitative', title: `served age (${unit})`, scale: { domain: [0, round(maxX / div, 6)], nice: false } } as const
    const layer: object[] = [{
      data: { values: [...sim, ...cf] },
      mark: { type: 'line', interpolate: 'linear', clip: true },
      encoding: {
        x,
        y: { field: 'fraction', type: 'quantitative', title: 'fraction of responses', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
        color: { field: 'series', type: 'nominal', title: null, scale: { domain, range: ['#1565c0', '#000000'].slice(0, domain.length) } },
        strokeDash: { field: 'series', type: 'nominal', title: null, scale: { domain, range: [[1, 0], [6, 4]].slice(0, domain.length) } },
      },
    }]
    if (showRevalidate) {
      const mark = [{ age: round(revalidateS / div, 6), label: `revalidate ${fmtS(revalidateS)}` }]
      // The label sits at the foot of the line, where a CDF leaves room (it has risen by then);
      // left of the line when the line is in the right part of the axis, so it stays in the plot.
      const right = revalidateS > 0.7 * maxX
      layer.push(
        { data: { values: mark }, mark: { type: 'rule', color: REVALIDATE_COLOR, strokeDash: [2, 2], strokeWidth: 1.5 }, encoding: { x: { field: 'age', type: 'quantitative' }, tooltip: { field: 'label' } } },
        { data: { values: mark }, mark: { type: 'text', align: right ? 'right' : 'left', baseline: 'bottom', dx: right ? -4 : 4, dy: -4, fontSize: 11, color: REVALIDATE_COLOR }, encoding: { x: { field: 'age', type: 'quantitative' }, y: { value: AGE_CHART_HEIGHT }, text: { field: 'label' } } },
      )
    }
    const revalidateText = route?.effectiveRevalidateS === false ? 'Revalidate false.' : revalidateS === null ? '' : `Revalidate ${fmtS(revalidateS)}${showRevalidate ? ' (dotted line)' : `, beyond the axis`}.`
    out.push({
      id: `age-cdf-${id}`,
      title: `Served age, route ${id} (${route?.pattern ?? ''})`,
      caption: `Share of ${fmtCount(cdf.samples)} served pages no older than x: the age of a page is the time since the render that produced it started. ${revalidateText}${cut ? ` The axis stops at ${fmtS(maxX)}; the oldest page served was ${fmtS(cdf.ageS[100]!)} old (table).` : ''}${cf.length ? ' Dashed: the renewal-reward closed form for Poisson arrivals and a constant render time.' : ''}`,
      spec: { $schema: SCHEMA, width: WIDTH, height: AGE_CHART_HEIGHT, layer } as TopLevelSpec,
      table: {
        columns: [{ key: 'p', label: 'percentile' }, { key: 'age', label: 'served age' }, ...(cf.length ? [{ key: 'cf', label: 'closed form P(age ≤ x)' }] : [])],
        rows: [0, 10, 25, 50, 75, 90, 95, 99, 100].map((k) => {
          const age = cdf.ageS[k]!
          const row: Record<string, string> = { p: k === 100 ? 'max' : `p${k}`, age: fmtS(age) }
          if (cdf.closedForm) row.cf = fmtPct(interpolate(cdf.closedForm.ageS, cdf.closedForm.fraction, age))
          return row
        }),
      },
    })
  }
  return out
}

function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  const i = xs.findIndex((v) => v >= x)
  if (i < 0) return ys.at(-1)!
  if (i === 0) return ys[0]!
  const t = (x - xs[i - 1]!) / (xs[i]! - xs[i - 1]!)
  return ys[i - 1]! + t * (ys[i]! - ys[i - 1]!)
}
