/**
 * Fast mode against exact mode on routes with their own data (issue 19): fetches, the Data
 * Cache and unstable_cache, Pages Router routes, dynamic routes with a kept fetch, 'use cache'
 * functions and Cache Components holes, each with 30 replications per mode compared as
 * test/fast-mode.test.ts says; and fast modes with a shorter Data Cache life or a shorter
 * kept fetch's latency are rejected by the same procedure.
 *
 * Reproduce a failure: the message names the scenario, metric, both modes' means and 99%
 * intervals and the seed; runScenario(s, { mode, seed, replications: 30 }) runs the same
 * replications (replication i has the seed replicationSeed(seed, i)).
 */
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadScenario, parseScenario, type Scenario } from '../sim/index.ts'
import { crossValidate, headline, runReplications } from './fast-stats.ts'

const DIR = join(import.meta.dirname, '..', 'scenarios')

describe('routes with their own fetches (30 replications each)', () => {
  /**
   * The catalogue (16.4) on 2 instances for 30 min: each product page fetches its own product
   * (revalidate 1800 s, so most regenerations find it fresh; 1% of origin calls fail), each
   * category an unstable_cache function per path (tagged, 60 s, below the page's 120 s) and an
   * uncached per-path fetch, a crawler on the categories, expireTime 900 s (past it a render bypasses the Data
   * Cache, §2), a restart (the Data Cache survives it) and two deploys (at 25 min one that
   * prerenders and keeps the fetch cache: the prebuilt products' data still fresh is reused, the rest is the build's; at 27.5 min one that does not: no data left),
   * and a navigation fetch that home, product and category pages share, which the Data Cache never
   * keeps; the home page (one path) also fetches its featured items, one URL, cached for 60 s; and
   * 3 one-off product URLs per second (each a new page whose data is a new URL too).
   */
  // The layout's navigation, a plain fetch() every page of three routes makes: 16 does not keep it (§5.3), so each render calls it.
  const nav = { id: 'nav', perPath: false, latencyS: 0.03, failureRate: 0.02 }
  async function withFetches(productRevalidateS: number): Promise<Scenario> {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    const routes = c.routes.map((r) => r.id === 'product' ? { ...r, fetches: [{ id: 'product', perPath: true, revalidateS: productRevalidateS, latencyS: 0.08, failureRate: 0.01 }, nav], traffic: { ...r.traffic, unknownRate: 3 } }
      : r.id === 'category' ? { ...r, fetches: [{ id: 'cat', kind: 'unstable_cache', tags: ['cat-{category}'], revalidateS: 60, latencyS: 0.2 }, { id: 'cat-stock', perPath: true, latencyS: 0.05 }, nav], traffic: { ...r.traffic, crawlers: [{ name: 'bot', revisitS: 300 }] } }
        : r.id === 'home' ? { ...r, fetches: [{ id: 'featured', tags: ['featured'], revalidateS: 60, latencyS: 0.1 }, nav] } : r)
    return parseScenario({ ...c, routes, durationS: 1800, warmupS: 150, next: { version: '16.4', expireTimeS: 900 }, deployment: { instances: 2, balancer: 'random' }, restarts: [{ atS: 900 }], deploys: [{ atS: 1500, reuseFetchCache: true }, { atS: 1650, prerender: false }] } as Parameters<typeof parseScenario>[0])
  }

  test('every route fast, and fast agrees with exact, origin calls per fetch included', async () => {
    const s = await withFetches(1800)
    const cv = crossValidate(s, 'own-fetches')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The fetches were compared, and the Data Cache did its work: a product regeneration mostly finds its data fresh.
    expect(Object.keys(headline(cv.fast.results[0]!))).toEqual(expect.arrayContaining(['fetches.product.originFetches', 'fetches.cat.originFetches', 'fetches.cat-stock.originFetches', 'fetches.nav.originFetches', 'fetches.featured.originFetches']))
    const f = cv.fast.results[0]!
    expect(f.fetches.product!.originFetches).toBeLessThan(0.7 * (f.routes.product!.renders))
    expect(f.fetches['cat-stock']!.cached).toBe(false)
    expect(f.fetches['cat-stock']!.originFetches).toBe(f.routes.category!.renders)
    expect(f.fetches.nav).toEqual({ originFetches: f.routes.home!.renders + f.routes.product!.renders + f.routes.category!.renders, keys: 1, cached: false })
    // Home regenerates every ~30 s; its featured data lives 60 s, so about every other regeneration calls for it.
    expect(f.fetches.featured).toMatchObject({ keys: 1, cached: true })
    expect(f.fetches.featured!.originFetches).toBeGreaterThan(0.3 * f.routes.home!.renders)
    expect(f.fetches.featured!.originFetches).toBeLessThan(0.7 * f.routes.home!.renders)
  }, 300_000)

  test('a fast mode whose Data Cache keeps product data a third as long is rejected', async () => {
    const s = await withFetches(1800)
    const shorter = await withFetches(600)
    // The real test's seed: its exact runs are reused (fast-stats.ts).
    const cv = crossValidate(s, 'own-fetches', (_sc, seed, n) => runReplications(shorter, 'fast', seed, n))
    expect(cv.confirmed.map((x) => x.key), cv.report).toContain('mean fetches.product.originFetches')
  }, 300_000)
})

describe('Pages Router routes (30 replications each)', () => {
  /**
   * A blog on the Pages Router beside an App home page, 30 min: posts (fallback "blocking", 400
   * paths of which 50 prebuilt, revalidate 60 s, 2 one-off URLs a second) whose getStaticProps
   * calls fetch() (never cached there, §14.9: one origin call per render, 2% failing) and an
   * unstable_cache function per path (300 s; when stale, recomputed in the render on every
   * version, also on 14, whose App pages would serve it stale, §13.2); docs (fallback false,
   * 80 paths of 100 prebuilt, one-off URLs 404, §14.2); guides (fallback true, 10 of 60 prebuilt,
   * 5% failing renders, a crawler every 10 min, one-off URLs): a user's first request for a path
   * gets the shell and its data request renders the page, which the next requests join; a
   * crawler waits for the render (§14.3). On 14 and on 16.4 with expireTime 300 s.
   */
  const blog = (version: '14' | '16.4') => parseScenario({
    name: 'pages-blog', seed: '3', durationS: 1800, warmupS: 120, next: { version, ...(version === '16.4' ? { expireTimeS: 300 } : {}) },
    routes: [
      { id: 'home', pattern: '/', revalidateS: 30, renderS: 0.1, traffic: { rps: 5 } },
      {
        id: 'post', pattern: '/blog/[slug]', router: 'pages', revalidateS: 60, params: { count: 400, prebuilt: 50 }, renderS: { lognormal: { medianS: 0.2, p95S: 0.8 } },
        fetches: [{ id: 'post', perPath: true, revalidateS: 3600, latencyS: 0.05, failureRate: 0.02 }, { id: 'author', kind: 'unstable_cache', perPath: true, revalidateS: 300, latencyS: 0.1 }],
        failureRate: 0.01, traffic: { rps: 30, popularity: { zipf: 1 }, unknownRate: 2 },
      },
      { id: 'docs', pattern: '/docs/[id]', router: 'pages', revalidateS: 120, params: { count: 100, prebuilt: 80, fallback: false }, renderS: 0.15, traffic: { rps: 8, unknownRate: 0.5 } },
      {
        id: 'guides', pattern: '/guides/[slug]', router: 'pages', revalidateS: 90, params: { count: 60, prebuilt: 10, fallback: true }, renderS: { lognormal: { medianS: 0.3, p95S: 1.2 } },
        failureRate: 0.05, traffic: { rps: 6, popularity: { zipf: 0.8 }, unknownRate: 0.5, crawlers: [{ name: 'bot', revisitS: 600 }] },
      },
    ],
  } as Parameters<typeof parseScenario>[0])

  test.each(['14', '16.4'] as const)('%s: every route fast, and fast agrees with exact, origin calls per fetch included', (version) => {
    const s = blog(version)
    const cv = crossValidate(s, `pages-${version}`)
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    expect(Object.keys(headline(cv.fast.results[0]!))).toEqual(expect.arrayContaining(['fetches.post.originFetches', 'fetches.author.originFetches', 'routes.docs.notFound']))
    const f = cv.fast.results[0]!
    // fetch() in getStaticProps: every render calls it; the unstable_cache entry is reused by some renders.
    expect(f.fetches.post).toMatchObject({ cached: false, originFetches: f.routes.post!.renders })
    expect(f.fetches.author!.cached).toBe(true)
    expect(f.fetches.author!.originFetches).toBeLessThan(0.9 * f.routes.post!.renders)
    expect(f.fetches.author!.originFetches).toBeGreaterThan(0.1 * f.routes.post!.renders)
    // fallback false: the 20 paths not prebuilt and the one-off URLs are 404s, with no render.
    expect(f.routes.docs!.notFound).toBeGreaterThan(0.2 * f.routes.docs!.requests)
    // fallback true: every one-off URL and each path's first visits get the shell.
    expect(f.routes.guides!.fallback).toBeGreaterThan(0.5 * 0.5 * 1680)
    expect(Object.keys(headline(f))).toContain('routes.guides.fallback')
  }, 300_000)
})

describe('dynamic routes with a fetch the Data Cache keeps (30 replications each)', () => {
  /**
   * An account page, 20 min: cookies in its layout make it dynamic, and the build still
   * prerendered it, so its orders fetch (revalidate 30 s, tagged, 0.12 s, 20% failing) starts
   * cached (finding F7); each stale read serves the old orders and calls the origin until a call
   * lands (§5.3); a plain fetch() of the navigation is called by every render. On 16.4, 15 and 14
   * (which does not keep a plain fetch() in a dynamic render either, §5.2). And user pages (60,
   * Zipf, 1 one-off URL a second, 2 instances behind a random balancer) whose profile comes from
   * unstable_cache per path (20 s, 0.3 s, 10% failing; stale-while-revalidate in a dynamic
   * render, §13.3).
   */
  const account = { id: 'account', pattern: '/account', revalidateS: 60, layouts: [{ dynamic: true }], renderS: { lognormal: { medianS: 0.05, p95S: 0.2 } }, failureRate: 0.02, fetches: [{ id: 'orders', revalidateS: 30, tags: ['orders'], latencyS: 0.12, failureRate: 0.2 }, { id: 'nav', latencyS: 0.03 }], traffic: { rps: 8 } }
  const users = { id: 'u', pattern: '/u/[id]', dynamic: true, params: { count: 60 }, renderS: 0.04, fetches: [{ id: 'profile', kind: 'unstable_cache', perPath: true, revalidateS: 20, latencyS: 0.3, failureRate: 0.1 }], traffic: { rps: 10, popularity: { zipf: 1.2 }, unknownRate: 1 } }
  const cases = [['account on 16.4', '16.4', account], ['account on 15', '15', account], ['account on 14', '14', account], ['user pages on 16.4, 2 instances', '16.4', users]] as const
  test.each(cases)('%s: fast, and fast agrees with exact, origin calls per fetch included', (_name, version, route) => {
    const s = parseScenario({ name: 'dynamic-kept', seed: '5', durationS: 1200, warmupS: 60, next: { version }, routes: [route], ...(route === users ? { deployment: { instances: 2, balancer: 'random' } } : {}) } as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, `dynamic-kept-${version}`)
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, x] of Object.entries(r.routes)) expect([id, x.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    const f = cv.fast.results[0]!, kept = route === users ? 'profile' : 'orders'
    expect(Object.keys(headline(f))).toContain(`fetches.${kept}.originFetches`)
    // The kept fetch is called by a few requests per period (a stale read until a call lands), far fewer than the renders.
    expect(f.fetches[kept]!.originFetches).toBeGreaterThan(20)
    expect(f.fetches[kept]!.originFetches).toBeLessThan(0.5 * f.routes[route.id]!.renders)
    if (route === account) expect(f.fetches.nav!.originFetches).toBe(f.routes.account!.renders)
  }, 300_000)

  test('a fast mode whose stale reads stop calling once one call is on its way (a tenth of the latency) is rejected', () => {
    const mk = (latencyS: number) => parseScenario({ name: 'dynamic-kept', seed: '5', durationS: 1200, warmupS: 60, next: { version: '16.4' }, routes: [{ ...account, fetches: [{ ...account.fetches[0], latencyS }, account.fetches[1]] }] } as Parameters<typeof parseScenario>[0])
    const shorter = mk(0.012)
    const cv = crossValidate(mk(0.12), 'dynamic-kept-16.4', (_sc, seed, n) => runReplications(shorter, 'fast', seed, n))
    expect(cv.confirmed.map((x) => x.key), cv.report).toContain('mean fetches.orders.originFetches')
  }, 300_000)
})

describe('\'use cache\' functions (30 replications each)', () => {
  /**
   * 16.4 with expireTime 600 s, 20 min: product pages (80, Zipf, 20 prebuilt, 1 one-off URL a
   * second) whose item comes from a 'use cache' function per path (cacheLife revalidate 300 s,
   * expire 900 s; 80 ms, 5% failing): set when a run starts, never written by the build, run
   * in the render's foreground once past its life (§12.5); a home page reading a 'use cache:
   * remote' function ('minutes'); and dynamic account pages (30) reading a 'use cache' cart per
   * path (20 s, 100 ms, 10% failing): a request past its life runs it and waits. Then products
   * and accounts on 2 instances (each its own store) with a deploy at 700 s (which empties them).
   * With a restart at 600 s, the products' entries go with the process, the home page's stay.
   */
  const product = { id: 'p', pattern: '/p/[id]', revalidateS: 120, params: { count: 80, prebuilt: 20 }, renderS: { lognormal: { medianS: 0.1, p95S: 0.4 } }, failureRate: 0.01, fetches: [{ id: 'item', kind: 'use cache', perPath: true, cacheLife: { revalidateS: 300, expireS: 900 }, latencyS: 0.08, failureRate: 0.05 }], traffic: { rps: 15, popularity: { zipf: 1 }, unknownRate: 1 } }
  const home = { id: 'home', pattern: '/', revalidateS: 30, renderS: 0.1, fetches: [{ id: 'feat', kind: 'use cache: remote', cacheLife: 'minutes', latencyS: 0.2 }], traffic: { rps: 4 } }
  const account = { id: 'a', pattern: '/a/[id]', dynamic: true, params: { count: 30 }, renderS: 0.05, fetches: [{ id: 'cart', kind: 'use cache', perPath: true, cacheLife: { revalidateS: 20, expireS: 400 }, latencyS: 0.1, failureRate: 0.1 }], traffic: { rps: 6, unknownRate: 0.5 } }
  const cases = [
    // A restart empties each process's 'use cache' entries, not the remote store (§12.5).
    ['products and a home page, with a restart', [product, home], { restarts: [{ atS: 600 }] }],
    ['dynamic account pages', [account], {}],
    ['products and accounts on 2 instances, with a deploy', [product, account], { deployment: { instances: 2, balancer: 'random' }, deploys: [{ atS: 700 }] }],
  ] as const
  test.each(cases)('%s: every route fast, and fast agrees with exact, runs per function included', (name, routes, extra) => {
    const s = parseScenario({ name: 'use-cache', seed: '5', durationS: 1200, warmupS: 60, next: { version: '16.4', expireTimeS: 600 }, routes, ...extra } as unknown as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, `use-cache-${name}`)
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, x] of Object.entries(r.routes)) expect([id, x.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    const f = cv.fast.results[0]!
    for (const id of Object.keys(f.fetches)) {
      expect(Object.keys(headline(f))).toContain(`fetches.${id}.originFetches`)
      expect(f.fetches[id]!.cached).toBe(true)
    }
  }, 300_000)
})

describe('Cache Components holes (30 replications each)', () => {
  /**
   * 16.4 with cacheComponents, 20 min: product pages (40, 10 prebuilt, Zipf, 1 one-off URL a
   * second, a crawler every 5 min) whose cached shell ('use cache' minutes) has a hole, a layout
   * reading cookies() (§12.4): every request of a known path, a crawler's included, renders the
   * hole (lognormal, 5% failing, waiting 40 ms for an uncached navigation fetch) besides the
   * shell's HIT, STALE or MISS; a one-off URL does not. And a dynamic home page beside it.
   */
  test('every route fast, and fast agrees with exact: hole renders, their failures and render time included', () => {
    const page = { id: 'p', pattern: '/p/[id]', layouts: [{ dynamic: true }], cacheLife: 'minutes', params: { count: 40, prebuilt: 10 }, renderS: { lognormal: { medianS: 0.1, p95S: 0.5 } }, failureRate: 0.05, fetches: [{ id: 'nav', latencyS: 0.04 }], traffic: { rps: 8, popularity: { zipf: 1 }, unknownRate: 1, crawlers: [{ name: 'bot', revisitS: 300 }] } }
    const home = { id: 'home', pattern: '/', dynamic: true, renderS: 0.05, traffic: { rps: 3 } }
    const s = parseScenario({ name: 'holes', seed: '5', durationS: 1200, warmupS: 90, next: { version: '16.4', cacheComponents: true }, routes: [page, home] } as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, 'holes')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, x] of Object.entries(r.routes)) expect([id, x.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    const f = cv.fast.results[0]!, p = f.routes.p!
    expect(p.holes).toEqual(['layouts[0] calls request APIs'])
    // One hole render per request of a known path: all but the one-off URLs' (each a MISS or an ERROR of its own blocking render).
    expect(p.dynamicRenders).toBeGreaterThan(0.8 * p.requests)
    expect(p.dynamicRenders).toBeLessThan(p.requests)
    expect(p.crawlerRenders).toBeGreaterThan(p.crawlerRequests!)
    expect(f.fetches.nav!.originFetches).toBe(p.renders)
  }, 300_000)
})

