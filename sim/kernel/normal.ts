/**
 * Standard normal variates by the ziggurat method (Marsaglia & Tsang 2000, 128 layers): exact,
 * and ~98% of draws cost one 32-bit draw, a table lookup and a multiply, against Box–Muller's
 * log, sqrt and cosine. Fast mode draws its render times with it (a render is the unit of its
 * cost); the exact engine keeps Box–Muller (dist.ts lognormalInto), whose draws its goldens pin.
 * Like dist.ts's exponential ziggurat, the layer comes from the draw's low 7 bits and the value
 * from all 32, as in the original.
 */
import { UINT32_SCALE, type Rng } from './rng.ts'

const KN = new Uint32Array(128)
const WN = new Float64Array(128)
const FN = new Float64Array(128)
const R = 3.442619855899
{
  const m1 = 2147483648
  const vn = 9.91256303526217e-3
  let dn = R, tn = dn
  const q = vn / Math.exp(-0.5 * dn * dn)
  KN[0] = Math.floor((dn / q) * m1)
  KN[1] = 0
  WN[0] = q / m1
  WN[127] = dn / m1
  FN[0] = 1
  FN[127] = Math.exp(-0.5 * dn * dn)
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)))
    KN[i + 1] = Math.floor((dn / tn) * m1)
    tn = dn
    FN[i] = Math.exp(-0.5 * dn * dn)
    WN[i] = dn / m1
  }
}

/** A uniform in (0, 1], from one draw (never 0: the tail takes its logarithm). */
function unitOpen(rng: Rng): number {
  return 1 - (rng.nextInt32() >>> 0) * UINT32_SCALE
}

/** out[i] = a standard normal variate. Usually one draw from rng. */
export function normalInto(out: Float64Array, i: number, rng: Rng): void {
  const hz = rng.nextInt32() | 0
  const z = normalFast(hz)
  if (z === z) out[i] = z
  else normalSlowInto(out, i, rng, hz)
}

/**
 * The ziggurat's common case for a first draw hz (signed 32-bit): the variate, or NaN when the
 * draw needs the rare cases (then normalSlowInto(out, i, rng, hz) puts the variate in out[i],
 * drawing more from rng). Small, so that V8 inlines it into a loop that steps the stream itself.
 */
export function normalFast(hz: number): number {
  const iz = hz & 127
  return Math.abs(hz) < KN[iz]! ? hz * WN[iz]! : NaN
}

/** The rare cases after a first draw hz that normalFast refused. */
export function normalSlowInto(out: Float64Array, i: number, rng: Rng, hz: number): void {
  out[i] = normalSlow(rng, hz, hz & 127)
}

/** The rare cases: the base strip's tail, or a wedge test, then retries. */
function normalSlow(rng: Rng, hz: number, iz: number): number {
  for (;;) {
    if (iz === 0) {
      let x: number, y: number
      do {
        x = -Math.log(unitOpen(rng)) / R
        y = -Math.log(unitOpen(rng))
      } while (y + y < x * x)
      return hz > 0 ? R + x : -R - x
    }
    const x = hz * WN[iz]!
    if (FN[iz]! + (1 - unitOpen(rng)) * (FN[iz - 1]! - FN[iz]!) < Math.exp(-0.5 * x * x)) return x
    hz = rng.nextInt32() | 0
    iz = hz & 127
    if (Math.abs(hz) < KN[iz]!) return hz * WN[iz]!
  }
}
