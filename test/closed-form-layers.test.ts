/**
 * The two stacked stale layers of an unstable_cache entry under a page revalidate
 * (docs/semantics.md §13.5, sim/isr/closed-form-layers.ts, where the derivation is), checked
 * against long simulations within 1%: the fraction of responses that show outdated data under
 * Poisson origin changes, and the entry's origin calls per second. Under 16.4 and 15 (no lag)
 * and 14 (the one-cycle lag, §13.2).
 *
 * To average over many independent cycles quickly, the route has N paths of equal popularity,
 * each with its own entry (a templated tag makes the function's key per path), and the origin
 * data changes one random path at a time (a templated data change): each path is then its own
 * Poisson stream of requests (rate λ) and of data changes (rate ν), independent of the others.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import type { NextVersion } from '../sim/scenario/schema.ts'
import { dataAgeLayers, dataCycle, gammaCdf, poissonCdf } from '../sim/isr/closed-form-layers.ts'

const SEED = '2026'

interface Case {
  readonly version: NextVersion
  /** Per path: requests/s, page revalidate, entry revalidate, render time, data changes/s. */
  readonly lambda: number
  readonly rp: number
  readonly ru: number
  readonly r: number
  readonly nu: number
}

function scenario(c: Case, paths: number, durationS: number): ScenarioInput {
  return {
    name: `layers ${c.version} λ=${c.lambda} Rp=${c.rp} Ru=${c.ru} R=${c.r} ν=${c.nu}`,
    durationS,
    warmupS: 10 * (c.ru + c.rp + c.r + 1 / c.lambda),
    next: { version: c.version },
    routes: [{
      id: 'p', pattern: '/p/[id]', revalidateS: c.rp, renderS: c.r, params: { count: paths },
      fetches: [{ id: 'data', kind: 'unstable_cache', revalidateS: c.ru, tags: ['item:{id}'] }],
      traffic: { rps: c.lambda * paths },
    }],
    dataChanges: [{ tag: 'item:{id}', ratePerS: c.nu * paths }],
  }
}

describe('the data cycle D: probabilities and moments', () => {
  test('Poisson and Gamma CDFs against direct sums and a known value', () => {
    expect(poissonCdf(2, 1.5)).toBeCloseTo(Math.exp(-1.5) * (1 + 1.5 + 1.125), 12)
    expect(gammaCdf(1, 2, 0.7)).toBeCloseTo(1 - Math.exp(-1.4), 12)
    expect(poissonCdf(3, 800)).toBe(0) // log space: no NaN for a large mean
  })

  test.each([
    // λ, c = R + Rp, Ru
    [1, 11, 30], [0.2, 6, 60], [3, 2.5, 10], [1, 11, 11], [0.5, 4, 3],
  ])('λ=%f c=%f Ru=%f: the cases sum to 1, E[D] = E[N]·E[G] (Wald), E[e^(-0·D)] = 1', (l, c, ru) => {
    const d = dataCycle(l, c, ru, 0)
    expect(d.mass).toBeCloseTo(1, 10)
    expect(d.laplace).toBeCloseTo(1, 10)
    // E[N] = Σ_{n≥0} P(S_n ≤ Ru) = 1 + Σ_{n≥1, nc≤Ru} P(Γ_n ≤ Ru − nc).
    let en = 1
    for (let n = 1; n * c <= ru; n++) en += gammaCdf(n, l, ru - n * c)
    expect(d.meanS).toBeCloseTo(en * (c + 1 / l), 9)
    expect(d.secondMomentS2).toBeGreaterThan(d.meanS * d.meanS) // a non-degenerate cycle
  })

  test('Ru <= R + Rp: every regeneration refreshes, so the data age is the page age (A3)', () => {
    // Page age from the render's start: mean R + E[G²]/(2E[G]), G = c + X.
    const l = 2, rp = 5, r = 1, c = r + rp
    const k = dataAgeLayers({ lambdaPerS: l, pageRevalidateS: rp, entryRevalidateS: rp, renderS: r, lag: false }, 0.1)
    const eg = c + 1 / l, eg2 = c * c + (2 * c) / l + 2 / (l * l)
    expect(k.meanDataAgeS).toBeCloseTo(r + eg2 / (2 * eg), 10)
    expect(k.originCallsPerS).toBeCloseTo(1 / eg, 12)
    // The lag adds exactly one regeneration gap to the mean.
    const lagged = dataAgeLayers({ lambdaPerS: l, pageRevalidateS: rp, entryRevalidateS: rp, renderS: r, lag: true }, 0.1)
    expect(lagged.meanDataAgeS - k.meanDataAgeS).toBeCloseTo(eg, 10)
  })
})

describe('§13.5 two stacked layers against the simulator, within 1%', () => {
  const PATHS = 200
  test.each<Case>([
    { version: '16.4', lambda: 1, rp: 10, ru: 30, r: 1, nu: 1 / 40 },
    { version: '15', lambda: 0.5, rp: 5, ru: 17, r: 0.5, nu: 1 / 20 },
    { version: '14', lambda: 1, rp: 10, ru: 30, r: 1, nu: 1 / 40 },
    { version: '14', lambda: 2, rp: 5, ru: 5, r: 1, nu: 1 / 10 },
  ])('$version: λ=$lambda Rp=$rp Ru=$ru R=$r ν=$nu', (c) => {
    const k = dataAgeLayers({ lambdaPerS: c.lambda, pageRevalidateS: c.rp, entryRevalidateS: c.ru, renderS: c.r, lag: c.version === '14' }, c.nu)
    const durationS = Math.ceil(2500 * k.refreshCycleS)
    const input = scenario(c, PATHS, durationS)
    const res = runScenario(parseScenario(input), { seed: SEED })
    const measuredS = durationS - input.warmupS!
    const outdated = res.freshness!.outdatedServedFraction
    const calls = res.fetches.data!.originFetches / measuredS / PATHS
    const other = dataAgeLayers({ lambdaPerS: c.lambda, pageRevalidateS: c.rp, entryRevalidateS: c.ru, renderS: c.r, lag: c.version !== '14' }, c.nu)
    const msg = `${c.version} λ=${c.lambda} Rp=${c.rp} Ru=${c.ru} R=${c.r} ν=${c.nu}: closed form outdated ${k.outdatedFraction.toFixed(5)}, simulated ${outdated.toFixed(5)}` +
      ` (the other lag setting predicts ${other.outdatedFraction.toFixed(5)}); origin calls/s per path ${k.originCallsPerS.toFixed(6)} vs ${calls.toFixed(6)};` +
      ` mean data age ${k.meanDataAgeS.toFixed(3)} s. Reproduce: runScenario(parseScenario(${JSON.stringify(input)}), { seed: "${SEED}" })`
    console.log(msg)
    expect(Math.abs(outdated / k.outdatedFraction - 1), msg).toBeLessThan(0.01)
    expect(Math.abs(calls / k.originCallsPerS - 1), msg).toBeLessThan(0.01)
    // The model is not the other lag setting: that prediction is far outside the tolerance.
    expect(Math.abs(outdated / other.outdatedFraction - 1), msg).toBeGreaterThan(0.05)
  })
})
