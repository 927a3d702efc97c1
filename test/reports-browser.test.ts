/**
 * Reports in a real browser: Debian's Chromium (/usr/bin/chromium, installed by
 * reports/tools/install-chromium.sh; never a downloaded browser) driven by playwright-core.
 * Every report kind (run, single-page run, check, sweep, live verdict, replay verdict) is made
 * by the real commands and opened at 1280 and 390 px wide. At both widths: the page loads from
 * its file with no console errors and no request but its own; every chart's SVG is drawn; the
 * verdict line is present and is the first thing under the title; no text leaves its card
 * (every text node's and SVG's box is inside its card's, or inside a scroll box that is); the
 * page never scrolls sideways; no negative saving is shown. The headline figures are the JSON's.
 * Full-page screenshots go to test/artifacts/reports/browser/ (docs/screenshots/ are made by
 * `npm run screenshots`). Reproduce: npx vitest run test/reports-browser.test.ts
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { SimResult, SweepHeader, SweepPoint, VerdictJson } from '../sim/contract.ts'
import { ARTIFACTS, launchChromium, reportPages, WIDTHS, type PageKind, type ReportPage } from './report-fixtures.ts'

const DIR = join(ARTIFACTS, 'browser')
let browser: Browser
let pages: Record<PageKind, ReportPage>

beforeAll(async () => {
  pages = reportPages(DIR)
  browser = await launchChromium()
}, 300_000)

afterAll(async () => {
  await browser?.close()
})

interface Layout {
  /** Text or pictures outside their card, and sideways scrolling, each a sentence. */
  readonly overflow: string[]
  /** The verdict line's text, and whether it is the element right after the title and above every section. */
  readonly verdict: { readonly text: string; readonly first: boolean; readonly onFirstScreen: boolean } | null
  readonly text: string
}

interface Seen {
  readonly errors: string[]
  readonly requests: string[]
  readonly charts: { id: string; width: number; height: number; marks: number }[]
  readonly figures: { metric: string; value: string; text: string }[]
  readonly fileUrl: string
  readonly layout: Layout
}

/**
 * Runs in the page. A card is a section, a headline figure, the verdict line or the header.
 * Every text node's line boxes and every SVG must lie inside the card; inside a scroll box
 * (a wide table), inside that box, which must itself lie inside the card.
 */
const LAYOUT = `(() => {
  const overflow = []
  const vw = document.documentElement.clientWidth
  if (document.documentElement.scrollWidth > vw + 1) overflow.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + 'px of content in a ' + vw + 'px window')
  const inside = (r, c) => r.left >= c.left - 1 && r.right <= c.right + 1 && r.top >= c.top - 1 && r.bottom <= c.bottom + 1
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + (el.dataset && el.dataset.metric ? '[' + el.dataset.metric + ']' : '')
  const scrollBox = (el, card) => { for (let p = el; p && p !== card; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return p } return null }
  const fmt = (r) => '[' + Math.round(r.left) + ',' + Math.round(r.top) + ' ' + Math.round(r.right) + ',' + Math.round(r.bottom) + ']'
  // The body of a closed <details> keeps its layout boxes in Chromium but is not shown.
  const hidden = (el) => { const d = el.closest('details'); return d !== null && !d.open && el.closest('summary') === null }
  for (const card of document.querySelectorAll('main > header, section, .fig, .verdict')) {
    const c = card.getBoundingClientRect()
    if (c.left < -1 || c.right > vw + 1) overflow.push(name(card) + ' ' + fmt(c) + ' is wider than the ' + vw + 'px window')
    const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim() || !n.parentElement || hidden(n.parentElement)) continue
      const box = scrollBox(n.parentElement, card)
      const range = document.createRange()
      range.selectNodeContents(n)
      for (const r of range.getClientRects()) {
        if (r.width === 0 && r.height === 0) continue
        const within = box ? r.top >= box.getBoundingClientRect().top - 1 && r.bottom <= box.getBoundingClientRect().bottom + 1 : inside(r, c)
        if (!within) { overflow.push('text "' + n.textContent.trim().slice(0, 60) + '" ' + fmt(r) + ' leaves ' + name(box ?? card) + ' ' + fmt((box ?? card).getBoundingClientRect())); break }
      }
    }
    for (const el of card.querySelectorAll('svg, .scroll, table')) {
      const box = el.tagName === 'TABLE' ? null : scrollBox(el.parentElement, card)
      if (el.tagName === 'TABLE' || hidden(el)) continue
      const r = el.getBoundingClientRect()
      if (r.width === 0) continue
      if (!box && !inside(r, c)) overflow.push(name(el) + ' ' + fmt(r) + ' leaves ' + name(card) + ' ' + fmt(c))
    }
  }
  const v = document.getElementById('verdict')
  const h1 = document.querySelector('main > header > h1')
  const verdict = v ? {
    text: v.textContent,
    first: h1 !== null && h1.nextElementSibling === v && [...document.querySelectorAll('section')].every((s) => s.getBoundingClientRect().top > v.getBoundingClientRect().bottom),
    onFirstScreen: v.getBoundingClientRect().bottom <= window.innerHeight,
  } : null
  return { overflow, verdict, text: document.body.innerText }
})()`

/** Open a report at one width, screenshot it, and say what was seen. */
async function openAt(name: string, html: string, width: number): Promise<Seen> {
  const page = await browser.newPage({ viewport: { width, height: 900 } })
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
  const layout = (await page.evaluate(LAYOUT)) as Layout
  await page.screenshot({ path: join(DIR, `${name}-${width}.png`), fullPage: true })
  await page.close()
  return { errors, requests, charts, figures, fileUrl, layout }
}

/** A negative amount of money ("$-48.38", "-$48.38"), or a "saving" of a negative number. */
const NEGATIVE_SAVING = /\$[-−]\s?\d|[-−]\$\d|saving[^\n]*?(?:^|[\s(:])[-−]\$?\d/i

/**
 * The page at both widths: loaded clean, every chart drawn (at least `minCharts`), the verdict
 * line first, nothing out of its card, no negative saving. Returns what was seen at 1280 px.
 */
async function open(kind: PageKind, minCharts: number): Promise<Seen> {
  const seen: Seen[] = []
  for (const width of WIDTHS) {
    const s = await openAt(kind, pages[kind].html, width)
    const where = `${kind} report at ${width} px (${pages[kind].html}; screenshot ${join(DIR, `${kind}-${width}.png`)}; reproduce: npx vitest run test/reports-browser.test.ts)`
    expect(s.errors, where).toEqual([])
    expect(s.requests, where).toEqual([s.fileUrl])
    expect(s.charts.length, where).toBeGreaterThanOrEqual(minCharts)
    for (const c of s.charts) {
      expect(c.width, `${c.id}: ${where}`).toBeGreaterThan(width < 600 ? 250 : 100)
      expect(c.height, `${c.id}: ${where}`).toBeGreaterThan(50)
      expect(c.marks, `${c.id}: ${where}`).toBeGreaterThan(5)
    }
    expect(s.layout.overflow, where).toEqual([])
    expect(s.layout.verdict, `no verdict line: ${where}`).not.toBeNull()
    expect(s.layout.verdict!.text.trim().length, where).toBeGreaterThan(20)
    expect(s.layout.verdict!.first, `the verdict line is not first under the title: ${where}`).toBe(true)
    expect(s.layout.verdict!.onFirstScreen, where).toBe(true)
    expect(s.layout.text, where).not.toMatch(NEGATIVE_SAVING)
    seen.push(s)
  }
  return seen[0]!
}

/** A displayed figure read back as a number in the JSON's unit ("84.2%" -> 0.842, "12.5 min" -> 750, "$1,234" -> 1234). */
function readBack(text: string): number {
  const n = Number(text.replace(/[$,+]/g, '').replace(/[^0-9.eE+-].*$/, ''))
  if (text.endsWith('%')) return n / 100
  if (text.endsWith(' ms')) return n / 1000
  if (text.endsWith(' min')) return n * 60
  if (text.endsWith(' h')) return n * 3600
  if (text.endsWith(' d')) return n * 86400
  return n
}

/** data-value is exactly the JSON's value; the text shows it to display precision. */
function expectFigure(s: Seen, metric: string, value: number) {
  const f = s.figures.find((x) => x.metric === metric)
  expect(f, `headline ${metric}`).toBeDefined()
  expect(Number(f!.value), metric).toBe(value)
  const shown = readBack(f!.text)
  expect(Math.abs(shown - value), `${metric}: page shows "${f!.text}", JSON has ${value}`).toBeLessThanOrEqual(Math.max(Math.abs(value) * 0.01, 0.0051))
}

const json = <T>(p: ReportPage) => JSON.parse(readFileSync(p.input!, 'utf8')) as T

describe('the checks themselves', () => {
  test('the layout check sees text and pictures leaving their card, and the saving check sees the issue\'s "$-48.38"', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 900 } })
    await page.setContent(`<main><header><h1>t</h1><p class="verdict" id="verdict">a verdict line of some length</p></header>
<section style="width:300px"><p style="white-space:nowrap">routes.catalogue.products.revalidateS=86400-and-more-text-that-does-not-fit</p></section>
<section style="width:300px"><div class="fig" style="width:120px"><span>short</span><svg width="200" height="20"></svg></div></section></main>`)
    const layout = (await page.evaluate(LAYOUT)) as Layout
    await page.close()
    expect(layout.overflow.some((l) => l.includes('routes.catalogue.products'))).toBe(true)
    expect(layout.overflow.some((l) => l.startsWith('svg') && l.includes('leaves div.fig'))).toBe(true)
    expect(layout.verdict?.first).toBe(true)
    for (const t of ['Saving a month $-48.38', 'Saving a month -$48.38', 'saving: -48.38']) expect(t).toMatch(NEGATIVE_SAVING)
    for (const t of ['Saving a month\n$48.38', 'included\t-\t$0.40', 'prices dated 2026-02-23', 'Extra cost +$159.26']) expect(t).not.toMatch(NEGATIVE_SAVING)
  })
})

describe('every report kind in Chromium at 1280 and 390 px', () => {
  test('run: a site with outages, on-demand calls, data changes and 2 replications; one headline cost, the other platform in the detail', async () => {
    const r = json<SimResult>(pages.run)
    const s = await open('run', 7)
    expect(s.charts.map((c) => c.id)).toEqual(['outcomes-over-time', 'renders-over-time', 'age-cdf-home', 'age-cdf-post', 'cost-by-meter', 'cost-by-route', 'tag-fan-out'])
    expectFigure(s, 'totals.requests', r.totals.requests)
    expectFigure(s, 'totals.hitFraction', r.totals.hit / r.totals.requests)
    expectFigure(s, 'staleness.staleServedFraction', r.staleness.staleServedFraction)
    expectFigure(s, 'staleness.ageP95S', r.staleness.ageP95S)
    expectFigure(s, 'freshness.dataLagP95S', r.freshness.dataLagP95S)
    expectFigure(s, 'totals.renders', r.totals.renders)
    expectFigure(s, 'totals.originFetches', r.totals.originFetches)
    expectFigure(s, 'cost.monthlyUsd', r.cost.monthlyUsd)
    expectFigure(s, 'cost.vercelMonthlyUsd', r.cost.vercelMonthlyUsd)
    expectFigure(s, 'cost.selfHostedMonthlyUsd', r.cost.selfHostedMonthlyUsd)
    // The one-off fill of the cold cache (150 of post's 200 paths are not prebuilt) is billed once, apart from the month.
    expect(r.cost.oneOffUsd).toBeGreaterThan(0)
    expectFigure(s, 'cost.oneOffUsd', r.cost.oneOffUsd)
    const html = readFileSync(pages.run.html, 'utf8')
    // One cost in the headline (the scenario's platform, Vercel here); both platforms only in the detail.
    const headline = html.slice(html.indexOf('id="headline"'), html.indexOf('</section>', html.indexOf('id="headline"')))
    expect(r.cost.primary).toBe('vercel')
    expect(headline.match(/data-metric="cost\./g)).toEqual(['data-metric="cost.'])
    expect(headline).toContain('Cost a month, Vercel')
    expect(html).toMatch(/id="cost-detail".*Self-hosted, a month \(alternative\)/s)
    // Intervals from the replications are printed with the figures.
    expect(html).toContain('95% CI')
    expect(r.intervals?.totals.renders?.high).toBeGreaterThan(r.intervals!.totals.renders!.low)
  })

  test('run: a single page, whose served-age chart carries the closed form as a dashed line and its revalidate as a dotted one', async () => {
    const r = json<SimResult>(pages.single)
    const s = await open('single', 5)
    expectFigure(s, 'totals.requests', r.totals.requests)
    expectFigure(s, 'staleness.ageP95S', r.staleness.ageP95S)
    const html = readFileSync(pages.single.html, 'utf8')
    const chart = html.slice(html.indexOf('id="chart-age-cdf-page"'), html.indexOf('id="chart-cost-by-meter"'))
    expect(chart).toMatch(/stroke-dasharray="6,4"/)
    expect(chart).toMatch(/stroke-dasharray="2,2"/)
    expect(chart).toContain('revalidate 30.0 s')
  })

  test('run: long route ids, patterns, tags, fetch ids and on-demand paths stay inside their cards at both widths', async () => {
    const r = json<SimResult>(pages.long)
    const s = await open('long', 5)
    expectFigure(s, 'totals.requests', r.totals.requests)
    expect(s.charts.map((c) => c.id)).toContain('tag-fan-out')
    expect(s.layout.text).toContain('/catalogue/[departmentSlugWithAVeryLongName]/[categorySlugWithAnotherLongName]/products/[productSlugThatGoesOnAndOn]')
  })

  test('check: a failing gate, whose verdict line names the first failing check', async () => {
    const s = await open('check', 7)
    expect(s.layout.verdict!.text).toMatch(/^FAIL: staleness\.ageP95S is [\d.]+ (s|min), which breaks staleness\.ageP95S < 5\.00 s/)
  })

  test('sweep: the current values break the constraint, so the page shows the extra cost of meeting it, never a negative saving', async () => {
    const lines = readFileSync(pages.sweep.input!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown)
    const header = lines[0] as SweepHeader
    const points = lines.slice(1) as SweepPoint[]
    const s = await open('sweep', 3)
    expect(s.charts.map((c) => c.id)).toEqual(['sweep-frontier', 'sweep-heatmap-cost-monthlyUsd', 'sweep-heatmap-routes-post-ageP95S'])
    const rec = [...points].filter((p) => p.result.routes.post!.ageP95S <= 200).sort((a, b) => a.result.cost.monthlyUsd - b.result.cost.monthlyUsd)[0]!
    const cur = points.find((p) => Object.entries(header.current).every(([k, v]) => p.vary[k] === v))!
    // The fixture is what it claims: the current values break the bound and the recommendation costs more.
    expect(cur.result.routes.post!.ageP95S).toBeGreaterThan(200)
    expect(rec.result.cost.monthlyUsd).toBeGreaterThan(cur.result.cost.monthlyUsd)
    expectFigure(s, 'recommended.cost.monthlyUsd', rec.result.cost.monthlyUsd)
    expectFigure(s, 'current.cost.monthlyUsd', cur.result.cost.monthlyUsd)
    expectFigure(s, 'recommended.routes.post.ageP95S', rec.result.routes.post!.ageP95S)
    expectFigure(s, 'extra.cost.monthlyUsd', rec.result.cost.monthlyUsd - cur.result.cost.monthlyUsd)
    expect(s.figures.some((f) => f.metric.startsWith('saving'))).toBe(false)
    expect(s.figures.find((f) => f.metric === 'points')?.value).toBe(String(points.length))
    const extra = `$${(rec.result.cost.monthlyUsd - cur.result.cost.monthlyUsd).toFixed(2)}/month more`
    expect(s.layout.verdict!.text).toContain(`The current values break routes.post.ageP95S ≤ 3.3 min: meeting it costs ${extra}`)
    expect(s.layout.text).toContain(`current values break routes.post.ageP95S ≤ 3.3 min; meeting it costs ${extra}`)
  })

  test('recommend: the shop per traffic level, with recommend\'s own verdict lines, one per level, and why the local caches cannot meet the bound', async () => {
    const rec = json<{ answers: { given: Record<string, number>; verdict: string }[] }>(pages.recommend)
    const s = await open('recommend', 3)
    const lines = s.layout.verdict!.text
    expect(rec.answers.map((x) => x.given)).toEqual([{ 'traffic.scale': 1 }, { 'traffic.scale': 2 }])
    for (const x of rec.answers) {
      const own = x.verdict.replace(/^\[[^\]]*\]\s*verdict:\s*/, '')
      expect(lines).toContain(`At traffic.scale=${x.given['traffic.scale']}: ${/^no point/.test(own) ? 'N' : 'Recommended '}${/^no point/.test(own) ? own.slice(1) : own}`)
    }
    expect(lines.indexOf('At traffic.scale=1')).toBe(0)
    expect(s.layout.text).toMatch(/Why\n[\s\S]*with deployment\.cache=local: .*long tail/)
  })

  test('verdict: a failing live verdict (verify, loadtest), with FAIL and the worst check in the verdict line', async () => {
    const v = json<VerdictJson>(pages.verdict)
    const s = await open('verdict', 1)
    expect(s.figures.find((f) => f.metric === 'pass')?.text).toBe('FAIL')
    expect(Number(s.figures.find((f) => f.metric === 'failed')?.value)).toBe(v.checks.filter((c) => c.verdict === 'FAIL').length)
    expect(Number(s.figures.find((f) => f.metric === 'passed')?.value)).toBe(v.checks.filter((c) => c.verdict === 'PASS').length)
    // The fixture tripled post's STALE count: that check is the one furthest outside its range.
    expect(s.layout.verdict!.text).toMatch(/^FAIL: post STALE fraction observed [\d.]+%, outside /)
    expect(readFileSync(pages.verdict.html, 'utf8')).toContain('<td>FAIL</td>')
  })

  test('replay: a verdict from an access log', async () => {
    const v = json<VerdictJson>(pages.replay)
    expect(v.kind).toBe('replay')
    const s = await open('replay', 1)
    expect(s.layout.verdict!.text).toMatch(v.pass ? /^PASS: the access log's cache statuses matched the prediction in all \d+ checks/ : /^FAIL: /)
  })
})
