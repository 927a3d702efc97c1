/**
 * Statistics for testing exact samplers (test/sample.test.ts), open to other tests: exact pmfs
 * binned for a chi-square test, Pearson's chi-square with its p-value, moments within
 * standard errors of theory. Log-gammas come from sim/kernel/sample.ts's logFactorial, which
 * test/sample.test.ts checks against BigInt factorials.
 */
import { expect } from 'vitest'
import { logFactorial } from '../sim/kernel/sample.ts'

/** ln Γ(df/2) from logFactorial: Γ(m) = (m−1)!, Γ(m + ½) = (2m)!·√π / (4^m·m!). */
export function lnGammaHalf(df: number): number {
  if (df % 2 === 0) return logFactorial(df / 2 - 1)
  const m = (df - 1) / 2
  return logFactorial(2 * m) - logFactorial(m) - 2 * m * Math.LN2 + 0.5 * Math.log(Math.PI)
}

/** P(χ²_df > x): the regularized upper incomplete gamma Q(df/2, x/2) (series or Lentz's continued fraction). */
export function chiSquareTail(x: number, df: number): number {
  const a = df / 2
  const z = x / 2
  if (z <= 0) return 1
  const logPrefix = a * Math.log(z) - z - lnGammaHalf(df)
  if (z < a + 1) {
    let term = 1 / a
    let sum = term
    for (let n = 1; n < 10_000 && Math.abs(term) > Math.abs(sum) * 1e-16; n++) {
      term *= z / (a + n)
      sum += term
    }
    return 1 - sum * Math.exp(logPrefix)
  }
  const tiny = 1e-300
  let b = z + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(logPrefix) * h
}

/**
 * An exact pmf cut into bins of at least minMass each, grown outward from the mode; the
 * first and last bins also hold the tails beyond the window [lo, hi] (< 1e-15 of the mass).
 */
export interface BinnedPmf {
  /** The first value of each bin, ascending. */
  readonly starts: number[]
  /** Each bin's probability, normalized over the window. */
  readonly probs: number[]
  /** The window's mass before normalizing: 1 up to the rounding of log p(mode). */
  readonly rawSum: number
}

/** Bins from log p(mode) (via logFactorial) and the ratio up(k) = p(k+1)/p(k), walked outward. */
export function binPmf(lo: number, hi: number, mode: number, logAtMode: number, up: (k: number) => number, minMass: number): BinnedPmf {
  const right: [number, number][] = []
  let p = Math.exp(logAtMode)
  let acc = 0
  let start = mode
  for (let k = mode; k <= hi; k++) {
    acc += p
    if (acc >= minMass) {
      right.push([start, acc])
      start = k + 1
      acc = 0
    }
    p *= up(k)
  }
  if (acc > 0) {
    if (right.length === 0) right.push([mode, acc])
    else right[right.length - 1]![1] += acc
  }
  const left: [number, number][] = []
  acc = 0
  p = mode > lo ? Math.exp(logAtMode) / up(mode - 1) : 0
  for (let k = mode - 1; k >= lo; k--) {
    acc += p
    if (acc >= minMass) {
      left.push([k, acc])
      acc = 0
    }
    if (k > lo) p /= up(k - 1)
  }
  // A short bin at the lower end joins its neighbour toward the mode.
  if (acc > 0) {
    if (left.length > 0) left[left.length - 1]![1] += acc
    else right[0]![1] += acc
  }
  const bins = [...left.reverse(), ...right]
  bins[0]![0] = lo
  const rawSum = bins.reduce((s, b) => s + b[1], 0)
  return { starts: bins.map((b) => b[0]), probs: bins.map((b) => b[1] / rawSum), rawSum }
}

/** Poisson(mean) over mean ± 9 sd, in bins of at least minMass. */
export function poissonPmf(mean: number, minMass: number): BinnedPmf {
  const sd = Math.sqrt(mean)
  const lo = Math.max(0, Math.floor(mean - 9 * sd - 20))
  const hi = Math.ceil(mean + 9 * sd + 20)
  const m = Math.floor(mean)
  return binPmf(lo, hi, m, -mean + (m === 0 ? 0 : m * Math.log(mean)) - logFactorial(m), (k) => mean / (k + 1), minMass)
}

/** Binomial(n, p) over np ± 9 sd, in bins of at least minMass. */
export function binomialPmf(n: number, p: number, minMass: number): BinnedPmf {
  const q = 1 - p
  const sd = Math.sqrt(n * p * q)
  const lo = Math.max(0, Math.floor(n * p - 9 * sd - 20))
  const hi = Math.min(n, Math.ceil(n * p + 9 * sd + 20))
  const m = Math.min(n, Math.floor((n + 1) * p))
  const logAtMode = logFactorial(n) - logFactorial(m) - logFactorial(n - m) + m * Math.log(p) + (n - m) * Math.log1p(-p)
  return binPmf(lo, hi, m, logAtMode, (k) => ((n - k) / (k + 1)) * (p / q), minMass)
}

/** Bins of at least max(20, N/200) expected: about 200 bins at most. */
export const minMassFor = (samples: number) => Math.max(20, samples / 200) / samples

/** Pearson's chi-square of samples against a binned pmf (a sample below the first bin's start counts in it). */
export function chiSquare(xs: Float64Array, pmf: BinnedPmf): { stat: number; df: number; pValue: number } {
  const { starts, probs } = pmf
  const observed = new Float64Array(probs.length)
  for (const x of xs) {
    let a = 0
    let b = starts.length - 1
    while (a < b) {
      const mid = (a + b + 1) >> 1
      if (starts[mid]! <= x) a = mid
      else b = mid - 1
    }
    observed[a]!++
  }
  let stat = 0
  for (let i = 0; i < probs.length; i++) {
    const e = probs[i]! * xs.length
    stat += (observed[i]! - e) ** 2 / e
  }
  const df = probs.length - 1
  return { stat, df, pValue: df === 0 ? 1 : chiSquareTail(stat, df) }
}

/** Sample mean and (unbiased) variance, two-pass. */
export function moments(xs: Float64Array): { mean: number; variance: number } {
  let s = 0
  for (const x of xs) s += x
  const mean = s / xs.length
  let ss = 0
  for (const x of xs) ss += (x - mean) ** 2
  return { mean, variance: ss / (xs.length - 1) }
}

/**
 * Mean and variance within 4 standard errors of theory: SE(mean) = √(σ²/N),
 * SE(variance) ≈ √((μ₄ − σ⁴)/N), μ₄ the central fourth moment.
 */
export function expectMoments(xs: Float64Array, mean: number, variance: number, mu4: number, what: string): void {
  const m = moments(xs)
  const zMean = (m.mean - mean) / Math.sqrt(variance / xs.length)
  const zVar = (m.variance - variance) / Math.sqrt((mu4 - variance * variance) / xs.length)
  expect(Math.abs(zMean), `${what}: sample mean ${m.mean}, theory ${mean} (z ${zMean.toFixed(2)})`).toBeLessThan(4)
  expect(Math.abs(zVar), `${what}: sample variance ${m.variance}, theory ${variance} (z ${zVar.toFixed(2)})`).toBeLessThan(4)
}
