/**
 * Distributions as free functions of an Rng (pure-rand's shape). Each documents
 * how many draws it consumes, so stream alignment is predictable.
 */
import { UINT32_RANGE, UINT32_SCALE, type Rng } from './rng.ts'

// Ziggurat tables for Exp(1) (Marsaglia & Tsang 2000, 256 layers), built once.
const ZIG_KE = new Float64Array(256)
const ZIG_WE = new Float64Array(256)
const ZIG_FE = new Float64Array(256)
{
  const m2 = UINT32_RANGE
  let de = 7.697117470131487
  let te = de
  const ve = 3.949659822581572e-3
  const q = ve / Math.exp(-de)
  ZIG_KE[0] = Math.floor((de / q) * m2)
  ZIG_KE[1] = 0
  ZIG_WE[0] = q / m2
  ZIG_WE[255] = de / m2
  ZIG_FE[0] = 1
  ZIG_FE[255] = Math.exp(-de)
  for (let i = 254; i >= 1; i--) {
    de = -Math.log(ve / de + Math.exp(-de))
    ZIG_KE[i + 1] = Math.floor((de / te) * m2)
    te = de
    ZIG_FE[i] = Math.exp(-de)
    ZIG_WE[i] = de / m2
  }
}
const ZIG_R = 7.697117470131487

/**
 * Adds an Exp(1) variate to `acc[i]`, by the ziggurat method: exact, and ~99% of
 * calls cost one draw and a table lookup instead of a logarithm (the hottest line of a
 * simulated request). The result goes into a typed array rather than being returned,
 * because V8 boxes a returned double when it does not inline the call, which would be an
 * allocation per arrival.
 * Draws: usually one; a rejected sample takes two more per retry. The layer comes from
 * the draw's low 8 bits and the value from all 32 (Alea's resolution), as in the original.
 */
export function addExponential(acc: Float64Array, i: number, rng: Rng): void {
  const jz = rng.nextInt32() >>> 0
  const e = exponentialFast(jz)
  if (e >= 0) acc[i] = acc[i]! + e
  else addExponentialSlow(acc, i, rng, jz)
}

/**
 * The ziggurat's common case for a first draw jz (unsigned): the variate, or -1 when the
 * draw needs the rare cases (then addExponentialSlow(acc, i, rng, jz) adds the variate to
 * acc[i], drawing more). For loops that keep a running sum in a local: `sum + e` is exactly
 * what addExponential stores. Small, so that V8 inlines it and no double is boxed.
 */
export function exponentialFast(jz: number): number {
  const iz = jz & 255
  return jz < (ZIG_KE[iz] as number) ? jz * (ZIG_WE[iz] as number) : -1
}

/**
 * The ziggurat's rare cases (~1%): the tail layer, or a wedge test, then retries. Apart,
 * so that the common case above stays small enough for V8 to inline into its callers.
 */
export function addExponentialSlow(acc: Float64Array, i: number, rng: Rng, first: number): void {
  for (let jz = first; ; jz = rng.nextInt32() >>> 0) {
    const iz = jz & 255
    if (jz < (ZIG_KE[iz] as number)) {
      acc[i] = acc[i]! + jz * (ZIG_WE[iz] as number)
      return
    }
    if (iz === 0) {
      acc[i] = acc[i]! + ZIG_R - Math.log(1 - rng.next())
      return
    }
    const x = jz * (ZIG_WE[iz] as number)
    const fe = ZIG_FE[iz] as number
    if (fe + rng.next() * ((ZIG_FE[iz - 1] as number) - fe) < Math.exp(-x)) {
      acc[i] = acc[i]! + x
      return
    }
  }
}

/** Exp(1) variate by the ziggurat method (see addExponential), for code off the hot path. */
export function exponentialZiggurat(rng: Rng): number {
  const acc = new Float64Array(1)
  addExponential(acc, 0, rng)
  return acc[0]!
}

/** z for the 95th percentile of the standard normal. */
const Z95 = 1.6448536269514722

/** Parameters of a lognormal given its median and 95th percentile (same unit). */
export function lognormalParams(median: number, p95: number): { mu: number; sigma: number } {
  return { mu: Math.log(median), sigma: Math.log(p95 / median) / Z95 }
}

/** Lognormal variate exp(mu + sigma·Z). Two draws (Box–Muller, the second normal is discarded). */
export function lognormal(rng: Rng, mu: number, sigma: number): number {
  const out = new Float64Array(3)
  out[1] = mu
  out[2] = sigma
  lognormalInto(out, 0, rng, out, 1)
  return out[0]!
}

/**
 * lognormal() for the hot path: out[i] = exp(mu + sigma·Z) with [mu, sigma] at params[j].
 * No double crosses the call (V8 boxes a double argument or return value of a call it does
 * not inline), and the draws come through nextInt32, which equals next() · 2^32 exactly.
 */
export function lognormalInto(out: Float64Array, i: number, rng: Rng, params: Float64Array, j: number): void {
  const u1 = 1 - (rng.nextInt32() >>> 0) * UINT32_SCALE
  const u2 = (rng.nextInt32() >>> 0) * UINT32_SCALE
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
  out[i] = Math.exp(params[j]! + params[j + 1]! * z)
}

/**
 * Walker/Vose alias table: O(1) sampling from a discrete distribution with one draw.
 * `cells` interleaves [prob, alias] per column so that a pick touches one cache line.
 */
export interface AliasTable {
  readonly n: number
  readonly cells: Float64Array
}

export function createAlias(weights: ArrayLike<number>): AliasTable {
  const n = weights.length
  let total = 0
  for (let i = 0; i < n; i++) total += weights[i] ?? 0
  const prob = new Float64Array(n)
  const alias = new Int32Array(n)
  const scaled = new Float64Array(n)
  const small: number[] = []
  const large: number[] = []
  for (let i = 0; i < n; i++) {
    scaled[i] = ((weights[i] ?? 0) * n) / total
    ;((scaled[i] ?? 0) < 1 ? small : large).push(i)
  }
  let lastLarge = -1
  while (small.length > 0 && large.length > 0) {
    const s = small.pop() as number
    const l = large.pop() as number
    lastLarge = l
    prob[s] = scaled[s] as number
    alias[s] = l
    scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1
    ;((scaled[l] as number) < 1 ? small : large).push(l)
  }
  for (const i of large) { prob[i] = 1; alias[i] = i }
  // Leftovers come only from rounding; a zero weight among them must still never be drawn.
  for (const i of small) {
    const w = weights[i] ?? 0
    prob[i] = w > 0 || lastLarge < 0 ? 1 : 0
    alias[i] = w > 0 || lastLarge < 0 ? i : lastLarge
  }
  const cells = new Float64Array(2 * n)
  for (let i = 0; i < n; i++) { cells[2 * i] = prob[i]!; cells[2 * i + 1] = alias[i]! }
  return { n, cells }
}

/** Probability of keeping column i (else its alias is returned). */
export function aliasProb(table: AliasTable, i: number): number {
  return table.cells[2 * i]!
}

export function aliasOf(table: AliasTable, i: number): number {
  return table.cells[2 * i + 1]!
}

/** Index drawn from an alias table with a 32-bit draw from Rng.nextInt32() (same as u = (i >>> 0) / 2^32). */
export function pickAliasInt32(table: AliasTable, i32: number): number {
  return pickAlias(table, (i32 >>> 0) * UINT32_SCALE)
}

/** Index drawn from an alias table. One draw (the fraction of u·n picks the column side). */
export function pickAlias(table: AliasTable, u: number): number {
  const x = u * table.n
  const i = x | 0
  const c = table.cells
  // Branch-free select: which side is taken is a coin flip per draw, and a mispredicted
  // branch cost ~30 ns here (3-4x the whole pick). -Number(bool) compiles to a setcc.
  const m = -Number(x - i < c[2 * i]!)
  return (i & m) | ((c[2 * i + 1]! | 0) & ~m)
}

/** Zipf weights 1/k^s for ranks k = 1..n (index 0 is the most popular). */
export function zipfWeights(n: number, s: number): Float64Array {
  const w = new Float64Array(n)
  for (let k = 0; k < n; k++) w[k] = 1 / Math.pow(k + 1, s)
  return w
}
