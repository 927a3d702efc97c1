/**
 * Two stacked stale-while-revalidate caches in closed form (§16.1): one CDN PoP over one
 * `next start`, for one path requested as a Poisson stream at rate λ, with revalidate T (Next's
 * entry, and the CDN's s-maxage, which Next sends as T whatever the entry's age, §7), a
 * constant render time r ≤ T, and a stale window longer than any gap (the default expire).
 *
 * The derivation (renewal-reward). The CDN stores a page at a request; it is fresh for T, and
 * the first request after that (an Exp(λ) wait X later) is served stale and revalidates it. Next
 * answers at once (HIT or STALE), so the CDN's fetches are G = T + X apart, i.i.d. Next sees only
 * these fetches. Call a fetch that finds Next's entry stale a trigger: it gets the old page and
 * starts a regeneration, which writes the page with content time τ (the trigger) at τ + r. The
 * next fetch, G₁ later, finds that entry fresh iff X₁ ≤ r (probability p = 1 − e^(−λr)), and then
 * the one after it (G₂ later) finds it stale (its age is then G₁ + G₂ − r > T), a trigger;
 * else it is itself a trigger. So triggers are a renewal process with cycle L = G₁ when
 * X₁ > r and L = G₁ + G₂ when X₁ ≤ r; every fetch after a trigger τ_k (up to and including the
 * next trigger) brings content τ_k, and the trigger τ_k itself brought τ_(k−1).
 *
 * Users' requests are Poisson, so (PASTA) the age they see is the time average of the
 * content's age. Over a cycle starting at τ_k, the content is τ_(k−1) until the first fetch
 * after τ_k, G₁ later, and τ_k after that, so the age integrates to L_prev·G₁ + L²/2 (in both
 * cases), with L_prev, the previous cycle, independent of this one:
 *
 *   mean age = E[G] + E[L²] / (2 E[L]),   E[L] = (1 + p) E[G],
 *   E[L²] = (1 + p) E[G²] + 2 E[G] E[G₁; X₁ ≤ r],   E[G₁; X₁ ≤ r] = pT + (1 − e^(−λr)(1 + λr))/λ.
 *
 * Per CDN cycle, λT requests are hits and one (the first after T) is stale: the CDN's stale
 * fraction is 1/(1 + λT), and it sends Next 1/E[G] requests/s. Per trigger cycle Next answers
 * one STALE and, with probability p, one HIT, and renders once.
 */

export interface StackedCdnInput {
  /** Requests per second to the path (at its PoP). */
  readonly lambdaPerS: number
  /** Next's revalidate, and so the CDN's s-maxage. */
  readonly revalidateS: number
  /** The render time, constant; at most revalidateS. */
  readonly renderS: number
}

export interface StackedCdn {
  /** Fractions of users' requests the CDN serves fresh and stale (no misses in steady state). */
  readonly cdnHitFraction: number
  readonly cdnStaleFraction: number
  /** Requests the CDN sends Next per second (its background revalidations). */
  readonly originRequestsPerS: number
  /** Of those, the fraction Next answers STALE (each starts a regeneration); the rest are HITs. */
  readonly nextStaleFraction: number
  /** Next's regenerations per second. */
  readonly rendersPerS: number
  /** Mean age of the page users get, end to end (from the start of its render). */
  readonly meanAgeS: number
}

export function stackedCdn(x: StackedCdnInput): StackedCdn {
  const l = x.lambdaPerS, t = x.revalidateS, r = x.renderS
  if (!(l > 0) || !(t > 0) || !(r >= 0) || r > t) throw new RangeError(`stackedCdn needs λ > 0, T > 0 and 0 <= r <= T; received λ=${l}, T=${t}, r=${r}`)
  const eG = t + 1 / l
  const eG2 = t * t + (2 * t) / l + 2 / (l * l)
  const p = 1 - Math.exp(-l * r)
  const eXshort = (1 - Math.exp(-l * r) * (1 + l * r)) / l // E[X; X <= r]
  const eL = (1 + p) * eG
  const eL2 = (1 + p) * eG2 + 2 * eG * (p * t + eXshort)
  return {
    cdnHitFraction: (l * t) / (1 + l * t),
    cdnStaleFraction: 1 / (1 + l * t),
    originRequestsPerS: 1 / eG,
    nextStaleFraction: 1 / (1 + p),
    rendersPerS: 1 / eL,
    meanAgeS: eG + eL2 / (2 * eL),
  }
}

/**
 * The edge alone with several PoPs (§16.1): users spread uniformly over `pops` PoPs, so each
 * sees a Poisson stream at λ/pops; Next answers every revalidation at once in steady state
 * (HIT, STALE, or STALE while its own regeneration runs), whatever the render time, so each
 * PoP's fetches are T + Exp(λ/pops) apart. Per path: the fractions of users' requests served
 * fresh and stale, and the requests all PoPs together send Next per second.
 */
export function cdnEdge(x: { readonly lambdaPerS: number; readonly revalidateS: number; readonly pops: number }): { readonly hitFraction: number; readonly staleFraction: number; readonly originRequestsPerS: number } {
  const perPop = x.lambdaPerS / x.pops, t = x.revalidateS
  return { hitFraction: (perPop * t) / (1 + perPop * t), staleFraction: 1 / (1 + perPop * t), originRequestsPerS: x.pops / (t + 1 / perPop) }
}
