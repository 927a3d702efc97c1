/**
 * sim/kernel/exp.ts (expFast, fast mode's e^x for render times) against Math.exp: within 2 ulps
 * on a dense grid of [-700, 700) and on random doubles, the same render times once rounded to
 * integer µs as renders.ts rounds them, and Math.exp itself outside |x| < 700. A failure names
 * the x to replay.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { expFast } from '../sim/kernel/exp.ts'
import { roundHalfUp } from '../sim/kernel/time.ts'

/** The distance between v > 0 and the next double above it. */
function ulp(v: number): number {
  const f = new Float64Array([v])
  const i = new BigInt64Array(f.buffer)
  i[0] = i[0]! + 1n
  return f[0]! - v
}

/** The error of expFast(x) in ulps of Math.exp(x). */
const ulps = (x: number) => Math.abs(expFast(x) - Math.exp(x)) / ulp(Math.exp(x))

/** n points spread over [lo, hi), off any simple grid (the golden ratio's fractional parts). */
function spread(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + (hi - lo) * ((i * 0.6180339887498949) % 1))
}

describe('expFast', () => {
  it('is within 2 ulps of Math.exp over [-700, 700)', () => {
    let worst = 0, at = 0
    for (const x of spread(-700, 700, 400_000)) {
      const e = ulps(x)
      if (e > worst) { worst = e; at = x }
    }
    expect(worst, `worst at x = ${at}`).toBeLessThanOrEqual(2)
    // The grid does reach the table's edges: 2^(k >> 8) from 2^-1010 to 2^1009.
    expect(expFast(-699.9) / Math.exp(-699.9)).toBeCloseTo(1, 12)
    expect(expFast(699.9) / Math.exp(699.9)).toBeCloseTo(1, 12)
  })

  it('is within 2 ulps of Math.exp on random doubles', () => {
    fc.assert(fc.property(fc.double({ min: -699.99, max: 699.99, noNaN: true }), (x) => ulps(x) <= 2), { numRuns: 2000 })
  })

  it('gives the same render times as Math.exp once rounded to integer µs (1 µs to 1,000 s)', () => {
    let differ = 0, first = NaN
    for (const x of spread(0, Math.log(1e9), 1_000_000)) {
      if (roundHalfUp(expFast(x)) !== roundHalfUp(Math.exp(x))) { differ++; if (Number.isNaN(first)) first = x }
    }
    expect(differ, `first at x = ${first}`).toBe(0)
  })

  it('is Math.exp outside |x| < 700, and at NaN and the infinities', () => {
    for (const x of [-1e9, -745.2, -700, 700, 709.7, 710, 1e9, Infinity, -Infinity, NaN]) expect(Object.is(expFast(x), Math.exp(x)), `x = ${x}`).toBe(true)
    expect(expFast(0)).toBe(1)
  })
})
