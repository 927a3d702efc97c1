/**
 * `isrsim import` of the families of issue 17, from real builds of two hand-written fixture
 * apps that mix app/ and pages/ (test/fixtures/app-mixed on next 16.4.6 with cacheComponents,
 * test/fixtures/app-mixed-15 on 15.5.29 with experimental.useCache, segment config,
 * unstable_cache and route handlers): route by route, the scenario fields (router, kind,
 * cacheLife, segmentConfig, params.fallback / unknownResult, fetches[].kind / cacheLife / tags /
 * revalidateS, next.cacheComponents) with their numbers; every route's effective revalidate and
 * expire against the "Route (app)" and "Route (pages)" tables that build printed; the scenario
 * parses and `isrsim run` runs it; no warning says "not modelled".
 *
 * Reproduce: npx vitest run test/from-app-mixed.test.ts (builds land in .tools/next-<major>/apps/).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { importApp, type AppImport } from '../scenarios/from-app/index.ts'
import { parseScenario, type Scenario, type SimResult } from '../sim/index.ts'
import { effectiveRevalidate } from '../sim/isr/revalidate.ts'
import { buildFixture, formatLikeNext, parseRouteTable, type FixtureBuild, type TableRoute } from './fixture-apps.ts'
import { importAndRun, isrsim, lineIn as lineInFixture } from './import-run.ts'

interface Fixture { readonly name: string; readonly major: '16' | '15'; readonly next: string; readonly profile: string }
const FIXTURES: readonly Fixture[] = [
  { name: 'app-mixed', major: '16', next: '16.4.6', profile: '16.4' },
  { name: 'app-mixed-15', major: '15', next: '15.5.29', profile: '15' },
]

/** Line of the first line of a fixture file that contains `needle`. */
const lineIn = (fx: Fixture, file: string, needle: string) => lineInFixture(fx.name, file, needle)

export interface MixedImport {
  readonly build: FixtureBuild
  readonly app: Map<string, TableRoute>
  readonly pages: Map<string, TableRoute>
  readonly imported: AppImport
  readonly scenario: Scenario
  readonly result: SimResult
}

const setups = new Map<string, Promise<MixedImport>>()
/** Build the fixture (cached by content), import it with the CLI, run the scenario with the CLI. */
export function setupMixed(fx: Fixture): Promise<MixedImport> {
  let p = setups.get(fx.name)
  if (!p) {
    p = (async () => {
      const build = await buildFixture(fx.name, fx.major)
      process.stdout.write(`${fx.name}: next build ${fx.next}: ${build.cached ? 'from the cache (same content)' : `${build.buildS.toFixed(1)} s`}\n`)
      const { scenario, result } = importAndRun(build.dir)
      return { build, app: parseRouteTable(build.buildStdout, 'app'), pages: parseRouteTable(build.buildStdout, 'pages'), imported: importApp(build.dir), scenario, result }
    })()
    setups.set(fx.name, p)
  }
  return p
}

describe.each(FIXTURES)('isrsim import of test/fixtures/$name (App and Pages Router), built with next $next', (fx) => {
  let s: MixedImport
  beforeAll(async () => { s = await setupMixed(fx) }, 600_000)
  const route = (pattern: string) => {
    const r = s.scenario.routes.find((x) => x.pattern === pattern)
    if (!r) throw new Error(`no imported route with pattern ${pattern} (imported: ${s.scenario.routes.map((x) => x.pattern).join(', ')}); reproduce: node bin/isrsim.js import ${s.build.dir}`)
    return r
  }
  const repro = () => `reproduce: node bin/isrsim.js import ${s.build.dir}`

  it('one route per page and GET route handler of both tables; no Next internals, API routes or POST-only handlers', () => {
    const want = (t: Map<string, TableRoute>) => [...t.keys()].filter((p) => !p.startsWith('/_') && !['/api/revalidate', '/api/hook', '/api/ping'].includes(p))
    expect(s.scenario.routes.filter((r) => r.router !== 'pages').map((r) => r.pattern).sort(), repro()).toEqual(want(s.app).sort())
    expect(s.scenario.routes.filter((r) => r.router === 'pages').map((r) => r.pattern).sort(), repro()).toEqual(want(s.pages).sort())
    expect(s.scenario.next.version).toBe(fx.profile)
    expect(s.imported.nextVersion).toBe(fx.next)
  })

  it('every route\'s effective revalidate and expire equal its table row (○/●/◐/ƒ, Revalidate, Expire); isrsim run reports the same', () => {
    for (const r of s.scenario.routes) {
      const t = (r.router === 'pages' ? s.pages : s.app).get(r.pattern)!
      const e = effectiveRevalidate(r, s.scenario.next)
      const why = `${r.pattern}: table ${t.mark} "${t.revalidate}" "${t.expire}", imported effective ${String(e.revalidateS)} expire ${String(e.expireS)} (${e.source}); ${repro()}`
      expect(s.result.routes[r.id]!.effectiveRevalidateS, why).toBe(e.revalidateS)
      expect(e.revalidateS === 0, why).toBe(t.mark === 'ƒ')
      // A pattern the build prerendered no path of (getStaticPaths returned none) has no values in the table: its revalidate is the source's.
      if (e.revalidateS !== 0 && !(r.pattern.includes('[') && t.paths.length === 0)) {
        expect(formatLikeNext(e.revalidateS), why).toBe(t.revalidate)
        expect(t.expire, why).toBe(e.revalidateS === false ? '' : formatLikeNext(e.expireS ?? s.scenario.next.expireTimeS))
      }
    }
  })

  it('isrsim run (auto) runs every imported route fast: App pages with \'use cache\' functions, route handlers, Pages pages and the fallback shell', () => {
    for (const r of s.scenario.routes) expect([r.pattern, s.result.routes[r.id]!.mode, s.result.routes[r.id]!.exactBecause], repro()).toEqual([r.pattern, 'fast', undefined])
    expect(s.scenario.routes.some((r) => r.router === 'pages' && r.params?.fallback === true)).toBe(true)
    expect(s.scenario.routes.some((r) => r.kind === 'route-handler')).toBe(true)
  })

  it('Pages Router routes: getStaticProps revalidate, getStaticPaths fallback, notFound and redirect results', () => {
    const ext = fx.major === '16' ? 'tsx' : 'jsx'
    const f = (p: string) => `pages/${p}.${ext}`
    expect(route('/about')).toMatchObject({ router: 'pages', revalidateS: 600, layouts: [], fetches: [], source: { page: f('about'), revalidate: `${f('about')}:${lineIn(fx, f('about'), 'revalidate: 600')} getStaticProps returns revalidate 600` } })
    expect(route('/about').params).toBeUndefined()
    const guides = route('/guides/[slug]')
    expect(guides).toMatchObject({ router: 'pages', revalidateS: 60, source: { generateStaticParams: `${f('guides/[slug]')}:${lineIn(fx, f('guides/[slug]'), 'getStaticPaths')}` } })
    expect(guides.params).toMatchObject({ count: 2, prebuilt: 2, fallback: true })
    expect([...guides.params!.paths!].sort()).toEqual(['/guides/deploy', '/guides/start'])
    expect(guides.params!.unknownResult).toBeUndefined()
    const docs = route('/docs/[slug]')
    expect(docs).toMatchObject({ router: 'pages', revalidateS: 300 })
    expect(docs.params).toMatchObject({ count: 2, prebuilt: 2, fallback: 'blocking', unknownResult: 'notFound' })
    // The cached 404 has its own revalidate (30 s); one value per route: said, with the line.
    expect(s.imported.warnings).toContain(`${f('docs/[slug]')}:${lineIn(fx, f('docs/[slug]'), 'notFound: true')}: getStaticProps returns notFound: true with revalidate 30 s, the page 300 s; the scenario has one revalidate per route, so the cached 404 is simulated with 300 s`)
    const old = route('/old/[slug]')
    expect(old).toMatchObject({ router: 'pages', revalidateS: 3600 })
    expect(old.params).toMatchObject({ count: 1, prebuilt: 0, fallback: 'blocking', unknownResult: 'redirect' })
    const team = route('/team/[name]')
    expect(team).toMatchObject({ router: 'pages', revalidateS: false })
    expect(team.params).toMatchObject({ count: 2, prebuilt: 2, fallback: false })
    expect(team.params!.unknownResult).toBeUndefined() // fallback false: a 404 without a render
    expect(team.source?.revalidate).toBeUndefined()
    // Pages routes take no App-only field (the scenario's rules refuse them).
    for (const r of s.scenario.routes.filter((x) => x.router === 'pages')) {
      expect(r.cacheLife, r.pattern).toBeUndefined()
      expect(r.segmentConfig, r.pattern).toBeUndefined()
      expect(r.kind, r.pattern).toBeUndefined()
    }
    expect(s.imported.warnings.some((w) => w.includes('Pages Router API route /api/ping: never cached'))).toBe(true)
  })

  if (fx.major === '16') {
    it('Cache Components: cacheLife presets and a custom object, cacheTag, \'use cache: remote\', a named profile of next.config, notFound()', () => {
      expect(s.scenario.next.cacheComponents).toBe(true)
      const home = route('/')
      expect(home.cacheLife).toBe('hours')
      expect(home.revalidateS).toBe(false) // the life is the scope's, not a segment export
      expect(home.fetches).toEqual([{ id: 'home-page', kind: 'use cache', cacheLife: 'hours', tags: ['home'], perPath: false, latencyS: 0, failureRate: 0 }])
      expect(home.source?.revalidate).toBe(`app/page.tsx:${lineIn(fx, 'app/page.tsx', "cacheLife('hours')")} cacheLife('hours') in a 'use cache' page`)
      const catalog = route('/catalog')
      expect(catalog.cacheLife).toEqual({ staleS: 60, revalidateS: 120, expireS: 3600 })
      expect(catalog.fetches[0]).toMatchObject({ kind: 'use cache', tags: ['catalog', 'products'] })
      const prices = route('/prices')
      expect(prices.cacheLife).toBeUndefined()
      expect(prices.fetches).toEqual([
        { id: 'getPrices', kind: 'use cache: remote', cacheLife: 'minutes', tags: ['prices'], perPath: false, latencyS: 0, failureRate: 0 },
        // cacheLife('quarter'), next.config's own profile: its numbers from the build's config.
        { id: 'getRates', kind: 'use cache', cacheLife: { staleS: 120, revalidateS: 900, expireS: 86_400 }, tags: ['rates'], perPath: false, latencyS: 0, failureRate: 0 },
      ])
      expect(prices.source?.revalidate).toBe(`lib/prices.ts:${lineIn(fx, 'lib/prices.ts', "'use cache: remote'")} 'use cache: remote' getPrices() (called from app/prices/page.tsx:${lineIn(fx, 'app/prices/page.tsx', 'await getPrices()')}) cacheLife('minutes')`)
      const product = route('/products/[id]')
      expect(product.cacheLife).toBe('days')
      expect(product.fetches).toEqual([{ id: 'products-id-page', kind: 'use cache', cacheLife: 'days', tags: ['product-{id}'], perPath: true, latencyS: 0, failureRate: 0 }])
      expect(product.params).toMatchObject({ count: 2, prebuilt: 2, dynamicParams: true, unknownResult: 'notFound', paths: ['/products/1', '/products/2'] })
      const stats = route('/api/stats')
      expect(stats).toMatchObject({ kind: 'route-handler', layouts: [], revalidateS: false })
      expect(stats.dynamic).toBe(false)
      expect(stats.fetches).toEqual([{ id: 'stats', kind: 'use cache', cacheLife: 'hours', tags: [], perPath: false, latencyS: 0, failureRate: 0 }])
      expect(s.imported.warnings).toContain(`app/api/revalidate/route.ts:${lineIn(fx, 'app/api/revalidate/route.ts', 'export async function POST')} route handler /api/revalidate exports no GET (POST): only GET responses are cached, so it is left out of the scenario`)
    })
  } else {
    it('15.5: \'use cache\' with unstable_cacheLife/unstable_cacheTag, unstable_cache, segment config, route handlers, App notFound()', () => {
      expect(s.scenario.next.cacheComponents).toBeUndefined()
      const widgets = route('/widgets')
      expect(widgets.cacheLife).toBe('days')
      expect(widgets.fetches).toEqual([{ id: 'widgets-page', kind: 'use cache', cacheLife: 'days', tags: ['widgets'], perPath: false, latencyS: 0, failureRate: 0 }])
      const reports = route('/reports')
      expect(reports.revalidateS).toBe(3600)
      expect(reports.fetches).toEqual([{ id: 'reports', kind: 'unstable_cache', revalidateS: 300, tags: ['reports'], perPath: false, latencyS: 0, failureRate: 0 }])
      expect(reports.source?.revalidate).toBe(`lib/reports.js:${lineIn(fx, 'lib/reports.js', 'unstable_cache(')} unstable_cache reports (called from app/reports/page.jsx:${lineIn(fx, 'app/reports/page.jsx', 'await getReport()')}) revalidate: 300`)
      const stat = route('/static')
      expect(stat).toMatchObject({ revalidateS: 900, segmentConfig: { dynamic: 'force-static' } })
      expect(stat.dynamic).toBe(false) // force-static: headers() does not make it dynamic
      const live = route('/live')
      expect(live).toMatchObject({ dynamic: true, segmentConfig: { dynamic: 'force-dynamic' } })
      expect(live.source?.dynamic).toEqual([`app/live/page.jsx:${lineIn(fx, 'app/live/page.jsx', 'force-dynamic')} exports dynamic = 'force-dynamic'`])
      const cached = route('/cached')
      expect(cached).toMatchObject({ revalidateS: 600, segmentConfig: { fetchCache: 'force-cache' } })
      expect(cached.fetches).toEqual([{ id: 'menu', revalidateS: false, tags: [], perPath: false, latencyS: 0, failureRate: 0 }])
      expect(route('/items/[id]').params).toMatchObject({ count: 2, prebuilt: 2, dynamicParams: true, unknownResult: 'notFound' })
      const feed = route('/api/feed')
      expect(feed).toMatchObject({ kind: 'route-handler', revalidateS: 120, dynamic: false, layouts: [], source: { revalidate: `app/api/feed/route.js:${lineIn(fx, 'app/api/feed/route.js', 'export const revalidate')} export const revalidate = 120` } })
      const time = route('/api/time')
      expect(time).toMatchObject({ kind: 'route-handler', dynamic: true })
      expect(time.source?.dynamic).toEqual([`app/api/time/route.js:${lineIn(fx, 'app/api/time/route.js', 'export async function GET')} GET without revalidate, dynamic = 'force-static' or generateStaticParams: dynamic by default from Next 15`])
      expect(s.imported.warnings).toContain(`app/api/hook/route.js:${lineIn(fx, 'app/api/hook/route.js', 'export async function POST')} route handler /api/hook exports no GET (POST): only GET responses are cached, so it is left out of the scenario`)
    })
  }

  it('no warning says "not modelled"; the rest are the placeholders and what the scenario holds one value of', () => {
    expect(s.imported.warnings.filter((w) => /not modelled/i.test(w)), repro()).toEqual([])
    expect(s.scenario.imported?.warnings).toEqual(s.imported.warnings)
  })
})

describe('a Pages-Router-only app (test/fixtures/app-mixed without app/), built with next 16.4.6', () => {
  it('imports its Pages routes (an app/ folder is no longer required) and runs', async () => {
    const build = await buildFixture('app-mixed', '16', (dir) => {
      rmSync(join(dir, 'app'), { recursive: true, force: true })
      rmSync(join(dir, 'lib'), { recursive: true, force: true })
    })
    const pages = parseRouteTable(build.buildStdout, 'pages')
    const out = mkdtempSync(join(tmpdir(), 'isrsim-import-pages-only-'))
    try {
      const imp = isrsim(['import', build.dir, '--out', join(out, 'x.json')])
      expect(imp.status, imp.stderr).toBe(0)
      const run = isrsim(['run', join(out, 'x.json'), '--out', join(out, 'r.json')])
      expect(run.status, run.stderr.slice(-2000)).toBe(0)
      const scenario = parseScenario(JSON.parse(readFileSync(join(out, 'x.json'), 'utf8')), 'x.json')
      const why = `reproduce: node bin/isrsim.js import ${build.dir}`
      expect(scenario.routes.map((r) => r.pattern).sort(), why).toEqual([...pages.keys()].filter((p) => !p.startsWith('/_') && !['/api/ping', '/404', '/500'].includes(p)).sort()) // Next's own /404 is listed in a Pages-only table
      for (const r of scenario.routes) expect(r.router, r.pattern).toBe('pages')
      expect(scenario.routes.find((r) => r.pattern === '/guides/[slug]')?.params).toMatchObject({ fallback: true, prebuilt: 2 })
      expect(scenario.imported?.warnings.filter((w) => /not modelled/i.test(w)), why).toEqual([])
      // Fast mode (auto, the default) covers Pages pages, the fallback shell's included (§14.3).
      const result = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as SimResult
      for (const r of scenario.routes) expect([r.pattern, result.routes[r.id]!.mode, result.routes[r.id]!.exactBecause], why).toEqual([r.pattern, 'fast', undefined])
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 600_000)
})
