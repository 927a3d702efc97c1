/**
 * The gate names causes (issue 16, item 3): `isrsim check` fails on structural regressions
 * with thresholds only (no baseline) and with a baseline, and every failing line names the
 * route and the cause, in the terminal, the JUnit XML and the Markdown summary. New warnings
 * since the baseline are listed; numbers carry units; `intent: "dynamic"` silences a route
 * that is dynamic on purpose.
 *
 * Reproduce a CLI case: write the scenario printed in the failure to a file, then
 *   node bin/isrsim.js check <file> --replications 2 [--baseline <result.json>]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { gate, gateJunit, gateMarkdown, gateText, newWarnings } from '../sim/planning/gate.ts'
import { cacheAsk, intentChecks } from '../sim/planning/structure.ts'
import { unitOf, withUnit } from '../sim/planning/units.ts'
import type { RouteInput } from './helpers.ts'
import { cli, type Run } from './cli-run.ts'

const TMP = mkdtempSync(join(tmpdir(), 'isrsim-gate-causes-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

const file = (name: string, v: unknown) => {
  const f = join(TMP, name)
  writeFileSync(f, JSON.stringify(v, null, 2))
  return f
}

const post = (over: Partial<RouteInput> = {}): RouteInput => ({
  id: 'post', pattern: '/blog/[slug]', revalidateS: 300, renderS: 0.1, params: { count: 50, prebuilt: 10 }, traffic: { rps: 5 }, ...over,
})
const home = (over: Partial<RouteInput> = {}): RouteInput => ({ id: 'home', pattern: '/', revalidateS: 60, renderS: 0.1, traffic: { rps: 2 }, ...over })
const shop = (routes: RouteInput[]): ScenarioInput => ({
  name: 'shop', durationS: 1200, routes,
  // Loose budgets: the dynamic root layout keeps them (ageP95S falls to the render time), as in the issue.
  thresholds: { 'staleness.ageP95S': ['<600'], 'cost.monthlyUsd': ['<1000'] },
})
const MAIN = shop([post(), home()])
const ROOT_DYNAMIC = shop([post({ layouts: [{ dynamic: true }] }), home({ layouts: [{ dynamic: true }] })])
const FETCH_LOWERS = shop([post({ fetches: [{ id: 'posts', revalidateS: 30 }] }), home()])
const LAYOUT_LOWERS = shop([post({ layouts: [{}, { revalidateS: 20 }] }), home()])
const run = (s: ScenarioInput) => runScenario(parseScenario(s), { seed: '1' })
const how = (s: ScenarioInput, extra = '') => `reproduce: write ${JSON.stringify(s)} to x.json; node bin/isrsim.js check x.json --replications 2${extra}`

describe('isrsim check with thresholds only (no baseline)', () => {
  const runs: Record<string, Run> = {}
  const cases = { main: MAIN, rootDynamic: ROOT_DYNAMIC, fetchLowers: FETCH_LOWERS, layoutLowers: LAYOUT_LOWERS }
  beforeAll(async () => {
    await Promise.all(Object.entries(cases).map(async ([k, s]) => {
      runs[k] = await cli('check', file(`${k}.json`, s), '--replications', '2', '--junit', join(TMP, `${k}.xml`), '--markdown', join(TMP, `${k}.md`))
    }))
  }, 60_000)

  it('the unchanged scenario exits 0, one PASS structure line per route', () => {
    const r = runs.main!
    expect(r.code, `${r.stdout}${r.stderr}\n${how(MAIN)}`).toBe(0)
    expect(r.stdout).toMatch(/^PASS {2}routes\.post caching structure: \/blog\/\[slug\]: cached, revalidate 300 s \(page\), 10 prebuilt$/m)
    expect(r.stdout).not.toMatch(/^FAIL/m)
  })

  it('a root layout that becomes dynamic exits 1, naming each route, "dynamic" and the root layout', () => {
    const r = runs.rootDynamic!
    expect(r.code, `${r.stdout}${r.stderr}\n${how(ROOT_DYNAMIC)}`).toBe(1)
    // The thresholds alone pass: the structure is what fails.
    expect(r.stdout).toMatch(/^PASS {2}staleness\.ageP95S <600: /m)
    expect(r.stdout).toContain('FAIL  routes.post caching structure: /blog/[slug] is dynamic although its page sets revalidate 300 s: the root layout (layouts[0]) calls request APIs (mark the route intent: "dynamic" if it is dynamic on purpose)')
    expect(r.stdout).toContain('FAIL  routes.home caching structure: / is dynamic although its page sets revalidate 60 s: the root layout (layouts[0]) calls request APIs')
    expect(r.stdout).toMatch(/^FAIL: 2 of 4 checks passed/m)
  })

  it('a fetch or a layout segment that lowers the revalidate exits 1, naming it', () => {
    expect(runs.fetchLowers!.code, how(FETCH_LOWERS)).toBe(1)
    expect(runs.fetchLowers!.stdout).toContain('FAIL  routes.post caching structure: /blog/[slug] revalidates every 30 s, not the 300 s its page declares: fetch "posts" sets 30 s')
    expect(runs.layoutLowers!.code, how(LAYOUT_LOWERS)).toBe(1)
    expect(runs.layoutLowers!.stdout).toContain('FAIL  routes.post caching structure: /blog/[slug] revalidates every 20 s, not the 300 s its page declares: layouts[1] sets 20 s')
  })

  it('a scenario without thresholds is checked for its structure alone: the dynamic root layout exits 1, unchanged exits 0', async () => {
    const { thresholds: _t, ...bare } = ROOT_DYNAMIC
    const { thresholds: _m, ...bareMain } = MAIN
    const [r, ok] = await Promise.all([cli('check', file('bare.json', bare), '--replications', '1'), cli('check', file('bare-main.json', bareMain), '--replications', '1')])
    expect(r.code, `${r.stdout}${r.stderr}\n${how(bare)}`).toBe(1)
    expect(r.stdout).toContain('FAIL  routes.post caching structure: /blog/[slug] is dynamic although its page sets revalidate 300 s: the root layout (layouts[0]) calls request APIs')
    expect(r.stdout).toMatch(/^FAIL: 0 of 2 checks passed/m)
    expect(ok.code, `${ok.stdout}${ok.stderr}\n${how(bareMain)}`).toBe(0)
    expect(ok.stdout).toMatch(/^PASS: 2 of 2 checks passed/m)
  }, 60_000)

  it('JUnit and Markdown carry the route and the cause', () => {
    const text = readFileSync(join(TMP, 'rootDynamic.xml'), 'utf8')
    expect(XMLValidator.validate(text)).toBe(true)
    const doc = new XMLParser({ ignoreAttributes: false }).parse(text) as { testsuites: { '@_failures': string; testsuite: { testcase: { '@_classname': string; '@_name': string; failure?: { '@_message': string; '@_type': string } }[] } } }
    expect(doc.testsuites['@_failures']).toBe('2')
    const tc = doc.testsuites.testsuite.testcase.find((c) => c['@_name'] === 'routes.post caching structure')
    expect(tc?.['@_classname']).toBe('isrsim.structure')
    expect(tc?.failure?.['@_message']).toBe('/blog/[slug] is dynamic although its page sets revalidate 300 s: the root layout (layouts[0]) calls request APIs (mark the route intent: "dynamic" if it is dynamic on purpose)')
    const md = readFileSync(join(TMP, 'fetchLowers.md'), 'utf8')
    expect(md).toContain('### isrsim check: ❌ FAIL (3/4)')
    expect(md).toContain('| **FAIL** | `routes.post caching structure` | /blog/[slug] revalidates every 30 s, not the 300 s its page declares: fetch "posts" sets 30 s')
  })
})

describe('isrsim check against a baseline', () => {
  let base = ''
  const runs: Record<string, Run> = {}
  beforeAll(async () => {
    base = join(TMP, 'main-result.json')
    const made = await cli('run', file('main-b.json', MAIN), '--replications', '2', '--out', base, '--json')
    expect(made.code, made.stderr).toBe(0)
    const cases = { same: MAIN, rootDynamic: ROOT_DYNAMIC, fetchLowers: FETCH_LOWERS }
    await Promise.all(Object.entries(cases).map(async ([k, s]) => {
      runs[k] = await cli('check', file(`b-${k}.json`, s), '--replications', '2', '--baseline', base, '--junit', join(TMP, `b-${k}.xml`), '--markdown', join(TMP, `b-${k}.md`))
    }))
  }, 60_000)

  it('unchanged exits 0 and lists no new warning', () => {
    expect(runs.same!.code, `${runs.same!.stdout}\n${how(MAIN, ' --baseline <main result>')}`).toBe(0)
    expect(runs.same!.stdout).not.toContain('NEW')
  })

  it('a baseline from another model version is noted in every output (not failed); the same version is not', () => {
    expect(runs.same!.stdout).not.toContain('model version')
    const result = runScenario(parseScenario(MAIN), { replications: 1 })
    const older = { ...result, modelVersion: '1' }
    const r = gate(result, {}, older, 0.05)
    expect(r.modelNote).toContain(`model version 1, this run by ${result.modelVersion}`)
    expect(gateText(r)).toContain('NOTE  the baseline was made by model version 1')
    expect(gateMarkdown(r)).toContain('> Note: the baseline was made by model version 1')
    expect(gateJunit(r)).toContain('note: the baseline was made by model version 1')
    expect(gate(result, {}, result, 0.05).modelNote).toBeUndefined()
  })

  it('a baseline run in another mode is noted in every output (not failed); one without a mode counts as exact', () => {
    const result = runScenario(parseScenario(MAIN), { replications: 1 })
    expect(result.mode).toBe('exact')
    const r = gate(result, {}, { ...result, mode: 'fast' }, 0.05)
    expect(r.modeNote).toBe('the baseline ran with --mode fast, this run with --mode exact: the two draw the requests differently, so they differ by noise even where nothing changed (run check with --mode fast, or re-make the baseline)')
    expect(gateText(r)).toContain('NOTE  the baseline ran with --mode fast')
    expect(gateMarkdown(r)).toContain('> Note: the baseline ran with --mode fast')
    expect(gateJunit(r)).toContain('note: the baseline ran with --mode fast')
    const { mode: _m, ...older } = result
    expect(gate(result, {}, older as typeof result, 0.05).modeNote).toBeUndefined()
    expect(gate({ ...result, mode: 'auto' }, {}, older as typeof result, 0.05).modeNote).toContain('the baseline ran with --mode exact, this run with --mode auto')
  })

  it('check runs in its baseline\'s mode by default: an unchanged scenario gives the baseline\'s very numbers', async () => {
    const scenario = file('mode-main.json', MAIN)
    for (const mode of ['exact', 'fast'] as const) {
      const base = join(TMP, `mode-base-${mode}.json`)
      const made = await cli('run', scenario, '--mode', mode, '--replications', '2', '--out', base)
      expect(made.code, made.stderr).toBe(0)
      const out = join(TMP, `mode-check-${mode}.json`)
      const r = await cli('check', scenario, '--replications', '2', '--baseline', base, '--out', out)
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0)
      expect(r.stdout).not.toContain('NOTE  the baseline ran with')
      const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as { mode: string; totals: unknown; staleness: unknown }
      const b = read(base), c = read(out)
      expect(c.mode).toBe(mode)
      expect(c.totals).toEqual(b.totals)
      expect(c.staleness).toEqual(b.staleness)
    }
    // Told another mode, it says so.
    const r = await cli('check', scenario, '--replications', '2', '--baseline', join(TMP, 'mode-base-exact.json'), '--mode', 'fast')
    expect(r.stdout).toContain('NOTE  the baseline ran with --mode exact, this run with --mode fast')
  }, 60_000)

  it('a dynamic root layout exits 1: the route, "became dynamic", the layout; the numbers it breaks name the route and the cause, with units', () => {
    const r = runs.rootDynamic!
    expect(r.code, `${r.stdout}\n${how(ROOT_DYNAMIC, ' --baseline <main result>')}`).toBe(1)
    expect(r.stdout).toContain('FAIL  routes.post caching structure: /blog/[slug] became dynamic: the root layout (layouts[0]) calls request APIs')
    const renders = r.stdout.split('\n').find((l) => l.startsWith('FAIL  totals.renders vs baseline:'))
    expect(renders, r.stdout).toBeDefined()
    expect(renders).toContain('; most from routes.post: /blog/[slug] became dynamic: the root layout (layouts[0]) calls request APIs')
    const cost = r.stdout.split('\n').find((l) => l.startsWith('FAIL  cost.monthlyUsd vs baseline:'))
    expect(cost, r.stdout).toMatch(/^FAIL {2}cost\.monthlyUsd vs baseline: \$\d+\.\d\d\/month \[\$[\d.]+\/month, \$[\d.]+\/month\] vs \$\d+\.\d\d\/month/)
    expect(r.stdout).toMatch(/^PASS {2}staleness\.ageP95S vs baseline: [\d.]+ s \[/m)
    // Warnings new since the baseline are listed (they do not fail by themselves).
    expect(r.stdout).toContain('NEW   warning since the baseline [dynamic-layout] post: layouts[0] calls cookies()/headers()')
    const md = readFileSync(join(TMP, 'b-rootDynamic.md'), 'utf8')
    expect(md).toContain('**New warnings since the baseline**')
    expect(md).toContain('- [dynamic-layout] home:')
    expect(md).toContain('| **FAIL** | `routes.post caching structure` | /blog/[slug] became dynamic: the root layout (layouts[0]) calls request APIs |')
    const xml = readFileSync(join(TMP, 'b-rootDynamic.xml'), 'utf8')
    expect(XMLValidator.validate(xml)).toBe(true)
    expect(xml).toContain('<system-out>new warning since the baseline [dynamic-layout] post:')
    expect(xml).toContain('most from routes.post: /blog/[slug] became dynamic')
  })

  it('a lowered revalidate names the fetch', () => {
    const r = runs.fetchLowers!
    expect(r.code, how(FETCH_LOWERS, ' --baseline <main result>')).toBe(1)
    expect(r.stdout).toContain('FAIL  routes.post caching structure: /blog/[slug] revalidate dropped from 300 s to 30 s: fetch "posts"')
    expect(r.stdout).toContain('NEW   warning since the baseline [revalidate-lowered] post: fetch "posts" sets revalidate 30s')
  })
})

describe('the rule without a baseline (structure.ts intentChecks)', () => {
  const checks = (routes: RouteInput[]) => {
    const s = parseScenario(shop(routes))
    return intentChecks(runScenario(s, { seed: '1' }), s)
  }

  it('what asks to be cached: a page or layout revalidate >= 1 s, generateStaticParams; fetch revalidates and defaults do not', () => {
    const r = (over: Partial<RouteInput>) => parseScenario(shop([post(over)])).routes[0]!
    expect(cacheAsk(r({}))).toBe('its page sets revalidate 300 s')
    expect(cacheAsk(r({ revalidateS: false, layouts: [{ revalidateS: 120 }] }))).toBe('the root layout (layouts[0]) sets revalidate 120 s')
    expect(cacheAsk(r({ revalidateS: false }))).toBe('it prebuilds 10 paths (generateStaticParams)')
    expect(cacheAsk(r({ revalidateS: false, params: { count: 50 }, source: { page: 'app/blog/[slug]/page.tsx', generateStaticParams: 'app/blog/[slug]/page.tsx:3' } }))).toBe('app/blog/[slug]/page.tsx exports generateStaticParams (app/blog/[slug]/page.tsx:3)')
    // Per-user pages: a data-cached fetch under a cookie-reading layout is not a page cache ask.
    expect(cacheAsk(r({ pattern: '/account', revalidateS: false, params: { count: 1 }, fetches: [{ id: 'orders', revalidateS: 30 }] }))).toBeNull()
  })

  it('dynamic by its own page, or by a layout over a page that asks for nothing, passes; intent "dynamic" passes', () => {
    const c = checks([
      post({ id: 'search', pattern: '/search', params: { count: 1 }, dynamic: true }),
      home({ id: 'account', pattern: '/account', revalidateS: false, layouts: [{}, { dynamic: true }], fetches: [{ id: 'orders', revalidateS: 30 }] }),
      post({ layouts: [{ dynamic: true }], intent: 'dynamic' }),
    ])
    expect(c.map((x) => [x.route, x.change, x.pass])).toEqual([['search', 'none', true], ['account', 'none', true], ['post', 'none', true]])
    expect(c[2]!.why).toBe('/blog/[slug] is dynamic on purpose (intent: "dynamic"): the root layout (layouts[0]) calls request APIs')
  })

  it('a no-store fetch under a page that sets revalidate fails naming the fetch; an imported route names the file and line', () => {
    const [nostore] = checks([post({ fetches: [{ id: 'banner', revalidateS: 0 }] })])
    expect(nostore).toMatchObject({ change: 'dynamic-unintended', pass: false })
    expect(nostore!.why).toBe('/blog/[slug] is dynamic although its page sets revalidate 300 s: fetch "banner" is no-store (revalidate 0) (mark the route intent: "dynamic" if it is dynamic on purpose)')
    const src = { page: 'app/(shop)/products/[id]/page.tsx', layouts: ['app/layout.tsx', 'app/(shop)/layout.tsx'], generateStaticParams: 'app/(shop)/products/[id]/page.tsx:7', dynamic: ['app/(shop)/layout.tsx:6 calls cookies()'] }
    const [imported] = checks([post({ id: 'products-id', pattern: '/products/[id]', revalidateS: false, params: { count: 50, prebuilt: 2 }, layouts: [{}, { dynamic: true }], source: src })])
    expect(imported!.why).toBe('/products/[id] is dynamic although app/(shop)/products/[id]/page.tsx exports generateStaticParams (app/(shop)/products/[id]/page.tsx:7): app/(shop)/layout.tsx:6 calls cookies() (mark the route intent: "dynamic" if it is dynamic on purpose)')
  })

  it('intent "dynamic" also passes a route that became dynamic against a baseline, and silences its warnings', () => {
    const base = run(MAIN)
    const marked = shop([post({ layouts: [{ dynamic: true }], intent: 'dynamic' }), home()])
    const s = parseScenario(marked)
    const r = runScenario(s, { seed: '1' })
    const g = gate(r, {}, base, 10, s)
    expect(g.checks.find((c) => c.kind === 'structure' && c.route === 'post')).toMatchObject({ change: 'none', pass: true })
    expect(r.warnings.filter((w) => w.route === 'post')).toEqual([])
    // Without the mark the same change warns and fails.
    const unmarked = run(ROOT_DYNAMIC)
    expect(unmarked.warnings.filter((w) => w.route === 'post').map((w) => w.code)).toEqual(['dynamic-layout'])
    expect(gate(unmarked, {}, base, 10, parseScenario(ROOT_DYNAMIC)).pass).toBe(false)
    // Nor does it change the model: same hash as without it.
    expect(r.scenario.hash).toBe(runScenario(parseScenario(shop([post({ layouts: [{ dynamic: true }] }), home()])), { seed: '1' }).scenario.hash)
  })

  it('a route the baseline does not have is held against its own ask', () => {
    const base = run(MAIN)
    const withNew = shop([post(), home(), post({ id: 'news', pattern: '/news/[slug]', layouts: [{ dynamic: true }] })])
    const g = gate(run(withNew), {}, base, 10, parseScenario(withNew))
    const news = g.checks.filter((c) => c.kind === 'structure' && c.route === 'news')
    expect(news.map((c) => c.kind === 'structure' && c.change)).toEqual(['dynamic-unintended'])
    expect(g.newWarnings?.map((w) => `${w.code} ${w.route}`)).toEqual(['dynamic-layout news'])
    expect(newWarnings(run(MAIN), base)).toEqual([])
  })
})

describe('numbers carry units', () => {
  it('from the unit in the metric name', () => {
    expect(unitOf('staleness.ageP95S')).toBe('s')
    expect(unitOf('ageP95S')).toBe('s')
    expect(unitOf('latency.p95Ms')).toBe('ms')
    expect(unitOf('routes.post.staleServedFraction')).toBe('%')
    expect(unitOf('cost.monthlyUsd')).toBe('$/month')
    expect(unitOf('cost')).toBe('$/month')
    expect(unitOf('cost.runUsd')).toBe('$')
    expect(unitOf('cost.originCallsPerS')).toBe('calls/s')
    expect(unitOf('cost.monthlyOriginCalls')).toBe('/month')
    expect(unitOf('totals.renders')).toBe('')
    expect(unitOf('totals.requests')).toBe('')
    expect(withUnit('staleness.ageP95S', 412.5)).toBe('412.5 s')
    expect(withUnit('totals.errorFraction', 0.0123)).toBe('1.23%')
    expect(withUnit('cost.monthlyUsd', 48.375)).toBe('$48.38/month')
    expect(withUnit('cost.monthlyUsd', 1234.4)).toBe('$1,234/month')
    expect(withUnit('totals.renders', 8420)).toBe('8,420')
  })

  it('in every line of the gate: a broken threshold reads its unit and names the route that drives it, with its cause', () => {
    const r = run(FETCH_LOWERS)
    const g = gate(r, { 'staleness.ageP95S': ['<10'], 'cost.monthlyUsd': ['<1'] }, null, 0.05, parseScenario(FETCH_LOWERS))
    const text = gateText(g)
    // The oldest pages are home's (revalidate 60 s), not post's (30 s since the fetch lowered it).
    const p95 = (id: string) => r.routes[id]!.ageP95S
    expect(p95('home')).toBeGreaterThan(p95('post'))
    expect(text).toMatch(/^FAIL {2}staleness\.ageP95S <10: [\d.]+ s; most from routes\.home \(\/\): revalidate 60 s, set by page \([\d.]+ s\)$/m)
    // post renders four times as often: most of the cost, and its structure failure is the cause.
    expect(text).toMatch(/^FAIL {2}cost\.monthlyUsd <1: \$[\d.,]+\/month; most from routes\.post: \/blog\/\[slug\] revalidates every 30 s, not the 300 s its page declares: fetch "posts" sets 30 s/m)
    expect(gateMarkdown(g)).toContain('most from routes.post')
    expect(gateJunit(g)).toContain('most from routes.post')
  })

  it('an origin-call figure names the fetch behind it, the routes that make it and its Data Cache', () => {
    const input = shop([post({ revalidateS: 30, fetches: [{ id: 'posts', revalidateS: 30 }, { id: 'ads' }] }), home({ revalidateS: 30, fetches: [{ id: 'posts', revalidateS: 30 }] })])
    const s = parseScenario(input)
    const r = runScenario(s, { seed: '1' })
    // ads is not Data-Cached: each of post's renders calls the origin, more than posts (cached, 30 s) does.
    expect(r.fetches.ads!.originFetches).toBeGreaterThan(r.fetches.posts!.originFetches)
    const text = gateText(gate(r, { 'totals.originFetches': ['<1'], 'fetches.posts.originFetches': ['<1'] }, null, 0.05, s))
    expect(text).toContain(`FAIL  totals.originFetches <1: ${r.totals.originFetches.toLocaleString('en-US')}; most from fetch "ads" of routes.post (not Data-Cached: every render calls the origin): ${r.fetches.ads!.originFetches.toLocaleString('en-US')} origin calls`)
    expect(text).toContain('FAIL  fetches.posts.originFetches <1: ')
    expect(text).toContain('; fetch "posts" of routes.post, routes.home (Data-Cached, revalidate 30 s)')
  })
})
