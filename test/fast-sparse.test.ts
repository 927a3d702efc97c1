/**
 * Sparse traffic in fast mode (sim/isr/fast-sparse.ts): a route with far fewer requests than
 * (instance, path) pairs runs only the pairs a request reaches, each from its first
 * state-changing arrival, and the rest in bulk. Cross-validated against exact mode as
 * test/fast-mode.test.ts does, on routes that take that path.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { resolveRoutes } from '../sim/isr/entries.ts'
import type { PathCtx } from '../sim/isr/fast-path-ctx.ts'
import { rateCurve } from '../sim/isr/fast-rate.ts'
import { isSparse } from '../sim/isr/fast-sparse.ts'
import { crossValidate } from './fast-stats.ts'

/**
 * Two hours on 16.4 (expire 900 s), 2 instances behind a random balancer:
 * - variants: 20,000 pages, Zipf 1, the top 2,000 prebuilt, revalidate 600 s, 5% failed
 *   renders, each fetching its own data (cached 1800 s) and the layout's navigation (uncached),
 *   on a daily curve;
 * - archive: 8,000 pages, uniform, 500 prebuilt, no others (dynamicParams false: 404s), revalidate
 *   300 s, a flat rate (its pages run in fast-steady.ts's loop, which takes the first arrival given);
 * - frozen: 5,000 pages, 1,000 prebuilt, revalidate false.
 * About 4,300 requests: every route's pairs outnumber its requests at least fourfold.
 */
const input: ScenarioInput = {
  name: 'sparse', seed: 'sparse', durationS: 7200, warmupS: 600, buildAgeS: 120,
  next: { version: '16.4', expireTimeS: 900 },
  deployment: { instances: 2, balancer: 'random' },
  routes: [
    { id: 'variants', pattern: '/v/[id]', revalidateS: 600, params: { count: 20_000, prebuilt: 2_000 }, renderS: { lognormal: { medianS: 0.3, p95S: 1.2 } }, failureRate: 0.05,
      fetches: [{ id: 'variant', perPath: true, revalidateS: 1800, latencyS: 0.08 }, { id: 'nav', perPath: false, latencyS: 0.02 }], traffic: { rps: 0.4, popularity: { zipf: 1 }, diurnal: { hourly: Array.from({ length: 24 }, (_, h) => 0.5 + (h % 6) / 4), startHour: 10 } } },
    { id: 'archive', pattern: '/a/[id]', revalidateS: 300, params: { count: 8_000, prebuilt: 500, dynamicParams: false }, renderS: 0.2, traffic: { rps: 0.15 } },
    { id: 'frozen', pattern: '/f/[id]', revalidateS: false, params: { count: 5_000, prebuilt: 1_000 }, renderS: 0.5, traffic: { rps: 0.05, popularity: { zipf: 0.8 } } },
  ],
}

describe('sparse traffic: only the pages a request reaches run (30 replications each)', () => {
  const s = parseScenario(input)

  test('every route takes the sparse path', () => {
    const durationUs = s.durationS * 1e6
    resolveRoutes(s).forEach((r, i) => {
      const c = { curve: rateCurve(s, i, durationUs), endCont: durationUs - 0.5 } as PathCtx
      expect([r.id, isSparse(c, s, r, 2, false, 0)]).toEqual([r.id, true])
    })
  })

  test('fast agrees with exact: means, spreads, served ages and origin calls', () => {
    const cv = crossValidate(s, 'sparse')
    console.log(cv.report)
    for (const r of cv.fast.results) for (const [id, route] of Object.entries(r.routes)) expect([id, route.mode]).toEqual([id, 'fast'])
    expect(cv.confirmed.map((f) => f.key), cv.report).toEqual([])
    const f = cv.fast.results[0]!
    // What the routes did: 404s for the archive's other pages, HITs only on the frozen pages' build.
    expect(f.routes.archive!.notFound).toBeGreaterThan(0)
    expect(f.routes.frozen!.renders).toBe(f.routes.frozen!.miss)
    expect(f.routes.variants!.stale).toBeGreaterThan(0)
  }, 300_000)

  test('the same scenario, seed and mode give the same bytes', () => {
    expect(JSON.stringify(runScenario(s, { mode: 'fast', seed: 'x' }))).toBe(JSON.stringify(runScenario(parseScenario(input), { mode: 'fast', seed: 'x' })))
  })
})
