/**
 * Fast mode against exact mode on the bundled scenarios (issue 19, "What must be true"): 30
 * replications per mode, every headline metric's mean within the two modes' combined 99%
 * interval, its spread alike, and the served ages per route not rejected by a two-sample KS
 * test at 1% whose critical value comes from permuting replications (test/fast-stats.ts says
 * why). Then the test's teeth: a fast mode that returns expected values, one whose ages sit at
 * their mean, and one with a biased rule (revalidate × 1.1) are each rejected by the same
 * procedure. And determinism: the same scenario, seed and mode give the same bytes.
 *
 * Reproduce a failure: the message names the scenario, metric, both modes' means and 99%
 * intervals and the seed; runScenario(s, { mode, seed, replications: 30 }) runs the same
 * replications (replication i has the seed replicationSeed(seed, i)).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { loadScenario, parseScenario, runScenario, type Scenario, type SimResult } from '../sim/index.ts'
import { bucketOf, HISTOGRAM_BUCKETS } from '../sim/kernel/histogram.ts'
import { AleaRng } from '../sim/kernel/rng.ts'
import { compareRuns, crossValidate, headline, ksStatistic, SERIES, permutationKs, runReplications, scaledRevalidate, spread, summary, welch, Z_995, type CrossValidation, type FastRunner, type ModeRuns } from './fast-stats.ts'

describe('statistics helpers (test/fast-stats.ts)', () => {
  test('Welch: agree within z(0.995)·√(s₁²/n₁ + s₂²/n₂); equal values when neither varies', () => {
    const m = welch([0, 2], [1, 1])
    expect(m.half).toBeCloseTo(Z_995 * Math.sqrt(2 / 2), 12)
    expect(m.agree).toBe(true)
    expect(welch([0, 2, 4], [9, 9, 9]).agree).toBe(false) // |1 − 9| > 2.58·√(4/3)
    expect(welch([5, 5, 5], [5, 5, 5]).agree).toBe(true)
    expect(welch([5, 5, 5], [5.001, 5.001, 5.001]).agree).toBe(false)
    expect(welch([0.1 + 0.2, 0.3], [0.3, 0.3]).agree).toBe(true) // the same value summed in another order
    // Brown–Forsythe: the same centre, one spread out, one not.
    expect(spread([0, 10, 0, 10, 0, 10, 0, 10], [5, 5, 5, 5, 5, 5, 5, 5]).agree).toBe(false)
    expect(spread([0, 10, 0, 10], [10, 20, 10, 20]).agree).toBe(true)
  })

  test('KS statistic: the largest distance between the two histograms\' CDFs', () => {
    expect(ksStatistic([1, 1, 0, 0], [0, 0, 1, 1])).toBe(1)
    expect(ksStatistic([2, 2], [1, 1])).toBe(0)
    expect(ksStatistic([1, 3], [3, 1])).toBeCloseTo(0.5, 12)
    expect(ksStatistic([0, 0], [0, 0])).toBe(0)
    expect(ksStatistic([0, 0], [0, 1])).toBe(1)
  })

  /**
   * Replications like a simulator's: 20 renders, each serving 500 requests whose ages share the
   * render's start (offset) and spread 10 buckets past it. Both groups come from the same law.
   */
  function clusteredReps(rng: AleaRng, n: number): Float64Array[] {
    return Array.from({ length: n }, () => {
      const h = new Float64Array(120)
      for (let r = 0; r < 20; r++) {
        const offset = Math.floor(rng.next() * 100)
        for (let k = 0; k < 500; k++) h[offset + Math.floor(rng.next() * 10)]! += 1
      }
      return h
    })
  }

  test('served ages within a replication are not independent: the iid KS critical value rejects the same law, the permutation test does not', () => {
    let iid = 0, perm = 0
    const trials = 20
    for (let t = 0; t < trials; t++) {
      const rng = new AleaRng('test/clustered', `trial ${t}`)
      const a = clusteredReps(rng, 30), b = clusteredReps(rng, 30)
      const n = 30 * 20 * 500
      // c(0.01) = √(−ln(0.005)/2) = 1.628: the iid two-sample critical value at 1%.
      const d = ksStatistic(a.reduce((x, h) => x.map((v, i) => v + h[i]!)), b.reduce((x, h) => x.map((v, i) => v + h[i]!)))
      if (d > 1.628 * Math.sqrt(2 / n)) iid++
      if (permutationKs(a, b, `trial ${t}`, 200).reject) perm++
    }
    // Binomial(20, 0.01): 3 or more rejections has probability 0.001.
    expect(perm, `permutation test rejected ${perm} of ${trials} same-law pairs`).toBeLessThanOrEqual(2)
    expect(iid, `iid KS rejected ${iid} of ${trials} same-law pairs`).toBeGreaterThanOrEqual(18)
  })

  test('the permutation test rejects a shift of the ages by one bucket in ten', () => {
    const rng = new AleaRng('test/clustered', 'shift')
    const a = clusteredReps(rng, 30)
    const b = clusteredReps(rng, 30).map((h) => { const s = new Float64Array(h.length); h.forEach((v, i) => { s[Math.min(h.length - 1, Math.round(i * 1.1))]! += v }); return s })
    const k = permutationKs(a, b, 'shift')
    expect(k.reject).toBe(true)
    // Its D is the KS statistic of the two groups' pooled histograms.
    const pool = (hs: Float64Array[]) => hs.reduce((x, h) => x.map((v, i) => v + h[i]!))
    expect(k.d).toBeCloseTo(ksStatistic(pool(a), pool(b)), 12)
  })
})

const DIR = join(import.meta.dirname, '..', 'scenarios')
/** The bundled scenarios: scenarios/*.json and the .ts files that define one (not the CLI bridge, not the schema). */
const BUNDLED = readdirSync(DIR).filter((f) => (f.endsWith('.json') && !f.endsWith('.schema.json')) || (f.endsWith('.ts') && readFileSync(join(DIR, f), 'utf8').includes('defineScenario(')))
/**
 * Scenarios too long to run 60 times inside the file's budget, and the factor their duration
 * (and warmup, in proportion) is divided by: blog's day (2.4 M requests a replication) becomes
 * its first six hours, catalogue's hour (1.3 M) its first half hour.
 */
const SHORTER: Record<string, number> = { blog: 4, catalogue: 2 }
/** The routes that must run exact under --mode fast, and the field their reason names; every other route runs fast. */
const EXACT_ROUTES: Record<string, Record<string, RegExp>> = {
  'flaky-origin': { front: /traffic\.arrivals/ },
}

async function bundled(file: string): Promise<Scenario> {
  const s = await loadScenario(join(DIR, file))
  const k = SHORTER[s.name] ?? 1
  return k === 1 ? s : parseScenario({ ...s, durationS: s.durationS / k, warmupS: s.warmupS / k } as Parameters<typeof parseScenario>[0])
}

const scenarios = new Map<string, Scenario>()
const validations = new Map<string, CrossValidation>()

beforeAll(async () => {
  for (const f of BUNDLED) scenarios.set(f, await bundled(f))
})

/** The cross-validation of a bundled scenario, run once and shared by the tests below. */
function validated(file: string): CrossValidation {
  let cv = validations.get(file)
  if (cv === undefined) {
    const s = scenarios.get(file)!
    cv = crossValidate(s, String(s.seed))
    validations.set(file, cv)
    console.log(cv.report)
  }
  return cv
}

describe('bundled scenarios: fast mode agrees with exact mode (30 replications each)', () => {
  test('the bundled scenarios are found', () => {
    expect(BUNDLED).toEqual(expect.arrayContaining(['blog.ts', 'catalogue.ts', 'flaky-origin.json']))
  })

  test.each(BUNDLED)('%s: means, spreads and served-age distributions agree at α = 0.01', (file) => {
    const cv = validated(file)
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The comparisons did happen: every headline metric twice, one KS per route.
    const s = scenarios.get(file)!
    expect(cv.checks).toBe(2 * Object.keys(headline(cv.exact.results[0]!)).length + SERIES.length + s.routes.length)
  }, 300_000)

  test.each(BUNDLED)('%s: every eligible route ran fast, the others exact with their reason', (file) => {
    const s = scenarios.get(file)!
    const cv = validated(file)
    const exactOnes = EXACT_ROUTES[s.name] ?? {}
    for (const r of cv.fast.results) {
      expect(r.mode).toBe('fast')
      for (const [id, route] of Object.entries(r.routes)) {
        const why = exactOnes[id]
        if (why === undefined) expect([id, route.mode, route.exactBecause]).toEqual([id, 'fast', undefined])
        else {
          expect(route.mode, id).toBe('exact')
          expect(route.exactBecause, id).toMatch(why)
        }
      }
    }
    for (const r of cv.exact.results) for (const route of Object.values(r.routes)) expect(route.mode).toBe('exact')
  }, 300_000)

  test.each(BUNDLED)('%s: a route that runs exact under --mode fast gives what exact mode gives, replication by replication', (file) => {
    const s = scenarios.get(file)!
    const cv = validated(file)
    const ids = Object.keys(EXACT_ROUTES[s.name] ?? {})
    // The cross-validation draws fast mode from other seeds: three replications on exact mode's.
    if (ids.length > 0) cv.exact.results.slice(0, 3).forEach((e) => {
      const f = runScenario(s, { mode: 'fast', seed: e.seed })
      for (const id of ids) {
        const { mode: _m, exactBecause: _x, ...fast } = f.routes[id]!
        const { mode: _n, ...exact } = e.routes[id]!
        expect(fast, `${s.name} route ${id}, seed ${JSON.stringify(e.seed)}`).toEqual(exact)
      }
    })
  }, 300_000)
})

describe('several instances behind a random balancer (30 replications each)', () => {
  test('the catalogue on 3 instances with local caches, a crawler on the categories: every route fast, and fast agrees with exact', async () => {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    // The crawler walks the 200 categories every 5 minutes: each visit goes to the instance the balancer draws for it.
    const routes = c.routes.map((r) => (r.id === 'category' ? { ...r, traffic: { ...r.traffic, crawlers: [{ name: 'bot', revisitS: 300 }] } } : r))
    const s = parseScenario({ ...c, routes, durationS: c.durationS / 2, warmupS: c.warmupS / 2, deployment: { instances: 3, balancer: 'random' } } as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, 'random-balancer')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // Three caches fill apart: three times the fill writes of one instance, give or take the paths no instance saw.
    const fills = cv.exact.results[0]!.totals.fillWrites
    expect(fills).toBeGreaterThan(2 * runScenario(parseScenario({ ...s, deployment: undefined } as Parameters<typeof parseScenario>[0]), { mode: 'exact' }).totals.fillWrites)
  }, 300_000)
})

describe('deploys and restarts (30 replications each)', () => {
  test('the catalogue (16.4) with a deploy that prerenders and one that does not, a restart, a crawler on the categories: every route fast, and fast agrees with exact', async () => {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    const routes = c.routes.map((r) => (r.id === 'category' ? { ...r, traffic: { ...r.traffic, crawlers: [{ name: 'bot', revisitS: 300 }] } } : r))
    // 30 min: a deploy at 10 min rewrites the 1000 prebuilt products and the rest go cold; one at 20 min prerenders nothing.
    const s = parseScenario({ ...c, routes, durationS: 1800, warmupS: 150, deploys: [{ atS: 600 }, { atS: 1200, prerender: false }], restarts: [{ atS: 900 }] } as Parameters<typeof parseScenario>[0])
    expect(s.next.version).toBe('16.4')
    const cv = crossValidate(s, 'deploys')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The deploys did reach the run: the first wrote the prebuilt pages, and cold paths filled again after each.
    const e = cv.exact.results[0]!, f = cv.fast.results[0]!
    expect(e.routes.product!.deployWrites).toBe(1000)
    expect(f.routes.product!.deployWrites).toBe(1000)
    const noDeploys = runScenario(parseScenario({ ...s, deploys: [] } as Parameters<typeof parseScenario>[0]), { mode: 'fast' })
    expect(f.totals.fillWrites).toBeGreaterThan(2 * noDeploys.totals.fillWrites)
  }, 300_000)

  /**
   * Restarts before 16.4 (§11.2): each drops the process's cache controls, so a product page
   * generated on demand falls back to the 1 s default until regenerated once, a prebuilt one to
   * the manifest's. The catalogue on 16.3 with failing renders (their back-off lowers revalidate,
   * which a restart resets), a Pages route (whose cache control a restart drops on every
   * version, §14.7) and 'use cache' data per category (emptied with the process's memory, §12.5),
   * on 2 instances restarted apart and together.
   */
  test('the catalogue on 16.3, 2 instances, 3 restarts, with a Pages route and per-path \'use cache\' data: every route fast, and fast agrees with exact', async () => {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    const routes = [
      ...c.routes.map((r) => (r.id === 'category' ? { ...r, failureRate: 0.1, fetches: [{ id: 'cat', kind: 'use cache', perPath: true, cacheLife: 'hours', latencyS: 0.1 }] } : r)),
      { id: 'docs', pattern: '/docs/[slug]', router: 'pages', revalidateS: 300, params: { count: 50, prebuilt: 10 }, renderS: 0.2, failureRate: 0.05, traffic: { rps: 20, popularity: { zipf: 1 } } },
    ]
    const input: Record<string, unknown> = { ...c, routes, next: { version: '16.3' }, durationS: 1800, warmupS: 150, deployment: { instances: 2, balancer: 'random' } }
    const s = parseScenario({ ...input, restarts: [{ atS: 500, instance: 0 }, { atS: 900 }, { atS: 1300, instance: 1 }] } as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, 'restarts')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    // The restarts did reach the run: without them fewer regenerations, and fewer 'use cache' runs.
    const without = runScenario(parseScenario(input), { mode: 'fast' })
    const f = cv.fast.results[0]!
    expect(f.totals.backgroundRenders).toBeGreaterThan(without.totals.backgroundRenders)
    expect(f.fetches.cat!.originFetches).toBeGreaterThan(without.fetches.cat!.originFetches)
  }, 300_000)

  test('a fast mode that ignores deploys is rejected', async () => {
    const c = await loadScenario(join(DIR, 'catalogue.ts'))
    const s = parseScenario({ ...c, durationS: 1800, warmupS: 150, deploys: [{ atS: 600 }, { atS: 1200, prerender: false }] } as Parameters<typeof parseScenario>[0])
    const without = parseScenario({ ...s, deploys: [] } as Parameters<typeof parseScenario>[0])
    const cv = crossValidate(s, 'deploys-ignored', (_sc, seed, n) => runReplications(without, 'fast', seed, n))
    expect(cv.confirmed.length, cv.report).toBeGreaterThan(5)
  }, 300_000)
})

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
    const cv = crossValidate(s, 'own-fetches-biased', (_sc, seed, n) => runReplications(shorter, 'fast', seed, n))
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
    const cv = crossValidate(mk(0.12), 'dynamic-kept-biased', (_sc, seed, n) => runReplications(shorter, 'fast', seed, n))
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

// ---------------------------------------------------------------------------
// The test's teeth: wrong fast modes are rejected by the same procedure.

/** Sets one headline metric (a path of headline()) in a copy of the result. */
function setMetric(r: SimResult, path: string, v: number): SimResult {
  const [top, ...rest] = path.split('.')
  if (top === 'routes') {
    const key = rest.pop()!
    const id = rest.join('.')
    return { ...r, routes: { ...r.routes, [id]: { ...r.routes[id]!, [key]: v } } }
  }
  const part = top as 'totals' | 'staleness' | 'latency' | 'cost'
  return { ...r, [part]: { ...r[part], [rest[0]!]: v } }
}

/**
 * "Multiply the expected values": every replication reports the replications' mean (counts
 * rounded to whole numbers), and every histogram is the mean histogram. Right means, no spread.
 */
function expectedValues(runs: ModeRuns): ModeRuns {
  const hs = runs.results.map(headline)
  let mean = runs.results[0]!
  for (const k of Object.keys(hs[0]!)) {
    const m = summary(hs.map((h) => h[k]!)).mean
    const whole = hs.every((h) => Number.isInteger(h[k]!))
    mean = setMetric(mean, k, whole ? Math.round(m) : m)
  }
  const hists = runs.hists.map((reps) => {
    const avg = new Float64Array(HISTOGRAM_BUCKETS)
    for (const h of reps) for (let b = 0; b < HISTOGRAM_BUCKETS; b++) avg[b] = avg[b]! + h[b]! / reps.length
    return reps.map(() => avg)
  })
  return { results: runs.results.map(() => mean), hists }
}

/** Every served age of a replication at the route's mean age: the right mean, the wrong distribution. */
function agesAtMean(runs: ModeRuns): ModeRuns {
  return {
    results: runs.results,
    hists: runs.hists.map((reps, k) => reps.map((h, i) => {
      const route = Object.values(runs.results[i]!.routes)[k]!
      const n = h.reduce((a, b) => a + b, 0)
      const out = new Float64Array(HISTOGRAM_BUCKETS)
      if (n > 0) out[bucketOf(Math.round(route.ageMeanS * 1e6))] = n
      return out
    })),
  }
}

describe('a wrong fast mode is rejected', () => {
  // flaky-origin is cheap (90 k requests a replication) and has one route of each mode.
  const FILE = 'flaky-origin.json'

  test('"multiply the expected values" (every replication at the mean): the spreads reject it', () => {
    const s = scenarios.get(FILE)!
    const wrong: FastRunner = (sc, seed, n) => expectedValues(runReplications(sc, 'fast', seed, n))
    const cv = crossValidate(s, String(s.seed), wrong)
    const keys = cv.confirmed.map((f) => f.key)
    for (const k of ['spread totals.requests', 'spread totals.hit', 'spread totals.stale', 'spread totals.renders', 'spread staleness.ageMeanS', 'spread routes.article.stale']) expect(keys, cv.report).toContain(k)
    // Its means are fast mode's and its histograms pool to fast mode's: the spreads are what
    // sees it (a mean or the KS test may reject too, by chance, their noise being exact mode's alone).
  }, 300_000)

  test('ages all at their mean: the permutation KS rejects it on every route that serves cached pages', () => {
    const s = scenarios.get(FILE)!
    const cv = crossValidate(s, String(s.seed), (sc, seed, n) => agesAtMean(runReplications(sc, 'fast', seed, n)))
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual(expect.arrayContaining(['ages article', 'ages front']))
  }, 300_000)

  test('a biased rule (exact mode with every revalidate × 1.1) is rejected by the means and the served ages', () => {
    const s = scenarios.get(FILE)!
    const cv = crossValidate(s, String(s.seed), (sc, seed, n) => runReplications(scaledRevalidate(sc, 1.1), 'exact', seed, n))
    const keys = cv.confirmed.map((f) => f.key)
    expect(keys, cv.report).toEqual(expect.arrayContaining(['mean totals.renders', 'mean routes.article.renders', 'ages article']))
  }, 300_000)

  test('the real fast mode passes where they fail, on the same seeds', () => {
    expect(validated(FILE).confirmed, validated(FILE).report).toEqual([])
  }, 300_000)

  test('the KS permutation test alone: a same-mode split does not reject, a 10% longer revalidate does', () => {
    const s = scenarios.get(FILE)!
    const cv = validated(FILE)
    const seed = 'split'
    const other = runReplications(s, 'exact', `${String(s.seed)}/other`)
    expect(compareRuns(s, cv.exact, other, seed).findings.filter((f) => f.key.startsWith('ages'))).toEqual([])
    const biased = runReplications(scaledRevalidate(s, 1.1), 'exact', `${String(s.seed)}/other`)
    expect(compareRuns(s, cv.exact, biased, seed).findings.map((f) => f.key)).toContain('ages article')
  }, 300_000)
})

describe('determinism in fast mode', () => {
  test.each(['catalogue.ts', 'flaky-origin.json'])('%s: the same scenario, seed and mode give the same bytes', (file) => {
    const s = scenarios.get(file)!
    const bytes: Record<string, string> = {}
    for (const mode of ['fast', 'auto'] as const) {
      const a = JSON.stringify(runScenario(s, { mode, seed: 'det', replications: 2 }))
      const b = JSON.stringify(runScenario(s, { mode, seed: 'det', replications: 2 }))
      expect(a === b, `${s.name} --mode ${mode} --seed det: two runs differ`).toBe(true)
      expect(JSON.parse(a).mode).toBe(mode)
      bytes[mode] = a
    }
    // auto is fast mode wherever fast mode is exact: the same run, under its own name.
    expect(bytes.auto!.replace('"mode":"auto"', '"mode":"fast"'), `${s.name}: --mode auto and --mode fast differ`).toBe(bytes.fast)
    // And another seed gives other figures: the bytes are not constant.
    expect(JSON.stringify(runScenario(s, { mode: 'fast', seed: 'det2' }).totals)).not.toBe(JSON.stringify(runScenario(s, { mode: 'fast', seed: 'det' }).totals))
  })
})
