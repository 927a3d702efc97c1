/**
 * Exact discrete samplers over a stream: Poisson, binomial, multinomial, the max of n
 * uniforms, and log k!. Exact means no approximation beyond the stream's 2⁻³² resolution
 * and double rounding: inversion for small means, Hörmann's transformed rejection (PTRS,
 * BTRS, 1993) above, whose acceptance test reads a log-pmf computed without cancellation
 * (Loader 2000: stirlerr and bd0), so that it stays exact at means of 1e12 where
 * k·log(mean) − log k! would lose three decimals. No call allocates (a count above 2³¹ that
 * poisson or binomial returns is a heap number unless the caller inlines the call). Uniforms
 * come through nextInt32 (the same value as next(), unboxed across calls). Each sampler says
 * how many draws it takes, so stream alignment is predictable.
 */
import { InvariantError } from './errors.ts'
import { UINT32_SCALE, type Rng } from './rng.ts'

const LN_2PI = 1.8378770664093453 // log(2π)
const HALF_LN_2PI = 0.9189385332046727

/** The largest mean or n accepted: results stay exact integers in a double well below 2⁵³. */
export const SAMPLE_MAX = 1e15

const LOG_FACT_N = 256
/** log k! for k < 256: products up to 170! (exact to 22!), then sums of logs. */
const LOG_FACT = new Float64Array(LOG_FACT_N)
{
  let f = 1
  for (let k = 1; k < LOG_FACT_N; k++) {
    if (k <= 170) {
      f *= k
      LOG_FACT[k] = Math.log(f)
    } else LOG_FACT[k] = LOG_FACT[k - 1]! + Math.log(k)
  }
}

/**
 * stirlerr(k) = log k! − ((k + ½)·log k − k + ½·log 2π) for k = 0..15 (Loader's table; 0 is
 * unused). From the table rather than from LOG_FACT, whose difference would cancel to 1e-15.
 */
const STIRLERR = new Float64Array([
  0, 0.0810614667953272582196702, 0.0413406959554092940938221, 0.02767792568499833914878929,
  0.02079067210376509311152277, 0.01664469118982119216319487, 0.01387612882307074799874573,
  0.01189670994589177009505572, 0.010411265261972096497478567, 0.009255462182712732917728637,
  0.008330563433362871256469318, 0.007573675487951840794972024, 0.006942840107209529865664152,
  0.006408994188004207068439631, 0.005951370112758847735624416, 0.005554733551962801371038690,
])

/**
 * Doubles cross the internal calls through these arrays, never as arguments or results:
 * V8 boxes a double argument or result of a call it does not inline (an allocation), and
 * the rejection branches below are not always inlined. Counts in Smi range cross freely.
 * ARG: the current draw's parameters [mean or n, p] and a binomial's result (a count above 2³¹
 * would be boxed); LOG: a log-pmf's arguments [k, mean or n, p] and result.
 */
const ARG = new Float64Array(3)
const LOG = new Float64Array(4)

/**
 * [x, m, result] of stirlerrT and bd0T, for the same reason as ARG and LOG. Their bodies call
 * nothing: once a log-pmf is inlined into a sampler V8's budget may not inline one more level.
 */
const T = new Float64Array(3)

/**
 * T[2] = stirlerr(T[0]) = log k! − ((k + ½)·log k − k + ½·log 2π) for an integer k ≥ 1: the
 * table, then Loader's series (error < 1e-16).
 */
function stirlerrT(): void {
  const k = T[0]!
  if (k < 16) {
    T[2] = STIRLERR[k | 0]!
    return
  }
  const kk = k * k
  if (k > 500) T[2] = (1 / 12 - 1 / 360 / kk) / k
  else if (k > 80) T[2] = (1 / 12 - (1 / 360 - 1 / 1260 / kk) / kk) / k
  else if (k > 35) T[2] = (1 / 12 - (1 / 360 - (1 / 1260 - 1 / 1680 / kk) / kk) / kk) / k
  else T[2] = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / kk) / kk) / kk) / kk) / k
}

/**
 * T[2] = bd0(T[0], T[1]) = x·log(x/m) + m − x, the deviance term of a pmf, without its
 * cancellation near x = m (Loader's series in v = (x − m)/(x + m); x − m is exact there).
 */
function bd0T(): void {
  const x = T[0]!
  const m = T[1]!
  const d = x - m
  const sum = x + m
  if (!(Math.abs(d) < 0.1 * sum)) {
    T[2] = x * Math.log(x / m) + m - x
    return
  }
  let v = d / sum
  let s = d * v
  let ej = 2 * x * v
  v *= v
  for (let j = 3; j < 2000; j += 2) {
    ej *= v
    const s1 = s + ej / j
    if (s1 === s) break
    s = s1
  }
  T[2] = s
}

/** log k! for a non-negative integer k: a table below 256, Stirling's series above (relative error ~1e-16). */
export function logFactorial(k: number): number {
  if (k < LOG_FACT_N) return LOG_FACT[k] ?? Number.NaN
  T[0] = k
  stirlerrT()
  return (k + 0.5) * Math.log(k) - k + HALF_LN_2PI + T[2]!
}

/** LOG[3] = log P(X = LOG[0]) for X ~ Poisson(LOG[1]) (Loader's saddle-point form). */
function logPoissonPmfInLog(): void {
  const k = LOG[0]!
  if (k === 0) {
    LOG[3] = -LOG[1]!
    return
  }
  T[0] = k
  stirlerrT()
  let lc = -T[2]!
  T[1] = LOG[1]!
  bd0T()
  lc -= T[2]!
  LOG[3] = lc - 0.5 * (LN_2PI + Math.log(k))
}

/** LOG[3] = log P(X = LOG[0]) for X ~ Binomial(LOG[1], LOG[2]) (Loader's saddle-point form). */
function logBinomialPmfInLog(): void {
  const k = LOG[0]!
  const n = LOG[1]!
  const p = LOG[2]!
  if (k === 0) {
    LOG[3] = n * Math.log1p(-p)
    return
  }
  if (k === n) {
    LOG[3] = n * Math.log(p)
    return
  }
  T[0] = n
  stirlerrT()
  let lc = T[2]!
  T[0] = k
  stirlerrT()
  lc -= T[2]!
  T[0] = n - k
  stirlerrT()
  lc -= T[2]!
  T[0] = k
  T[1] = n * p
  bd0T()
  lc -= T[2]!
  T[0] = n - k
  T[1] = n * (1 - p)
  bd0T()
  lc -= T[2]!
  LOG[3] = lc - 0.5 * (LN_2PI + Math.log(k) + Math.log1p(-k / n))
}

/** log P(X = k) for X ~ Poisson(mean), k a non-negative integer, accurate to ~1e-15 absolute at any mean. */
export function logPoissonPmf(k: number, mean: number): number {
  LOG[0] = k
  LOG[1] = mean
  logPoissonPmfInLog()
  return LOG[3]!
}

/** log P(X = k) for X ~ Binomial(n, p), 0 ≤ k ≤ n integers, 0 < p < 1, accurate to ~1e-15 absolute. */
export function logBinomialPmf(k: number, n: number, p: number): number {
  LOG[0] = k
  LOG[1] = n
  LOG[2] = p
  logBinomialPmfInLog()
  return LOG[3]!
}

/**
 * A Poisson(mean) count, exact for every mean in [0, SAMPLE_MAX]; 0 for mean 0.
 * mean < 10: inversion by sequential search, one draw and about mean + 1 steps.
 * mean ≥ 10: PTRS, two draws per try; 1.33 tries at mean 10, 1.17 at 100, 1.12 from 1e4 up.
 */
export function poisson(rng: Rng, mean: number): number {
  ARG[0] = mean
  if (mean < 10) {
    if (mean > 0) return poissonInversion(rng)
    if (mean === 0) return 0
  } else if (mean <= SAMPLE_MAX) return poissonPtrs(rng)
  throw new InvariantError(`poisson: mean ${mean} on stream "${rng.id}" is not in [0, ${SAMPLE_MAX}]`)
}

/** Poisson(ARG[0]) by inversion, ARG[0] < 10. */
function poissonInversion(rng: Rng): number {
  const mean = ARG[0]!
  const u = (rng.nextInt32() >>> 0) * UINT32_SCALE
  let pk = Math.exp(-mean)
  let cdf = pk
  let k = 0
  // pk > 0 only guards against a cdf that rounding kept below u (never seen: its error is ~1e-15, u ≤ 1 − 2⁻³²).
  while (u > cdf && pk > 0) {
    k++
    pk *= mean / k
    cdf += pk
  }
  return k
}

/** Hörmann's PTRS (1993) for Poisson(ARG[0]), ARG[0] ≥ 10. The acceptance test compares with the exact log-pmf. */
function poissonPtrs(rng: Rng): number {
  const mean = ARG[0]!
  const b = 0.931 + 2.53 * Math.sqrt(mean)
  const a = -0.059 + 0.02483 * b
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4)
  const vr = 0.9277 - 3.6224 / (b - 2)
  // k = ⌊x + mean + 0.43⌋ as ⌊mean⌋ + ⌊x + frac + 0.43⌋: at 1e12 the first sum would round to 1e-4.
  const base = Math.floor(mean)
  const off = mean - base + 0.43
  for (;;) {
    const u = (rng.nextInt32() >>> 0) * UINT32_SCALE - 0.5
    const v = (rng.nextInt32() >>> 0) * UINT32_SCALE
    const us = 0.5 - Math.abs(u)
    const k = base + Math.floor(((2 * a) / us + b) * u + off)
    if (us >= 0.07 && v <= vr) return k
    if (k < 0 || (us < 0.013 && v > us)) continue
    LOG[0] = k
    LOG[1] = mean
    logPoissonPmfInLog()
    if (Math.log((v * invAlpha) / (a / (us * us) + b)) <= LOG[3]!) return k
  }
}

/**
 * A Binomial(n, p) count, exact for integers n in [0, SAMPLE_MAX] and p in [0, 1].
 * By symmetry the sampler sees p' = min(p, 1 − p) (1 − p is exact for p ≥ ½):
 * n·p' < 10: inversion, one draw and about n·p' + 1 steps; else BTRS, two draws per try,
 * 1.41 tries at n·p' = 10 falling to 1.13 for large n·p·q.
 */
export function binomial(rng: Rng, n: number, p: number): number {
  if (!(n >= 0 && n <= SAMPLE_MAX && Math.floor(n) === n && p >= 0 && p <= 1)) {
    throw new InvariantError(`binomial: n ${n}, p ${p} on stream "${rng.id}": n must be an integer in [0, ${SAMPLE_MAX}] and p in [0, 1]`)
  }
  if (n === 0 || p === 0) return 0
  if (p === 1) return n
  ARG[0] = n
  ARG[1] = p > 0.5 ? 1 - p : p
  binomialHalf(rng)
  return p > 0.5 ? n - ARG[2]! : ARG[2]!
}

/** ARG[2] = a Binomial(ARG[0], ARG[1]) count, n ≥ 1 and 0 < p ≤ ½ (a hair above ½ from rounding is harmless). */
function binomialHalf(rng: Rng): void {
  if (ARG[0]! * ARG[1]! < 10) binomialInversion(rng)
  else binomialBtrs(rng)
}

function binomialInversion(rng: Rng): void {
  const n = ARG[0]!
  const p = ARG[1]!
  const u = (rng.nextInt32() >>> 0) * UINT32_SCALE
  const r = p / (1 - p)
  let pk = Math.exp(n * Math.log1p(-p))
  let cdf = pk
  let k = 0
  while (u > cdf && k < n) {
    pk *= (r * (n - k)) / (k + 1)
    k++
    cdf += pk
  }
  ARG[2] = k
}

/**
 * Hörmann's BTRS (1993) for n·p ≥ 10, p ≤ ½. The acceptance test is log V·α/(a/us² + b) ≤
 * log f(k) − log f(m) at the mode m, both exact log-pmfs; log f(m) is computed on the first
 * try that needs it (about one call in five).
 */
function binomialBtrs(rng: Rng): void {
  const n = ARG[0]!
  const p = ARG[1]!
  const np = n * p
  const spq = Math.sqrt(np * (1 - p))
  const b = 1.15 + 2.53 * spq
  const a = -0.0873 + 0.0248 * b + 0.01 * p
  const alpha = (2.83 + 5.1 / b) * spq
  const vr = 0.92 - 4.2 / b
  const base = Math.floor(np)
  const off = np - base + 0.5
  let logFm = Number.NaN
  for (;;) {
    const u = (rng.nextInt32() >>> 0) * UINT32_SCALE - 0.5
    const v = (rng.nextInt32() >>> 0) * UINT32_SCALE
    const us = 0.5 - Math.abs(u)
    const k = base + Math.floor(((2 * a) / us + b) * u + off)
    // Range first: a fast-accepted k is always in range, so the order changes nothing but safety.
    if (k < 0 || k > n) continue
    if (us >= 0.07 && v <= vr) {
      ARG[2] = k
      return
    }
    LOG[1] = n
    LOG[2] = p
    if (logFm !== logFm) {
      LOG[0] = Math.floor((n + 1) * p)
      logBinomialPmfInLog()
      logFm = LOG[3]!
    }
    LOG[0] = k
    logBinomialPmfInLog()
    if (Math.log((v * alpha) / (a / (us * us) + b)) <= LOG[3]! - logFm) {
      ARG[2] = k
      return
    }
  }
}

/**
 * Distributes n (an integer in [0, SAMPLE_MAX]) over categories [from, to) with probabilities
 * proportional to weights (finite, ≥ 0, any sum; zero weights get 0), by conditional
 * binomials in index order, and writes the counts into out[from..to) (overwritten). Draws
 * stop once n is used up, and the last positive weight takes the rest without one. The
 * remaining weight is kept as a double-double and each binomial draws on the smaller side
 * (w or the weight after it), so a dominant weight cannot round the others' chances away.
 */
export function multinomialInto(rng: Rng, n: number, weights: Float64Array, from: number, to: number, out: Float64Array): void {
  let hi = 0
  let lo = 0
  let last = -1
  for (let i = from; i < to; i++) {
    const w = weights[i]!
    if (!(w >= 0 && w < Infinity)) throw new InvariantError(`multinomialInto: weight ${w} at index ${i} on stream "${rng.id}" is not finite and >= 0`)
    if (w === 0) continue
    const s = hi + w
    const bb = s - hi
    lo += hi - (s - bb) + (w - bb)
    hi = s
    last = i
  }
  if (!(n >= 0 && n <= SAMPLE_MAX && Math.floor(n) === n) || (last < 0 && n > 0) || !(hi < Infinity)) {
    throw new InvariantError(`multinomialInto: n ${n} over weights [${from}, ${to}) on stream "${rng.id}": n must be an integer in [0, ${SAMPLE_MAX}], some weight positive and their sum finite`)
  }
  // n · 1: a double from the start; `left = n` kept it tagged and boxed every update above 2³¹.
  let left = n * 1
  for (let i = from; i < to; i++) {
    const w = weights[i]!
    if (left === 0 || w === 0) {
      out[i] = 0
      continue
    }
    if (i === last) {
      out[i] = left
      left = 0
      continue
    }
    const rem = hi + lo
    // (hi, lo) −= w, exactly (two-sum), so `after` is the weight of the categories after i.
    const s = hi - w
    const bb = s - hi
    lo += hi - (s - bb) + (-w - bb)
    hi = s
    const after = hi + lo
    let c = left
    if (after > 0) {
      ARG[0] = left
      ARG[1] = w <= after ? w / rem : after / rem
      binomialHalf(rng)
      c = w <= after ? ARG[2]! : left - ARG[2]!
    }
    out[i] = c
    left -= c
  }
}

/** The max of n ≥ 1 iid U(0, 1), as U^(1/n): exact, one draw, in [0, 1). */
export function maxOfUniforms(rng: Rng, n: number): number {
  const u = (rng.nextInt32() >>> 0) * UINT32_SCALE
  return n === 1 ? u : Math.pow(u, 1 / n)
}
