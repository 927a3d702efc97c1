/**
 * The sweep report and the verdict report (isrsim verify, loadtest and replay). The sweep's
 * analysis and charts are sweep-charts.ts'; this file lays them out under the verdict line,
 * and says what the current values cost against the recommendation without a negative saving.
 */
import type { SweepHeader, SweepPoint, VerdictJson } from '../sim/contract.ts'
import type { Table } from './charts.ts'
import { escapeHtml as e, fmtCount, fmtMetric, fmtPct, fmtS, fmtUsd } from './format.ts'
import { chartHtml, code, figuresHtml, page, tableHtml, type Figure } from './kit.ts'
import { analyseSweep, metricValue, pointLabel, sweepCharts, verdictChart } from './sweep-charts.ts'
import { compareToCurrent, constraintText, liveVerdict, sweepVerdict } from './verdict.ts'

/** Current and recommended, then the difference as a saving or as the extra cost of meeting the constraints. */
function sweepFigures(header: SweepHeader, points: readonly SweepPoint[], a: ReturnType<typeof analyseSweep>): Figure[] {
  const figs: Figure[] = [{ label: 'Points', metric: 'points', value: points.length, text: `${points.length} of ${header.points}`, sub: header.vary.map((v) => `${v.path}: ${v.values.map(String).join(', ')}`).join(' · ') }]
  const describe = (label: string, key: string, p: SweepPoint | null, tone?: 'good' | 'bad') => {
    if (!p) return
    figs.push({ label: `${label}: cost a month`, metric: `${key}.cost.monthlyUsd`, value: p.result.cost.monthlyUsd, text: fmtUsd(p.result.cost.monthlyUsd), sub: pointLabel(p.vary), ...(tone ? { tone } : {}) })
    const staleness = metricValue(p.result, a.stalenessMetric)
    figs.push({ label: `${label}: ${a.stalenessMetric}`, metric: `${key}.${a.stalenessMetric}`, value: staleness, text: fmtMetric(a.stalenessMetric, staleness), sub: pointLabel(p.vary), ...(tone === 'bad' ? { tone } : {}) })
  }
  const cmp = compareToCurrent(header, a)
  const currentBreaks = cmp !== null && cmp.kind !== 'same' && cmp.broken.length > 0
  describe('Current', 'current', a.current, currentBreaks ? 'bad' : undefined)
  describe('Recommended', 'recommended', a.recommended, 'good')
  if (cmp?.kind === 'saving') {
    const cur = a.current!.result.cost.monthlyUsd
    figs.push({ label: 'Saving a month', metric: 'saving.cost.monthlyUsd', value: cmp.usd, text: fmtUsd(cmp.usd), tone: 'good', sub: `${cur > 0 ? `${fmtPct(cmp.usd / cur)} of the current cost` : ''}${cmp.broken.length ? `; the current values break ${cmp.broken.map(constraintText).join(', ')}` : ''}` })
  } else if (cmp?.kind === 'extra') {
    figs.push({ label: 'Extra cost to meet the constraints', metric: 'extra.cost.monthlyUsd', value: cmp.usd, text: `+${fmtUsd(cmp.usd)}`, tone: 'bad', sub: `current values break ${cmp.broken.map(constraintText).join(', ') || 'the constraints'}; meeting ${cmp.broken.length === 1 ? 'it' : 'them'} costs ${fmtUsd(cmp.usd)}/month more` })
  } else if (cmp?.kind === 'same') {
    figs.push({ label: 'Saving a month', metric: 'saving.cost.monthlyUsd', value: 0, text: fmtUsd(0), sub: 'the current values are the recommendation' })
  }
  return figs
}

export async function sweepPage(header: SweepHeader, points: readonly SweepPoint[]): Promise<string> {
  const a = analyseSweep(header, points)
  const stamp = `scenario ${code(header.scenario.name)} · hash ${code(header.scenario.hash)} · seed ${code(header.seed)} · ${header.replications} replication${header.replications === 1 ? '' : 's'} per point · model ${code(header.modelVersion)} · isrsim ${code(header.isrsimVersion)} · prices ${e(header.pricing.name)} (${e(header.pricing.date)})`
  const charts = await Promise.all(sweepCharts(header, a).map(chartHtml))
  const all: Table = {
    columns: [...header.vary.map((v) => ({ key: v.path, label: v.path })), { key: 'req', label: 'requests' }, { key: 'stale', label: 'STALE' }, { key: 'age', label: 'age p95' }, { key: 'renders', label: 'renders' }, { key: 'writes', label: 'ISR writes' }, { key: 'origin', label: 'origin calls' }, { key: 'usd', label: 'USD / month' }],
    rows: points.map((p) => ({ ...Object.fromEntries(header.vary.map((v) => [v.path, String(p.vary[v.path])])), req: fmtCount(p.result.totals.requests), stale: fmtPct(p.result.staleness.staleServedFraction), age: fmtS(p.result.staleness.ageP95S), renders: fmtCount(p.result.totals.renders), writes: fmtCount(p.result.totals.isrWrites), origin: fmtCount(p.result.totals.originFetches), usd: fmtUsd(p.result.cost.monthlyUsd) })),
  }
  return page(`isrsim sweep: ${header.scenario.name}`, stamp, sweepVerdict(header, a), [
    `<section id="headline" aria-label="Headline figures">${figuresHtml(sweepFigures(header, points, a))}<p class="note">Recommended: ${e(a.rule)}. Every point ran with the same seed (common random numbers), so differences come from the values, not from noise.</p></section>`,
    ...charts,
    `<section id="points"><h2>Every point</h2>${tableHtml(all)}</section>`,
  ])
}

export async function verdictPage(v: VerdictJson): Promise<string> {
  const fails = v.checks.filter((c) => c.verdict === 'FAIL').length
  const passes = v.checks.filter((c) => c.verdict === 'PASS').length
  const stamp = `scenario ${code(v.scenario.name)} · hash ${code(v.scenario.hash)}${v.seed ? ` · seed ${code(v.seed)}` : ''} · ${v.replications} replications${v.modelVersion ? ` · model ${code(v.modelVersion)}` : ''}${v.isrsimVersion ? ` · isrsim ${code(v.isrsimVersion)}` : ''}`
  const figs: Figure[] = [
    { label: 'Verdict', metric: 'pass', value: v.pass ? 1 : 0, text: v.pass ? 'PASS' : 'FAIL', tone: v.pass ? 'good' : 'bad', sub: 'every observed figure inside its accepted range' },
    { label: 'Checks passed', metric: 'passed', value: passes, text: fmtCount(passes), sub: `of ${v.checks.length}` },
    { label: 'Checks failed', metric: 'failed', value: fails, text: fmtCount(fails), ...(fails > 0 ? { tone: 'bad' as const } : {}) },
  ]
  // A replay holds the prediction against a production access log's cache statuses, not a live run.
  const replay = v.kind === 'replay'
  const drawn = verdictChart(v)
  const chart = await chartHtml(replay ? { ...drawn, caption: drawn.caption.replace('what the live run observed', 'what the access log recorded') } : drawn)
  const notes = replay ? v.checks.filter((c) => c.note !== undefined) : []
  return page(`isrsim ${replay ? 'replay' : 'verdict'}: ${v.scenario.name}`, replay ? `replay of an access log · ${stamp}` : stamp, liveVerdict(v), [
    `<section id="headline" aria-label="Headline figures">${figuresHtml(figs)}</section>`,
    chart,
    ...(notes.length > 0 ? [`<section id="notes"><h2>Notes</h2><ul>${notes.map((c) => `<li>${e(c.scope)} ${e(c.metric)}: ${e(c.note!)}</li>`).join('')}</ul></section>`] : []),
  ])
}
