/**
 * Sparse traffic in fast mode (sim/isr/fast-sparse.ts): a route with far fewer requests than
 * (instance, path) pairs runs only the pairs a request reaches, each from its first
 * state-changing arrival, and the rest in bulk. Cross-validated against exact mode as
 * test/fast-mode.test.ts does, on routes that take that path.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { resolveRoutes } from '../sim/isr/entries.ts'
import { fastPlan } from '../sim/isr/fast-eligibility.ts'
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

describe('auto mode runs a large sparse route exact when the sparse draw cannot take it', () => {
  // 2M pages, 1.16 req/s for a day (about 100k requests): sparse, and 2M pairs ≥ SPARSE_WEIGH_PAIRS.
  const big = (extra: Partial<ScenarioInput>, count = 2_000_000): ScenarioInput => ({
    name: 'big-sparse', seed: '40', durationS: 86_400, next: { version: '16.4' },
    routes: [{ id: 'variant', pattern: '/[locale]/p/[variant]', revalidateS: 3600, params: { count, prebuilt: 100_000 }, renderS: 0.2, fetches: [{ id: 'v', tags: ['variants', 'v:{variant}'], latencyS: 0.05 }], traffic: { rps: 1.16 } }],
    ...extra,
  })
  const plan = (input: ScenarioInput, mode: 'auto' | 'fast' = 'auto') => { const s = parseScenario(input); return fastPlan(s, resolveRoutes(s), mode).exactBecause[0] }
  const call = { onDemand: [{ kind: 'revalidateTag' as const, tag: 'variants', atS: 3600, everyS: 21_600 }] }

  test('a call reaching it, a purge, a restart or a deploy: exact in auto mode, with the figures', () => {
    expect(plan(big(call))).toBe('sparse traffic (about 100,224 requests over 2,000,000 (instance, path) pairs) and on-demand calls reach it: fast mode would run every pair\'s timeline, exact mode keeps records only for the paths visited (--mode fast runs it fast)')
    expect(plan(big({ purges: [{ atS: 600 }] }))).toMatch(/^sparse traffic .* and purges:/)
    expect(plan(big({ restarts: [{ atS: 600 }] }))).toMatch(/^sparse traffic .* and restarts:/)
    expect(plan(big({ deploys: [{ atS: 600 }] }))).toMatch(/^sparse traffic .* and deploys:/)
    // Two instances: twice the pairs.
    expect(plan(big({ ...call, deployment: { instances: 2, balancer: 'random' } }))).toMatch(/over 4,000,000 \(instance, path\) pairs/)
  })

  test('fast otherwise: --mode fast, no such event, a call that reaches no page of it, crawlers, a smaller route, denser traffic', () => {
    expect(plan(big(call), 'fast')).toBeNull()
    expect(plan(big({}))).toBeNull()
    const other = big({ onDemand: [{ kind: 'revalidateTag', tag: 'home', atS: 3600 }] })
    expect(plan({ ...other, routes: [...other.routes, { id: 'home', pattern: '/', revalidateS: 60, renderS: 0.1, fetches: [{ id: 'h', tags: ['home'] }], traffic: { rps: 1 } }] })).toBeNull()
    expect(plan({ ...big(call), routes: [{ ...big(call).routes[0]!, traffic: { rps: 1.16, crawlers: [{ name: 'bot', paths: 1000, revisitS: 86_400 }] } }] })).toBeNull()
    expect(plan(big(call, (1 << 20) - 1))).toBeNull()
    expect(plan({ ...big(call), routes: [{ ...big(call).routes[0]!, traffic: { rps: 10 } }] })).toBeNull() // 864k requests over 2M pairs: more than a quarter
  })

  test('the run says so per route, and its figures are exact mode\'s bytes', () => {
    const s = parseScenario(big(call, 1 << 20))
    const auto = runScenario(s, { mode: 'auto' })
    expect(auto.routes.variant!.mode).toBe('exact')
    expect(JSON.stringify({ ...auto, mode: null, routes: null })).toBe(JSON.stringify({ ...runScenario(s, { mode: 'exact' }), mode: null, routes: null }))
  }, 120_000)
})
