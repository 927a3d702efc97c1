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
import { runCharts, type Chart } from '../reports/charts.ts'
import { analyseSweep, metricValue, sweepCharts, verdictChart } from '../reports/sweep-charts.ts'
import { reportHtml } from '../reports/html.ts'
import { parseReportInput } from '../reports/load.ts'
import { CHART_CONFIG, renderSvg } from '../reports/render.ts'
import type { SimResult, SweepHeader, SweepPoint } from '../sim/contract.ts'
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
    expect(ch).toContain('<td>staleness.ageP95S</td><td>&lt;5</td>')
  })
})
