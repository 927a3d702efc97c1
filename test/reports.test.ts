/**
 * Reports without a browser: every chart spec compiles with vega-lite (no warnings) and
 * renders to a non-empty SVG; the same input gives the same bytes; the sweep's recommended
 * point is the one an independent reading of the file picks; bad input exits 2 and leaves
 * no file behind; --report works on run and check. The browser checks are in
 * reports-browser.test.ts.
 */
import fc from 'fast-check'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { compile, type TopLevelSpec } from 'vega-lite'
import { ageUnit, metricAxis } from '../reports/age-charts.ts'
import { runCharts, tagFanOut, type Chart } from '../reports/charts.ts'
import { compareToCurrent, runVerdict, sweepVerdict } from '../reports/verdict.ts'
import { analyseSweep, metricValue, sweepCharts, verdictChart } from '../reports/sweep-charts.ts'
import { reportHtml } from '../reports/html.ts'
import { parseReportInput } from '../reports/load.ts'
import { CHART_CONFIG, renderSvg } from '../reports/render.ts'
import type { SimResult, SweepConstraint, SweepHeader, SweepPoint } from '../sim/contract.ts'
import catalogue from '../scenarios/catalogue.ts'
import { parseScenario, runScenario } from '../sim/index.ts'
import { arbCase } from './arbitraries.ts'
import { ARTIFACTS, BIN, RICH, ROOT, runJson, SINGLE, sweepFile, verdicts } from './report-fixtures.ts'

const DIR = join(ARTIFACTS, 'node')

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT })
}

/** vega-lite's warnings for a spec (a logger that records instead of printing). */
function compileWarnings(spec: TopLevelSpec): string[] {
  const warnings: string[] = []
  const logger = { level: () => logger, error: (...m: unknown[]) => { warnings.push(`error: ${m.join(' ')}`); return logger }, warn: (...m: unknown[]) => { warnings.push(m.join(' ')); return logger }, info: () => logger, debug: () => logger }
  compile({ ...spec, config: CHART_CONFIG } as TopLevelSpec, { logger: logger as never })
  return warnings
}

let rich: SimResult
let richText: string
let single: SimResult
let sweepText: string
let v: ReturnType<typeof verdicts>

beforeAll(() => {
  mkdirSync(DIR, { recursive: true })
  ;({ result: rich, text: richText } = runJson(RICH, 2))
  single = runJson(SINGLE).result
  sweepText = sweepFile(join(DIR, 'sweep'))
  v = verdicts()
})

describe('chart specs', () => {
  const all = (): Chart[] => {
    const s = parseReportInput(sweepText, 'sweep') as { kind: 'sweep'; header: SweepHeader; points: SweepPoint[] }
    return [...runCharts(rich), ...runCharts(single), ...sweepCharts(s.header, analyseSweep(s.header, s.points)), verdictChart(v.pass), verdictChart(v.fail)]
  }

  test('every chart compiles with vega-lite without a warning and renders a non-empty SVG with its marks', async () => {
    const charts = all()
    expect(charts.length).toBeGreaterThanOrEqual(16)
    for (const c of charts) {
      expect(compileWarnings(c.spec), `${c.id}`).toEqual([])
      const svg = await renderSvg(c.spec, c.id)
      expect(svg.startsWith('<svg'), c.id).toBe(true)
      expect(svg.match(/<path|<rect|<line/g)?.length ?? 0, `${c.id} has no marks`).toBeGreaterThan(5)
      expect(c.table.rows.length, `${c.id} has an empty data table`).toBeGreaterThan(0)
      for (const row of c.table.rows) for (const col of c.table.columns) expect(row[col.key], `${c.id} row lacks ${col.key}`).toBeTypeOf('string')
    }
  })

  test('the run charts show what the scenario has: outage windows, on-demand marks, render capacity, fan-out', () => {
    const byId = new Map(runCharts(rich).map((c) => [c.id, c]))
    const outcomes = JSON.stringify(byId.get('outcomes-over-time')!.spec)
    expect(outcomes).toContain('"from":20,"to":25') // the outage 1200..1500 s in minutes
    const marks = rich.onDemand.reduce((n, e) => n + e.atS.length, 0)
    expect(marks).toBe(5 + 1) // every 600 s from 600 to 3000 (the run ends at 3600), and one revalidatePath
    expect((outcomes.match(/"event":/g) ?? []).length).toBe(marks)
    const renders = byId.get('renders-over-time')!
    const meanRenderS = rich.totals.renderCpuS / rich.totals.renders
    expect(JSON.stringify(renders.spec)).toContain(`"y":${Math.round((2 * 2 * 60) / meanRenderS * 10) / 10}`)
    expect(renders.caption).toContain('renderConcurrency 2 × 2 instance(s)')
    // Renders by kind sum to the total in every bin.
    for (const b of rich.series.bins) expect(b.backgroundRenders + b.blockingRenders + b.dynamicRenders).toBe(b.renders)
    const fan = byId.get('tag-fan-out')!
    expect(fan.table.rows[0]!.event).toBe('#1 revalidateTag(posts)')
    expect(fan.table.rows[0]!.calls).toBe(String(rich.onDemand[0]!.occurrences))
    // No closed form here (fetches, lognormal renders, on-demand calls); the single page has one.
    expect(byId.has('age-cdf-account')).toBe(false) // dynamic: every page is fresh
    expect(JSON.stringify(byId.get('age-cdf-home')!.spec)).not.toContain('closed form')
    const page = runCharts(single).find((c) => c.id === 'age-cdf-page')!
    expect(JSON.stringify(page.spec)).toContain('"series":"closed form"')
    expect(page.table.columns.map((c) => c.key)).toContain('cf')
  })

  test('sweep: current and recommended are the points an independent reading of the file picks', () => {
    const lines = sweepText.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    const header = lines[0] as unknown as SweepHeader
    const points = lines.slice(1) as unknown as SweepPoint[]
    expect(header.current).toEqual({ 'routes.post.revalidateS': 300, 'routes.home.revalidateS': 60 })
    expect(header.constraints).toEqual([{ metric: 'routes.post.ageP95S', op: '<=', value: 600, text: 'routes.post.ageP95S<=600' }])
    const feasible = points.filter((p) => p.result.routes.post!.ageP95S <= 600)
    const cheapest = [...feasible].sort((a, b) => a.result.cost.monthlyUsd - b.result.cost.monthlyUsd)[0]!
    const a = analyseSweep(header, points)
    expect(a.recommended?.index).toBe(cheapest.index)
    expect(a.current?.vary).toEqual(header.current)
    expect(a.stalenessMetric).toBe('routes.post.ageP95S')
    expect(metricValue(points[0]!.result, 'totals.errorFraction')).toBeCloseTo(points[0]!.result.totals.error / points[0]!.result.totals.requests, 12)
    // Frontier points are not dominated by any point.
    for (const r of a.rows.filter((x) => x.frontier)) expect(a.rows.some((o) => o.cost < r.cost && o.x < r.x)).toBe(false)
  })

  test('verdict chart marks PASS and FAIL per metric and route', () => {
    expect(v.pass.pass).toBe(true)
    expect(v.fail.pass).toBe(false)
    const fails = verdictChart(v.fail).table.rows.filter((r) => r.verdict === 'FAIL')
    expect(fails.map((r) => `${r.scope} ${r.metric}`)).toContain('post STALE fraction')
  })
})

describe('readable charts', () => {
  test('age axes are in the unit their ages read best in, with the route\'s revalidate marked by a rule', () => {
    expect([0.5, 300, 301, 10_800, 10_801, 259_200, 259_201].map((x) => ageUnit(x).unit)).toEqual(['s', 's', 'min', 'min', 'h', 'h', 'd'])
    const charts = [...runCharts(rich), ...runCharts(single)].filter((c) => c.id.startsWith('age-cdf-'))
    expect(charts.map((c) => c.id)).toEqual(['age-cdf-home', 'age-cdf-post', 'age-cdf-page'])
    for (const c of charts) {
      const r = c.id === 'age-cdf-page' ? single : rich
      const id = c.id.slice('age-cdf-'.length)
      const layers = (c.spec as { layer: { data: { values: Record<string, number | string>[] }; mark: { type: string }; encoding: { x: { title?: string; scale?: { domain: number[] } } } }[] }).layer
      const x = layers[0]!.encoding.x
      const unit = /^served age \((s|min|h|d)\)$/.exec(x.title ?? '')?.[1]
      const div = { s: 1, min: 60, h: 3600, d: 86400 }[unit as 's']
      expect(unit, `${c.id}: ${x.title}`).toBe(ageUnit(x.scale!.domain[1]! * div).unit)
      // The line's points are the CDF's ages in that unit.
      const sim = layers[0]!.data.values.filter((v) => v.series === 'simulated')
      sim.forEach((v, k) => expect(v.age as number).toBeCloseTo(r.ageCdf[id]!.ageS[k]! / div, 5))
      const rule = layers.find((l) => l.mark.type === 'rule')
      const revalidateS = r.routes[id]!.effectiveRevalidateS as number
      expect(rule?.data.values[0]!.age, c.id).toBeCloseTo(revalidateS / div, 6)
      expect(rule?.data.values[0]!.label).toBe(`revalidate ${revalidateS === 30 ? '30.0 s' : revalidateS === 60 ? '60.0 s' : '5.0 min'}`)
    }
    expect(JSON.stringify(charts[1]!.spec)).toContain('"title":"served age (min)"') // post: revalidate 300 s, ages to ~8 min
    // Sweep and verdict axes of ages: the same units.
    expect(metricAxis('staleness.ageP95S', [59, 3500])).toEqual({ div: 60, title: 'staleness.ageP95S (min)' })
    expect(metricAxis('age p95 (s)', [40, 200])).toEqual({ div: 1, title: 'age p95 (s)' })
    expect(metricAxis('age p95 (s)', [40, 20_000])).toEqual({ div: 3600, title: 'age p95 (h)' })
    expect(metricAxis('totals.hitFraction', [0.9])).toEqual({ div: 1, title: 'totals.hitFraction (fraction)' })
    const s = parseReportInput(sweepText, 'sweep') as { kind: 'sweep'; header: SweepHeader; points: SweepPoint[] }
    const a = analyseSweep(s.header, s.points)
    const frontier = JSON.stringify(sweepCharts(s.header, a)[0]!.spec)
    const { div, title } = metricAxis('routes.post.ageP95S', a.rows.map((x) => x.x))
    expect(div).toBe(ageUnit(Math.max(...s.points.map((p) => p.result.routes.post!.ageP95S))).div)
    expect(frontier).toContain(`"title":"${title}"`)
    for (const x of a.rows) expect(frontier).toContain(`"x":${Math.round((x.x / div) * 1e6) / 1e6},`)
  })

  test('on-demand labels are drawn in full; names too long for an axis become E1, E2 with the full names in the table', async () => {
    const fan = tagFanOut(rich)!
    const svg = await renderSvg(fan.spec, fan.id)
    expect(svg).toContain('#1 revalidateTag(posts)')
    expect(svg).toContain('data change #1 webhook (post:{slug})')
    expect(svg).not.toContain('…')
    const tag = 'catalogue-products-by-category-and-region-for-the-storefront-listing'
    const long = runScenario(parseScenario({ ...SINGLE, durationS: 1800, routes: [{ ...SINGLE.routes[0]!, fetches: [{ id: 'f', tags: [tag] }] }], onDemand: [{ kind: 'revalidateTag', tag, everyS: 600 }] }))
    const chart = tagFanOut(long)!
    expect(JSON.stringify(chart.spec)).toContain('"event":"E1"')
    expect(chart.table.rows[0]).toMatchObject({ id: 'E1', event: `#1 revalidateTag(${tag})` })
    expect(await renderSvg(chart.spec, chart.id)).not.toContain('…')
  })
})

describe('verdict lines', () => {
  test('run: p95 age, share served from cache and the cost on the scenario\'s platform', () => {
    const cached = (rich.totals.hit + rich.totals.stale) / rich.totals.requests
    const text = runVerdict(rich).text
    expect(text.startsWith(`p95 age ${(rich.staleness.ageP95S / 60).toFixed(1)} min · ${(cached * 100).toFixed(1)}% served from cache · $${rich.cost.monthlyUsd.toFixed(2)}/month on Vercel`), text).toBe(true)
    expect(text).toContain(`${rich.warnings.length} warnings`)
  })

  test('one headline cost: the platform the scenario says it runs on, the other in the cost detail', async () => {
    const r = runScenario(parseScenario({ ...SINGLE, durationS: 1200, cost: { primary: 'self-hosted' } }))
    expect(r.cost.primary).toBe('self-hosted')
    expect(runVerdict(r).text).toContain(` · $${r.cost.monthlyUsd.toFixed(2)}/month self-hosted`)
    const html = await reportHtml(parseReportInput(JSON.stringify(r), 'self-hosted'))
    const headline = html.slice(html.indexOf('id="headline"'), html.indexOf('</section>', html.indexOf('id="headline"')))
    expect(headline.match(/data-metric="cost\.[^"]*"/g)).toEqual(['data-metric="cost.monthlyUsd"'])
    expect(headline).toContain('Cost a month, self-hosted')
    const detail = html.slice(html.indexOf('id="cost-detail"'))
    expect(detail.indexOf('Self-hosted, a month<')).toBeLessThan(detail.indexOf('Vercel, a month (alternative)'))
  })

  test('sweep: a saving when the current values meet the bound, the extra cost of meeting it when they break it, never a negative saving', async () => {
    const s = parseReportInput(sweepText, 'sweep') as { kind: 'sweep'; header: SweepHeader; points: SweepPoint[] }
    const cur = s.points.find((p) => Object.entries(s.header.current).every(([k, v]) => p.vary[k] === v))!
    const post = (p: SweepPoint) => p.result.routes.post!.ageP95S
    // A bound between the current values' p95 and the best point's: the current values break it.
    const best = Math.min(...s.points.map(post))
    expect(post(cur)).toBeGreaterThan(best)
    const bound = Math.round((best + post(cur)) / 2)
    const c: SweepConstraint = { metric: 'routes.post.ageP95S', op: '<=', value: bound, text: `routes.post.ageP95S<=${bound}` }
    const header = { ...s.header, constraints: [c] }
    const a = analyseSweep(header, s.points)
    const feasible = s.points.filter((p) => post(p) <= bound).sort((x, y) => x.result.cost.monthlyUsd - y.result.cost.monthlyUsd)[0]!
    expect(a.recommended).toBe(feasible)
    const d = feasible.result.cost.monthlyUsd - cur.result.cost.monthlyUsd
    const cmp = compareToCurrent(header, a)
    expect(cmp).toEqual(d > 0 ? { kind: 'extra', usd: d, broken: [c] } : { kind: 'saving', usd: -d, broken: [c] })
    const v = sweepVerdict(header, a)
    if (d > 0) expect(v.text).toContain(`The current values break routes.post.ageP95S ≤ ${bound < 120 ? `${bound.toFixed(1)} s` : `${(bound / 60).toFixed(1)} min`}: meeting it costs $${d.toFixed(2)}/month more`)
    const html = await reportHtml({ kind: 'sweep', header, points: s.points })
    expect(html).not.toMatch(/\$-|-\$/)
    expect(html).toContain(d > 0 ? 'data-metric="extra.cost.monthlyUsd"' : 'data-metric="saving.cost.monthlyUsd"')
    // Without a bound the recommendation is no staler and no dearer than the current values: a saving of zero or more.
    const free = { ...s.header, constraints: [] }
    const cmpFree = compareToCurrent(free, analyseSweep(free, s.points))
    expect(cmpFree?.kind === 'same' || cmpFree?.kind === 'saving').toBe(true)
    // No point meets an impossible bound: said so, with the closest point.
    const none = { ...s.header, constraints: [{ ...c, value: 1, text: 'routes.post.ageP95S<=1' }] }
    expect(sweepVerdict(none, analyseSweep(none, s.points)).text).toMatch(/^No point meets routes\.post\.ageP95S ≤ 1\.00 s; closest: .* with routes\.post\.ageP95S [\d.]+ s \(\$[\d.]+\/month on Vercel\)$/)
  })
})

describe('the page', () => {
  test('the same input gives the same bytes, in one process and across processes', async () => {
    const input = parseReportInput(richText, 'rich')
    const a = await reportHtml(input)
    const b = await reportHtml(parseReportInput(richText, 'rich'))
    expect(a === b).toBe(true)
    const file = join(DIR, 'rich.result.json')
    writeFileSync(file, richText)
    expect(cli(['report', file, '--out', join(DIR, 'rich-1.html')]).status).toBe(0)
    expect(cli(['report', file, '--out', join(DIR, 'rich-2.html')]).status).toBe(0)
    const c = readFileSync(join(DIR, 'rich-1.html'), 'utf8')
    expect(c === readFileSync(join(DIR, 'rich-2.html'), 'utf8')).toBe(true)
    expect(c === a).toBe(true)
    // Sweep and verdict pages too (their verdict lines and comparisons included).
    for (const [text, name] of [[sweepText, 'sweep'], [JSON.stringify(v.fail), 'verdict']] as const) expect(await reportHtml(parseReportInput(text, name)) === await reportHtml(parseReportInput(text, name)), name).toBe(true)
    // Stamped with what made it, never with a time.
    for (const s of [rich.scenario.hash, rich.seed, rich.modelVersion, rich.isrsimVersion]) expect(a).toContain(s)
    expect(a).not.toMatch(/20\d\d-\d\d-\d\dT/)
    // Self-contained: no scripts, no external URLs outside the SVG namespace declarations.
    expect(a).not.toContain('<script')
    expect(a.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]+"/g, '').replace(/https:\/\/vega\.github\.io\/schema[^"]*/g, '')).not.toMatch(/(?:src|href)="(?:https?:)?\/\//)
    expect(a).toContain("default-src 'none'")
  })

  test('the bundled catalogue scenario gives a report under 1 MB', async () => {
    const r = runScenario(parseScenario(catalogue), {})
    const html = await reportHtml(parseReportInput(JSON.stringify(r), 'catalogue'))
    expect(Buffer.byteLength(html)).toBeLessThan(1_000_000)
    expect(html.match(/<section class="chart"/g)?.length).toBe(runCharts(r).length)
  })
})

describe('any scenario (fast-check swarm)', () => {
  test('its report compiles without warnings, draws every chart and shows its totals', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase(), async ({ input, seed }) => {
        const r = runScenario(parseScenario(input), { seed })
        const where = `scenario ${JSON.stringify(input)} seed ${JSON.stringify(seed)}`
        const charts = runCharts(r)
        for (const c of charts) expect(compileWarnings(c.spec), `${c.id}: ${where}`).toEqual([])
        const html = await reportHtml(parseReportInput(JSON.stringify(r), 'prop'))
        expect(html.match(/<section class="chart"/g)?.length, where).toBe(charts.length)
        expect(html.match(/<figure><svg role="img"/g)?.length, where).toBe(charts.length)
        expect(html, where).toContain(`data-metric="totals.requests" data-value="${r.totals.requests}"`)
      }),
      { numRuns: 12 },
    )
  })
})

describe('older results (same schemaVersion, written before reports existed)', () => {
  test('without age CDFs, outage windows, firing times and renders by kind, the page draws what there is', async () => {
    const old = JSON.parse(richText) as Record<string, unknown> & { series: { bins: Record<string, unknown>[] }; onDemand: Record<string, unknown>[] }
    delete old.ageCdf
    delete old.outages
    for (const e of old.onDemand) delete e.atS
    for (const b of old.series.bins) for (const k of ['backgroundRenders', 'blockingRenders', 'dynamicRenders']) delete b[k]
    const input = parseReportInput(JSON.stringify(old), 'old')
    const charts = runCharts((input as { result: SimResult }).result)
    expect(charts.map((c) => c.id)).toEqual(['outcomes-over-time', 'renders-over-time', 'cost-by-meter', 'cost-by-route', 'tag-fan-out'])
    for (const c of charts) expect(compileWarnings(c.spec), c.id).toEqual([])
    const renders = charts[1]!
    expect(renders.table.columns.map((c) => c.label)).toEqual(['from', 'to', 'all renders (renders)', 'failed (renders)'])
    const total = renders.table.rows.reduce((n, row) => n + Number(row.renders!.replace(/,/g, '')), 0)
    expect(total).toBe(rich.series.bins.reduce((n, b) => n + b.renders, 0))
    const html = await reportHtml(input)
    expect(html).toContain('data-chart="renders-over-time"')
  })
})

describe('bad input: exit 2, a message naming the problem, no file left behind', () => {
  const good = () => JSON.parse(richText) as Record<string, unknown>
  const cases: [string, () => string, RegExp][] = [
    ['truncated JSON', () => richText.slice(0, Math.floor(richText.length / 2)), /not valid JSON .*: the file looks truncated/],
    ['an empty file', () => '', /the file is empty/],
    ['foreign JSON', () => '{"name":"my-app","version":"1.0.0","dependencies":{}}', /not an isrsim result, sweep or verdict .*its fields are name, version, dependencies/],
    ['a JSON array', () => '[1,2,3]', /holds an array/],
    ['an incompatible schemaVersion', () => JSON.stringify({ ...good(), schemaVersion: 2 }), /schemaVersion is 2; this isrsim reads results with schemaVersion 1/],
    ['a result without totals', () => { const g = good(); delete g.totals; return JSON.stringify(g) }, /field totals is missing; a result has an object there/],
    ['a result whose series is not a list', () => JSON.stringify({ ...good(), series: { binS: 60, bins: 'x' } }), /field series\.bins is string "x"; a result has an array there/],
    ['a verdict from the future', () => JSON.stringify({ verdictVersion: 9, scenario: { name: 'x', hash: 'y' } }), /verdictVersion is 9; this isrsim reads verdicts with verdictVersion 1/],
    ['a verdict check without numbers', () => JSON.stringify({ verdictVersion: 1, scenario: { name: 'x', hash: 'y' }, replications: 3, pass: true, checks: [{ scope: 'a', metric: 'm', predicted: 'high' }] }), /checks\[0\]: field predicted is string "high"; a verdict check has a number there/],
    ['a sweep with a torn point', () => sweepText.slice(0, sweepText.length - 40), /line \d+: not valid JSON/],
    ['a sweep header with no points', () => `${sweepText.split('\n')[0]}\n`, /the sweep has no finished points yet/],
  ]
  test.each(cases)('%s', (_name, make, message) => {
    const dir = join(DIR, 'bad')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const input = join(dir, 'input.json')
    writeFileSync(input, make())
    const out = join(dir, 'report.html')
    const r = cli(['report', input, '--out', out])
    expect(r.status, r.stderr).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).toContain(input)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir)).toEqual(['input.json'])
  })

  test('a missing file, and an earlier report at --out is left as it was', () => {
    const dir = join(DIR, 'bad-keep')
    mkdirSync(dir, { recursive: true })
    const out = join(dir, 'report.html')
    writeFileSync(out, 'earlier report')
    const r = cli(['report', join(dir, 'nope.json'), '--out', out])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/nope\.json: cannot read it \(ENOENT\)/)
    expect(readFileSync(out, 'utf8')).toBe('earlier report')
  })
})

describe('--report on the commands', () => {
  test('run --report writes the result and its report; check --report writes one with the gate, also when the gate fails (exit 1)', () => {
    const dir = join(DIR, 'flags')
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const scenario = join(dir, 'single.json')
    writeFileSync(scenario, JSON.stringify({ ...SINGLE, durationS: 1200, thresholds: { 'staleness.ageP95S': ['<5'] } }))
    const run = cli(['run', scenario, '--out', join(dir, 'r.json'), '--report', join(dir, 'run.html')])
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toContain(`report written to ${join(dir, 'run.html')}`)
    const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as SimResult
    const html = readFileSync(join(dir, 'run.html'), 'utf8')
    expect(html).toContain(`data-metric="totals.requests" data-value="${r.totals.requests}"`)
    const check = cli(['check', scenario, '--replications', '2', '--report', join(dir, 'check.html')])
    expect(check.status).toBe(1) // p95 age of a 30 s revalidate is far above 5 s
    const ch = readFileSync(join(dir, 'check.html'), 'utf8')
    expect(ch).toMatch(/CI gate: <span class="FAIL">FAIL<\/span>/)
    expect(ch).toContain('<td>staleness.ageP95S</td><td class="wrap">&lt;5</td>')
    // The verdict line names the failing threshold with its unit.
    expect(ch).toMatch(/<p class="verdict v-fail" id="verdict" data-verdict="fail">FAIL: staleness\.<wbr>ageP95S is [\d.]+ (s|min), which breaks staleness\.<wbr>ageP95S &lt; 5\.00 s/)
  })
})
