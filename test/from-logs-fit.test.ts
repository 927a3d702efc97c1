/**
 * Fits on synthetic logs with known parameters (test/from-logs-helpers.ts, seeded): rates,
 * Zipf s, the daily curve, crawlers, render times, real paths and their order, empirical
 * weights where Zipf fits badly, replay schedules; and a property: the fit converges as the
 * log grows. Every failure names the seed; the logs are regenerated from it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fitTraffic, readRouteRequests } from '../scenarios/from-logs/index.ts'
import { fitPopularity, zipfKs, zipfMle } from '../scenarios/from-logs/fit-popularity.ts'
import { hourExposure } from '../scenarios/from-logs/fit-diurnal.ts'
import { parseScenario, type ScenarioInput } from '../sim/index.ts'
import { BINGBOT, formatLog, GOOGLEBOT, synthRequests, type SynthFormat, type SynthOptions } from './from-logs-helpers.ts'

let dir = ''
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'isrsim-logs-fit-')) })
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })
let files = 0
function logOf(o: SynthOptions, format: SynthFormat = 'nginx'): string {
  const f = join(dir, `log-${files++}.log`)
  writeFileSync(f, formatLog(synthRequests(o), format))
  return f
}

type Route = ScenarioInput['routes'][number]
const route = (id: string, pattern: string, params?: Route['params']): Route => ({ id, pattern, revalidateS: 300, renderS: 0.1, traffic: { rps: 1, placeholder: true }, ...(params ? { params } : {}) })
const scenarioOf = (...routes: Route[]): ScenarioInput => ({ name: 'fit', durationS: 3600, routes })
const byId = (s: ScenarioInput, id: string) => s.routes.find((r) => r.id === id)!
const rel = (got: number, want: number) => Math.abs(got / want - 1)

/** A site's daily curve: quiet at night (0.3), busy in the evening (1.8), mean 1. */
const CURVE = (() => {
  const raw = Array.from({ length: 24 }, (_, h) => 1.05 + 0.75 * Math.sin(((h - 13) / 24) * 2 * Math.PI))
  const m = raw.reduce((a, b) => a + b) / 24
  return raw.map((x) => x / m)
})()

describe('a day of a site, every format', () => {
  const SEED = 20240501
  const day: SynthOptions = {
    seed: SEED, startMs: Date.UTC(2024, 4, 1, 7, 0, 30), durationS: 86_400, hourly: CURVE, assetRps: 0.1,
    routes: [{ prefix: '/blog/', paths: 300, rps: 1, zipf: 0.9, unknownRps: 0.2 }, { prefix: '/about', paths: 1, rps: 0.5, zipf: 1 }, { prefix: '/docs/guide/', paths: 40, rps: 0.4, zipf: 1.2 }],
    crawlers: [{ ua: GOOGLEBOT, route: 0, paths: 300, revisitS: 21_600 }, { ua: BINGBOT, route: 2, paths: 40, revisitS: 10_800 }],
    render: { medianS: 0.25, p95S: 0.9 },
  }
  const scenario = scenarioOf(route('post', '/blog/[slug]', { count: 300 }), route('about', '/about'), route('docs', '/docs/[...slug]', { count: 40 }))

  it.each(['nginx', 'nginx-plain', 'vercel', 'cloudfront', 'cloudflare'] as const)('%s: rates within 3 percent, Zipf s within 0.05, the daily curve within 10 percent per hour, crawlers, render times', async (format) => {
    const why = `seed ${SEED}, format ${format}`
    const fit = await fitTraffic(scenario, [logOf(day, format)], { format: 'auto', replay: false })
    const s = parseScenario(fit.scenario, 'fitted')
    const [post, about, docs] = [byId(fit.scenario, 'post'), byId(fit.scenario, 'about'), byId(fit.scenario, 'docs')]
    expect(rel(post.traffic.rps, 1), why).toBeLessThan(0.03)
    expect(rel(about.traffic.rps, 0.5), why).toBeLessThan(0.03)
    expect(rel(docs.traffic.rps, 0.4), why).toBeLessThan(0.03)
    expect(rel(post.traffic.unknownRate!, 0.2), why).toBeLessThan(0.03)
    expect(about.traffic.unknownRate, why).toBe(0)
    expect(Math.abs((post.traffic.popularity as { zipf: number }).zipf - 0.9), why).toBeLessThan(0.05)
    expect(Math.abs((docs.traffic.popularity as { zipf: number }).zipf - 1.2), why).toBeLessThan(0.05)
    // The daily curve, UTC hours; t = 0 is the log's first hour.
    expect(s.diurnal?.startHour, why).toBe(7)
    for (let h = 0; h < 24; h++) expect(rel(s.diurnal!.hourly[h]!, CURVE[h]!), `${why}, hour ${h}`).toBeLessThan(0.1)
    // Crawlers walk their paths once per revisitS.
    expect(post.traffic.crawlers, why).toHaveLength(1)
    expect(post.traffic.crawlers![0]!.name).toBe('Googlebot')
    expect(post.traffic.crawlers![0]!.paths).toBe(300)
    expect(rel(post.traffic.crawlers![0]!.revisitS, 21_600), why).toBeLessThan(0.03)
    expect(docs.traffic.crawlers![0]).toMatchObject({ name: 'bingbot', paths: 40 })
    expect(rel(docs.traffic.crawlers![0]!.revisitS, 10_800), why).toBeLessThan(0.03)
    expect(about.traffic.crawlers, why).toBeUndefined()
    // Real paths, most popular first; placeholders gone.
    expect(post.params?.count).toBe(300)
    expect(post.params?.paths?.slice(0, 3)).toEqual(['/blog/0', '/blog/1', '/blog/2'])
    expect(docs.params?.paths?.[0]).toBe('/docs/guide/0')
    expect(post.traffic.placeholder).toBeUndefined()
    // Render times from MISS lines where the log has request times.
    if (format === 'vercel' || format === 'nginx-plain') expect(post.renderS).toBe(0.1) // no request times in the log
    else {
      const r = (post.renderS as { lognormal: { medianS: number; p95S: number } }).lognormal
      // CloudFront logs time-taken to the millisecond but times to the second: the same figures.
      expect(rel(r.medianS, 0.25), why).toBeLessThan(0.05)
      expect(rel(r.p95S, 0.9), why).toBeLessThan(0.1)
    }
    expect(fit.report.join('\n')).toMatch(/post \/blog\/\[slug\]: [\d,]+ requests \([\d,]+ human, [\d,]+ crawler, [\d,]+ answered 404\)/)
    expect(fit.report.join('\n')).toMatch(/Zipf s = 0\.9\d* \(KS 0\.0\d+ against it in the path order, limit 0\.050: Zipf kept\)/)
  })
})

describe('Zipf s by maximum likelihood', () => {
  it.each([0.6, 0.8, 1.0, 1.2, 1.4])('s = %s comes back within 0.05 from a log of 100,000 requests', async (s) => {
    const seed = Math.round(s * 1000)
    const f = logOf({ seed, startMs: Date.UTC(2024, 0, 1), durationS: 10_000, routes: [{ prefix: '/p/', paths: 500, rps: 10, zipf: s }] })
    const fit = await fitTraffic(scenarioOf(route('p', '/p/[id]', { count: 500 })), [f], { format: 'auto', replay: false })
    const got = (byId(fit.scenario, 'p').traffic.popularity as { zipf: number }).zipf
    expect(Math.abs(got - s), `seed ${seed}`).toBeLessThan(0.05)
  })

  it('matches a brute-force maximum of the likelihood, with H(N, s) past 100,000 paths by integral', () => {
    const counts = [500, 260, 170, 120, 100, 80, 70, 60, 55, 50]
    const ll = (s: number, n: number) => {
      let h = 0
      for (let j = 1; j <= n; j++) h += j ** -s
      return -s * counts.reduce((a, c, k) => a + c * Math.log(k + 1), 0) - counts.reduce((a, b) => a + b) * Math.log(h)
    }
    for (const n of [10, 1000]) {
      let best = 0.01
      for (let s = 0.01; s < 3; s += 0.001) if (ll(s, n) > ll(best, n)) best = s
      expect(Math.abs(zipfMle(counts, n) - best), `N ${n}`).toBeLessThan(0.002)
    }
    // Past 100,000 paths the sums' tails are integrals: still the maximum of the exact likelihood.
    const n = 300_000
    const sHat = zipfMle(counts, n)
    expect(ll(sHat, n)).toBeGreaterThan(ll(sHat - 0.002, n))
    expect(ll(sHat, n)).toBeGreaterThan(ll(sHat + 0.002, n))
  })

  it('the KS distance is 0 for exact Zipf counts and large for a flat head', () => {
    const exact = Array.from({ length: 100 }, (_, k) => 1e6 * (k + 1) ** -1.1)
    expect(zipfKs(exact, 100, 1.1)).toBeLessThan(1e-9)
    const flat = Array.from({ length: 100 }, (_, k) => (k < 20 ? 1000 : 10))
    const fit = fitPopularity(flat, 100)
    expect(fit.ks).toBeGreaterThan(0.1)
    expect(fit.zipfFits).toBe(false)
  })

  it('where Zipf fits badly, the counts are the popularity ({ weights }) in params.paths order', async () => {
    // Two tiers: 10 hot pages share 90%, 190 others the rest evenly: no Zipf looks like that.
    const reqs = [...synthRequests({ seed: 3, startMs: Date.UTC(2024, 0, 1), durationS: 3600, routes: [{ prefix: '/hot/', paths: 10, rps: 9, zipf: 0.01 }] }), ...synthRequests({ seed: 4, startMs: Date.UTC(2024, 0, 1), durationS: 3600, routes: [{ prefix: '/cold/', paths: 190, rps: 1, zipf: 0.01 }] })].sort((a, b) => a.atMs - b.atMs)
    const f = join(dir, 'tiers.log')
    writeFileSync(f, formatLog(reqs.map((r) => ({ ...r, path: r.path.replace(/^\/(hot|cold)\//, (_, t: string) => `/p/${t}-`) })), 'nginx'))
    const fit = await fitTraffic(scenarioOf(route('p', '/p/[id]', { count: 10 })), [f], { format: 'auto', replay: false })
    const p = byId(fit.scenario, 'p')
    const w = (p.traffic.popularity as { weights: number[] }).weights
    expect(w).toBeDefined()
    expect(w.length).toBe(200)
    const paths = p.params!.paths!
    expect(paths.slice(0, 10).every((x) => x.startsWith('/p/hot-'))).toBe(true)
    // Weight i is the human count of paths[i]: the hot ten carry ~90%.
    const hot = w.slice(0, 10).reduce((a, b) => a + b) / w.reduce((a, b) => a + b)
    expect(Math.abs(hot - 0.9)).toBeLessThan(0.01)
    for (let i = 1; i < w.length; i++) expect(w[i]!).toBeLessThanOrEqual(w[i - 1]!)
    expect(fit.report.join('\n')).toContain('fits badly, the counts are the popularity ({ weights })')
    parseScenario(fit.scenario, 'weights')
  })
})

describe('real paths', () => {
  it('keeps params.paths first (prebuilt block, then the rest), each reordered by the log, then new paths by popularity', async () => {
    const f = logOf({ seed: 9, startMs: Date.UTC(2024, 0, 1), durationS: 3600, routes: [{ prefix: '/blog/', paths: 6, rps: 3, zipf: 1.5 }] })
    // The build knows /blog/5, /blog/4, /blog/x (never requested) as prebuilt and /blog/3 past them.
    const sc = scenarioOf(route('post', '/blog/[slug]', { count: 10, prebuilt: 3, paths: ['/blog/5', '/blog/x', '/blog/4', '/blog/3'] }))
    const fit = await fitTraffic(sc, [f], { format: 'auto', replay: false })
    const p = byId(fit.scenario, 'post').params!
    expect(p.paths).toEqual(['/blog/4', '/blog/5', '/blog/x', '/blog/3', '/blog/0', '/blog/1', '/blog/2'])
    expect(p.prebuilt).toBe(3)
    expect(p.count).toBe(7)
  })

  it('never counts fewer paths than are prebuilt', async () => {
    const f = logOf({ seed: 10, startMs: Date.UTC(2024, 0, 1), durationS: 600, routes: [{ prefix: '/blog/', paths: 5, rps: 1, zipf: 1 }] })
    const fit = await fitTraffic(scenarioOf(route('post', '/blog/[slug]', { count: 500, prebuilt: 100 })), [f], { format: 'auto', replay: false })
    expect(byId(fit.scenario, 'post').params).toMatchObject({ count: 100, prebuilt: 100 })
  })
})

describe('replay', () => {
  const opts: SynthOptions = { seed: 21, startMs: Date.UTC(2024, 0, 1, 12), durationS: 900, routes: [{ prefix: '/blog/', paths: 20, rps: 2, zipf: 1, unknownRps: 0.1 }, { prefix: '/about', paths: 1, rps: 0.5, zipf: 1 }], crawlers: [{ ua: GOOGLEBOT, route: 0, paths: 20, revisitS: 300 }] }

  it('puts every logged request into the schedule: times from the log start, path indexes into params.paths, 404 paths past them', async () => {
    const reqs = synthRequests(opts)
    const f = join(dir, 'replay.log')
    writeFileSync(f, formatLog(reqs, 'nginx'))
    const fit = await fitTraffic(scenarioOf(route('post', '/blog/[slug]', { count: 20 }), route('about', '/about')), [f], { format: 'auto', replay: true })
    const s = parseScenario(fit.scenario, 'replay')
    const post = byId(fit.scenario, 'post')
    const sch = post.traffic.schedule!
    const blog = reqs.filter((r) => r.path.startsWith('/blog/'))
    expect(sch.atS).toHaveLength(blog.length)
    const t0 = reqs[0]!.atMs
    blog.forEach((r, i) => {
      expect(sch.atS[i]).toBeCloseTo((r.atMs - t0) / 1000, 2)
      const idx = sch.path![i]!
      if (r.status === 404) expect(idx).toBeGreaterThanOrEqual(post.params!.paths!.length)
      else expect(post.params!.paths![idx]).toBe(r.path)
    })
    expect(post.traffic).toMatchObject({ rps: 0, unknownRate: 0 })
    expect(post.traffic.crawlers).toBeUndefined()
    expect(post.params!.count).toBe(20 + new Set(blog.filter((r) => r.status === 404).map((r) => r.path)).size)
    expect(byId(fit.scenario, 'about').traffic.schedule!.path!.every((x) => x === 0)).toBe(true)
    expect(s.durationS).toBeGreaterThanOrEqual(sch.atS.at(-1)!)
    expect(s.durationS).toBeLessThan(901)
    expect(s.warmupS).toBe(0)
  })

  it('readRouteRequests gives each route its requests with the fitted scenario\'s path indexes and logged cache statuses', async () => {
    const reqs = synthRequests(opts)
    const f = join(dir, 'replay2.log')
    writeFileSync(f, formatLog(reqs, 'nginx'))
    const sc = scenarioOf(route('post', '/blog/[slug]', { count: 20 }), route('about', '/about'))
    const fitted = (await fitTraffic(sc, [f], { format: 'auto', replay: false })).scenario
    const got = await readRouteRequests(fitted, [f], { format: 'auto' })
    const post = got.routes[0]!
    const paths = byId(fitted, 'post').params!.paths!
    expect(post.paths.slice(0, paths.length)).toEqual(paths)
    const blog = reqs.filter((r) => r.path.startsWith('/blog/'))
    expect(post.atS.length).toBe(blog.length)
    const names = ['none', 'HIT', 'STALE', 'MISS', 'REVALIDATED']
    blog.forEach((r, i) => {
      expect(post.paths[post.path[i]!]).toBe(r.path)
      expect(names[post.cache[i]!]).toBe(r.cache === '-' ? 'none' : r.cache)
      expect(post.status[i]).toBe(r.status)
    })
    expect(post.knownPaths).toBe(paths.length)
    expect(got.hasCache).toBe(true)
    expect(got.routes[1]!.paths).toEqual(['/about'])
  })
})

describe('convergence', () => {
  it('hour exposure adds up to the span', () => {
    const e = hourExposure(Date.UTC(2024, 0, 1, 5, 30), 36 * 3_600_000)
    expect(e.reduce((a, b) => a + b)).toBe(36 * 3_600_000)
    expect(e[5]).toBe(1.5 * 3_600_000)
    expect(e[6]).toBe(2 * 3_600_000)
  })

  it('property: the errors of rps and s stay within 5 standard errors, which shrink as 1/√n when the log grows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.double({ min: 0.6, max: 1.4, noNaN: true }), fc.double({ min: 1, max: 4, noNaN: true }), async (seed, s, rps) => {
        const N = 50
        // Fisher information of s per request: Var_p(ln k).
        const w = Array.from({ length: N }, (_, k) => (k + 1) ** -s)
        const H = w.reduce((a, b) => a + b)
        const m1 = w.reduce((a, x, k) => a + (x / H) * Math.log(k + 1), 0)
        const m2 = w.reduce((a, x, k) => a + (x / H) * Math.log(k + 1) ** 2, 0)
        const info = m2 - m1 * m1
        for (const n of [2_000, 8_000, 32_000]) {
          const durationS = n / rps
          const f = logOf({ seed, startMs: Date.UTC(2024, 0, 1), durationS, routes: [{ prefix: '/p/', paths: N, rps, zipf: s }] })
          const fit = await fitTraffic(scenarioOf(route('p', '/p/[id]', { count: N })), [f], { format: 'auto', replay: false })
          const p = byId(fit.scenario, 'p')
          const sHat = (p.traffic.popularity as { zipf: number }).zipf
          const why = `seed ${seed}, s ${s}, rps ${rps}, n ${n}`
          expect(Math.abs(sHat - s), why).toBeLessThan(5 / Math.sqrt(n * info) + 0.005)
          expect(rel(p.traffic.rps, rps), why).toBeLessThan(5 / Math.sqrt(n))
          rmSync(f)
        }
      }),
      { numRuns: 8 },
    )
  })

  it('the mean error over seeds falls as the log grows (16× the requests: at least 2× smaller)', async () => {
    const err = async (n: number) => {
      let sum = 0
      for (let seed = 1; seed <= 6; seed++) {
        const f = logOf({ seed: seed * 101 + n, startMs: Date.UTC(2024, 0, 1), durationS: n / 2, routes: [{ prefix: '/p/', paths: 50, rps: 2, zipf: 1 }] })
        const fit = await fitTraffic(scenarioOf(route('p', '/p/[id]', { count: 50 })), [f], { format: 'auto', replay: false })
        sum += Math.abs((byId(fit.scenario, 'p').traffic.popularity as { zipf: number }).zipf - 1)
        rmSync(f)
      }
      return sum / 6
    }
    const small = await err(2_000)
    const large = await err(32_000)
    expect(large, `mean |s − 1|: ${small} at 2,000 requests, ${large} at 32,000 (seeds 1..6 × 101 + n)`).toBeLessThan(small / 2)
  })
})
