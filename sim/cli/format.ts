/**
 * What the command line prints for people: the run summary per route, the cost table, the
 * sweep table and the recommendation with its frontier.
 */
import Table from 'cli-table3'
import type { BuildResult, CdnResult, RouteResult, SimResult } from '../contract.ts'
import { currentStanding, evalLabel, settingLabel, type Answer } from '../planning/answers.ts'
import type { PrerenderWeighing } from '../planning/recommend.ts'
import { pointLabel, type SweepPoint } from '../planning/sweep.ts'
import type { SweepSummary } from './sweep-runner.ts'

const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`

export function fmtS(s: number): string {
  if (s === 0) return '0'
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`
  if (s < 120) return `${s.toFixed(1)} s`
  if (s < 7200) return `${(s / 60).toFixed(1)} min`
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86400).toFixed(1)} d`
}

const fmtN = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2))

/** The CDN layer (§16) above the table, which then shows what reached Next. */
export function cdnLine(c: CdnResult): string {
  return `CDN (${c.pops} PoP${c.pops === 1 ? '' : 's'}) in front: ${fmtN(c.requests)} users' requests · HIT ${pct(c.hit)} · STALE ${pct(c.stale)} · MISS ${pct(c.miss)} · ${fmtN(c.originRequests)} reached Next (the table below) · users' age p50 / p95 ${fmtS(c.ageP50S)} / ${fmtS(c.ageP95S)}, wait mean ${c.latencyMeanMs.toFixed(0)} ms`
}

/** `isrsim run`'s build line: the predicted `next build` time and what it is made of. */
export function buildLine(b: BuildResult, fromBlock: boolean): string {
  const machine = fromBlock ? `${b.cpus} CPUs` : `the reference machine: ${b.cpus} CPUs, no build block`
  return `next build: ~${fmtS(b.predictedS)} predicted (${fmtS(b.fixedS)} compile and setup + ${fmtS(b.generateS)} generating ${fmtN(b.pages)} static pages on ${b.batches} of ${b.workers} worker${b.workers === 1 ? '' : 's'}, ${b.maxConcurrency} at once; ${machine})`
}

/** recommend's weighing of each route's prerendered paths: build time against first visitors' misses. */
export function prerenderText(ws: readonly PrerenderWeighing[]): string {
  return ['prerender at build or generate on first request (same seed, the route\'s params.prebuilt at 0):', ...ws.map((w) =>
    `  ${w.route}: ${fmtN(w.prerendered)} paths add ${fmtS(w.buildS)} to each next build (${w.builds} build${w.builds === 1 ? '' : 's'} in the run); without them ${fmtN(w.extraMisses)} more first-visitor misses (${fmtS(w.extraWaitS)} waited in all), ${fmtN(w.extraIsrWrites)} more ISR writes, ${w.extraMonthlyUsd >= 0 ? '+' : '-'}$${Math.abs(w.extraMonthlyUsd).toFixed(2)}/month -> ${w.advice === 'prerender' ? 'prerender them' : 'generate them on first request'}`)].join('\n')
}

function revalidateLabel(r: RouteResult): string {
  const v = r.effectiveRevalidateS === false ? 'false' : r.effectiveRevalidateS === 0 ? '0 (dynamic)' : `${r.effectiveRevalidateS} s`
  return r.revalidateSource === 'page' ? v : `${v}\n(${r.revalidateSource})`
}

export function summaryTable(r: SimResult): string {
  const measuredS = r.scenario.durationS - r.scenario.warmupS
  const t = new Table({
    head: ['route', 'revalidate', 'requests', 'HIT', 'STALE', 'MISS', 'other', 'renders (bg/block/dyn, failed)', 'renders/min', 'age p50 / p95', 'latency p95'],
    style: { head: [], border: [] },
  })
  const row = (id: string, x: RouteResult | (SimResult['totals'] & SimResult['staleness'] & SimResult['latency']), rev: string) => {
    const n = x.requests || 1
    const other = [x.dynamic && `dyn ${pct(x.dynamic / n)}`, x.notFound && `404 ${pct(x.notFound / n)}`, x.error && `err ${pct(x.error / n)}`, x.fallback && `shell ${pct(x.fallback / n)}`].filter(Boolean).join(' ') || '-'
    t.push([
      id, rev, fmtN(x.requests), pct(x.hit / n), pct(x.stale / n), pct(x.miss / n), other,
      `${fmtN(x.renders)} (${fmtN(x.backgroundRenders)}/${fmtN(x.blockingRenders)}/${fmtN(x.dynamicRenders)}, ${fmtN(x.failedRenders)})`,
      (x.renders / (measuredS / 60)).toFixed(2),
      `${fmtS(x.ageP50S)} / ${fmtS(x.ageP95S)}`,
      `${x.p95Ms.toFixed(0)} ms`,
    ])
  }
  for (const [id, x] of Object.entries(r.routes)) row(id, x, revalidateLabel(x))
  if (Object.keys(r.routes).length > 1) row('TOTAL', { ...r.totals, ...r.staleness, ...r.latency }, '')
  const lines = [
    `isrsim ${r.isrsimVersion} · scenario "${r.scenario.name}" (${r.scenario.hash}) · Next.js ${r.next.version} profile · seed ${JSON.stringify(r.seed)}`,
    `simulated ${fmtS(r.scenario.durationS)}${r.scenario.warmupS > 0 ? `, measured after ${fmtS(r.scenario.warmupS)} warmup` : ''}${r.deployment.instances > 1 ? ` · ${r.deployment.instances} instances (${r.deployment.cache} caches, ${r.deployment.balancer})` : ''}`,
    ...(r.cdn === undefined ? [] : [cdnLine(r.cdn)]),
    t.toString(),
    `stale served ${pct(r.staleness.staleServedFraction)} · age mean ${fmtS(r.staleness.ageMeanS)}, p99 ${fmtS(r.staleness.ageP99S)}, max ${fmtS(r.staleness.ageMaxS)} · render time ${fmtS(r.totals.renderCpuS)}`,
  ]
  if (r.freshness.dataChanges > 0) {
    const f = r.freshness
    lines.push(`freshness: ${fmtN(f.dataChanges)} origin changes, ${fmtN(f.reflected)} reflected · data lag mean ${fmtS(f.dataLagMeanS)}, p50 ${fmtS(f.dataLagP50S)}, p95 ${fmtS(f.dataLagP95S)}, max ${fmtS(f.dataLagMaxS)} · outdated served ${pct(f.outdatedServedFraction)}`)
  }
  for (const [id, x] of Object.entries(r.routes)) {
    if (x.crawlerRequests !== undefined) lines.push(`${id} crawlers: ${fmtN(x.crawlerRequests)} requests caused ${fmtN(x.crawlerRenders ?? 0)} of ${fmtN(x.renders)} renders`)
  }
  if (r.totals.originFetches > 0) lines.push(`origin fetches: ${Object.entries(r.fetches).map(([id, f]) => `${id} ${fmtN(f.originFetches)}`).join(', ')}`)
  r.onDemand.forEach((e, i) => {
    const call = e.kind === 'revalidatePath' || e.kind === 'res.revalidate' ? `${e.kind}(${JSON.stringify(e.path)}${e.type ? `, "${e.type}"` : ''})` : `${e.kind}(${JSON.stringify(e.tag)}${e.profile ? `, ${JSON.stringify(e.profile)}` : ''})`
    lines.push(`on-demand[${i}] ${call}: ${fmtN(e.occurrences)} call${e.occurrences === 1 ? '' : 's'}, ${fmtN(e.entriesTouched)} entries touched, renders caused within 1 min / 1 h / 1 day: ${fmtN(e.rendersWithin1m)} / ${fmtN(e.rendersWithin1h)} / ${fmtN(e.rendersWithin1d)}`)
  })
  if (r.intervals) {
    const i = r.intervals
    const ci = (v: { low: number; high: number } | undefined, f: (x: number) => string) => (v ? `[${f(v.low)}, ${f(v.high)}]` : '-')
    lines.push(`95% CI over ${r.replications} replications: stale served ${ci(i.staleness.staleServedFraction, pct)}, age p95 ${ci(i.staleness.ageP95S, fmtS)}, renders ${ci(i.totals.renders, (x) => x.toFixed(0))}`)
  }
  lines.push(costTable(r))
  for (const w of r.warnings) lines.push(`warning [${w.code}]${w.route ? ` ${w.route}` : ''}: ${w.message}\n  fix: ${w.fix}`)
  return lines.join('\n')
}

const money = (x: number) => (x >= 100 ? `$${x.toFixed(0)}` : x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`)
const qty = (x: number) => (x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3))

/** The meters, the month and the price table (name and date) they came from. */
export function costTable(r: SimResult): string {
  const c = r.cost
  const t = new Table({ head: ['meter', 'unit', 'price', 'units (run)', 'units / month', 'included', '$ / month'], style: { head: [], border: [], compact: true } })
  const price = (x: number) => (x === 0 ? '$0' : x < 0.001 ? `$${(x * 1e6).toPrecision(3)} / 1M` : `$${x.toPrecision(3)}`)
  for (const m of c.meters) t.push([m.id, m.unit, price(m.usdPerUnit), qty(m.runUnits), qty(m.monthlyUnits), m.includedPerMonth ? qty(m.includedPerMonth) : '-', money(m.monthlyUsd)])
  const ci = r.intervals?.cost.monthlyUsd
  return [
    `cost, 30 days of this traffic (prices: ${c.pricing.name}, dated ${c.pricing.date}):`,
    t.toString(),
    `monthly: Vercel ${money(c.vercelMonthlyUsd)} · self-hosted ${money(c.selfHostedMonthlyUsd)} (${c.selfHostedInstances} instance${c.selfHostedInstances === 1 ? '' : 's'}: render CPU ${(c.selfHostedPeakCpuUtilization * 100).toFixed(2)}% of the ${r.deployment.instances} configured${c.selfHostedSizedFor === 'busiestHour' ? ' in the busiest hour' : ''}, target ${(c.targetCpuUtilization * 100).toFixed(0)}%) · origin ${money(c.originMonthlyUsd)} for ${qty(c.monthlyOriginCalls)} calls` +
      ` · cost.monthlyUsd (${c.primary} + origin) ${money(c.monthlyUsd)}${ci ? ` [95% CI ${money(ci.low)}, ${money(ci.high)}]` : ''}`,
    ...(c.vercelOneOffUsd > 0 ? [`one-off fill of the cold cache, billed once (not in the monthly figures): Vercel ${money(c.vercelOneOffUsd)}${c.primary === 'vercel' ? '' : ' (self-hosted: none)'}`] : []),
  ].join('\n')
}

/** One row per point: the varied values and the headline figures; with levels (header.given), one table per level. */
export function sweepTable(s: SweepSummary): string {
  const given = s.header.given ?? []
  const paths = s.header.vary.map((v) => v.path).filter((p) => !given.includes(p))
  const tables = new Map<string, InstanceType<typeof Table>>()
  for (const i of [...s.lines.keys()].sort((a, b) => a - b)) {
    const p = JSON.parse(s.lines.get(i)!) as SweepPoint
    const r = p.result
    const level = given.map((g) => `${g}=${String(p.vary[g])}`).join(' ')
    let t = tables.get(level)
    if (!t) tables.set(level, t = new Table({ head: [...paths, 'requests', 'STALE', 'age p95', 'renders', 'ISR writes', 'origin calls', '$ / month'], style: { head: [], border: [], compact: true } }))
    t.push([...paths.map((k) => String(p.vary[k])), fmtN(r.totals.requests), pct(r.staleness.staleServedFraction), fmtS(r.staleness.ageP95S), fmtN(r.totals.renders), fmtN(r.totals.isrWrites), fmtN(r.totals.originFetches), money(r.cost.monthlyUsd)])
  }
  return [...tables].map(([level, t]) => (level ? `[${level}]\n${t.toString()}` : t.toString())).join('\n')
}

export const fmtObjective = (metric: string, x: number) => (metric.startsWith('cost.') && metric.endsWith('Usd') ? money(x) : fmtN(Math.round(x * 1000) / 1000))
const fmtMetric = (metric: string, x: number) => (metric.endsWith('S') ? fmtS(x) : metric.endsWith('Fraction') ? pct(x) : fmtObjective(metric, x))

const levelPrefix = (a: Answer) => (Object.keys(a.given).length ? `[${settingLabel(a.given)}] ` : '')

/** The one line that answers: the recommended values and their cost, or no point and the binding cause. */
export function verdictLine(a: Answer): string {
  const r = a.recommendation
  const cons = r.constraints.join(', ')
  if (r.best === null) {
    const main = [...a.causes].sort((x, y) => Number(y.causes.fix !== null) - Number(x.causes.fix !== null))[0]
    return `${levelPrefix(a)}verdict: no point meets ${cons || 'the constraints'}${main ? `${a.causes.length > 1 ? ` (closest with ${settingLabel(main.setting)})` : ''}: ${main.causes.summary}` : ''}`
  }
  const b = r.best
  // The constrained figures, a route's too when a constraint names it (and nothing when none is left to show).
  const shown = Object.keys(b.values).filter((m) => m !== r.objective && (!m.startsWith('routes.') || r.constraints.some((c) => c.startsWith(m))))
  const figures = r.constraints.length ? `${shown.map((m) => ` · ${m} ${fmtMetric(m, b.values[m]!)}`).join('')} (meets ${cons})` : ''
  return `${levelPrefix(a)}verdict: ${evalLabel(b)}: ${r.objective} ${fmtObjective(r.objective, b.objective)}${figures}`
}

export function recommendText(a: Answer): string {
  const r = a.recommendation
  const lines: string[] = [verdictLine(a)]
  const pre = levelPrefix(a)
  lines.push(`${pre}searched: minimise ${r.objective}${r.constraints.length ? ` subject to ${r.constraints.join(', ')}` : ''} over ${r.routes.length} route${r.routes.length === 1 ? '' : 's'} × ${r.candidates.length} candidates${a.options.length > 1 ? ` × ${a.options.length} options (${a.options.map(settingLabel).join(' | ')})` : ''}; ${r.evaluated.length} runs (${r.method}${r.method === 'monotone' ? `; the full grid is ${r.gridSize}` : ''})`)
  for (const c of a.causes) {
    if (r.best !== null || a.causes.length > 1) lines.push(`${pre}why not ${settingLabel(c.setting) || 'these values'}: ${c.causes.summary}`)
  }
  if (r.best !== null) {
    const t = new Table({ head: ['route', 'current revalidate', 'recommended'], style: { head: [], border: [], compact: true } })
    for (const id of r.routes) t.push([id, String(r.current.assignment[id]), String(r.best.assignment[id])])
    for (const [k, v] of Object.entries(r.best.setting ?? {})) t.push([k, String(r.current.setting?.[k] ?? '-'), String(v)])
    lines.push(t.toString())
    const metrics = Object.keys(r.best.values).filter((m) => !m.startsWith('routes.'))
    lines.push(`recommended: ${metrics.map((m) => `${m} ${fmtMetric(m, r.best!.values[m]!)}`).join(' · ')}`)
    lines.push(`current:     ${metrics.map((m) => `${m} ${fmtMetric(m, r.current.values[m]!)}`).join(' · ')}${r.current.feasible ? '' : ' (breaks a constraint)'}`)
  }
  const f = new Table({ head: ['frontier point', r.stalenessMetric, r.objective], style: { head: [], border: [], compact: true } })
  for (const e of r.frontier) f.push([`${evalLabel(e)}${e === r.best ? ' (recommended)' : ''}${e === r.current ? ' (current)' : ''}`, fmtMetric(r.stalenessMetric, e.values[r.stalenessMetric]!), fmtObjective(r.objective, e.objective)])
  lines.push(`Pareto frontier of ${r.objective} against ${r.stalenessMetric} (${a.complete ? 'the whole grid' : `the ${r.evaluated.length} points evaluated`}):`, f.toString())
  const cur = r.current
  const s = currentStanding(r, a.complete)
  if (s.kind === 'beaten') {
    const saved = cur.objective - s.by.objective
    lines.push(`distance from the frontier: the current values are not on it: ${evalLabel(s.by)} is as fresh or fresher (${fmtMetric(r.stalenessMetric, s.by.values[r.stalenessMetric]!)} against ${fmtMetric(r.stalenessMetric, cur.values[r.stalenessMetric]!)}) for ${fmtObjective(r.objective, s.by.objective)} instead of ${fmtObjective(r.objective, cur.objective)}${cur.objective > 0 ? ` (${((saved / cur.objective) * 100).toFixed(1)}% less)` : ''}`)
  } else if (s.kind === 'on-frontier') lines.push('distance from the frontier: none, the current values are on it (no point of the grid is both cheaper and as fresh)')
  else lines.push(`distance from the frontier: unknown; no evaluated point is both cheaper and as fresh as the current values (${r.evaluated.length} of ${r.gridSize} grid points evaluated; --exhaustive checks them all)`)
  return lines.join('\n')
}

/**
 * How the run was simulated (docs/fast-mode.md): nothing for --mode exact; which routes ran
 * fast for auto; and for --mode fast, every route that ran exact with its reason.
 */
export function modeLines(r: SimResult): string[] {
  if (r.mode === 'exact') return []
  const routes = Object.entries(r.routes)
  const fast = routes.filter(([, x]) => x.mode === 'fast').map(([id]) => id)
  const exact = routes.filter(([, x]) => x.mode === 'exact')
  const head = `mode ${r.mode}: ${fast.length === 0 ? 'no route' : fast.join(', ')} fast-forwarded${exact.length === 0 ? '' : `; ${exact.map(([id]) => id).join(', ')} exact`}`
  if (r.mode === 'auto') return [head]
  return [head, ...exact.map(([id, x]) => `  ${id} ran exact, not fast: ${x.exactBecause ?? 'no reason recorded'}`)]
}
