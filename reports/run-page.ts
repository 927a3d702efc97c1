/**
 * The run report (isrsim run / report of a result) and the check report (the same, with the
 * gate's checks): the verdict line, headline figures with one cost (the platform the scenario
 * runs on), the gate, warnings, routes, the cost detail and the charts.
 */
import type { GateReport, SimResult } from '../sim/contract.ts'
import { runCharts, type Table } from './charts.ts'
import { escapeHtml as e, fmtCount, fmtMetric, fmtMs, fmtPct, fmtS, fmtUsd } from './format.ts'
import { chartHtml, code, figuresHtml, opt, page, tableHtml, type Figure } from './kit.ts'
import { gateVerdict, platformName, runVerdict } from './verdict.ts'

function runHeadline(r: SimResult): Figure[] {
  const t = r.totals, iv = r.intervals
  const n = t.requests
  const frac = (k: 'hit' | 'stale' | 'miss' | 'dynamic' | 'error') => (n === 0 ? 0 : t[k] / n)
  const c = r.cost
  const primaryUsd = c.primary === 'vercel' ? c.vercelMonthlyUsd : c.selfHostedMonthlyUsd
  const figs: Figure[] = [
    { label: `Cost a month, ${platformName(c.primary)}`, metric: 'cost.monthlyUsd', value: c.monthlyUsd, text: fmtUsd(c.monthlyUsd), ...opt(iv?.cost.monthlyUsd), sub: `${platformName(c.primary)} ${fmtUsd(primaryUsd)} + origin calls ${fmtUsd(c.originMonthlyUsd)}${oneOff(c) > 0 ? `; plus ${fmtUsd(oneOff(c))} once to fill the cold cache` : ''}; ${c.pricing.date} prices (detail below)` },
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
  )
  return figs
}

/** The one-off fill of a cold cache on the primary platform (0 in results from before it was split out). */
const oneOff = (c: SimResult['cost']) => (typeof c.oneOffUsd === 'number' ? c.oneOffUsd : 0)

/** The self-hosted fleet: sized for the render CPU where the result says so (results before capacity sizing: the configured instances). */
function selfHostedSub(r: SimResult): string {
  const c = r.cost
  if (typeof c.selfHostedInstances !== 'number') return `${r.deployment.instances} instance(s); renders use ${fmtPct(c.selfHostedCpuUtilization)} of the vCPUs`
  const sized = c.selfHostedInstancesNeeded > r.deployment.instances
    ? `${c.selfHostedInstances} instances: ${r.deployment.instances} configured are too few for render CPU under ${fmtPct(c.targetCpuUtilization)} (${c.selfHostedSizedFor === 'busiestHour' ? 'busiest hour' : 'mean'})`
    : `${c.selfHostedInstances} instance(s); renders use ${fmtPct(c.selfHostedPeakCpuUtilization)} of the vCPUs${c.selfHostedSizedFor === 'busiestHour' ? ' in the busiest hour' : ''} (target ${fmtPct(c.targetCpuUtilization)})`
  return sized
}

/** Both platforms and the origin, the one the scenario does not run on marked as the alternative. */
function costDetail(r: SimResult): string {
  const c = r.cost, iv = r.intervals
  const vercel: Figure = { label: `Vercel, a month${c.primary === 'vercel' ? '' : ' (alternative)'}`, metric: 'cost.vercelMonthlyUsd', value: c.vercelMonthlyUsd, text: fmtUsd(c.vercelMonthlyUsd), ...opt(iv?.cost.vercelMonthlyUsd), sub: `ISR reads/writes, invocations, CPU, memory` }
  const self: Figure = { label: `Self-hosted, a month${c.primary === 'self-hosted' ? '' : ' (alternative)'}`, metric: 'cost.selfHostedMonthlyUsd', value: c.selfHostedMonthlyUsd, text: fmtUsd(c.selfHostedMonthlyUsd), ...opt(iv?.cost.selfHostedMonthlyUsd), sub: selfHostedSub(r) }
  const fill: Figure[] = typeof c.oneOffUsd === 'number' ? [{ label: 'One-off fill (billed once)', metric: 'cost.oneOffUsd', value: c.oneOffUsd, text: fmtUsd(c.oneOffUsd), sub: c.primary === 'vercel' ? 'ISR writes and renders of paths no cache had at the start; not in the monthly figures' : `none self-hosted; ${fmtUsd(c.vercelOneOffUsd)} on Vercel` }] : []
  const figs: Figure[] = [
    ...(c.primary === 'vercel' ? [vercel, self] : [self, vercel]),
    ...fill,
    { label: 'Origin calls, a month', metric: 'cost.originMonthlyUsd', value: c.originMonthlyUsd, text: fmtUsd(c.originMonthlyUsd), ...opt(iv?.cost.originMonthlyUsd), sub: `${fmtCount(c.monthlyOriginCalls)} calls` },
  ]
  return `<section id="cost-detail"><h2>Cost detail</h2><p class="caption">The headline cost is ${e(platformName(c.primary))} (the scenario's platform) plus origin calls, for 30 days of this traffic at ${e(c.pricing.name)} prices dated ${e(c.pricing.date)}. The other platform is what the same traffic would cost there.</p>${figuresHtml(figs)}</section>`
}

function routeTable(r: SimResult): Table {
  return {
    columns: [
      { key: 'id', label: 'route' }, { key: 'pattern', label: 'pattern', wrap: true }, { key: 'rev', label: 'revalidate', wrap: true }, { key: 'paths', label: 'paths (prebuilt)' }, { key: 'req', label: 'requests' },
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
  const causes = g.checks.some((c) => c.kind !== 'structure' && c.cause !== undefined)
  const table: Table = {
    columns: [{ key: 'kind', label: 'kind' }, { key: 'metric', label: 'metric' }, { key: 'rule', label: 'rule', wrap: true }, { key: 'value', label: 'value' }, { key: 'baseline', label: 'baseline' }, { key: 'verdict', label: 'verdict', classed: true }, ...(causes ? [{ key: 'cause', label: 'cause', wrap: true }] : [])],
    rows: g.checks.map((c) => c.kind === 'structure'
      ? { kind: c.kind, metric: `routes.${c.route} structure`, rule: c.why, value: c.value, baseline: c.baseline, verdict: c.pass ? 'PASS' : 'FAIL', cause: '' }
      : {
          kind: c.kind, metric: c.metric,
          rule: c.kind === 'threshold' ? c.condition : `no worse than the baseline by more than ${fmtPct(g.tolerance)}`,
          value: fmtMetric(c.metric, c.value), baseline: c.kind === 'baseline' ? fmtMetric(c.metric, c.baseline) : '-', verdict: c.pass ? 'PASS' : 'FAIL', cause: c.cause ?? '',
        }),
  }
  const fresh = g.newWarnings ?? []
  const newWarnings = fresh.length ? `<h3>Warnings new since the baseline (${fresh.length})</h3><ul>${fresh.map((w) => `<li><strong>${e(w.code)}</strong>${w.route ? ` (route ${code(w.route)})` : ''}: ${e(w.message)}</li>`).join('')}</ul>` : ''
  return `<section id="gate"><h2>CI gate: <span class="${g.pass ? 'PASS' : 'FAIL'}">${g.pass ? 'PASS' : 'FAIL'}</span></h2>
<p class="caption">${g.checks.length} checks over ${g.replications} replications${g.baseline ? `, against baseline ${code(g.baseline.hash)} (seed ${e(g.baseline.seed)})` : ''}. A structure check fails when a cached route became dynamic, its revalidate dropped or fewer paths are prebuilt. A baseline check fails only when the metric is worse by more than the tolerance and the 95% intervals do not overlap.</p>
${tableHtml(table)}${newWarnings}</section>`
}

export async function runPage(r: SimResult, gate: GateReport | undefined): Promise<string> {
  const stamp = `scenario ${code(r.scenario.name)} · hash ${code(r.scenario.hash)} · seed ${code(r.seed)} · ${r.replications} replication${r.replications === 1 ? '' : 's'} · Next.js ${e(r.next.version)} profile · model ${code(r.modelVersion)} · isrsim ${code(r.isrsimVersion)} · prices ${e(r.cost.pricing.name)} (${e(r.cost.pricing.date)})`
  const charts = await Promise.all(runCharts(r).map(chartHtml))
  return page(`isrsim ${gate ? 'check' : 'report'}: ${r.scenario.name}`, stamp, gate ? gateVerdict(gate, r) : runVerdict(r), [
    `<section id="headline" aria-label="Headline figures">${figuresHtml(runHeadline(r))}${r.replications > 1 ? '<p class="note">Figures are means over the replications; 95% confidence intervals (Student t) under them.</p>' : '<p class="note">One replication: run with --replications N for intervals.</p>'}</section>`,
    ...(gate ? [gateHtml(gate)] : []),
    warningsHtml(r),
    `<section id="routes"><h2>Routes</h2>${tableHtml(routeTable(r))}</section>`,
    costDetail(r),
    ...charts,
  ])
}
