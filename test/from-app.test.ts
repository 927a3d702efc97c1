/**
 * `isrsim import`, checked against Next's own route table: each hand-written fixture app in
 * test/fixtures/ is built with the real `next build` (16.4.6 with Turbopack, 15.5.29 with
 * webpack, as the live suite builds it), imported, and every route's effective revalidate and
 * dynamic status must equal the Revalidate column and the ○/●/ƒ mark of the table that build
 * printed. Then what the table cannot show: patterns, prerendered paths, dynamicParams,
 * templated tags, the source causes (file and line), the profile, expireTimeS, and that
 * `isrsim import --out x.json && isrsim run x.json` works as it is.
 *
 * Reproduce: npx vitest run test/from-app.test.ts (builds land in .tools/next-<major>/apps/).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { importApp, type AppImport } from '../scenarios/from-app/index.ts'
import { parseScenario, type Scenario, type SimResult } from '../sim/index.ts'
import { effectiveRevalidate } from '../sim/isr/revalidate.ts'
import { implicitRouteTags, routeFileOf } from '../sim/isr/tags.ts'
import { buildFixture, formatLikeNext, parseRouteTable, type FixtureBuild, type TableRoute } from './fixture-apps.ts'
import { importAndRun, lineIn as lineInFixture } from './import-run.ts'

interface Fixture { readonly name: string; readonly major: '16' | '15'; readonly next: string; readonly profile: string; readonly expireTimeS: number; readonly appRoot: string }
const FIXTURES: readonly Fixture[] = [
  { name: 'app-next16', major: '16', next: '16.4.6', profile: '16.4', expireTimeS: 604_800, appRoot: 'app' },
  { name: 'app-next15', major: '15', next: '15.5.29', profile: '15', expireTimeS: 31_536_000, appRoot: 'src/app' },
]

/** Line of the first line of a fixture file that contains `needle` (so the expectations follow the file). */
const lineIn = (fx: Fixture, file: string, needle: string) => lineInFixture(fx.name, file, needle)

interface Imported {
  readonly build: FixtureBuild
  readonly table: Map<string, TableRoute>
  readonly app: AppImport
  readonly scenario: Scenario
  readonly result: SimResult
  readonly cli: { importStderr: string }
}

const setups = new Map<string, Promise<Imported>>()
function setup(fx: Fixture): Promise<Imported> {
  let p = setups.get(fx.name)
  if (!p) {
    p = (async () => {
      const build = await buildFixture(fx.name, fx.major)
      process.stdout.write(`${fx.name}: next build ${fx.next}: ${build.cached ? 'from the cache (same content)' : `${build.buildS.toFixed(1)} s`}\n`)
      const table = parseRouteTable(build.buildStdout)
      const { scenario, result, importStderr } = importAndRun(build.dir)
      return { build, table, app: importApp(build.dir), scenario, result, cli: { importStderr } }
    })()
    setups.set(fx.name, p)
  }
  return p
}

describe.each(FIXTURES)('isrsim import of test/fixtures/$name, built with next $next', (fx) => {
  let s: Imported
  beforeAll(async () => { s = await setup(fx) }, 600_000)
  const route = (pattern: string) => {
    const r = s.scenario.routes.find((x) => x.pattern === pattern)
    if (!r) throw new Error(`no imported route with pattern ${pattern} (imported: ${s.scenario.routes.map((x) => x.pattern).join(', ')}); reproduce: node bin/isrsim.js import ${s.build.dir}`)
    return r
  }
  const handlers = () => s.app.warnings.flatMap((w) => /route handler (\S+) exports no GET/.exec(w)?.[1] ?? [])
  // The "Route (app)" table's routes (Pages Router routes are test/from-app-mixed*.test.ts's).
  const appRoutes = () => s.scenario.routes.filter((r) => r.router !== 'pages')

  it('imports one route per page of the build table, and no Next internals or route handlers without GET', () => {
    const pages = [...s.table.keys()].filter((p) => !p.startsWith('/_') && !handlers().includes(p))
    expect(appRoutes().map((r) => r.pattern).sort()).toEqual(pages.sort())
    expect(s.scenario.routes.map((r) => r.id)).toEqual([...new Set(s.scenario.routes.map((r) => r.id))])
    // No "." in fetch ids: threshold paths (fetches.<id>.originFetches) are split on it.
    for (const f of s.scenario.routes.flatMap((r) => r.fetches)) expect(f.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_:-]*$/)
  })

  it('effective revalidate and dynamic status of every route equal the table (○/●/ƒ, Revalidate, Expire)', () => {
    for (const r of appRoutes()) {
      const t = s.table.get(r.pattern)!
      const sim = effectiveRevalidate(r, s.scenario.next).revalidateS
      const cli = s.result.routes[r.id]!.effectiveRevalidateS
      const why = `${r.pattern}: table ${t.mark} "${t.revalidate}", imported effective ${String(sim)} (${effectiveRevalidate(r, s.scenario.next).source}); reproduce: node bin/isrsim.js import ${s.build.dir}`
      expect(cli, why).toBe(sim)
      expect(sim === 0, why).toBe(t.mark === 'ƒ')
      if (sim !== 0) {
        expect(formatLikeNext(sim), why).toBe(t.revalidate)
        expect(t.expire, why).toBe(sim === false ? '' : formatLikeNext(s.scenario.next.expireTimeS))
      }
    }
  })

  it('isrsim run (auto) runs every imported route fast (16.4: the cookie-reading account page with its cached orders fetch included)', () => {
    for (const r of s.scenario.routes) expect([r.pattern, s.result.routes[r.id]!.mode, s.result.routes[r.id]!.exactBecause], `reproduce: node bin/isrsim.js import ${s.build.dir}`).toEqual([r.pattern, 'fast', undefined])
    expect(s.result.mode).toBe('auto')
    expect(s.scenario.routes.length).toBeGreaterThanOrEqual(9)
  })

  it('prerendered paths, prebuilt counts and dynamicParams are the build\'s', () => {
    for (const r of appRoutes().filter((x) => x.pattern.includes('['))) {
      const t = s.table.get(r.pattern)!
      expect(t.morePaths).toBe(0)
      expect([...(r.params?.paths ?? [])].sort(), r.pattern).toEqual([...t.paths].sort())
      expect(r.params?.prebuilt, r.pattern).toBe(t.paths.length)
    }
  })

  it('profile and expireTimeS come from the installed next and its config', () => {
    expect(s.scenario.next.version).toBe(fx.profile)
    expect(s.scenario.next.expireTimeS).toBe(fx.expireTimeS)
    expect(s.scenario.imported?.nextVersion).toBe(fx.next)
    expect(s.app.nextVersion).toBe(fx.next)
    expect(s.scenario.imported?.warnings).toEqual(s.app.warnings)
    for (const w of s.app.warnings) expect(s.cli.importStderr).toContain(`warning: ${w}`)
    for (const r of s.scenario.routes) expect(r.traffic.placeholder, r.id).toBe(true)
    expect(s.app.warnings.some((w) => w.startsWith('traffic of every route is a placeholder'))).toBe(true)
    expect(s.app.warnings.some((w) => w.startsWith('renderS of every route is a placeholder'))).toBe(true)
  })

  it('implicit tags: the build tags each page by its route file, route groups included, and so does the simulator', () => {
    const grouped: string[] = []
    for (const r of appRoutes()) {
      const routeFile = r.source!.page.slice(fx.appRoot.length).replace(/\/page\.[a-z]+$/, '')
      const segs = routeFile.split('/').filter((x) => x !== '')
      const fromFile = ['_N_T_/layout', ...segs.map((_, i) => `_N_T_/${segs.slice(0, i + 1).join('/')}/layout`), `_N_T_${routeFile}/page`]
      for (const path of r.params?.paths ?? (effectiveRevalidate(r, s.scenario.next).revalidateS === 0 ? [] : [r.pattern])) {
        const meta = JSON.parse(readFileSync(join(s.build.dir, '.next/server/app', `${path === '/' ? '/index' : path}.meta`), 'utf8')) as { headers: Record<string, string> }
        const implicit = meta.headers['x-next-cache-tags']!.split(',').filter((t) => t.startsWith('_N_T_'))
        const pathTags = [`_N_T_${path}`, ...(path === '/' && fx.major === '16' ? ['_N_T_/index'] : [])]
        expect(implicit, `${path}: .meta tags`).toEqual([...fromFile, ...pathTags])
      }
      if (routeFile.includes('(')) grouped.push(r.pattern)
      // The simulator tags each page by its route file too (routeFileOf reads routes[].source.page).
      expect(implicitRouteTags(routeFileOf(r)), r.pattern).toEqual(fromFile)
    }
    expect(grouped.length).toBeGreaterThan(0)
  })

  it('a second request for the same content does not rebuild', async () => {
    const again = await buildFixture(fx.name, fx.major, () => {})
    expect(again.cached).toBe(true)
    expect(again.dir).toBe(s.build.dir)
  })

  if (fx.major === '16') {
    it('a cacheHandler in next.config is warned about, and the import still equals the table without the build\'s Data Cache on disk', async () => {
      const b = await buildFixture(fx.name, fx.major, (dir) => {
        writeFileSync(join(dir, 'cache-handler.mjs'), [
          '// A minimal in-memory cache handler (what a shared Redis handler would be, in one process).',
          'export default class MemoryHandler {',
          '  constructor() { this.entries = new Map() }',
          '  async get(key) { return this.entries.get(key) ?? null }',
          '  async set(key, value, ctx) { this.entries.set(key, { value, lastModified: Date.now(), tags: ctx?.tags ?? [] }) }',
          '  async revalidateTag() {}',
          '  resetRequestCache() {}',
          '}',
          '',
        ].join('\n'))
        const config = join(dir, 'next.config.ts')
        writeFileSync(config, readFileSync(config, 'utf8').replace('  expireTime: 604800,\n', "  expireTime: 604800,\n  cacheHandler: fileURLToPath(new URL('./cache-handler.mjs', import.meta.url)),\n  cacheMaxMemorySize: 0,\n"))
      })
      const table = parseRouteTable(b.buildStdout)
      const app = importApp(b.dir)
      expect(app.warnings.filter((w) => /^next\.config sets cacheHandler \(.*cache-handler\.mjs\): with several instances set deployment\.cache: "shared"/.test(w))).toHaveLength(1)
      const scenario = parseScenario(app.scenario, 'imported')
      for (const r of scenario.routes) {
        const t = table.get(r.pattern)!
        const e = effectiveRevalidate(r, s.scenario.next).revalidateS
        expect(e === 0 ? 'ƒ' : formatLikeNext(e), `${r.pattern}; reproduce: node bin/isrsim.js import ${b.dir}`).toBe(t.mark === 'ƒ' ? 'ƒ' : t.revalidate)
      }
    }, 600_000)

    it('16.4 fixture: layout and fetch lowering revalidate, cookies() layout, dynamicParams, per-param tags, route group, catch-all, root page, no revalidate', () => {
      const home = route('/')
      expect(home.source?.revalidate).toBe(`app/page.tsx:${lineIn(fx, 'app/page.tsx', 'await fetch(')} fetch(\`\${API}/featured\`) next.revalidate = 600`)
      const post = route('/blog/[slug]')
      expect(post.source?.revalidate).toBe(`app/blog/layout.tsx:${lineIn(fx, 'app/blog/layout.tsx', 'export const revalidate')} export const revalidate = 60`)
      expect(post.source?.generateStaticParams).toBe(`app/blog/[slug]/page.tsx:${lineIn(fx, 'app/blog/[slug]/page.tsx', 'generateStaticParams')}`)
      // getPost(slug) in lib/api.ts, and <Comments slug={slug} /> from components/: both followed.
      expect(post.fetches).toEqual([
        { id: 'posts:slug', tags: ['post-{slug}', 'posts'], perPath: true, latencyS: 0, failureRate: 0 },
        { id: 'comments:slug', revalidateS: 90, tags: ['comments-{slug}'], perPath: true, latencyS: 0, failureRate: 0 },
      ])
      expect(post.params?.dynamicParams).toBe(true)
      const account = route('/account')
      expect(account.source?.dynamic).toEqual([`app/account/layout.tsx:${lineIn(fx, 'app/account/layout.tsx', 'await requestCookies()')} calls cookies()`])
      expect(account.layouts.map((l) => l.dynamic)).toEqual([false, true])
      const product = route('/products/[id]')
      expect(product.source?.page).toBe('app/(shop)/products/[id]/page.tsx')
      expect(product.source?.layouts).toEqual(['app/layout.tsx', 'app/(shop)/layout.tsx'])
      expect(product.params?.dynamicParams).toBe(false)
      expect(product.fetches[0]?.tags).toEqual(['products', 'product-{id}'])
      expect(route('/docs/[...slug]').params?.paths).toContain('/docs/guides/setup')
      expect(route('/about').source?.revalidate).toBeUndefined()
      expect(route('/search').source?.dynamic).toEqual([`app/search/page.tsx:${lineIn(fx, 'app/search/page.tsx', 'await searchParams')} reads searchParams`])
      expect(route('/blog').fetches[0]).toMatchObject({ id: 'posts', revalidateS: false, tags: ['posts'] })
      // A fetch the source hides (a loader picked at run time): the build's Data Cache shows it, and the build wins.
      const deals = route('/deals')
      expect(deals.fetches).toEqual([{ id: 'deals', revalidateS: 20, tags: ['deals'], perPath: false, latencyS: 0, failureRate: 0 }])
      expect(deals.source?.revalidate).toBe("app/deals/page.tsx: fetch /deals (in the build's Data Cache, not found in the source) revalidate 20")
      expect(s.app.warnings.filter((w) => w.startsWith('/deals: its prerendered pages read a fetch the build\'s Data Cache holds'))).toHaveLength(1)
      expect(s.app.warnings).toContain(`app/api/revalidate/route.ts:${lineIn(fx, 'app/api/revalidate/route.ts', 'export async function POST')} route handler /api/revalidate exports no GET (POST): only GET responses are cached, so it is left out of the scenario`)
    })
  } else {
    it('15.5 fixture: no-store fetch, headers() layout, connection(), force-dynamic, fetch-set revalidate, optional catch-all, unstable_cache and Pages Router warnings', () => {
      expect(route('/feed').source?.dynamic).toEqual([`src/app/feed/page.jsx:${lineIn(fx, 'src/app/feed/page.jsx', 'await fetch(')} fetch(\`\${API}/feed\`) cache: 'no-store'`])
      expect(route('/dash').source?.dynamic).toEqual([`src/app/dash/layout.jsx:${lineIn(fx, 'src/app/dash/layout.jsx', 'nextHeaders.headers()')} calls headers()`])
      expect(route('/dash').fetches).toEqual([{ id: 'stats', revalidateS: 60, tags: ['stats'], perPath: false, latencyS: 0, failureRate: 0 }])
      expect(route('/now').source?.dynamic).toEqual([`src/app/now/page.jsx:${lineIn(fx, 'src/app/now/page.jsx', 'await connection()')} calls connection()`])
      expect(route('/status').source?.dynamic).toEqual([`src/app/status/page.jsx:${lineIn(fx, 'src/app/status/page.jsx', 'force-dynamic')} exports dynamic = 'force-dynamic'`])
      const news = route('/news/[id]')
      expect(news.params?.dynamicParams).toBe(false)
      expect(news.fetches).toEqual([{ id: 'news:id', revalidateS: 300, tags: ['news-{id}', 'news'], perPath: true, latencyS: 0, failureRate: 0 }])
      expect(news.source?.revalidate).toBe(`src/app/news/[id]/page.jsx:${lineIn(fx, 'src/app/news/[id]/page.jsx', 'await fetch(')} fetch(\`\${API}/news/\${id}\`) next.revalidate = 300`)
      expect(route('/shop/[[...path]]').params?.paths).toContain('/shop')
      expect(route('/tools/[tool]').source?.revalidate).toBe(`src/app/tools/layout.jsx:${lineIn(fx, 'src/app/tools/layout.jsx', 'export const revalidate')} export const revalidate = 45`)
      expect(route('/pricing').source?.page).toBe('src/app/(marketing)/pricing/page.jsx')
      // unstable_cache and the Pages Router are modelled (issue 17): a fetch of kind unstable_cache, a route of router "pages".
      expect(s.app.warnings.filter((w) => /not modelled/.test(w))).toEqual([])
      expect(route('/tools/[tool]').fetches).toEqual([{ id: 'tool', kind: 'unstable_cache', revalidateS: 3600, tags: ['tools'], perPath: true, latencyS: 0, failureRate: 0 }])
      expect(route('/legacy')).toMatchObject({ router: 'pages', revalidateS: false, layouts: [], fetches: [], source: { page: 'src/pages/legacy.jsx' } })
      // The build wins: a fetch that never ran at build is left out; a value the source hides is the page's.
      const promo = route('/promo')
      expect(promo.fetches).toEqual([])
      expect(promo.source?.revalidate).toBe(`src/app/promo/page.jsx:${lineIn(fx, 'src/app/promo/page.jsx', 'export const revalidate')} export const revalidate = 300`)
      expect(s.app.warnings).toContain(`/promo: next build gave revalidate 300 s, the source 10 s (src/app/promo/page.jsx:${lineIn(fx, 'src/app/promo/page.jsx', 'await fetch(')} fetch(\`\${API}/promo/preview\`) next.revalidate = 10); the build wins: the fetch the build never ran (no Data Cache entry) is left out`)
      const weather = route('/weather')
      expect(weather.revalidateS).toBe(30)
      expect(weather.source?.revalidate).toBe('src/app/weather/page.jsx: next build gave revalidate 30 (nothing isrsim can read in the page, its layouts or what they call sets it)')
    })
  }
})
