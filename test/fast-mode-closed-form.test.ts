/**
 * The closed forms of test/closed-form.test.ts and test/traffic-shapes.test.ts (the derivations
 * are there) in fast mode, within the same tolerances, wherever their scenarios are
 * fast-eligible: one page or N paths, Poisson traffic, constant renders, failures, Zipf, uniform
 * and weighted popularity, revalidate false. (Evenly spaced arrivals, cacheLife, unstable_cache
 * layers, a CDN, several instances, crawlers and render concurrency run exact under --mode fast,
 * so their closed-form tests already cover what fast mode gives there.) Every case also checks
 * that its route did run fast.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput, type SimResult } from '../sim/index.ts'
import { zipfWeights } from '../sim/kernel/dist.ts'
import { servedAgeCdf } from '../sim/isr/closed-form.ts'

const SEED = '2026'

function onePage(lambda: number, T: number, R: number, durationS: number, extra: Partial<ScenarioInput['routes'][number]> = {}): ScenarioInput {
  return {
    name: `closed-form λ=${lambda} T=${T} R=${R}`,
    durationS,
    routes: [{ id: 'p', pattern: '/', revalidateS: T, renderS: R, traffic: { rps: lambda }, ...extra }],
  }
}

const reproduce = (input: ScenarioInput) => `Reproduce: runScenario(parseScenario(${JSON.stringify(input)}), { mode: "fast", seed: "${SEED}" })`

/** A fast-mode run; fails unless every route ran fast. */
function run(input: ScenarioInput): SimResult {
  const r = runScenario(parseScenario(input), { seed: SEED, mode: 'fast' })
  for (const [id, route] of Object.entries(r.routes)) expect(route.mode, `route ${id} ran exact: ${route.exactBecause}. ${reproduce(input)}`).toBe('fast')
  return r
}

function expectRel(actual: number, expected: number, tol: number, what: string, input: ScenarioInput) {
  const rel = Math.abs(actual / expected - 1)
  expect(rel, `${what}: fast mode ${actual}, closed form ${expected} (rel. error ${(rel * 100).toFixed(3)}%). ${reproduce(input)}`).toBeLessThan(tol)
}

/** E[age] over a renewal cycle (test/closed-form.test.ts). */
function meanAge(lambda: number, T: number, R: number): number {
  const ageSum = lambda * (R * T + (T * T) / 2) + (R + T + 1 / lambda) + lambda * R * (R + T + 1 / lambda) + (lambda * R * R) / 2
  return ageSum / (1 + lambda * T + lambda * R)
}

describe('fast mode: single page, Poisson arrivals, constant render (renewal-reward)', () => {
  test.each([
    [2, 10, 5],
    [0.5, 30, 20],
    [20, 1, 0.5],
    [1, 60, 10],
    [5, 3, 8],
  ])('λ=%f T=%f R=%f: renders/s, stale fraction and mean age within 1 percent', (lambda, T, R) => {
    const cycle = T + R + 1 / lambda
    const durationS = Math.max(200_000, 20_000 * cycle)
    const input = onePage(lambda, T, R, durationS)
    const r = run(input)
    expectRel(r.totals.renders / durationS, 1 / cycle, 0.01, 'renders/s', input)
    expectRel(r.staleness.staleServedFraction, (1 + lambda * R) / (1 + lambda * T + lambda * R), 0.01, 'stale fraction', input)
    expectRel(r.staleness.ageMeanS, meanAge(lambda, T, R), 0.01, 'mean age', input)
    expect(Math.abs(r.totals.renders / durationS * (Math.max(T, R) + 1 / lambda) - 1)).toBeGreaterThan(0.05)
    expect(r.totals.hit + r.totals.stale).toBe(r.totals.requests)
  })
})

describe('fast mode: further closed forms', () => {
  test.each([
    [0.3, 120],
    [0.5, 1],
    [0.2, 10],
  ])('failure back-off: p=%f, T=%f -> renders/s = 1/(R + (1-p)T + pT\' + 1/λ)', (p, T) => {
    const lambda = 2, R = 1
    const Tp = Math.min(Math.max(T, 3), 30)
    const durationS = 400_000
    const input = onePage(lambda, T, R, durationS, { failureRate: p })
    const r = run(input)
    expectRel(r.totals.renders / durationS, 1 / (R + (1 - p) * T + p * Tp + 1 / lambda), 0.01, 'renders/s with back-off', input)
    expectRel(r.totals.failedRenders / r.totals.renders, p, 0.03, 'failed fraction', input)
    expect(r.totals.error).toBe(0)
  })

  test('N paths, uniform popularity: renders/s = N/(T + R + N/λ)', () => {
    const N = 50, lambda = 40, T = 20, R = 2, durationS = 50_000
    const input: ScenarioInput = { name: 'n-paths', durationS, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: T, renderS: R, params: { count: N }, traffic: { rps: lambda } }] }
    expectRel(run(input).totals.renders / durationS, N / (T + R + N / lambda), 0.01, 'renders/s', input)
  })

  test('revalidate false, nothing prebuilt: E[first-visit renders] = Σ(1 - e^(-λ pᵢ D)) within 4σ', () => {
    const n = 2000, zipf = 1.1, lambda = 5, durationS = 600
    const w = zipfWeights(n, zipf)
    const total = w.reduce((a, b) => a + b, 0)
    let mean = 0, variance = 0
    for (const wi of w) {
      const q = 1 - Math.exp(-lambda * (wi / total) * durationS)
      mean += q
      variance += q * (1 - q)
    }
    const input: ScenarioInput = { name: 'first-visits', durationS, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0.1, params: { count: n, prebuilt: 0 }, traffic: { rps: lambda, popularity: { zipf } } }] }
    const r = run(input)
    expect(r.totals.backgroundRenders).toBe(0)
    expect(Math.abs(r.totals.blockingRenders - mean), `renders ${r.totals.blockingRenders}, expected ${mean.toFixed(1)} ± ${Math.sqrt(variance).toFixed(1)}. ${reproduce(input)}`).toBeLessThan(4 * Math.sqrt(variance))
  })

  test('popularity { weights }: renders/s = Σ 1/(T + R + 1/(λpᵢ)) within 1% (test/traffic-shapes.test.ts)', () => {
    const weights = [4, 2, 1, 1, 0], lambda = 4, T = 10, R = 1, durationS = 100_000
    const input: ScenarioInput = { name: 'weights', durationS, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: T, renderS: R, params: { count: 6 }, traffic: { rps: lambda, popularity: { weights } } }] }
    const total = weights.reduce((a, b) => a + b, 0)
    const expected = weights.reduce((sum, w) => (w === 0 ? sum : sum + 1 / (T + R + 1 / ((lambda * w) / total))), 0)
    expectRel(run(input).totals.renders / durationS, expected, 0.01, 'renders/s', input)
  })
})

describe('fast mode: served-age CDF (closed form in sim/isr/closed-form.ts)', () => {
  /** Largest |F(age at percentile k) − k/100| over k = 1..99. */
  function ksDistance(r: SimResult, id: string, F: (a: number) => number) {
    const cdf = r.ageCdf[id]!
    let worst = 0, at = 0
    for (let k = 1; k < 100; k++) {
      const d = Math.abs(F(cdf.ageS[k]!) - k / 100)
      if (d > worst) { worst = d; at = k }
    }
    return { worst, at }
  }

  test.each([
    [2, 10, 5],
    [0.5, 30, 20],
    [5, 3, 8],
  ])('single page λ=%f T=%f R=%f: the percentiles lie on the closed-form CDF (KS < 0.015)', (lambda, T, R) => {
    const durationS = Math.max(100_000, 10_000 * (T + R + 1 / lambda))
    const input = onePage(lambda, T, R, durationS)
    const r = run(input)
    const { worst, at } = ksDistance(r, 'p', (a) => servedAgeCdf(lambda, T, R, a))
    expect(worst, `worst at percentile ${at}. ${reproduce(input)}`).toBeLessThan(0.015)
  })

  test('N prebuilt paths, Zipf popularity: the request-weighted mixture Σ pᵢ F(a; λpᵢ) matches', () => {
    const input: ScenarioInput = { name: 'zipf-cdf', durationS: 200_000, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 30, renderS: 2, params: { count: 20 }, traffic: { rps: 10, popularity: { zipf: 1 } } }] }
    const r = run(input)
    const cf = r.ageCdf.p!.closedForm!
    const F = (a: number) => {
      const i = cf.ageS.findIndex((x) => x >= a)
      if (i <= 0) return i === 0 ? cf.fraction[0]! : 1
      const t = (a - cf.ageS[i - 1]!) / (cf.ageS[i]! - cf.ageS[i - 1]!)
      return cf.fraction[i - 1]! + t * (cf.fraction[i]! - cf.fraction[i - 1]!)
    }
    const { worst, at } = ksDistance(r, 'p', F)
    expect(worst, `worst at percentile ${at}. ${reproduce(input)}`).toBeLessThan(0.02)
  })
})
