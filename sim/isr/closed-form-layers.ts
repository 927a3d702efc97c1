/**
 * The two stacked stale layers of an unstable_cache entry under a page revalidate, in closed
 * form (docs/semantics.md §13.5), by renewal-reward; checked against the simulator in
 * test/closed-form-layers.test.ts.
 *
 * One path, Poisson requests at rate λ, effective page revalidate Rp, entry revalidate Ru
 * (Rp ≤ Ru: the entry lowers the page, §13.1), constant render time R, no origin latency.
 *
 * Page layer (A3). A regeneration starts on the first request after the page went stale, so
 * regeneration starts are G = c + X apart, c = R + Rp, X ~ Exp(λ), independent.
 *
 * Data layer. A regeneration that starts more than Ru after the entry was last refreshed
 * refreshes it (§13.2; latency 0, so the entry's write time is that start). Refreshes are a
 * renewal process: with S_n = G₁ + … + G_n = nc + Γ_n (Γ_n ~ Gamma(n, λ)), a cycle is
 * D = S_N, N = min{n ≥ 1 : S_n > Ru}. Splitting on the last start before the crossing,
 * s = nc + y ≤ Ru (n = 0: s = 0; else y has the Gamma(n, λ) density g_n), the next gap:
 *   - y ≤ a_n = Ru − (n+1)c: it crosses only through its X, with probability e^{−λ(a_n − y)},
 *     and then D = Ru + X' (memoryless); integrated over y this is the Poisson term
 *     e^{−λa_n}(λa_n)^n / n!;
 *   - a_n < y ≤ Ru − nc: it always crosses, D = (n+1)c + y + X.
 * So E[D^k] and E[e^{−νD}] are finite sums (n ≤ Ru/c) of Gamma CDFs (incomplete gamma
 * functions through Poisson sums); the probabilities sum to 1 (checked).
 *
 * Served data age A. Without the lag every page of a cycle shows the data of the cycle's first
 * regeneration, from R after the cycle starts to R after the next one does: per cycle the data
 * ages served run over (R, R + D), so E[A] = R + E[D²]/(2E[D]) and
 * E[e^{−νA}] = e^{−νR}(1 − E[e^{−νD}])/(νE[D]). With the lag (14, §13.2) a refresh reaches the
 * page of the next regeneration only: the interval runs from G' + R to D + G'' + R (G', G''
 * the gaps that follow each refresh, G'' independent of D), which adds E[G] = c + 1/λ to the
 * mean and the factor E[e^{−νG}] = e^{−νc}λ/(λ+ν) to the transform. Origin calls: 1/E[D] per
 * second either way. Under origin data changes at Poisson rate ν a response is outdated when a
 * change fell in its data age: 1 − E[e^{−νA}] of them.
 */

export interface LayersCase {
  readonly lambdaPerS: number
  /** The page's effective revalidate (already lowered by the entry's), seconds. */
  readonly pageRevalidateS: number
  /** The unstable_cache entry's revalidate, seconds (≥ pageRevalidateS). */
  readonly entryRevalidateS: number
  readonly renderS: number
  /** The one-cycle lag (profile switch unstableCacheLag). */
  readonly lag: boolean
}

export interface DataCycle {
  /** Total probability over the cases (1 up to rounding). */
  readonly mass: number
  readonly meanS: number
  readonly secondMomentS2: number
  /** E[e^{−νD}]. */
  readonly laplace: number
}

/** P(Poisson(m) ≤ k), summed in log space (no underflow for large m). */
export function poissonCdf(k: number, m: number): number {
  if (k < 0) return 0
  if (m <= 0) return 1
  let sum = 0, logFact = 0
  const logM = Math.log(m)
  for (let i = 0; i <= k; i++) {
    if (i > 0) logFact += Math.log(i)
    sum += Math.exp(-m + i * logM - logFact)
  }
  return Math.min(1, sum)
}

/** P(Γ ≤ x) for Γ ~ Gamma(shape n ≥ 1, rate): 1 − P(Poisson(rate·x) ≤ n − 1). */
export function gammaCdf(n: number, rate: number, x: number): number {
  return x <= 0 ? 0 : 1 - poissonCdf(n - 1, rate * x)
}

/** e^{−m} m^n / n!. */
function poissonPmf(n: number, m: number): number {
  let logFact = 0
  for (let i = 2; i <= n; i++) logFact += Math.log(i)
  return m <= 0 ? (n === 0 ? 1 : 0) : Math.exp(-m + n * Math.log(m) - logFact)
}

/** The data layer's refresh cycle D: its moments and E[e^{−νD}] (ν ≥ 0). */
export function dataCycle(lambdaPerS: number, gapConstS: number, entryRevalidateS: number, nuPerS: number): DataCycle {
  const l = lambdaPerS, c = gapConstS, u = entryRevalidateS, nu = nuPerS
  const q = l / (l + nu)
  const x1 = 1 / l, x2 = 2 / (l * l) // E[X], E[X²]
  let mass = 0, m1 = 0, m2 = 0, lt = 0
  for (let n = 0; n * c <= u; n++) {
    const a = u - (n + 1) * c
    const b = u - n * c
    if (a > 0) {
      // The next gap's constant part stays at or below Ru: it crosses through X, D = Ru + X'.
      const p = poissonPmf(n, l * a)
      mass += p
      m1 += p * (u + x1)
      m2 += p * (u * u + 2 * u * x1 + x2)
      lt += p * Math.exp(-nu * u) * q
    }
    const K = (n + 1) * c
    if (n === 0) {
      if (a <= 0) { // the first gap always crosses: D = c + X
        mass += 1
        m1 += K + x1
        m2 += K * K + 2 * K * x1 + x2
        lt += Math.exp(-nu * K) * q
      }
      continue
    }
    const lo = Math.max(a, 0), hi = b
    if (hi <= lo) continue
    const i0 = gammaCdf(n, l, hi) - gammaCdf(n, l, lo)
    const i1 = (n / l) * (gammaCdf(n + 1, l, hi) - gammaCdf(n + 1, l, lo))
    const i2 = ((n * (n + 1)) / (l * l)) * (gammaCdf(n + 2, l, hi) - gammaCdf(n + 2, l, lo))
    mass += i0
    m1 += (K + x1) * i0 + i1
    m2 += (K * K + 2 * K * x1 + x2) * i0 + (2 * K + 2 * x1) * i1 + i2
    lt += Math.exp(-nu * K) * q * q ** n * (gammaCdf(n, l + nu, hi) - gammaCdf(n, l + nu, lo))
  }
  return { mass, meanS: m1, secondMomentS2: m2, laplace: lt }
}

export interface LayersResult {
  /** Mean age of the data in a served page (time since the origin call that produced it), seconds. */
  readonly meanDataAgeS: number
  /** Origin calls of the unstable_cache function per second. */
  readonly originCallsPerS: number
  /** Mean time between refreshes of the entry, seconds. */
  readonly refreshCycleS: number
  /** Fraction of responses showing outdated data under origin changes at Poisson rate ν. */
  readonly outdatedFraction: number
}

/** The two stacked layers (§13.5); ν is the rate of origin data changes, per second (> 0). */
export function dataAgeLayers(k: LayersCase, nuPerS: number): LayersResult {
  const { lambdaPerS: l, pageRevalidateS: rp, entryRevalidateS: ru, renderS: r } = k
  if (!(l > 0 && rp > 0 && ru >= rp && r >= 0 && nuPerS > 0)) throw new RangeError(`dataAgeLayers needs λ > 0, 0 < Rp <= Ru, R >= 0, ν > 0 (got λ=${l}, Rp=${rp}, Ru=${ru}, R=${r}, ν=${nuPerS})`)
  const c = r + rp
  const d = dataCycle(l, c, ru, nuPerS)
  const lagMean = k.lag ? c + 1 / l : 0
  const lagTransform = k.lag ? Math.exp(-nuPerS * c) * (l / (l + nuPerS)) : 1
  const transform = (Math.exp(-nuPerS * r) * (1 - d.laplace)) / (nuPerS * d.meanS) * lagTransform
  return {
    meanDataAgeS: r + d.secondMomentS2 / (2 * d.meanS) + lagMean,
    originCallsPerS: 1 / d.meanS,
    refreshCycleS: d.meanS,
    outdatedFraction: 1 - transform,
  }
}
