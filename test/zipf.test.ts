/**
 * The table-free Zipf sampler (sim/kernel/zipf.ts, rejection-inversion) against the exact
 * pmf 1/k^s / Σ 1/j^s: a chi-square goodness-of-fit over bins of at least max(20, N/200)
 * expected draws must not reject at 0.1%, from a handful of ranks to millions (where the tail's
 * ranks need the 53-bit uniforms). And exact mode uses it past ZIPF_TABLE_MAX_PATHS paths.
 */
import { describe, expect, test } from 'vitest'
import { AleaRng } from '../sim/kernel/rng.ts'
import { createZipf, sampleZipf } from '../sim/kernel/zipf.ts'
import { ZIPF_TABLE_MAX_PATHS } from '../sim/isr/popularity.ts'
import { parseScenario, runScenario } from '../sim/index.ts'
import { chiSquare, minMassFor, type BinnedPmf } from './sample-stats.ts'

/** Zipf(n, s) over indices 0..n-1 in bins of at least minMass, walked from rank 1 (the tail's bins span many ranks). */
function zipfBins(n: number, s: number, minMass: number): BinnedPmf {
  let total = 0
  for (let k = n; k >= 1; k--) total += Math.pow(k, -s) // smallest first, for the sum's rounding
  const starts: number[] = [], probs: number[] = []
  let start = 0, mass = 0
  for (let k = 1; k <= n; k++) {
    mass += Math.pow(k, -s) / total
    if (mass >= minMass || k === n) { starts.push(start); probs.push(mass); start = k; mass = 0 }
  }
  // A short last bin joins the one before.
  if (probs.length > 1 && probs[probs.length - 1]! < minMass) { probs[probs.length - 2]! += probs.pop()!; starts.pop() }
  return { starts, probs, rawSum: 1 }
}

describe('Zipf by rejection-inversion', () => {
  const cases: [number, number][] = [[7, 2.5], [1000, 0.5], [1000, 1], [5_000_000, 0.8], [5_000_000, 1], [5_000_000, 1.3], [40_000_000, 1]]
  test.each(cases)('n %d, s %d: matches the pmf (chi-square, 0.1%)', (n, s) => {
    const N = 400_000
    const z = createZipf(n, s)
    const rng = new AleaRng('test/zipf', `${n}/${s}`)
    const xs = new Float64Array(N)
    for (let i = 0; i < N; i++) xs[i] = sampleZipf(z, rng)
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < n)).toBe(true)
    const r = chiSquare(xs, zipfBins(n, s, minMassFor(N)))
    expect(r.df).toBeGreaterThan(n < 10 ? 3 : 40)
    expect(r.pValue, `chi-square ${r.stat.toFixed(1)} on ${r.df} df; reproduce: createZipf(${n}, ${s}) with AleaRng('test/zipf', '${n}/${s}')`).toBeGreaterThan(0.001)
  }, 60_000)

  test('a sampler off by one rank is rejected (the test has power)', () => {
    const n = 1000, s = 1, N = 400_000
    const z = createZipf(n, s)
    const rng = new AleaRng('test/zipf', 'shifted')
    const xs = new Float64Array(N)
    for (let i = 0; i < N; i++) xs[i] = Math.min(n - 1, sampleZipf(z, rng) + (i % 10 === 0 ? 1 : 0))
    expect(chiSquare(xs, zipfBins(n, s, minMassFor(N))).pValue).toBeLessThan(1e-6)
  })

  test('exact mode draws Zipf past ZIPF_TABLE_MAX_PATHS paths without a table, with the same popularity', () => {
    const count = ZIPF_TABLE_MAX_PATHS + 1
    const s = parseScenario({
      name: 'zipf', durationS: 2000, seed: 'z',
      routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0.01, params: { count, prebuilt: 0 }, traffic: { rps: 50, popularity: { zipf: 1.1 } } }],
    })
    const r = runScenario(s, { mode: 'exact' })
    // Every first request of a path is a MISS (nothing prebuilt, revalidate false): the misses
    // count the distinct paths drawn, whose expectation is Σ_k 1 - (1 - p_k)^N.
    let total = 0
    for (let k = count; k >= 1; k--) total += Math.pow(k, -1.1)
    const N = r.routes.p!.requests
    let distinct = 0
    for (let k = 1; k <= count; k++) distinct += -Math.expm1(N * Math.log1p(-Math.pow(k, -1.1) / total))
    expect(N).toBeGreaterThan(95_000)
    expect(Math.abs(r.routes.p!.miss - distinct) / distinct, `misses ${r.routes.p!.miss}, expected distinct paths ${distinct.toFixed(0)}`).toBeLessThan(0.02)
  }, 60_000)
})
