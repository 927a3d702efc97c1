/**
 * Zipf draws with no table: rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-
 * inversion to generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996),
 * as Apache Commons RNG's RejectionInversionZipfSampler. Rank k of 1..n has probability
 * ∝ 1/k^s. O(1) memory and expected O(1) time (the acceptance rate is above 0.9 for every s
 * and n), so popularity over tens of millions of paths needs no per-path alias table.
 */
import type { Rng } from './rng.ts'

/** [n, s, H(1.5) - 1, H(n + 0.5), the squeeze's bound]. */
export type ZipfSampler = Float64Array

const TWO_POW_M53 = 2 ** -53

export function createZipf(n: number, s: number): ZipfSampler {
  const z = new Float64Array(5)
  z[0] = n
  z[1] = s
  z[2] = hIntegral(1.5, s) - 1
  z[3] = hIntegral(n + 0.5, s)
  z[4] = 2 - hIntegralInverse(hIntegral(2.5, s) - h(2, s), s)
  return z
}

/**
 * A rank index 0..n-1 (rank k + 1): each try takes a 53-bit uniform from two 32-bit draws, so
 * that the tail's ranks, ~1/n apart in H, are resolved (2^-32 would give a few grid points each).
 */
export function sampleZipf(z: ZipfSampler, rng: Rng): number {
  const n = z[0]!, s = z[1]!, hX1 = z[2]!, hN = z[3]!, squeeze = z[4]!
  for (;;) {
    const a = rng.nextInt32() >>> 5, b = rng.nextInt32() >>> 6
    const u01 = (a * 67108864 + b) * TWO_POW_M53
    const u = hN + u01 * (hX1 - hN)
    const x = hIntegralInverse(u, s)
    let k = Math.floor(x + 0.5)
    if (k < 1) k = 1
    else if (k > n) k = n
    if (k - x <= squeeze || u >= hIntegral(k + 0.5, s) - h(k, s)) return k - 1
  }
}

/** h(x) = 1/x^s. */
function h(x: number, s: number): number {
  return Math.exp(-s * Math.log(x))
}

/** H(x) = ∫ h: (x^(1-s) - 1)/(1 - s), log x at s = 1, computed without cancellation near s = 1. */
function hIntegral(x: number, s: number): number {
  const logX = Math.log(x)
  return helper2((1 - s) * logX) * logX
}

function hIntegralInverse(x: number, s: number): number {
  let t = x * (1 - s)
  if (t < -1) t = -1 // rounding can push t below -1, where log1p is undefined
  return Math.exp(helper1(t) * x)
}

/** log1p(x)/x, continued to 1 at 0. */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x))
}

/** expm1(x)/x, continued to 1 at 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x))
}
