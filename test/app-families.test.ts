/**
 * `isrsim app` for issue 17's families, without building (test/live-families.test.ts builds and
 * load-tests them): the files it writes for a Cache Components page, an unstable_cache read and a
 * Pages Router route, and the scenarios it refuses because the live app cannot mirror them.
 * The observed behaviour of these apps on next start 16.4.6 is in loadtest/README.md.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RequestPlan } from '../sim/contract.ts'
import { requestPlan } from '../sim/plan.ts'
import { parseScenario } from '../sim/scenario/parse.ts'
import { appFiles, AppError } from '../loadtest/app.ts'
import { checkSupported, ROOT } from '../loadtest/live.ts'

const planOf = (s: unknown): RequestPlan => requestPlan(parseScenario(s))
const live = (name: string): RequestPlan => planOf(JSON.parse(readFileSync(join(ROOT, `scenarios/live/${name}.json`), 'utf8')))
const route = (r: Record<string, unknown>) => ({ id: 'post', pattern: '/blog/[slug]', params: { count: 2 }, renderS: 0.1, traffic: { rps: 1 }, ...r })
const scenario = (routes: unknown[], next: Record<string, unknown> = { version: '16.4' }) => ({ name: 't', seed: '1', durationS: 10, next, routes })

describe('isrsim app: Cache Components (17(e))', () => {
  const files = appFiles(live('cache-components'), { next: '16' })
  const page = files.get('app/blog/[slug]/page.jsx')!

  it('turns cacheComponents on and exports no route segment config', () => {
    expect(files.get('next.config.mjs')).toContain('cacheComponents: true')
    expect(page).not.toContain('export const revalidate')
    expect(page).not.toContain('export const dynamicParams')
    expect(files.get('app/api/isrsim/revalidate/route.js')).not.toContain('force-dynamic')
    expect(files.get('app/isrsim-admin/page.jsx')).not.toContain('force-dynamic')
  })

  it('writes the data function with its cacheLife and cacheTag, and renders inside a \'use cache\' scope of the same life', () => {
    expect(page).toContain(`import { cacheLife, cacheTag } from 'next/cache'`)
    expect(page).toMatch(/async function cached0\(key, tags\) \{\n {2}'use cache'\n {2}cacheLife\("minutes"\)\n {2}cacheTag\(\.\.\.tags\)\n {2}return dataCall\("post", key\)\n\}/)
    expect(page).toContain('cached0(k, [`post:${k}`])')
    expect(page).toMatch(/async function render\(path, k, v\) \{\n {2}'use cache'\n {2}cacheLife\("minutes"\)\n {2}const renderStartMs = Date\.now\(\)\n {2}await renderCall\("post", path\)/)
    expect(files.get('app/page.jsx')).toContain('cacheLife("hours")')
  })

  it('a page cacheLife is the render scope\'s; a custom profile in Next\'s field names', () => {
    const f = appFiles(planOf(scenario([route({ cacheLife: { staleS: 60, revalidateS: 120, expireS: 900 }, fetches: [{ id: 'a', kind: 'use cache', cacheLife: 'hours' }] })], { version: '16.4', cacheComponents: true })), { next: '16' })
    const p = f.get('app/blog/[slug]/page.jsx')!
    expect(p).toContain('cacheLife({ stale: 60, revalidate: 120, expire: 900 })\n  const renderStartMs')
    expect(p).toContain('cacheLife("hours")\n  return dataCall("a", key)')
  })

  it('\'use cache\' without cacheComponents turns on experimental.useCache and keeps the page\'s revalidate', () => {
    const f = appFiles(planOf(scenario([route({ revalidateS: 30, fetches: [{ id: 'a', kind: 'use cache', cacheLife: 'minutes' }] })])), { next: '16' })
    expect(f.get('next.config.mjs')).toContain('experimental: { useCache: true }')
    expect(f.get('app/blog/[slug]/page.jsx')).toContain('export const revalidate = 30')
    expect(f.get('app/blog/[slug]/page.jsx')).not.toContain('async function render(')
  })

  it('refuses what it cannot mirror, naming the field', () => {
    const cc = { version: '16.4', cacheComponents: true }
    const refuse = (r: Record<string, unknown>, next: Record<string, unknown> = cc) => () => appFiles(planOf(scenario([route(r)], next)), { next: '16' })
    // A segment revalidate under cacheComponents is refused by the scenario itself, as next build refuses it.
    expect(refuse({ revalidateS: 30 })).toThrow(/routes\[0\]\.revalidateS: is refused by next build with next\.cacheComponents/)
    expect(refuse({ fetches: [{ id: 'a', kind: 'use cache', cacheLife: 'seconds' }] })).toThrow(/routes\.post\.fetches\[0\]\.cacheLife: "seconds" makes a dynamic hole/)
    expect(refuse({ fetches: [{ id: 'a', revalidateS: 60 }] })).toThrow(/routes\.post\.fetches\[0\]\.kind: "fetch" under next\.cacheComponents/)
    expect(refuse({ dynamic: true })).toThrow(AppError)

  })
})

describe('isrsim app: route handlers and segment config (§15.1, §15.2)', () => {
  const gen = (r: Record<string, unknown>) => appFiles(planOf(scenario([route(r)], { version: '16.4' })), { next: '16' })
  it('a route handler is app/<pattern>/route.js whose GET answers the probe; revalidate only with seconds', () => {
    const cached = gen({ kind: 'route-handler', revalidateS: 30 })
    const file = [...cached.keys()].find((f) => f.endsWith('/route.js') && !f.includes('isrsim'))!
    expect(file).toBe('app/blog/[slug]/route.js')
    expect(cached.has('app/blog/[slug]/page.jsx')).toBe(false)
    const text = cached.get(file)!
    expect(text).toContain('export const revalidate = 30')
    expect(text).toContain('export async function GET(request, { params }) {')
    expect(text).toContain('<script id="isrsim-probe" type="application/json">')
    // No export for the scenario's false: `revalidate = false` would make it static on 15+.
    expect(gen({ kind: 'route-handler' }).get(file)).not.toContain('export const revalidate')
  })
  it('segmentConfig becomes the dynamic and fetchCache exports', () => {
    const text = gen({ revalidateS: 30, segmentConfig: { dynamic: 'force-static', fetchCache: 'force-cache' } }).get('app/blog/[slug]/page.jsx')!
    expect(text).toContain('export const dynamic = "force-static"')
    expect(text).toContain('export const fetchCache = "force-cache"')
  })
})

describe('isrsim app: unstable_cache (17(g))', () => {
  const files = appFiles(live('unstable-cache'), { next: '16' })

  it('wraps the data read per path with its revalidate and tags, under the page\'s revalidate', () => {
    const page = files.get('app/item/[id]/page.jsx')!
    expect(page).toContain(`import { unstable_cache } from 'next/cache'`)
    expect(page).toContain('export const revalidate = 10')
    expect(page).toContain('unstable_cache(() => dataCall("item", k), ["item", k], { revalidate: 30, tags: [`item:${k}`] })()')
    expect(files.get('app/list/page.jsx')).toContain(`unstable_cache(() => dataCall("list", '0'), ["list", '0'], { revalidate: 20, tags: [\`items\`] })()`)
  })
})

describe('isrsim app: Pages Router (17(f))', () => {
  const files = appFiles(live('pages-fallback'), { next: '16' })
  const page = files.get('pages/post/[id].jsx')!

  it('writes getStaticPaths with the prebuilt paths and fallback, getStaticProps with revalidate', () => {
    expect(files.has('app/post/[id]/page.jsx')).toBe(false)
    expect(page).toContain('return { paths: Array.from({ length: 4 }, (_, k) => ({ params: { "id": String(k) } })), fallback: true }')
    expect(page).toContain('await renderCall("post", path)')
    expect(page).toContain('return { props: { probe: { route: "post", path, renderStartMs, data } }, revalidate: 10 }')
    expect(page).toContain('if (router.isFallback || !probe) return <main id="isrsim-fallback">loading</main>')
    expect(files.get('pages/about.jsx')).not.toContain('getStaticPaths')
    expect(files.get('pages/about.jsx')).toContain('revalidate: 18 }')
  })

  it('fallback defaults to "blocking"; unknownResult "notFound" returns a cached 404 past params.count', () => {
    const f = appFiles(planOf(scenario([route({ router: 'pages', revalidateS: 5, params: { count: 3, unknownResult: 'notFound' } })])), { next: '16' })
    const p = f.get('pages/blog/[slug].jsx')!
    expect(p).toContain('fallback: "blocking" }')
    expect(p).toContain('if (Number(k) >= 3) { await renderCall("post", path); return { notFound: true, revalidate: 5 } }')
  })

  it('refuses an App and a Pages route at the same URL', () => {
    const s = scenario([route({ router: 'pages', revalidateS: 5 }), route({ id: 'other', revalidateS: 5 })])
    expect(() => appFiles(planOf(s), { next: '16' })).toThrow(/routes\.other\.pattern: \/blog\/\[slug\] is the same page as route post/)
  })
})

describe('isrsim loadtest: what the live suite does not mirror yet is refused, naming the field', () => {
  it('res.revalidate (a Pages API route) is refused before anything is built', () => {
    const plan = live('pages-fallback')
    const withCall = planOf({ ...JSON.parse(readFileSync(join(ROOT, 'scenarios/live/pages-fallback.json'), 'utf8')), onDemand: [{ kind: 'res.revalidate', path: '/post/1', atS: 5 }] })
    expect(() => checkSupported(plan, '16')).not.toThrow()
    expect(() => checkSupported(withCall, '16')).toThrow(/onDemand\[0\]\.kind: "res\.revalidate" is not supported by the live suite yet/)
  })
})
