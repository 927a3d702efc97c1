/** sim/kernel/normal.ts: the ziggurat's normal variates against the standard normal (moments, KS, the tail past the base strip). */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import { expect, test } from 'vitest'
import { normalInto } from '../sim/kernel/normal.ts'
import { createStreams } from '../sim/kernel/rng.ts'

const N = 400_000
const SEED = 'normal-zig'

function draws(): Float64Array {
  const rng = createStreams(SEED).claim('test', 'normal')
  const out = new Float64Array(N)
  for (let i = 0; i < N; i++) normalInto(out, i, rng)
  return out
}

test(`mean 0, variance 1, skew 0 and kurtosis 3 within 4 standard errors (seed ${SEED})`, () => {
  const x = draws()
  let m = 0
  for (const v of x) m += v
  m /= N
  let v2 = 0, v3 = 0, v4 = 0
  for (const v of x) { const d = v - m; v2 += d * d; v3 += d * d * d; v4 += d * d * d * d }
  v2 /= N; v3 /= N; v4 /= N
  expect(Math.abs(m)).toBeLessThan(4 / Math.sqrt(N))
  expect(Math.abs(v2 - 1)).toBeLessThan(4 * Math.sqrt(2 / N))
  expect(Math.abs(v3 / v2 ** 1.5)).toBeLessThan(4 * Math.sqrt(6 / N))
  expect(Math.abs(v4 / v2 ** 2 - 3)).toBeLessThan(4 * Math.sqrt(24 / N))
})

test(`a one-sample KS test does not reject the standard normal at 1%, and the tail past 3.44 (the base strip) has its mass (seed ${SEED})`, () => {
  const x = draws().sort()
  let d = 0
  for (let i = 0; i < N; i++) {
    const f = normalCdf(x[i]!, 0, 1)
    d = Math.max(d, Math.abs(f - i / N), Math.abs(f - (i + 1) / N))
  }
  expect(d, `KS D = ${d}`).toBeLessThan(1.628 / Math.sqrt(N))
  const tail = x.filter((v) => Math.abs(v) > 3.442619855899).length
  const p = 2 * normalCdf(-3.442619855899, 0, 1)
  expect(Math.abs(tail - N * p)).toBeLessThan(4 * Math.sqrt(N * p))
})
