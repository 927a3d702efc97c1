/**
 * Traffic shapes of issue 14: popularity given as weights per rank (`{ weights }`, e.g. request
 * counts from a log) and a daily curve for the whole site (top-level `diurnal`).
 *
 * Weights. Path i gets the share pᵢ = wᵢ / Σw of the route's requests (ranks past the list get
 * none). With Poisson arrivals each path is an independent Poisson stream of rate λpᵢ
 * (splitting), so the single-page renewal cycle of test/closed-form.test.ts applies per path:
 *   renders/s = Σᵢ 1 / (T + R + 1/(λpᵢ)),   a path with pᵢ = 0 never renders.
 */
import { describe, expect, test } from 'vitest'
import { closedFormAgeCdf, closedFormProblem } from '../sim/isr/closed-form.ts'
import { zipfWeights } from '../sim/kernel/dist.ts'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { requestPlan } from '../sim/plan.ts'
import { traced } from './helpers.ts'

const SEED = 'shapes'
const reproduce = (input: ScenarioInput) => `Reproduce: runScenario(parseScenario(${JSON.stringify(input)}), { seed: ${JSON.stringify(SEED)} })`

function weighted(weights: number[], count: number, rps: number, durationS: number, extra: Partial<ScenarioInput['routes'][number]> = {}): ScenarioInput {
  return {
    name: 'weights', durationS,
    routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0, params: { count }, traffic: { rps, popularity: { weights } }, ...extra }],
  }
}

describe('popularity { weights }', () => {
  test('path i gets the share wᵢ / Σw of requests, paths past the list none (4σ)', () => {
    const input = weighted([6, 3, 1], 5, 20, 1000)
    const t = traced(input, SEED)
    const n = t.requests.length
    const counts = [0, 0, 0, 0, 0]
    for (const r of t.requests) counts[r.path]!++
    expect(counts[3], reproduce(input)).toBe(0)
    expect(counts[4], reproduce(input)).toBe(0)
    ;[0.6, 0.3, 0.1].forEach((p, i) => {
      const sigma = Math.sqrt(n * p * (1 - p))
      expect(Math.abs(counts[i]! - n * p), `path ${i}: ${counts[i]} of ${n}, expected ${n * p} ± ${sigma.toFixed(1)}. ${reproduce(input)}`).toBeLessThan(4 * sigma)
    })
  })

  test.each(['exact', 'fast'] as const)('renders/s = Σ 1/(T + R + 1/(λpᵢ)) within 1%% (Poisson splitting, per-path renewal cycle), %s mode', (mode) => {
    const weights = [4, 2, 1, 1, 0], lambda = 4, T = 10, R = 1
    const input = weighted(weights, 6, lambda, 100_000, { revalidateS: T, renderS: R })
    const r = runScenario(parseScenario(input), { seed: SEED, mode })
    expect(r.routes.p!.mode).toBe(mode)
    const total = weights.reduce((a, b) => a + b, 0)
    const expected = weights.reduce((sum, w) => (w === 0 ? sum : sum + 1 / (T + R + 1 / ((lambda * w) / total))), 0)
    const got = r.totals.renders / 100_000
    expect(Math.abs(got / expected - 1), `renders/s ${got} vs closed form ${expected}. ${reproduce(input)}`).toBeLessThan(0.01)
  })

  test('the closed-form age CDF reads the weights: equal weights give the uniform CDF, Zipf weights the Zipf CDF', () => {
    const route = { id: 'p', pattern: '/p/[id]', revalidateS: 30, renderS: 2, params: { count: 8 } }
    const cdf = (popularity: ScenarioInput['routes'][number]['traffic']['popularity']) =>
      closedFormAgeCdf(parseScenario({ name: 'cdf', durationS: 10, routes: [{ ...route, traffic: { rps: 3, popularity } }] }), 0)
    expect(cdf({ weights: [5, 5, 5, 5, 5, 5, 5, 5] })).toEqual(cdf('uniform'))
    const zipf = [...zipfWeights(8, 1.2)].map((w) => w * 1000)
    const a = cdf({ weights: zipf })!, b = cdf({ zipf: 1.2 })!
    expect(a.ageS).toEqual(b.ageS)
    a.fraction.forEach((f, i) => expect(f).toBeCloseTo(b.fraction[i]!, 8))
    // Weights that leave a rank with none: half the paths never requested, so the CDF differs.
    expect(cdf({ weights: [1, 1, 1, 1] })).not.toEqual(cdf('uniform'))
  })
})

describe('a daily curve for the whole site', () => {
  // Hour 0 at twice the rate, hour 1 silent, the rest at 1: two hours simulated.
  const hourly = [2, 0, ...Array<number>(22).fill(1)]
  const input = (): ScenarioInput => ({
    name: 'site-diurnal', durationS: 7200, diurnal: { hourly },
    routes: [
      // Follows the site's curve, humans and unknown paths alike; its crawler stays flat.
      { id: 'site', pattern: '/s/[id]', revalidateS: false, renderS: 0, params: { count: 3 }, traffic: { rps: 1, arrivals: 'uniform', unknownRate: 0.5, crawlers: [{ name: 'bot', revisitS: 180 }] } },
      // Its own curve wins: silent in hour 0, 1 req/s in hour 1.
      { id: 'own', pattern: '/o', revalidateS: false, renderS: 0, traffic: { rps: 1, arrivals: 'uniform', diurnal: { hourly: [0, ...Array<number>(23).fill(1)] } } },
    ],
  })

  test('routes without their own curve follow it (humans and unknown paths), crawlers stay flat, a route\'s own curve wins', () => {
    const t = traced(input(), SEED)
    const perHour = (pred: (r: (typeof t.requests)[number]) => boolean) => [0, 1].map((h) => t.requests.filter((r) => pred(r) && Math.floor(r.atUs / 3600e6) === h).length)
    // Evenly spaced human arrivals: 2/s for 3600 s, then none; the crawler's 60 an hour in both.
    expect(perHour((r) => r.route === 'site' && r.path >= 0), reproduce(input())).toEqual([7200 + 60, 60])
    // Unknown paths (path -1): 0.5/s × 2 = 1/s on average in hour 0, none in hour 1.
    const unknown = perHour((r) => r.route === 'site' && r.path < 0)
    expect(unknown[1], reproduce(input())).toBe(0)
    expect(Math.abs(unknown[0]! - 3600), `unknown in hour 0: ${unknown[0]}`).toBeLessThan(4 * 60)
    expect(perHour((r) => r.route === 'own'), reproduce(input())).toEqual([0, 3600])
    expect(t.result.routes.site!.crawlerRequests).toBe(120) // 3 paths / 180 s = 1 request a minute, both hours
  })

  test('the site curve rules out the closed form and the plan\'s evenly spaced executor', () => {
    const s = parseScenario({ name: 'cf', durationS: 100, diurnal: { hourly }, routes: [{ id: 'p', pattern: '/', revalidateS: 10, renderS: 1, traffic: { rps: 2 } }] })
    expect(closedFormProblem(s, 0)).toMatch(/not stationary/)
    const { diurnal: _d, ...flat } = s
    expect(closedFormProblem(flat, 0)).toBeNull()
    const uniform = parseScenario({ name: 'plan', durationS: 10, diurnal: { hourly }, routes: [{ id: 'p', pattern: '/', revalidateS: 10, renderS: 1, traffic: { rps: 2, arrivals: 'uniform' } }] })
    expect(requestPlan(uniform).routes[0]!.executor).toBe('replay')
    expect(requestPlan({ ...uniform, diurnal: undefined }).routes[0]!.executor).toBe('uniform')
  })
})
