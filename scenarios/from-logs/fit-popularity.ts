/**
 * Popularity: Zipf's exponent s by maximum likelihood over the observed ranks, and how well
 * the fitted Zipf describes the counts in the order the simulator will use (the scenario's
 * path order). Where it fits badly, the counts themselves are the popularity ({ weights }).
 *
 * Likelihood of counts c_k at ranks k = 1..K (descending count) among N paths:
 *   ln L(s) = −s Σ c_k ln k − n ln H(N, s),   H(N, s) = Σ_{j=1..N} j^−s.
 * ln L is concave in s, so its derivative is found by bisection on [0.01, 10]. For N above
 * EXACT_TERMS, the tail of H and of its derivative is the midpoint-rule integral (error
 * below 1e-9 relative there).
 *
 * Goodness of fit: the Kolmogorov–Smirnov distance between the counts' cumulative share and
 * the fitted Zipf's, both over the path indexes 0..N−1 in the scenario's order. Zipf is kept
 * when KS <= max(ZIPF_KS_LIMIT, 1.63 / √n) (1.63/√n is KS's 1% critical value: a small log
 * cannot reject Zipf, and a parameter is better than a few noisy counts).
 */

export const ZIPF_KS_LIMIT = 0.05
const EXACT_TERMS = 100_000

/** H(N, s) and −dH/ds = Σ j^−s ln j. */
function harmonic(n: number, s: number): { h: number; dh: number } {
  let h = 0
  let dh = 0
  const m = Math.min(n, EXACT_TERMS)
  for (let j = 1; j <= m; j++) {
    const w = j ** -s
    h += w
    dh += w * Math.log(j)
  }
  if (n > m) {
    // ∫ x^−s dx and ∫ x^−s ln x dx from m + 1/2 to n + 1/2.
    const a = m + 0.5
    const b = n + 0.5
    if (Math.abs(1 - s) < 1e-9) {
      h += Math.log(b) - Math.log(a)
      dh += (Math.log(b) ** 2 - Math.log(a) ** 2) / 2
    } else {
      const u = 1 - s
      const F = (x: number) => x ** u / u
      const G = (x: number) => (x ** u) * (Math.log(x) / u - 1 / (u * u))
      h += F(b) - F(a)
      dh += G(b) - G(a)
    }
  }
  return { h, dh }
}

/** The maximum-likelihood Zipf exponent for counts sorted in descending order, among `n` paths. */
export function zipfMle(desc: ArrayLike<number>, n: number): number {
  let total = 0
  let sumLog = 0
  for (let k = 0; k < desc.length; k++) {
    const c = desc[k]!
    total += c
    sumLog += c * Math.log(k + 1)
  }
  if (total === 0 || n <= 1) return 1
  const mean = sumLog / total
  // d ln L / ds ∝ E_s[ln k] − mean, decreasing in s.
  let lo = 0.01
  let hi = 10
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2
    const { h, dh } = harmonic(n, mid)
    if (dh / h > mean) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

/** KS distance between the weights (index order) and Zipf(s) over n paths, index i having rank i + 1. */
export function zipfKs(weights: ArrayLike<number>, n: number, s: number): number {
  let total = 0
  for (let i = 0; i < weights.length; i++) total += weights[i]!
  if (total === 0) return 0
  const { h } = harmonic(n, s)
  let fe = 0
  let fz = 0
  let ks = 0
  const m = Math.min(weights.length, n)
  for (let i = 0; i < m; i++) {
    fe += weights[i]! / total
    fz += (i + 1) ** -s / h
    const d = Math.abs(fe - fz)
    if (d > ks) ks = d
  }
  // Past the weights the counts' share is 1 and Zipf's keeps rising: the gap is largest at m − 1.
  return ks
}

export interface PopularityFit {
  readonly s: number
  readonly ks: number
  readonly limit: number
  readonly zipfFits: boolean
}

/** Fit Zipf to human counts given in the scenario's path order, over `n` paths. */
export function fitPopularity(weights: ArrayLike<number>, n: number): PopularityFit {
  const desc = Float64Array.from(weights).sort().reverse()
  let total = 0
  for (let i = 0; i < desc.length; i++) total += desc[i]!
  const s = zipfMle(desc, n)
  const ks = zipfKs(weights, n, s)
  const limit = Math.max(ZIPF_KS_LIMIT, 1.63 / Math.sqrt(Math.max(1, total)))
  return { s, ks, limit, zipfFits: ks <= limit }
}
