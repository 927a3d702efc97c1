/**
 * Reports in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
 * reports/tools/install-chromium.sh; never a downloaded browser) driven by playwright-core.
 * For a run, a single-page run with a closed form, a sweep and a failing verdict: the page
 * loads from a file with no console errors and no request but its own, every chart's SVG is
 * drawn and non-empty, and the headline figures are the JSON's. Screenshots go to
 * test/artifacts/reports/.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { SimResult, SweepHeader, SweepPoint, VerdictJson } from '../sim/contract.ts'
import { ARTIFACTS, BIN, RICH, ROOT, runJson, SINGLE, sweepFile, verdicts } from './report-fixtures.ts'

const DIR = join(ARTIFACTS, 'browser')
let browser: Browser

beforeAll(async () => {
  const install = spawnSync('bash', [join(ROOT, 'reports/tools/install-chromium.sh')], { encoding: 'utf8' })
  if (install.status !== 0) throw new Error(`reports/tools/install-chromium.sh failed (${install.status}): ${install.stderr}`)
  mkdirSync(DIR, { recursive: true })
  // The flags keep Chromium off the network it would otherwise try at start-up.
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
}, 300_000)

afterAll(async () => {
  await browser?.close()
})

interface Seen {
  readonly errors: string[]
  readonly requests: string[]
  readonly charts: { id: string; width: number; height: number; marks: number }[]
  readonly figures: { metric: string; value: string; text: string }[]
  readonly fileUrl: string
}

/** Write the input, run `isrsim report` on it, open the page, screenshot it, and say what was seen. */
async function open(name: string, text: string): Promise<Seen> {
  const input = join(DIR, `${name}.${name.includes('sweep') ? 'jsonl' : 'json'}`)
  writeFileSync(input, text)
  const html = join(DIR, `${name}.html`)
  const r = spawnSync(process.execPath, [BIN, 'report', input, '--out', html], { encoding: 'utf8' })
  expect(r.status, r.stderr).toBe(0)
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  const errors: string[] = [], requests: string[] = []
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`) })
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('request', (q) => requests.push(q.url()))
  const fileUrl = pathToFileURL(html).href
  await page.goto(fileUrl, { waitUntil: 'load' })
  const charts = await page.$$eval('section[data-chart]', (els) => els.map((el) => {
    const svg = el.querySelector('figure svg')
    const box = svg?.getBoundingClientRect()
    return { id: el.getAttribute('data-chart') ?? '', width: box?.width ?? 0, height: box?.height ?? 0, marks: svg?.querySelectorAll('path, rect, line, circle').length ?? 0 }
  }))
  const figures = await page.$$eval('[data-metric]', (els) => els.map((el) => ({ metric: el.getAttribute('data-metric') ?? '', value: el.getAttribute('data-value') ?? '', text: el.querySelector('.value')?.textContent ?? '' })))
  await page.screenshot({ path: join(DIR, `${name}.png`), fullPage: true })
  await page.close()
  return { errors, requests, charts, figures, fileUrl }
}

/** The page loaded clean and drew every chart. */
function expectClean(s: Seen, minCharts: number) {
  expect(s.errors).toEqual([])
  expect(s.requests).toEqual([s.fileUrl])
  expect(s.charts.length).toBeGreaterThanOrEqual(minCharts)
  for (const c of s.charts) {
    expect(c.width, c.id).toBeGreaterThan(100)
    expect(c.height, c.id).toBeGreaterThan(50)
    expect(c.marks, c.id).toBeGreaterThan(5)
  }
}

/** A displayed figure read back as a number in the JSON's unit ("84.2%" -> 0.842, "12.5 min" -> 750, "$1,234" -> 1234). */
function readBack(text: string): number {
  const n = Number(text.replace(/[$,]/g, '').replace(/[^0-9.eE+-].*$/, ''))
  if (text.endsWith('%')) return n / 100
  if (text.endsWith(' ms')) return n / 1000
  if (text.endsWith(' min')) return n * 60
  if (text.endsWith(' h')) return n * 3600
  if (text.endsWith(' d')) return n * 86400
  return n
}

/** data-value is exactly the JSON's value; the text shows it to display precision. */
function expectFigure(s: Seen, metric: string, value: number, msText?: boolean) {
  const f = s.figures.find((x) => x.metric === metric)
  expect(f, `headline ${metric}`).toBeDefined()
  expect(Number(f!.value), metric).toBe(value)
  const shown = readBack(f!.text) * (msText ? 1000 : 1)
  expect(Math.abs(shown - value), `${metric}: page shows "${f!.text}", JSON has ${value}`).toBeLessThanOrEqual(Math.max(Math.abs(value) * 0.01, 0.0051))
}

describe('reports open in Chromium', () => {
  test('run: a site with outages, on-demand calls, data changes and 2 replications', async () => {
    const { result: r, text } = runJson(RICH, 2)
    const s = await open('run', text)
    expectClean(s, 7)
    expect(s.charts.map((c) => c.id)).toEqual(['outcomes-over-time', 'renders-over-time', 'age-cdf-home', 'age-cdf-post', 'cost-by-meter', 'cost-by-route', 'tag-fan-out'])
    expectFigure(s, 'totals.requests', r.totals.requests)
    expectFigure(s, 'totals.hitFraction', r.totals.hit / r.totals.requests)
    expectFigure(s, 'staleness.staleServedFraction', r.staleness.staleServedFraction)
    expectFigure(s, 'staleness.ageP95S', r.staleness.ageP95S)
    expectFigure(s, 'freshness.dataLagP95S', r.freshness.dataLagP95S)
    expectFigure(s, 'totals.renders', r.totals.renders)
    expectFigure(s, 'totals.originFetches', r.totals.originFetches)
    expectFigure(s, 'cost.vercelMonthlyUsd', r.cost.vercelMonthlyUsd)
    expectFigure(s, 'cost.selfHostedMonthlyUsd', r.cost.selfHostedMonthlyUsd)
    expectFigure(s, 'cost.monthlyUsd', r.cost.monthlyUsd)
    const html = readFileSync(join(DIR, 'run.html'), 'utf8')
    // Intervals from the replications are printed with the figures.
    expect(html).toContain('95% CI')
    expect(r.intervals?.totals.renders?.high).toBeGreaterThan(r.intervals!.totals.renders!.low)
  })

  test('run: a single page, whose served-age chart carries the closed form as a dashed line', async () => {
    const { result: r, text } = runJson(SINGLE)
    const s = await open('single', text)
    expectClean(s, 5)
    expectFigure(s, 'totals.requests', r.totals.requests)
    expectFigure(s, 'staleness.ageP95S', r.staleness.ageP95S)
    const html = readFileSync(join(DIR, 'single.html'), 'utf8')
    const chart = html.slice(html.indexOf('id="chart-age-cdf-page"'), html.indexOf('id="chart-cost-by-meter"'))
    expect(chart).toMatch(/stroke-dasharray="6,4"/)
  })

  test('sweep: frontier with the recommended and current points, and heatmaps over the two swept values', async () => {
    const text = sweepFile(join(DIR, 'sweep-src'))
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as unknown)
    const header = lines[0] as SweepHeader
    const points = lines.slice(1) as SweepPoint[]
    const s = await open('sweep', text)
    expectClean(s, 3)
    expect(s.charts.map((c) => c.id)).toEqual(['sweep-frontier', 'sweep-heatmap-cost-monthlyUsd', 'sweep-heatmap-routes-post-ageP95S'])
    const rec = [...points].filter((p) => p.result.routes.post!.ageP95S <= 600).sort((a, b) => a.result.cost.monthlyUsd - b.result.cost.monthlyUsd)[0]!
    const cur = points.find((p) => Object.entries(header.current).every(([k, v]) => p.vary[k] === v))!
    expectFigure(s, 'recommended.cost.monthlyUsd', rec.result.cost.monthlyUsd)
    expectFigure(s, 'current.cost.monthlyUsd', cur.result.cost.monthlyUsd)
    expectFigure(s, 'recommended.routes.post.ageP95S', rec.result.routes.post!.ageP95S)
    expect(s.figures.find((f) => f.metric === 'points')?.value).toBe(String(points.length))
  })

  test('verdict: a failing one, with FAIL marked', async () => {
    const v: VerdictJson = verdicts().fail
    const s = await open('verdict', `${JSON.stringify(v, null, 2)}\n`)
    expectClean(s, 1)
    expect(s.figures.find((f) => f.metric === 'pass')?.text).toBe('FAIL')
    expect(Number(s.figures.find((f) => f.metric === 'failed')?.value)).toBe(v.checks.filter((c) => c.verdict === 'FAIL').length)
    expect(Number(s.figures.find((f) => f.metric === 'passed')?.value)).toBe(v.checks.filter((c) => c.verdict === 'PASS').length)
    const html = readFileSync(join(DIR, 'verdict.html'), 'utf8')
    expect(html).toContain('<td>FAIL</td>')
  })
})
