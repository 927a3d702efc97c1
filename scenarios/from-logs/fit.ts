/**
 * From a scan of the logs to the scenario's traffic, route by route: human rate and
 * popularity, unknown-path rate, crawlers, real paths, render times, and the site's daily
 * curve; or, with `replay`, each route's exact requests as a schedule.
 */
import { UsageError, type ScenarioInput } from '../../sim/index.ts'
import { fitDiurnal, type DiurnalFit } from './fit-diurnal.ts'
import { fitPopularity, type PopularityFit } from './fit-popularity.ts'
import { indexPaths, type RoutePaths } from './index-paths.ts'
import { isDynamicPattern } from './match.ts'
import { CACHE_NAMES } from './record.ts'
import { formatDuration, iso, showExamples, type Scan } from './scan.ts'
import type { RouteTally } from './tally.ts'

type RouteInput = ScenarioInput['routes'][number]
type TrafficInput = RouteInput['traffic']
type CrawlerInput = NonNullable<TrafficInput['crawlers']>[number]

/** Render times are fitted from at least this many MISS lines with a duration. */
export const MIN_RENDER_SAMPLES = 20
const MAX_CRAWLERS = 100
const MAX_SCHEDULE = 10_000_000

const sig = (x: number, digits = 6) => (x === 0 ? 0 : Number(x.toPrecision(digits)))
const int = (n: number) => Math.round(n).toLocaleString('en-US')
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '-')

/** The route's params as the scenario has them: count, prebuilt (default all), params.paths. */
export function routeParams(r: RouteInput): { count: number; prebuilt: number; paths: readonly string[] } {
  const count = r.params?.count ?? 1
  return { count, prebuilt: r.params?.prebuilt ?? count, paths: r.params?.paths ?? [] }
}

function quantile(sorted: readonly number[], q: number): number {
  const x = (sorted.length - 1) * q
  const i = Math.floor(x)
  return sorted[i]! + (sorted[Math.min(i + 1, sorted.length - 1)]! - sorted[i]!) * (x - i)
}

function crawlersOf(t: RouteTally, names: readonly string[], spanS: number, count: number): CrawlerInput[] {
  const all = [...t.crawlerVisits].map(([id, v]) => ({ name: names[id]!, ...v })).sort((a, b) => b.visits - a.visits || (a.name < b.name ? -1 : 1))
  const kept = all.length > MAX_CRAWLERS ? all.slice(0, MAX_CRAWLERS - 1) : all
  if (all.length > MAX_CRAWLERS) {
    const rest = all.slice(MAX_CRAWLERS - 1)
    kept.push({ name: `${rest.length} other crawlers`, visits: rest.reduce((a, c) => a + c.visits, 0), paths: rest.reduce((a, c) => a + c.paths, 0) })
  }
  // A crawler that made V visits to P distinct paths over the span walks them once per span × P / V.
  return kept.map((c) => {
    const paths = Math.max(1, Math.min(count, c.paths))
    return { name: c.name, revisitS: sig((spanS * paths) / c.visits), paths }
  })
}

function renderFit(t: RouteTally): { medianS: number; p95S: number } | null {
  if (t.renders.length < MIN_RENDER_SAMPLES) return null
  const xs = [...t.renders].sort((a, b) => a - b)
  const medianS = Math.min(3600, Math.max(0.001, Math.round(quantile(xs, 0.5)) / 1000))
  const p95S = Math.min(3600, Math.max(medianS, Math.round(quantile(xs, 0.95)) / 1000))
  return { medianS, p95S }
}

interface RouteOutcome { readonly route: RouteInput; readonly lines: string[] }

function schedule(t: RouteTally, idx: RoutePaths, startMs: number, id: string, dynamic: boolean): { atS: number[]; path: number[] } {
  const c = t.requests!
  if (c.n > MAX_SCHEDULE) throw new UsageError(`route ${id}: ${c.n} requests are more than a schedule holds (${MAX_SCHEDULE}): replay a shorter log, or fit without --replay`)
  const order = Array.from({ length: c.n }, (_, i) => i).sort((a, b) => c.atMs[a]! - c.atMs[b]! || a - b)
  return {
    atS: order.map((i) => Math.max(0, Math.round(c.atMs[i]! - startMs) / 1000)),
    // A static route has one path: its index is 0 whatever the logged URL looked like.
    path: order.map((i) => (dynamic ? idx.indexOfId[c.id[i]!]! : 0)),
  }
}

function fitRoute(r: RouteInput, t: RouteTally, scan: Scan, replay: boolean, siteCurve: boolean): RouteOutcome {
  const spanS = scan.spanMs / 1000
  const names = scan.tally.crawlerNames
  const dynamic = isDynamicPattern(r.pattern)
  const p = routeParams(r)
  const idx = indexPaths(p.paths, p.prebuilt, t.entries, true)
  const lines: string[] = []
  const total = t.human + t.crawler + t.unknown
  lines.push(`${r.id} ${r.pattern}: ${int(total)} requests (${int(t.human)} human, ${int(t.crawler)} crawler, ${int(t.unknown)} answered 404)${t.background ? `, ${int(t.background)} background regenerations` : ''}`)
  const { placeholder: _placeholder, diurnal: ownCurve, crawlers: _c, schedule: _s, ...keep } = r.traffic
  const traffic: TrafficInput = { ...keep, rps: sig(t.human / spanS), unknownRate: sig(t.unknown / spanS) }
  if (ownCurve && !siteCurve) traffic.diurnal = ownCurve
  const route: RouteInput = { ...r, traffic }
  // Paths: a dynamic route's real paths; a static route serves one.
  const count = dynamic ? Math.max(1, p.prebuilt, replay ? idx.paths.length : idx.known) : 1
  if (dynamic) {
    const params = { ...(r.params ?? { count }) }
    params.count = count
    params.prebuilt = Math.min(p.prebuilt, count)
    if (idx.known > 0) params.paths = idx.paths.slice(0, idx.known)
    route.params = params
  }
  let pop: PopularityFit | null = null
  if (dynamic && t.human > 0) {
    const w = new Float64Array(idx.known)
    for (const e of t.entries) if (idx.indexOfId[e.id]! >= 0 && idx.indexOfId[e.id]! < idx.known) w[idx.indexOfId[e.id]!] = e.human
    pop = fitPopularity(w, count)
    let last = w.length
    while (last > 1 && w[last - 1] === 0) last--
    traffic.popularity = pop.zipfFits ? { zipf: sig(pop.s, 4) } : { weights: Array.from(w.subarray(0, last)) }
  } else if (typeof traffic.popularity === 'object' && 'weights' in traffic.popularity) delete traffic.popularity // no human requests: the old weights may not fit the new paths
  const crawlers = crawlersOf(t, names, spanS, count)
  if (!replay && crawlers.length > 0) traffic.crawlers = crawlers
  lines.push(`  human ${traffic.rps} req/s${pop ? `, Zipf s = ${sig(pop.s, 3)} (KS ${pop.ks.toFixed(3)} against it in the path order, limit ${pop.limit.toFixed(3)}: ${pop.zipfFits ? 'Zipf kept' : 'fits badly, the counts are the popularity ({ weights })'})` : ''}; unknown (404) ${traffic.unknownRate} req/s`)
  if (dynamic) lines.push(`  paths: ${int(idx.known)} seen or listed, params.count ${int(count)} (prebuilt ${int(Math.min(p.prebuilt, count))})`)
  if (crawlers.length > 0) {
    lines.push(`  crawlers: ${crawlers.slice(0, 6).map((c) => `${c.name} walks ${int(c.paths ?? count)} path${c.paths === 1 ? '' : 's'} every ${formatDuration(c.revisitS * 1000)}`).join('; ')}${crawlers.length > 6 ? `; ${crawlers.length - 6} more` : ''}${replay ? ' (replayed as logged)' : ''}`)
  }
  const cached = t.cache.reduce((a, b) => a + b, 0) - t.cache[0]!
  if (cached > 0) lines.push(`  logged cache status: ${CACHE_NAMES.slice(1).map((n, i) => `${n} ${pct(t.cache[i + 1]!, total)}`).join(', ')}, none ${pct(t.cache[0]!, total)}`)
  const render = renderFit(t)
  if (render) {
    route.renderS = { lognormal: render }
    lines.push(`  renderS from ${int(t.renderSeen)} MISS lines: median ${render.medianS} s, p95 ${render.p95S} s (request times, network included)`)
  }
  if (replay) {
    traffic.rps = 0
    traffic.unknownRate = 0
    delete traffic.crawlers
    traffic.schedule = schedule(t, idx, scan.startMs, r.id, dynamic)
    lines.push(`  replay: ${int(traffic.schedule.atS.length)} requests scheduled`)
  }
  return { route, lines }
}

/** The logs' summary for the terminal: files, span, skips, unmatched and unparseable lines, daily curve. */
export function summaryLines(scan: Scan, curve: DiurnalFit | null, replay: boolean): string[] {
  const t = scan.tally
  const spanS = scan.spanMs / 1000
  const s = t.skipped
  return [
    `logs: ${scan.files.map((f) => `${f.file} (${f.description}${f.gzip ? ', gzip' : ''}, ${int(f.lines)} lines)`).join(', ')}`,
    `  from ${iso(scan.startMs)} to ${iso(scan.endMs)}: span ${formatDuration(scan.spanMs)} (${sig(spanS)} s); ${int(t.pageRequests)} page requests, ${int(t.pageRequests - t.unmatched)} matched to routes`,
    `  skipped: ${int(s.asset)} assets, ${int(s.api)} /api/ requests, ${int(s.method)} other methods, ${int(s.redirect)} redirects, ${int(s.noRequest)} without a request line, ${int(s.invalid)} invalid paths, ${int(s.notRequest)} non-request entries, ${int(s.background)} background regenerations`,
    `  unmatched: ${int(t.unmatched)}${t.unmatched ? ` (e.g. ${showExamples(t.unmatchedExamples)})` : ''}; unparseable: ${int(t.unparseable)}${t.unparseable ? ` (e.g. ${showExamples(t.unparseableExamples)})` : ''}`,
    curve ? `  daily curve (UTC, t = 0 at ${curve.startHour}:00): ${curve.hourly.map((h) => h.toFixed(2)).join(' ')}` : `  daily curve: ${replay ? 'not used (replay)' : `not fitted (the logs cover ${formatDuration(scan.spanMs)}, less than a day)`}`,
    ...(scan.files.some((f) => f.resolutionMs >= 1000) ? ['  times have 1 s resolution (no $msec): fine for rates, a replay places requests within their second'] : []),
  ]
}

export interface FitResult {
  readonly scenario: ScenarioInput
  readonly report: string[]
  readonly warnings: string[]
}

export function fitScenario(scenario: ScenarioInput, scan: Scan, replay: boolean, logs: readonly string[]): FitResult {
  const t = scan.tally
  const warnings = [...scan.warnings]
  const spanS = scan.spanMs / 1000
  const curve = replay ? null : fitDiurnal(t.humanByHour, scan.startMs, scan.spanMs)
  const outcomes = scenario.routes.map((r, i) => fitRoute(r, t.routes[i]!, scan, replay, curve !== null))
  const out: ScenarioInput = { ...scenario, routes: outcomes.map((o) => o.route) }
  if (curve) out.diurnal = curve
  else if (!replay && (scenario.diurnal || scenario.routes.some((r) => r.traffic.diurnal))) {
    warnings.push(`the logs cover ${formatDuration(scan.spanMs)}, less than a day: the daily curve was not fitted and the scenario's own is kept, while rps is the mean over the logs' span, not over a day`)
  }
  if (replay) {
    delete out.diurnal
    out.warmupS = 0
    out.durationS = Math.ceil(spanS * 1000) / 1000
  }
  if (out.imported) out.imported = { ...out.imported, logs: [...logs] }
  const report = [
    ...summaryLines(scan, curve, replay),
    ...outcomes.flatMap((o) => o.lines),
  ]
  if (!out.imported) report.push(`  (the scenario has no "imported" block, so the logs' names are not recorded in it)`)
  return { scenario: out, report, warnings }
}
