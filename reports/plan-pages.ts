/**
 * The sweep report and the verdict report (isrsim verify, loadtest and replay). The sweep's
 * analysis and charts are sweep-charts.ts'; this file lays them out under the verdict line,
 * and says what the current values cost against the recommendation without a negative saving.
 */
import type { SweepHeader, SweepPoint, VerdictJson } from '../sim/contract.ts'
import type { Table } from './charts.ts'
import type { RecommendationNotes } from './load.ts'
import { escapeHtml as e, fmtCount, fmtMetric, fmtPct, fmtS, fmtUsd } from './format.ts'
import { breakable, chartHtml, code, figuresHtml, page, tableHtml, type Figure } from './kit.ts'
import { analyseSweep, metricValue, pointLabel, sweepCharts, verdictChart, type SweepAnalysis } from './sweep-charts.ts'
import { answersOf, compareToCurrent, constraintText, liveVerdict, sweepVerdict, type Answer } from './verdict.ts'

/**
 * One answer's figures: current and recommended, then the difference as a saving or as the
 * extra cost of meeting the constraints. `key` prefixes the metrics of a level ("traffic.scale=2.").
 */
function answerFigures(header: SweepHeader, metric: string, l: Answer, key: string): Figure[] {
  const figs: Figure[] = []
  const labelOf = (p: SweepPoint) => l.rows.find((x) => x.point === p)?.label ?? pointLabel(p.vary)
  const describe = (label: string, k: string, p: SweepPoint | null, tone?: 'good' | 'bad') => {
    if (!p) return
    figs.push({ label: `${label}: cost a month`, metric: `${key}${k}.cost.monthlyUsd`, value: p.result.cost.monthlyUsd, text: fmtUsd(p.result.cost.monthlyUsd), sub: labelOf(p), ...(tone ? { tone } : {}) })
    const staleness = metricValue(p.result, metric)
    figs.push({ label: `${label}: ${metric}`, metric: `${key}${k}.${metric}`, value: staleness, text: fmtMetric(metric, staleness), sub: labelOf(p), ...(tone === 'bad' ? { tone } : {}) })
  }
  const cmp = compareToCurrent(header, l)
  const currentBreaks = cmp !== null && cmp.kind !== 'same' && cmp.broken.length > 0
  describe('Current', 'current', l.current, currentBreaks ? 'bad' : undefined)
  describe('Recommended', 'recommended', l.recommended, 'good')
  if (cmp?.kind === 'saving') {
    const cur = l.current!.result.cost.monthlyUsd
    figs.push({ label: 'Saving a month', metric: `${key}saving.cost.monthlyUsd`, value: cmp.usd, text: fmtUsd(cmp.usd), tone: 'good', sub: `${cur > 0 ? `${fmtPct(cmp.usd / cur)} of the current cost` : ''}${cmp.broken.length ? `; the current values break ${cmp.broken.map(constraintText).join(', ')}` : ''}` })
  } else if (cmp?.kind === 'extra') {
    figs.push({ label: 'Extra cost to meet the constraints', metric: `${key}extra.cost.monthlyUsd`, value: cmp.usd, text: `+${fmtUsd(cmp.usd)}`, tone: 'bad', sub: `current values break ${cmp.broken.map(constraintText).join(', ') || 'the constraints'}; meeting ${cmp.broken.length === 1 ? 'it' : 'them'} costs ${fmtUsd(cmp.usd)}/month more` })
  } else if (cmp?.kind === 'same') {
    figs.push({ label: 'Saving a month', metric: `${key}saving.cost.monthlyUsd`, value: 0, text: fmtUsd(0), sub: 'the current values are the recommendation' })
  }
  return figs
}

/** The headline: the points, then each answer's figures (one group per level, side by side). */
function sweepHeadline(header: SweepHeader, points: readonly SweepPoint[], a: SweepAnalysis): string {
  const count: Figure = { label: 'Points', metric: 'points', value: points.length, text: `${points.length} of ${header.points}`, sub: header.vary.map((v) => `${v.path}: ${v.values.map(String).join(', ')}`).join(' · ') }
  const answers = answersOf(a)
  if (answers.length === 1) return figuresHtml([count, ...answerFigures(header, a.stalenessMetric, answers[0]!, '')])
  const groups = answers.map((l) => `<div class="level" data-level="${e(l.label)}"><h3>At ${breakable(l.label)}</h3>${figuresHtml(answerFigures(header, a.stalenessMetric, l, `${l.label}.`))}</div>`)
  return `${figuresHtml([count])}<div class="side">${groups.join('\n')}</div>`
}

/** A recommendation's causes: why the options that could not meet the constraints could not. */
function whyHtml(notes: RecommendationNotes): string {
  const items = notes.answers.flatMap((x) => x.why.map((w) => `<li>${x.level ? `At ${breakable(x.level)}, ` : ''}${breakable(w)}</li>`))
  return items.length ? `<section id="why"><h2>Why</h2><p class="caption">Attributed from the simulation by isrsim recommend: which routes and paths drive the metric, and each change re-run to check whether it reaches the bound.</p><ul>${items.join('\n')}</ul></section>` : ''
}

export async function sweepPage(header: SweepHeader, points: readonly SweepPoint[], notes?: RecommendationNotes): Promise<string> {
  const a = analyseSweep(header, points)
  const own = notes ? new Map(notes.answers.map((x) => [x.level, x.verdict])) : undefined
  const stamp = `scenario ${code(header.scenario.name)} · hash ${code(header.scenario.hash)} · seed ${code(header.seed)} · ${header.replications} replication${header.replications === 1 ? '' : 's'} per point · model ${code(header.modelVersion)} · isrsim ${code(header.isrsimVersion)} · prices ${e(header.pricing.name)} (${e(header.pricing.date)})`
  const charts = await Promise.all(sweepCharts(header, a).map(chartHtml))
  const all: Table = {
    columns: [...header.vary.map((v) => ({ key: v.path, label: v.path })), { key: 'req', label: 'requests' }, { key: 'stale', label: 'STALE' }, { key: 'age', label: 'age p95' }, { key: 'renders', label: 'renders' }, { key: 'writes', label: 'ISR writes' }, { key: 'origin', label: 'origin calls' }, { key: 'usd', label: 'USD / month' }],
    rows: points.map((p) => ({ ...Object.fromEntries(header.vary.map((v) => [v.path, String(p.vary[v.path])])), req: fmtCount(p.result.totals.requests), stale: fmtPct(p.result.staleness.staleServedFraction), age: fmtS(p.result.staleness.ageP95S), renders: fmtCount(p.result.totals.renders), writes: fmtCount(p.result.totals.isrWrites), origin: fmtCount(p.result.totals.originFetches), usd: fmtUsd(p.result.cost.monthlyUsd) })),
  }
  return page(`isrsim ${notes ? 'recommend' : 'sweep'}: ${header.scenario.name}`, stamp, sweepVerdict(header, a, own), [
    `<section id="headline" aria-label="Headline figures">${sweepHeadline(header, points, a)}<p class="note">Recommended: ${e(a.rule)}. Every point ran with the same seed (common random numbers), so differences come from the values, not from noise.</p></section>`,
    ...(notes ? [whyHtml(notes)] : []),
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
