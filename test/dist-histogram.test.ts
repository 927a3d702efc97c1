/**
 * Distributions (alias tables, Zipf weights, lognormal, exponential) and the
 * log-linear histogram (bucket error, monotonicity, nearest-rank quantiles).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addExponential, aliasOf, aliasProb, createAlias, exponentialZiggurat, lognormal, lognormalParams, pickAlias, pickAliasInt32, zipfWeights, type AliasTable } from '../sim/kernel/dist.ts'
import { bucketOf, bucketValue, HISTOGRAM_BUCKETS, quantileOf } from '../sim/kernel/histogram.ts'
import { createStreams, type Rng } from '../sim/kernel/rng.ts'
import { roundHalfUp } from '../sim/kernel/time.ts'

const testRng = (seed: string): Rng => createStreams(seed).claim('test')

/** A fake Rng returning fixed values, to count draws and hit the edges (u = 0, u → 1). */
function fixedRng(values: number[]): Rng & { used: number } {
  const r = {
    id: 'fixed',
    used: 0,
    next: () => { const v = values[r.used % values.length]!; r.used++; return v },
    nextInt32: () => (r.next() * 4294967296) | 0,
  }
  return r
}

/** The exact probability the table gives index i: its own column share plus every column aliased to it. */
function aliasProbabilities(t: AliasTable): number[] {
  const p = new Array<number>(t.n).fill(0)
  for (let j = 0; j < t.n; j++) {
    p[j]! += aliasProb(t, j) / t.n
    p[aliasOf(t, j)]! += (1 - aliasProb(t, j)) / t.n
  }
  return p
}

/** Sample counts from a table with a seeded stream, and check each bin within 5 sigma and chi-square. */
function checkFrequencies(weights: number[], n: number, seed: string): void {
  const t = createAlias(weights)
  const rng = testRng(seed)
  const counts = new Array<number>(weights.length).fill(0)
  for (let i = 0; i < n; i++) counts[pickAlias(t, rng.next())]!++
  const total = weights.reduce((a, b) => a + b, 0)
  let chi2 = 0, df = -1
  weights.forEach((w, i) => {
    const p = w / total
    const expected = n * p
    const c = counts[i]!
    if (p === 0) {
      expect(c, `weight 0 at index ${i} was drawn`).toBe(0)
      return
    }
    const sigma = Math.sqrt(n * p * (1 - p))
    expect(Math.abs(c - expected), `index ${i}: ${c} draws, expected ${expected.toFixed(1)} ± ${sigma.toFixed(1)} (weights ${JSON.stringify(weights)})`).toBeLessThan(5 * sigma + 1)
    chi2 += (c - expected) ** 2 / expected
    df++
  })
  // Chi-square upper quantile at z = 5 (p ≈ 3e-7; Wilson–Hilferty, conservative for small df):
  // df + 5·sqrt(2·df) would fail ~0.5% of the time at df = 1, a flaky test over many runs.
  const q = df * (1 - 2 / (9 * df) + 5 * Math.sqrt(2 / (9 * df))) ** 3
  if (df > 0) expect(chi2, `chi-square ${chi2.toFixed(1)} with ${df} df (limit ${q.toFixed(1)})`).toBeLessThan(q)
}

describe('alias tables', () => {
  it('reproduce the weights exactly (column shares) for random weight vectors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 }), fc.double({ min: 1e-6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 60 })
          .filter((w) => w.some((x) => x > 0)),
        (weights) => {
          const t = createAlias(weights)
          expect(t.n).toBe(weights.length)
          const total = weights.reduce((a, b) => a + b, 0)
          const p = aliasProbabilities(t)
          for (let i = 0; i < t.n; i++) {
            expect(aliasProb(t, i)).toBeGreaterThanOrEqual(0)
            expect(aliasProb(t, i)).toBeLessThanOrEqual(1)
            expect(aliasOf(t, i)).toBeGreaterThanOrEqual(0)
            expect(aliasOf(t, i)).toBeLessThan(t.n)
            expect(Math.abs(p[i]! - weights[i]! / total), `index ${i} of ${JSON.stringify(weights)}`).toBeLessThan(1e-9)
          }
        },
      ),
    )
  })

  it('sampled frequencies match the weights (per bin 5 sigma, chi-square)', () => {
    checkFrequencies([1, 2, 3, 4, 0, 10], 200_000, 'alias-a')
    checkFrequencies([5], 1000, 'alias-b')
    checkFrequencies([1, 1, 1, 1, 1, 1, 1], 100_000, 'alias-c')
    checkFrequencies([1e-3, 1, 1000, 0, 0, 3], 200_000, 'alias-d')
    checkFrequencies(Array.from(zipfWeights(50, 1.1)), 300_000, 'alias-zipf')
  })

  it('sampled frequencies match random weight vectors', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 20 }).filter((w) => w.some((x) => x > 0)), fc.nat(), (weights, seed) => {
        checkFrequencies(weights, 40_000, `alias-${seed}`)
      }),
      { numRuns: 15 },
    )
  })

  it('pickAlias stays in range at the edges of u', () => {
    const t = createAlias(zipfWeights(7, 1))
    for (const u of [0, 1e-17, 0.5, 1 - 2 ** -32, 1 - 2 ** -53]) {
      const i = pickAlias(t, u)
      expect(i).toBeGreaterThanOrEqual(0)
      expect(i).toBeLessThan(7)
    }
  })
})

describe('zipfWeights', () => {
  it('gives 1/k^s for ranks k = 1..n', () => {
    expect(Array.from(zipfWeights(4, 1))).toEqual([1, 1 / 2, 1 / 3, 1 / 4])
    expect(Array.from(zipfWeights(3, 2))).toEqual([1, 1 / 4, 1 / 9])
    expect(Array.from(zipfWeights(1, 5))).toEqual([1])
    expect(zipfWeights(0, 1).length).toBe(0)
    const w = zipfWeights(1000, 0.8)
    expect(w[999]).toBeCloseTo(1000 ** -0.8, 15)
    for (let k = 1; k < w.length; k++) expect(w[k]!).toBeLessThan(w[k - 1]!)
  })
})

describe('lognormal and exponential', () => {
  /** Empirical nearest-rank quantile of sorted data. */
  const q = (sorted: Float64Array, p: number) => sorted[Math.ceil(p * sorted.length) - 1]!

  it.each([
    [0.2, 0.8],
    [0.12, 0.4],
    [1, 1.2],
    [150_000, 900_000], // µs, as the model uses it
  ])('lognormalParams(%d, %d): empirical median and p95 within two percent over 200k draws', (median, p95) => {
    const { mu, sigma } = lognormalParams(median, p95)
    expect(mu).toBeCloseTo(Math.log(median), 12)
    const rng = testRng(`lognormal-${median}-${p95}`)
    const n = 200_000
    const xs = new Float64Array(n)
    for (let i = 0; i < n; i++) xs[i] = lognormal(rng, mu, sigma)
    xs.sort()
    expect(Math.abs(q(xs, 0.5) / median - 1), `median ${q(xs, 0.5)} vs ${median}`).toBeLessThan(0.02)
    expect(Math.abs(q(xs, 0.95) / p95 - 1), `p95 ${q(xs, 0.95)} vs ${p95}`).toBeLessThan(0.02)
    expect(xs[0]!).toBeGreaterThan(0)
  })

  it('a lognormal with p95 = median is the constant median', () => {
    const { mu, sigma } = lognormalParams(0.25, 0.25)
    expect(sigma).toBe(0)
    const rng = testRng('flat')
    for (let i = 0; i < 100; i++) expect(lognormal(rng, mu, sigma)).toBeCloseTo(0.25, 12)
  })

  it('lognormal consumes exactly two draws; the ziggurat one when the draw is inside a layer (stream alignment)', () => {
    const a = fixedRng([0.3, 0.6, 0.9])
    for (let i = 0; i < 5; i++) lognormal(a, 0, 1)
    expect(a.used).toBe(10)
    // u = 0.3 -> jz = 1288490188, layer 204: inside the layer, accepted at once.
    const b = fixedRng([0.3])
    const acc = new Float64Array(1)
    for (let i = 0; i < 5; i++) addExponential(acc, 0, b)
    expect(b.used).toBe(5)
  })

  it('the ziggurat exponential is Exp(1): mean, variance, quantiles and a Kolmogorov-Smirnov test over 1M draws', () => {
    const rng = testRng('ziggurat')
    const n = 1_000_000
    const xs = new Float64Array(n)
    for (let i = 0; i < n; i++) xs[i] = exponentialZiggurat(rng)
    xs.sort()
    let m = 0, m2 = 0
    for (const x of xs) { m += x; m2 += x * x }
    m /= n
    const variance = m2 / n - m * m
    // Standard error of the mean is 1/sqrt(n) = 0.001; 5 sigma.
    expect(Math.abs(m - 1)).toBeLessThan(0.005)
    expect(Math.abs(variance - 1)).toBeLessThan(0.02)
    expect(Math.abs(xs[n / 2]! - Math.LN2)).toBeLessThan(0.005)
    expect(Math.abs(xs[Math.floor(n * 0.99)]! - Math.log(100))).toBeLessThan(0.05)
    let d = 0
    for (let i = 0; i < n; i++) {
      const cdf = 1 - Math.exp(-xs[i]!)
      d = Math.max(d, Math.abs((i + 1) / n - cdf), Math.abs(i / n - cdf))
    }
    // KS critical value at alpha = 0.001 is 1.95/sqrt(n).
    expect(d).toBeLessThan(1.95 / Math.sqrt(n))
  })

  it('pickAliasInt32 agrees with pickAlias on the same draw', () => {
    const table = createAlias(zipfWeights(1000, 1.1))
    const rng = testRng('alias-int')
    for (let i = 0; i < 10000; i++) {
      const i32 = rng.nextInt32()
      expect(pickAliasInt32(table, i32)).toBe(pickAlias(table, (i32 >>> 0) / 4294967296))
    }
  })

  it('is finite at the edges u = 0 and u → 1', () => {
    for (const u of [0, 1 - 2 ** -32, 0.5]) expect(Number.isFinite(exponentialZiggurat(fixedRng([u, 0.5, 0.5])))).toBe(true)
    for (const u1 of [0, 1 - 2 ** -32]) for (const u2 of [0, 0.25, 1 - 2 ** -32]) {
      const x = lognormal(fixedRng([u1, u2]), 0, 1)
      expect(Number.isFinite(x) && x > 0, `u1=${u1} u2=${u2} -> ${x}`).toBe(true)
    }
  })

  it('the ziggurat exponential has mean 1 and P(X > 1) = 1/e over 200k draws', () => {
    const rng = testRng('exp')
    const n = 200_000
    let sum = 0, over1 = 0
    for (let i = 0; i < n; i++) { const x = exponentialZiggurat(rng); sum += x; if (x > 1) over1++ }
    expect(Math.abs(sum / n - 1)).toBeLessThan(5 / Math.sqrt(n)) // sd of the mean = 1/sqrt(n)
    const p = Math.exp(-1)
    expect(Math.abs(over1 / n - p)).toBeLessThan(5 * Math.sqrt(p * (1 - p) / n))
  })
})

describe('histogram buckets', () => {
  /** Integers up to 2^50, biased towards powers of two and their neighbours. */
  const arbValue = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 50n }).map(Number),
    fc.tuple(fc.integer({ min: 0, max: 52 }), fc.integer({ min: -2, max: 2 })).map(([e, d]) => Math.max(0, 2 ** e + d)),
    fc.integer({ min: 0, max: 100_000 }),
  )

  it('values below 256 are exact', () => {
    for (let v = 0; v < 256; v++) {
      expect(bucketOf(v)).toBe(v)
      expect(bucketValue(bucketOf(v))).toBe(v)
    }
    expect(bucketOf(256)).toBe(256)
    expect(bucketOf(257)).toBe(256) // first 2-wide bucket: [256, 257]
    expect(bucketValue(256)).toBe(256.5)
    expect(bucketOf(258)).toBe(257)
  })

  it('relative error of bucketValue(bucketOf(v)) is at most 1/256 (< 0.4%) for integers up to 2^50', () => {
    fc.assert(
      fc.property(arbValue, (v) => {
        const b = bucketOf(v)
        expect(Number.isInteger(b)).toBe(true)
        expect(b).toBeGreaterThanOrEqual(0)
        expect(b).toBeLessThan(HISTOGRAM_BUCKETS)
        const err = Math.abs(bucketValue(b) - v)
        expect(err, `v=${v} bucket ${b} -> ${bucketValue(b)}`).toBeLessThanOrEqual(v / 256)
        expect(err / Math.max(v, 1)).toBeLessThan(0.004)
      }),
      { numRuns: 2000 },
    )
  })

  it('bucketOf is monotone non-decreasing', () => {
    fc.assert(
      fc.property(arbValue, arbValue, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a]
        expect(bucketOf(lo), `bucketOf(${lo}) > bucketOf(${hi})`).toBeLessThanOrEqual(bucketOf(hi))
      }),
      { numRuns: 2000 },
    )
    // Exhaustively across the 2^32 boundary, where the exponent is computed differently.
    let prev = bucketOf(2 ** 32 - 5000)
    for (let v = 2 ** 32 - 4999; v < 2 ** 32 + 5000; v++) {
      const b = bucketOf(v)
      if (b < prev) expect.fail(`bucketOf(${v}) = ${b} < bucketOf(${v - 1}) = ${prev}`)
      prev = b
    }
  })

  it('bucketOf equals its defining formula, floor(v / 2^(e-7)) in the row of the exponent e, on both sides of 2^32', () => {
    // The hot path computes the bucket with integer shifts below 2^32; this is the float form.
    const reference = (v: number): number => {
      if (v < 256) return v
      const e = Math.floor(Math.log2(v))
      const exact = 2 ** e <= v ? e : e - 1 // log2 may round up just below a power of two
      return 256 + (exact - 8) * 128 + (Math.floor(v / 2 ** (exact - 7)) - 128)
    }
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 32 + 10 }), fc.nat({ max: 52 }).map((e) => 2 ** e - 1), fc.nat({ max: 52 }).map((e) => 2 ** e), fc.double({ min: 0, max: 2 ** 40, noNaN: true })), (v) => {
        // Values are whole µs; a fraction falls in the bucket of its floor, below 256 too.
        if (bucketOf(v) !== reference(Math.floor(v))) expect.fail(`v=${v}: ${bucketOf(v)} vs ${reference(Math.floor(v))}`)
      }),
      { numRuns: 5000 },
    )
  })

  it('every bucket is reachable and its value maps back to it; the largest safe integer fits', () => {
    for (let b = 0; b < HISTOGRAM_BUCKETS; b++) {
      const v = Math.floor(bucketValue(b))
      if (bucketOf(v) !== b) expect.fail(`bucketOf(floor(bucketValue(${b}))) = ${bucketOf(v)}`)
    }
    expect(bucketOf(2 ** 52)).toBeLessThan(HISTOGRAM_BUCKETS)
    expect(bucketOf(Number.MAX_SAFE_INTEGER)).toBe(HISTOGRAM_BUCKETS - 1)
  })

  it('quantileOf matches the exact nearest-rank quantile within the bucket error', () => {
    const B = HISTOGRAM_BUCKETS
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 40 })), { minLength: 1, maxLength: 300 }),
        fc.oneof(fc.constantFrom(0, 0.5, 0.95, 0.99, 1), fc.double({ min: 0, max: 1, noNaN: true })),
        (values, q) => {
          // Store at offset B, behind a histogram of noise, as Metrics does per route.
          const counts = new Float64Array(2 * B)
          for (let b = 0; b < B; b += 7) counts[b] = 3
          for (const v of values) counts[B + bucketOf(v)]!++
          const sorted = [...values].sort((a, b) => a - b)
          const exact = sorted[Math.max(1, Math.ceil(q * values.length)) - 1]!
          const got = quantileOf(counts, B, values.length, q)
          if (exact < 256) expect(got, `q=${q} of ${JSON.stringify(sorted)}`).toBe(exact)
          else expect(Math.abs(got - exact), `q=${q} got ${got}, exact ${exact}`).toBeLessThanOrEqual(exact / 256)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('quantileOf of an empty histogram is 0; hand-checked ranks', () => {
    const counts = new Float64Array(HISTOGRAM_BUCKETS)
    expect(quantileOf(counts, 0, 0, 0.5)).toBe(0)
    // 10 values: 1..10. Nearest rank: q=0.5 -> 5th, q=0.95 -> 10th, q=0.1 -> 1st, q=0.11 -> 2nd.
    for (let v = 1; v <= 10; v++) counts[bucketOf(v)]!++
    expect(quantileOf(counts, 0, 10, 0.5)).toBe(5)
    expect(quantileOf(counts, 0, 10, 0.95)).toBe(10)
    expect(quantileOf(counts, 0, 10, 0.1)).toBe(1)
    expect(quantileOf(counts, 0, 10, 0.11)).toBe(2)
    expect(quantileOf(counts, 0, 10, 0)).toBe(1)
  })
})

describe('hot-path arithmetic', () => {
  it('roundHalfUp(x) is Math.round(x) for every finite x (up to the sign of zero)', () => {
    const same = (x: number): void => {
      if (roundHalfUp(x) !== Math.round(x)) expect.fail(`x=${x}: ${roundHalfUp(x)} vs ${Math.round(x)}`)
    }
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), same), { numRuns: 20000 })
    fc.assert(fc.property(fc.integer({ min: -1e9, max: 1e9 }), (k) => { same(k + 0.5); same(k - 0.5); same(k + 0.49999999999999994) }), { numRuns: 5000 })
    for (const x of [0, 0.49999999999999994, 0.5, 1.5, 2.5, 2 ** 52 - 0.5, 2 ** 52 + 1, 2 ** 53, -0.5, -1.5, -2.5, 1e300]) same(x)
  })
})
