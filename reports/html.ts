/**
 * The report page: one self-contained HTML file with inline CSS and inline SVG charts, no
 * scripts, and a Content-Security-Policy that forbids every network request, so it opens
 * the same from an email attachment years later. No wall-clock time: the stamp is the
 * scenario hash, seed, model and isrsim versions, so the same input gives the same bytes.
 */
import type { GateReport, Interval, SimResult, SweepHeader, SweepPoint, VerdictJson } from '../sim/contract.ts'
import { runCharts, type Chart, type Table } from './charts.ts'
import { analyseSweep, metricValue, pointLabel, sweepCharts, verdictChart } from './sweep-charts.ts'
import { escapeHtml as e, fmtCount, fmtMetric, fmtMs, fmtPct, fmtS, fmtUsd } from './format.ts'
import type { ReportInput } from './load.ts'
import { renderSvg } from './render.ts'

/** One headline figure: data-metric and data-value carry the exact JSON value for tools and tests. */
interface Figure {
  readonly label: string
  readonly metric: string
  readonly value: number
  readonly text: string
  readonly interval?: Interval
  readonly sub?: string
  readonly tone?: 'good' | 'bad'
}

const CSS = `
:root{--fg:#263238;--muted:#607d8b;--line:#cfd8dc;--bg:#fafafa;--good:#2e7d32;--bad:#c62828}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 6px}
.stamp{color:var(--muted);font-size:12px;margin:0}
.stamp code{font-size:12px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:16px;margin:16px 0}
.headline{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.fig{border:1px solid var(--line);border-radius:6px;padding:10px}
.fig .label{display:block;color:var(--muted);font-size:12px}
.fig .value{display:block;font-size:22px;font-weight:600}
.fig .ci,.fig .sub{display:block;color:var(--muted);font-size:11px}
.fig.good .value{color:var(--good)}.fig.bad .value{color:var(--bad)}
.caption{color:var(--muted);margin:0 0 8px;max-width:900px}
.chart-body{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:0;overflow-x:auto;max-width:100%}
details{flex:1 1 300px;min-width:280px;overflow-x:auto}
details.wide{flex-basis:100%}
summary{cursor:pointer;color:var(--muted)}
table{border-collapse:collapse;font-size:12px;margin-top:6px}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{font-weight:600;background:#f5f5f5}
.note{color:var(--muted);font-size:11px}
.PASS,.pass{color:var(--good);font-weight:700}.FAIL,.fail{color:var(--bad);font-weight:700}.SKIP{color:var(--muted)}
.warn li{margin-bottom:8px}.warn code{background:#fff3e0;padding:0 4px}
.verdict-banner{font-size:26px;font-weight:800;margin:4px 0}
@media print{body{background:#fff}main{max-width:none;padding:0}section{break-inside:avoid;border-color:#999}summary{display:none}}
`

function tableHtml(t: Table, caption?: string): string {
  const head = t.columns.map((c) => `<th scope="col">${e(c.label)}</th>`).join('')
  const body = t.rows.map((r) => `<tr>${t.columns.map((c) => `<td${c.classed ? ` class="${e(r[c.key] ?? '')}"` : ''}>${e(r[c.key] ?? '')}</td>`).join('')}</tr>`).join('\n')
  return `<table>${caption ? `<caption class="note">${e(caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${t.note ? `<p class="note">${e(t.note)}</p>` : ''}`
}

async function chartHtml(c: Chart): Promise<string> {
  const svg = await renderSvg(c.spec, c.id)
  // The SVG is a picture with a name; the table beside it is its text alternative.
  const labelled = svg.replace('<svg ', `<svg role="img" aria-label="${e(c.title)}" `)
  return `<section class="chart" id="chart-${e(c.id)}" data-chart="${e(c.id)}">
<h2>${e(c.title)}</h2>
<p class="caption">${e(c.caption)}</p>
<div class="chart-body"><figure>${labelled}</figure>
<details class="${c.table.columns.length > 3 ? 'wide' : 'narrow'}"${c.table.rows.length <= 16 ? ' open' : ''}><summary>Data table (${c.table.rows.length} rows)</summary>${tableHtml(c.table)}</details></div>
</section>`
}

function figureHtml(f: Figure): string {
  const ci = f.interval ? `<span class="ci">95% CI ${e(fmtMetric(f.metric, f.interval.low))} – ${e(fmtMetric(f.metric, f.interval.high))}</span>` : ''
  return `<div class="fig${f.tone ? ` ${f.tone}` : ''}" data-metric="${e(f.metric)}" data-value="${f.value}"><span class="label">${e(f.label)}</span><span class="value">${e(f.text)}</span>${ci}${f.sub ? `<span class="sub">${e(f.sub)}</span>` : ''}</div>`
}

function page(title: string, stamp: string, body: string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="isrsim">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>${e(title)}</h1><p class="stamp">${stamp}</p></header>
${body.join('\n')}
<footer><p class="stamp">${stamp}</p></footer>
</main>
</body>
</html>
`
}

const code = (s: string) => `<code>${e(s)}</code>`

// --- run -----------------------------------------------------------------------

function runHeadline(r: SimResult): Figure[] {
  const t = r.totals, iv = r.intervals
  const n = t.requests
  const frac = (k: 'hit' | 'stale' | 'miss' | 'dynamic' | 'error') => (n === 0 ? 0 : t[k] / n)
  const figs: Figure[] = [
    { label: 'Requests (measured)', metric: 'totals.requests', value: t.requests, text: fmtCount(t.requests), ...opt(iv?.totals.requests), sub: `over ${fmtS(r.scenario.durationS - r.scenario.warmupS)} after a ${fmtS(r.scenario.warmupS)} warmup` },
    { label: 'HIT (fresh from cache)', metric: 'totals.hitFraction', value: frac('hit'), text: fmtPct(frac('hit')), sub: `${fmtCount(t.hit)} responses` },
    { label: 'STALE (served stale)', metric: 'staleness.staleServedFraction', value: r.staleness.staleServedFraction, text: fmtPct(r.staleness.staleServedFraction), ...opt(iv?.staleness.staleServedFraction), sub: `${fmtCount(t.stale)} responses` },
    { label: 'MISS (waited for a render)', metric: 'totals.missFraction', value: frac('miss'), text: fmtPct(frac('miss')), sub: `${fmtCount(t.miss)} responses` },
  ]
  if (t.dynamic > 0) figs.push({ label: 'Dynamic (rendered per request)', metric: 'totals.dynamicFraction', value: frac('dynamic'), text: fmtPct(frac('dynamic')), sub: `${fmtCount(t.dynamic)} responses` })
  if (t.error > 0) figs.push({ label: 'Errors (HTTP 500)', metric: 'totals.errorFraction', value: frac('error'), text: fmtPct(frac('error')), sub: `${fmtCount(t.error)} responses`, ...(frac('error') > 0.001 ? { tone: 'bad' as const } : {}) })
  figs.push({ label: 'Served age, p95', metric: 'staleness.ageP95S', value: r.staleness.ageP95S, text: fmtS(r.staleness.ageP95S), ...opt(iv?.staleness.ageP95S), sub: `mean ${fmtS(r.staleness.ageMeanS)}, max ${fmtS(r.staleness.ageMaxS)}` })
  if (r.freshness.dataChanges > 0) figs.push({ label: 'Data lag, p95', metric: 'freshness.dataLagP95S', value: r.freshness.dataLagP95S, text: fmtS(r.freshness.dataLagP95S), ...opt(iv?.freshness.dataLagP95S), sub: `origin change → first page showing it; ${fmtCount(r.freshness.reflected)} of ${fmtCount(r.freshness.dataChanges)} changes shown` })
  figs.push(
    { label: 'Renders', metric: 'totals.renders', value: t.renders, text: fmtCount(t.renders), ...opt(iv?.totals.renders), sub: `${fmtCount(t.backgroundRenders)} background, ${fmtCount(t.blockingRenders)} blocking, ${fmtCount(t.dynamicRenders)} dynamic, ${fmtCount(t.failedRenders)} failed`, ...(t.failedRenders > 0.01 * t.renders ? { tone: 'bad' as const } : {}) },
    { label: 'Origin fetches', metric: 'totals.originFetches', value: t.originFetches, text: fmtCount(t.originFetches), ...opt(iv?.totals.originFetches), sub: `${fmtCount(r.cost.monthlyOriginCalls)} a month` },
    { label: 'Latency p95', metric: 'latency.p95Ms', value: r.latency.p95Ms, text: fmtMs(r.latency.p95Ms), ...opt(iv?.latency.p95Ms), sub: 'cached responses count 0 ms' },
    { label: 'Vercel, a month', metric: 'cost.vercelMonthlyUsd', value: r.cost.vercelMonthlyUsd, text: fmtUsd(r.cost.vercelMonthlyUsd), ...opt(iv?.cost.vercelMonthlyUsd), sub: `ISR reads/writes, invocations, CPU, memory; ${r.cost.pricing.date} prices` },
    { label: 'Self-hosted, a month', metric: 'cost.selfHostedMonthlyUsd', value: r.cost.selfHostedMonthlyUsd, text: fmtUsd(r.cost.selfHostedMonthlyUsd), ...opt(iv?.cost.selfHostedMonthlyUsd), sub: `${r.deployment.instances} instance(s); renders use ${fmtPct(r.cost.selfHostedCpuUtilization)} of the vCPUs` },
    { label: 'Origin calls, a month', metric: 'cost.originMonthlyUsd', value: r.cost.originMonthlyUsd, text: fmtUsd(r.cost.originMonthlyUsd), ...opt(iv?.cost.originMonthlyUsd), sub: `${fmtCount(r.cost.monthlyOriginCalls)} calls` },
    { label: `Total, a month (${r.cost.primary} + origin)`, metric: 'cost.monthlyUsd', value: r.cost.monthlyUsd, text: fmtUsd(r.cost.monthlyUsd), ...opt(iv?.cost.monthlyUsd), sub: `prices dated ${r.cost.pricing.date}` },
  )
  return figs
}

const opt = (i: Interval | undefined) => (i && i.high > i.low ? { interval: i } : {})

function routeTable(r: SimResult): Table {
  return {
    columns: [
      { key: 'id', label: 'route' }, { key: 'pattern', label: 'pattern' }, { key: 'rev', label: 'revalidate' }, { key: 'paths', label: 'paths (prebuilt)' }, { key: 'req', label: 'requests' },
      { key: 'hit', label: 'HIT' }, { key: 'stale', label: 'STALE' }, { key: 'miss', label: 'MISS' }, { key: 'err', label: 'errors' }, { key: 'age', label: 'age p95' }, { key: 'renders', label: 'renders' }, { key: 'writes', label: 'ISR writes' },
    ],
    rows: Object.entries(r.routes).map(([id, x]) => ({
      id, pattern: x.pattern,
      rev: `${x.effectiveRevalidateS === false ? 'false' : x.effectiveRevalidateS === 0 ? 'dynamic' : fmtS(x.effectiveRevalidateS)} (${x.revalidateSource})`,
      paths: `${fmtCount(x.paths)} (${fmtCount(x.prebuilt)})`, req: fmtCount(x.requests),
      hit: fmtPct(x.requests ? x.hit / x.requests : 0), stale: fmtPct(x.requests ? x.stale / x.requests : 0), miss: fmtPct(x.requests ? x.miss / x.requests : 0), err: fmtPct(x.requests ? x.error / x.requests : 0),
      age: fmtS(x.ageP95S), renders: `${fmtCount(x.renders)}${x.failedRenders ? ` (${fmtCount(x.failedRenders)} failed)` : ''}`, writes: fmtCount(x.isrWrites),
    })),
  }
}

function warningsHtml(r: SimResult): string {
  if (r.warnings.length === 0) return '<section id="warnings"><h2>Warnings</h2><p>None: nothing in this scenario defeats caching in a way isrsim knows.</p></section>'
  const items = r.warnings.map((w) => `<li><strong>${e(w.code)}</strong>${w.route ? ` (route ${code(w.route)})` : ''}: ${e(w.message)}<br><span class="pass">Fix:</span> ${e(w.fix)}</li>`).join('\n')
  return `<section id="warnings" class="warn"><h2>Warnings (${r.warnings.length})</h2><ul>\n${items}\n</ul></section>`
}

function gateHtml(g: GateReport): string {
  const table: Table = {
    columns: [...['kind', 'metric', 'rule', 'value', 'baseline'].map((k) => ({ key: k, label: k })), { key: 'verdict', label: 'verdict', classed: true }],
    rows: g.checks.map((c) => c.kind === 'structure'
      ? { kind: c.kind, metric: `routes.${c.route} structure`, rule: c.why, value: c.value, baseline: c.baseline, verdict: c.pass ? 'PASS' : 'FAIL' }
      : {
          kind: c.kind, metric: c.metric,
          rule: c.kind === 'threshold' ? c.condition : `no worse than the baseline by more than ${fmtPct(g.tolerance)}`,
          value: fmtMetric(c.metric, c.value), baseline: c.kind === 'baseline' ? fmtMetric(c.metric, c.baseline) : '-', verdict: c.pass ? 'PASS' : 'FAIL',
        }),
  }
  return `<section id="gate"><h2>CI gate: <span class="${g.pass ? 'PASS' : 'FAIL'}">${g.pass ? 'PASS' : 'FAIL'}</span></h2>
<p class="caption">${g.checks.length} checks over ${g.replications} replications${g.baseline ? `, against baseline ${code(g.baseline.hash)} (seed ${e(g.baseline.seed)})` : ''}. A structure check fails when a cached route became dynamic, its revalidate dropped or fewer paths are prebuilt. A baseline check fails only when the metric is worse by more than the tolerance and the 95% intervals do not overlap.</p>
${tableHtml(table)}</section>`
}

async function runPage(r: SimResult, gate: GateReport | undefined): Promise<string> {
  const stamp = `scenario ${code(r.scenario.name)} · hash ${code(r.scenario.hash)} · seed ${code(r.seed)} · ${r.replications} replication${r.replications === 1 ? '' : 's'} · Next.js ${e(r.next.version)} profile · model ${code(r.modelVersion)} · isrsim ${code(r.isrsimVersion)} · prices ${e(r.cost.pricing.name)} (${e(r.cost.pricing.date)})`
  const charts = await Promise.all(runCharts(r).map(chartHtml))
  return page(`isrsim report: ${r.scenario.name}`, stamp, [
    `<section id="headline" aria-label="Headline figures"><div class="headline">${runHeadline(r).map(figureHtml).join('\n')}</div>${r.replications > 1 ? '<p class="note">Figures are means over the replications; 95% confidence intervals (Student t) under them.</p>' : '<p class="note">One replication: run with --replications N for intervals.</p>'}</section>`,
    ...(gate ? [gateHtml(gate)] : []),
    warningsHtml(r),
    `<section id="routes"><h2>Routes</h2>${tableHtml(routeTable(r))}</section>`,
    ...charts,
  ])
}

// --- sweep ---------------------------------------------------------------------

async function sweepPage(header: SweepHeader, points: readonly SweepPoint[]): Promise<string> {
  const a = analyseSweep(header, points)
  const stamp = `scenario ${code(header.scenario.name)} · hash ${code(header.scenario.hash)} · seed ${code(header.seed)} · ${header.replications} replication${header.replications === 1 ? '' : 's'} per point · model ${code(header.modelVersion)} · isrsim ${code(header.isrsimVersion)} · prices ${e(header.pricing.name)} (${e(header.pricing.date)})`
  const figs: Figure[] = [{ label: 'Points', metric: 'points', value: points.length, text: `${points.length} of ${header.points}`, sub: header.vary.map((v) => `${v.path}: ${v.values.map(String).join(', ')}`).join(' · ') }]
  const describe = (label: string, key: string, p: SweepPoint | null, tone?: 'good') => {
    if (!p) return
    figs.push({ label: `${label}: cost a month`, metric: `${key}.cost.monthlyUsd`, value: p.result.cost.monthlyUsd, text: fmtUsd(p.result.cost.monthlyUsd), sub: pointLabel(p.vary), ...(tone ? { tone } : {}) })
    const staleness = metricValue(p.result, a.stalenessMetric)
    figs.push({ label: `${label}: ${a.stalenessMetric}`, metric: `${key}.${a.stalenessMetric}`, value: staleness, text: fmtMetric(a.stalenessMetric, staleness), sub: pointLabel(p.vary) })
  }
  describe('Current', 'current', a.current)
  describe('Recommended', 'recommended', a.recommended, 'good')
  const savings = a.current && a.recommended ? a.current.result.cost.monthlyUsd - a.recommended.result.cost.monthlyUsd : null
  if (savings !== null) figs.push({ label: 'Saving a month', metric: 'saving.cost.monthlyUsd', value: savings, text: fmtUsd(savings), sub: a.current!.result.cost.monthlyUsd > 0 ? `${fmtPct(savings / a.current!.result.cost.monthlyUsd)} of the current cost` : '' })
  const charts = await Promise.all(sweepCharts(header, a).map(chartHtml))
  const all: Table = {
    columns: [...header.vary.map((v) => ({ key: v.path, label: v.path })), { key: 'req', label: 'requests' }, { key: 'stale', label: 'STALE' }, { key: 'age', label: 'age p95' }, { key: 'renders', label: 'renders' }, { key: 'writes', label: 'ISR writes' }, { key: 'origin', label: 'origin calls' }, { key: 'usd', label: 'USD / month' }],
    rows: points.map((p) => ({ ...Object.fromEntries(header.vary.map((v) => [v.path, String(p.vary[v.path])])), req: fmtCount(p.result.totals.requests), stale: fmtPct(p.result.staleness.staleServedFraction), age: fmtS(p.result.staleness.ageP95S), renders: fmtCount(p.result.totals.renders), writes: fmtCount(p.result.totals.isrWrites), origin: fmtCount(p.result.totals.originFetches), usd: fmtUsd(p.result.cost.monthlyUsd) })),
  }
  return page(`isrsim sweep: ${header.scenario.name}`, stamp, [
    `<section id="headline" aria-label="Headline figures"><div class="headline">${figs.map(figureHtml).join('\n')}</div><p class="note">Recommended: ${e(a.rule)}. Every point ran with the same seed (common random numbers), so differences come from the values, not from noise.</p></section>`,
    ...charts,
    `<section id="points"><h2>Every point</h2>${tableHtml(all)}</section>`,
  ])
}

// --- verdict -------------------------------------------------------------------

async function verdictPage(v: VerdictJson): Promise<string> {
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
  const observer = replay ? 'the access log\'s cache statuses' : 'the live run'
  const drawn = verdictChart(v)
  const chart = await chartHtml(replay ? { ...drawn, caption: drawn.caption.replace('what the live run observed', 'what the access log recorded') } : drawn)
  const notes = replay ? v.checks.filter((c) => c.note !== undefined) : []
  return page(`isrsim verdict: ${v.scenario.name}`, replay ? `replay of an access log · ${stamp}` : stamp, [
    `<section id="headline" aria-label="Headline figures"><p class="verdict-banner ${v.pass ? 'PASS' : 'FAIL'}">${v.pass ? 'PASS' : 'FAIL'}: ${observer} ${v.pass ? 'matched' : 'did not match'} the prediction</p><div class="headline">${figs.map(figureHtml).join('\n')}</div></section>`,
    chart,
    ...(notes.length > 0 ? [`<section id="notes"><h2>Notes</h2><ul>${notes.map((c) => `<li>${e(c.scope)} ${e(c.metric)}: ${e(c.note!)}</li>`).join('')}</ul></section>`] : []),
  ])
}

/** The whole report page for an input. */
export async function reportHtml(input: ReportInput): Promise<string> {
  switch (input.kind) {
    case 'run': return runPage(input.result, input.gate)
    case 'sweep': return sweepPage(input.header, input.points)
    case 'verdict': return verdictPage(input.verdict)
  }
}
