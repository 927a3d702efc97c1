/**
 * The exact samplers of sim/kernel/sample.ts against their distributions: log k! against
 * exact BigInt factorials, sample moments within 4 standard errors of theory, and a
 * chi-square goodness-of-fit against the exact pmf that must not reject at 0.1%. Every
 * stream is createStreams(SEED).claim('test', key); a failure prints the key to replay it.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createStreams, type Rng } from '../sim/kernel/rng.ts'
import { binomial, logBinomialPmf, logFactorial, logPoissonPmf, maxOfUniforms, multinomialInto, poisson } from '../sim/kernel/sample.ts'
import { binomialPmf, chiSquare, chiSquareTail, expectMoments, minMassFor, poissonPmf } from './sample-stats.ts'

const SEED = 'sample-test-1'
const N = 100_000

function stream(key: string): Rng {
  return createStreams(SEED).claim('test', key)
}
const repro = (key: string) => `replay: createStreams('${SEED}').claim('test', '${key}')`

/** Counts the draws a sampler takes. */
function counting(inner: Rng): Rng & { draws: number } {
  const c = {
    id: inner.id,
    draws: 0,
    next: () => (c.draws++, inner.next()),
    nextInt32: () => (c.draws++, inner.nextInt32()),
  }
  return c
}

/** ln of a positive BigInt to ~1e-16 relative: its leading 17 digits and its digit count. */
function lnBig(x: bigint): number {
  const s = x.toString()
  if (s.length <= 17) return Math.log(Number(s))
  return Math.log(Number(s.slice(0, 17))) + (s.length - 17) * Math.LN10
}

function draw(n: number, f: () => number): Float64Array {
  const xs = new Float64Array(n)
  for (let i = 0; i < n; i++) xs[i] = f()
  return xs
}

describe('logFactorial', () => {
  it('matches ln k! of exact BigInt factorials to 1e-14 relative, on both sides of the table/series seam', () => {
    let f = 1n
    let worst = 0
    for (let k = 1; k <= 3000; k++) {
      f *= BigInt(k)
      if (k > 300 && k % 37 !== 0) continue
      worst = Math.max(worst, Math.abs(logFactorial(k) - lnBig(f)) / Math.max(1, lnBig(f)))
    }
    expect(worst).toBeLessThan(1e-14)
    expect(logFactorial(0)).toBe(0)
    expect(logFactorial(1)).toBe(0)
    expect(logFactorial(5)).toBe(Math.log(120))
    expect(logFactorial(1000)).toBeCloseTo(5912.128178488163, 9)
  })

  it('log k! − log (k−1)! = log k, at the seam and far out (to the rounding of log k!)', () => {
    for (const k of [255, 256, 257, 1e4, 1e6, 1e9, 1e12]) {
      const tol = 8 * Number.EPSILON * logFactorial(k)
      expect(Math.abs(logFactorial(k) - logFactorial(k - 1) - Math.log(k)), `k = ${k}`).toBeLessThan(tol)
    }
  })
})

describe('the log-pmfs behind the rejection tests', () => {
  it('equal the plain formulas where those are accurate (small arguments)', () => {
    for (const [k, mean] of [[0, 3], [1, 0.5], [7, 12.5], [40, 31], [250, 240]] as const) {
      const plain = -mean + k * Math.log(mean) - logFactorial(k)
      expect(Math.abs(logPoissonPmf(k, mean) - plain), `Poisson k ${k} mean ${mean}`).toBeLessThan(1e-12)
    }
    for (const [k, n, p] of [[0, 20, 0.3], [20, 20, 0.3], [3, 20, 0.3], [17, 40, 0.5], [120, 300, 0.45]] as const) {
      const plain = logFactorial(n) - logFactorial(k) - logFactorial(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p)
      expect(Math.abs(logBinomialPmf(k, n, p) - plain), `binomial k ${k} n ${n} p ${p}`).toBeLessThan(1e-12)
    }
  })

  it('keep the ratio p(k+1)/p(k) exact at means of 1e12, where the plain formula loses 1e-3', () => {
    for (const mean of [1e6, 1e10, 1e12]) {
      for (const dev of [-5, 0, 3, 10]) {
        const k = Math.floor(mean + dev * Math.sqrt(mean))
        const step = logPoissonPmf(k + 1, mean) - logPoissonPmf(k, mean)
        expect(Math.abs(step - Math.log(mean / (k + 1))), `Poisson mean ${mean} k ${k}`).toBeLessThan(1e-12)
      }
    }
    for (const [n, p] of [[1e12, 0.25], [1e12, 1e-6], [4e11, 0.5]] as const) {
      for (const dev of [-4, 0, 6]) {
        const k = Math.floor(n * p + dev * Math.sqrt(n * p * (1 - p)))
        const step = logBinomialPmf(k + 1, n, p) - logBinomialPmf(k, n, p)
        expect(Math.abs(step - Math.log(((n - k) / (k + 1)) * (p / (1 - p)))), `binomial n ${n} p ${p} k ${k}`).toBeLessThan(1e-12)
      }
    }
  })
})

describe('the chi-square test used below', () => {
  it('has the right tail: exp(−x/2) at 2 df, 0.001 at the tabulated 99.9% quantiles', () => {
    for (const x of [0.5, 3, 20]) expect(chiSquareTail(x, 2)).toBeCloseTo(Math.exp(-x / 2), 12)
    for (const [df, q] of [[1, 10.828], [5, 20.515], [10, 29.588], [30, 59.703], [100, 149.449]] as const) {
      expect(Math.abs(chiSquareTail(q, df) / 0.001 - 1), `df ${df}`).toBeLessThan(0.01)
    }
  })

  it('can fail: it rejects a rounded normal at mean 31 and Poisson(1010) taken for Poisson(1000)', () => {
    const rng = stream('power')
    const normal = draw(N, () => Math.max(0, Math.round(31 + Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()) * Math.sqrt(31))))
    expect(chiSquare(normal, poissonPmf(31, minMassFor(N))).pValue, repro('power')).toBeLessThan(1e-6)
    expect(chiSquare(draw(N, () => poisson(rng, 1010)), poissonPmf(1000, minMassFor(N))).pValue, repro('power')).toBeLessThan(1e-6)
  })
})

describe('poisson', () => {
  it.each([0.01, 0.5, 3, 9.99, 10, 31, 1000, 1e6, 1e10, 1e12])('mean %s: moments within 4 SE, chi-square against the exact pmf does not reject at 0.001', (mean) => {
    const key = `poisson/${mean}`
    const rng = stream(key)
    const xs = draw(N, () => poisson(rng, mean))
    for (const x of xs) if (!Number.isInteger(x) || x < 0) expect.fail(`${x} is not a count (${repro(key)})`)
    expectMoments(xs, mean, mean, mean + 3 * mean * mean, repro(key))
    const pmf = poissonPmf(mean, minMassFor(N))
    expect(Math.abs(pmf.rawSum - 1), `the pmf's mass from logFactorial at the mode (mean ${mean})`).toBeLessThan(1e-12 + 16 * Number.EPSILON * (mean + Math.floor(mean) * Math.abs(Math.log(mean)) + logFactorial(Math.floor(mean))))
    const chi = chiSquare(xs, pmf)
    expect(chi.pValue, `chi-square ${chi.stat.toFixed(1)} on ${chi.df} df; ${repro(key)}`).toBeGreaterThan(0.001)
  })

  it(`over random means up to 1e15: a non-negative integer (fast-check seed ${fc.readConfigureGlobal().seed})`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: 0, max: 30, noNaN: true }), fc.double({ min: 0, max: 1e15, noNaN: true })), fc.string(), (mean, key) => {
        const rng = stream(`poisson/prop/${key}`)
        for (let i = 0; i < 5; i++) {
          const x = poisson(rng, mean)
          expect(Number.isInteger(x) && x >= 0, `poisson(${mean}) = ${x}`).toBe(true)
        }
      }),
    )
  })

  it('mean 0 gives 0 with no draw; a negative, NaN or infinite mean throws', () => {
    const rng = counting(stream('poisson/edge'))
    expect(poisson(rng, 0)).toBe(0)
    expect(rng.draws).toBe(0)
    for (const bad of [-1, Number.NaN, Infinity, 2e15]) expect(() => poisson(rng, bad)).toThrow(/poisson: mean/)
  })

  it('costs one draw below mean 10 (inversion); PTRS about 1.33 pairs of draws at mean 10, falling to 1.12 from 1e4 up', () => {
    for (const mean of [0.01, 1, 9.99]) {
      const rng = counting(stream(`poisson/cost/${mean}`))
      for (let i = 0; i < 10_000; i++) poisson(rng, mean)
      expect(rng.draws).toBe(10_000)
    }
    // Hörmann's hat: 1/acceptance ≈ 1.33 at 10, 1.17 at 100, 1.12 in the limit (measured over 2e5 draws).
    for (const [mean, most] of [[10, 1.36], [100, 1.2], [1e4, 1.15], [1e8, 1.15], [1e12, 1.15]] as const) {
      const rng = counting(stream(`poisson/cost/${mean}`))
      for (let i = 0; i < 20_000; i++) poisson(rng, mean)
      const pairs = rng.draws / 2 / 20_000
      expect(pairs, `mean ${mean}`).toBeGreaterThan(1.08)
      expect(pairs, `mean ${mean}`).toBeLessThan(most)
    }
  })
})

describe('binomial', () => {
  const cases: readonly (readonly [number, number])[] = [
    [1, 0.3], [7, 0.5], [20, 0.1], [30, 0.3], [50, 0.9], [1000, 0.005], // inversion (n·min(p, 1−p) < 10)
    [20, 0.5], [100, 0.3], [100, 0.7], [1e4, 0.5], [1e6, 0.001], [1e6, 0.999], // BTRS, both sides of ½
    [1e12, 3e-12], [1e12, 0.25], [1e12, 0.999999], [1e12, 0.5], // n = 1e12
  ]
  it.each(cases)('n %s, p %s: moments within 4 SE, chi-square against the exact pmf does not reject at 0.001', (n, p) => {
    const key = `binomial/${n}/${p}`
    const rng = stream(key)
    const xs = draw(N, () => binomial(rng, n, p))
    for (const x of xs) if (!Number.isInteger(x) || x < 0 || x > n) expect.fail(`${x} is not a count in [0, ${n}] (${repro(key)})`)
    const v = n * p * (1 - p)
    expectMoments(xs, n * p, v, v * (1 + 3 * (n - 2) * p * (1 - p)), repro(key))
    const chi = chiSquare(xs, binomialPmf(n, p, minMassFor(N)))
    expect(chi.pValue, `chi-square ${chi.stat.toFixed(1)} on ${chi.df} df; ${repro(key)}`).toBeGreaterThan(0.001)
  })

  it(`over random n up to 1e15 and p in [0, 1]: an integer in [0, n] (fast-check seed ${fc.readConfigureGlobal().seed})`, () => {
    const arbN = fc.oneof(fc.nat(100), fc.integer({ min: 0, max: 1e15 }))
    const arbP = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 0.5, 1e-300, 1 - 1e-16))
    fc.assert(
      fc.property(arbN, arbP, fc.string(), (n, p, key) => {
        const rng = stream(`binomial/prop/${key}`)
        for (let i = 0; i < 5; i++) {
          const x = binomial(rng, n, p)
          expect(Number.isInteger(x) && x >= 0 && x <= n, `binomial(${n}, ${p}) = ${x}`).toBe(true)
        }
      }),
    )
  })

  it('p above ½ is n − Binomial(n, 1 − p) on the same draws', () => {
    for (const [n, p] of [[40, 0.8], [1e6, 0.75]] as const) {
      const a = stream(`binomial/sym/${n}`)
      const b = stream(`binomial/sym/${n}`)
      for (let i = 0; i < 1000; i++) expect(binomial(a, n, p)).toBe(n - binomial(b, n, 1 - p))
    }
  })

  it('n 0, p 0 and p 1 take no draw; a bad n or p throws', () => {
    const rng = counting(stream('binomial/edge'))
    expect([binomial(rng, 0, 0.4), binomial(rng, 50, 0), binomial(rng, 50, 1), binomial(rng, 1e12, 1)]).toEqual([0, 0, 50, 1e12])
    expect(rng.draws).toBe(0)
    for (const [n, p] of [[-1, 0.5], [2.5, 0.5], [Number.NaN, 0.5], [10, -0.1], [10, 1.5], [10, Number.NaN], [2e15, 0.5]] as const) {
      expect(() => binomial(rng, n, p)).toThrow(/binomial: n/)
    }
  })

  it('costs one draw below n·min(p, 1−p) = 10 (inversion); BTRS about 1.41 pairs at n·p = 10, falling to 1.13 for large n·p·q', () => {
    const inv = counting(stream('binomial/cost/inv'))
    for (let i = 0; i < 10_000; i++) binomial(inv, 1e9, 9.9e-9)
    expect(inv.draws).toBe(10_000)
    for (const [n, p, most] of [[20, 0.5, 1.45], [1000, 0.3, 1.21], [1e12, 0.1, 1.16]] as const) {
      const rng = counting(stream(`binomial/cost/${n}`))
      for (let i = 0; i < 20_000; i++) binomial(rng, n, p)
      const pairs = rng.draws / 2 / 20_000
      expect(pairs, `n ${n} p ${p}`).toBeGreaterThan(1.08)
      expect(pairs, `n ${n} p ${p}`).toBeLessThan(most)
    }
  })
})

describe('multinomialInto', () => {
  it('counts sum to n, zero weights get 0, marginals are Binomial(n, w/Σw) in mean and variance', () => {
    const weights = new Float64Array([9, 3, 0, 1, 6, 0, 0.5, 0])
    const total = 19.5
    const key = 'multinomial/marginals'
    const rng = stream(key)
    const reps = 20_000
    for (const n of [25, 1e9]) {
      const cols = Array.from({ length: weights.length }, () => new Float64Array(reps))
      const out = new Float64Array(weights.length)
      for (let r = 0; r < reps; r++) {
        multinomialInto(rng, n, weights, 0, weights.length, out)
        let sum = 0
        for (let i = 0; i < out.length; i++) {
          sum += out[i]!
          cols[i]![r] = out[i]!
        }
        if (sum !== n) expect.fail(`rep ${r}: counts sum to ${sum}, not ${n} (${repro(key)})`)
      }
      for (let i = 0; i < weights.length; i++) {
        const p = weights[i]! / total
        if (p === 0) {
          expect(cols[i]!.every((c) => c === 0), `zero weight at ${i}`).toBe(true)
          continue
        }
        const v = n * p * (1 - p)
        expectMoments(cols[i]!, n * p, v, v * (1 + 3 * (n - 2) * p * (1 - p)), `n ${n}, category ${i}; ${repro(key)}`)
      }
    }
  })

  it('writes only [from, to), overwrites it, and n 0 gives zeros with no draw', () => {
    const rng = counting(stream('multinomial/range'))
    const w = new Float64Array([5, 1, 1, 1, 5])
    const out = new Float64Array([-1, -1, -1, -1, -1])
    multinomialInto(rng, 1000, w, 1, 4, out)
    expect(out[0]).toBe(-1)
    expect(out[4]).toBe(-1)
    expect(out[1]! + out[2]! + out[3]!).toBe(1000)
    const drawsBefore = rng.draws
    multinomialInto(rng, 0, w, 0, 5, out)
    expect([...out]).toEqual([0, 0, 0, 0, 0])
    expect(rng.draws).toBe(drawsBefore)
  })

  it('stops drawing once n is used up, and the last positive weight takes the rest without a draw', () => {
    const w = new Float64Array(200).fill(1)
    for (let rep = 0; rep < 50; rep++) {
      const rng = counting(stream(`multinomial/stop/${rep}`))
      const out = new Float64Array(200)
      multinomialInto(rng, 3, w, 0, 200, out)
      let lastHit = -1
      for (let i = 0; i < 200; i++) if (out[i]! > 0) lastHit = i
      // Each category before the one that took the last unit cost exactly one draw (inversion).
      expect(rng.draws, `rep ${rep}`).toBe(lastHit === 199 ? 199 : lastHit + 1)
    }
    const one = counting(stream('multinomial/stop/one'))
    const out = new Float64Array(3)
    multinomialInto(one, 1e12, new Float64Array([0, 4, 0]), 0, 3, out)
    expect([...out]).toEqual([0, 1e12, 0])
    expect(one.draws).toBe(0)
  })

  it('a dominant weight does not round the others away (1e17 beside 1 and 1)', () => {
    // Naively p = 1e17/(1e17 + 2) rounds to 1 and the others never get a count: expected 60 over 3000 reps.
    const key = 'multinomial/dominant'
    const rng = stream(key)
    const w = new Float64Array([1e17, 1, 1])
    const out = new Float64Array(3)
    let others = 0
    for (let r = 0; r < 3000; r++) {
      multinomialInto(rng, 1e15, w, 0, 3, out)
      expect(out[0]! + out[1]! + out[2]!).toBe(1e15)
      others += out[1]! + out[2]!
    }
    expect(Math.abs(others - 60), `${others} counts outside the dominant weight; ${repro(key)}`).toBeLessThan(4 * Math.sqrt(60))
  })

  it('throws on a negative or non-finite weight, on n > 0 with no positive weight, and on weights whose sum overflows', () => {
    const rng = stream('multinomial/bad')
    const out = new Float64Array(2)
    expect(() => multinomialInto(rng, 5, new Float64Array([1, -1]), 0, 2, out)).toThrow(/weight -1 at index 1/)
    expect(() => multinomialInto(rng, 5, new Float64Array([1, Infinity]), 0, 2, out)).toThrow(/weight Infinity/)
    expect(() => multinomialInto(rng, 5, new Float64Array([0, 0]), 0, 2, out)).toThrow(/some weight positive/)
    expect(() => multinomialInto(rng, 5, new Float64Array([1e308, 1e308]), 0, 2, out)).toThrow(/sum finite/)
  })

  it(`over random weights (zeros, 1e-300 to 1e300 apart), n and ranges: counts sum to n, zero weights get 0, nothing outside [from, to) moves (fast-check seed ${fc.readConfigureGlobal().seed})`, () => {
    const arbWeight = fc.oneof(fc.constant(0), fc.double({ min: 1e-300, max: 1e300, noNaN: true }), fc.integer({ min: 1, max: 100 }))
    fc.assert(
      fc.property(fc.array(arbWeight, { minLength: 1, maxLength: 12 }), fc.oneof(fc.nat(50), fc.integer({ min: 0, max: 1e12 })), fc.nat(), fc.nat(), fc.string(), (ws, n, a, b, key) => {
        const w = Float64Array.from(ws)
        const from = a % w.length
        const to = from + (b % (w.length - from + 1))
        if (n > 0 && !ws.slice(from, to).some((x) => x > 0)) return
        const out = new Float64Array(w.length).fill(-1)
        multinomialInto(stream(`multinomial/prop/${key}`), n, w, from, to, out)
        let sum = 0
        for (let i = 0; i < w.length; i++) {
          if (i < from || i >= to) expect(out[i]).toBe(-1)
          else {
            expect(Number.isInteger(out[i]) && out[i]! >= 0).toBe(true)
            if (w[i] === 0) expect(out[i]).toBe(0)
            sum += out[i]!
          }
        }
        expect(sum).toBe(to > from ? n : 0)
      }),
    )
  })
})

describe('maxOfUniforms', () => {
  it.each([1, 2, 10, 1000, 1e9])('n %s: mean and variance of the max, and max^n uniform (chi-square, 50 bins)', (n) => {
    const key = `max/${n}`
    const rng = stream(key)
    const xs = draw(N, () => maxOfUniforms(rng, n))
    const mean = n / (n + 1)
    const variance = n / ((n + 1) ** 2 * (n + 2))
    // The max is Beta(n, 1): excess kurtosis 6[(n−1)²(n+2) − n(n+3)] / [n(n+3)(n+4)].
    const kurtosis = (6 * ((n - 1) ** 2 * (n + 2) - n * (n + 3))) / (n * (n + 3) * (n + 4))
    expectMoments(xs, mean, variance, (kurtosis + 3) * variance * variance, repro(key))
    const bins = new Float64Array(50)
    for (const x of xs) {
      if (!(x >= 0 && x < 1)) expect.fail(`${x} is outside [0, 1) (${repro(key)})`)
      bins[Math.min(49, Math.floor(Math.pow(x, n) * 50))]!++
    }
    let stat = 0
    for (const b of bins) stat += (b - N / 50) ** 2 / (N / 50)
    expect(chiSquareTail(stat, 49), `chi-square ${stat.toFixed(1)}; ${repro(key)}`).toBeGreaterThan(0.001)
  })

  it('n 1 is the draw itself; every n takes one draw', () => {
    const a = counting(stream('max/one'))
    const b = stream('max/one')
    for (let i = 0; i < 100; i++) expect(maxOfUniforms(a, 1)).toBe(b.next())
    for (let i = 0; i < 100; i++) maxOfUniforms(a, 17)
    expect(a.draws).toBe(200)
  })
})

describe('determinism', () => {
  const mixed = (key: string) => {
    const rng = stream(key)
    const out = new Float64Array(4)
    const xs: number[] = []
    for (let i = 0; i < 500; i++) {
      xs.push(poisson(rng, 3), poisson(rng, 1e7), binomial(rng, 60, 0.2), binomial(rng, 1e9, 0.6), maxOfUniforms(rng, 5))
      multinomialInto(rng, 1000, new Float64Array([1, 2, 3, 4]), 0, 4, out)
      xs.push(...out)
    }
    return xs
  }

  it('the same seed gives the same sequence; another key gives another', () => {
    expect(mixed('det/a')).toEqual(mixed('det/a'))
    expect(mixed('det/a')).not.toEqual(mixed('det/b'))
  })
})
