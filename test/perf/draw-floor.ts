/**
 * The floor of fast mode's render cycle (issue 19's benchmark): the three draws every cycle of
 * fast-steady.ts needs, the next request's wait (exponential ziggurat), the render's duration
 * (normal ziggurat and e^x) and its outcome (one uniform), stepped as the loop steps them, with
 * nothing else. Prints one JSON line: ns per cycle, the fastest of five runs of 23M cycles.
 * `node --import ./test/perf/tsx-register.mjs test/perf/draw-floor.ts`
 */
import { addExponential, exponentialFast } from '../../sim/kernel/dist.ts'
import { expFast } from '../../sim/kernel/exp.ts'
import { normalFast, normalSlowInto } from '../../sim/kernel/normal.ts'
import { AleaRng, ALEA_MUL, UINT32_RANGE, UINT32_SCALE } from '../../sim/kernel/rng.ts'
const A = new AleaRng('a', 's1'), R = new AleaRng('r', 's2'), F = new AleaRng('f', 's3')
const out = new Float64Array(1), scratch = new Float64Array(1)
function cycles(n: number): number {
  const sa = A.s, sr = R.s, sf = F.s
  let ac = sa[0]!, a0 = sa[1]!, a1 = sa[2]!, a2 = sa[3]!
  let rc = sr[0]!, r0 = sr[1]!, r1 = sr[2]!, r2 = sr[3]!
  let fc = sf[0]!, f0 = sf[1]!, f1 = sf[2]!, f2 = sf[3]!
  let T = 0, fails = 0
  for (let i = 0; i < n; i++) {
    const ta = ALEA_MUL * a0 + ac * UINT32_SCALE, ca = ta | 0, ua = ta - ca
    let e = exponentialFast((ua * UINT32_RANGE) >>> 0)
    if (e >= 0) { a0 = a1; a1 = a2; ac = ca; a2 = ua } else { sa[0] = ac; sa[1] = a0; sa[2] = a1; sa[3] = a2; scratch[0] = 0; addExponential(scratch, 0, A); e = scratch[0]!; ac = sa[0]!; a0 = sa[1]!; a1 = sa[2]!; a2 = sa[3]! }
    const tr = ALEA_MUL * r0 + rc * UINT32_SCALE
    r0 = r1; r1 = r2; rc = tr | 0; r2 = tr - rc
    const hz = (r2 * UINT32_RANGE) | 0
    let z = normalFast(hz)
    if (z !== z) { sr[0] = rc; sr[1] = r0; sr[2] = r1; sr[3] = r2; normalSlowInto(out, 0, R, hz); z = out[0]!; rc = sr[0]!; r0 = sr[1]!; r1 = sr[2]!; r2 = sr[3]! }
    const x = expFast(12.4 + 0.8 * z), fx = Math.floor(x)
    const tf = ALEA_MUL * f0 + fc * UINT32_SCALE
    f0 = f1; f1 = f2; fc = tf | 0; f2 = tf - fc
    if (((f2 * UINT32_RANGE) >>> 0) * UINT32_SCALE >= 0.998) fails++
    T += 6e8 + e * 1e6 + fx + Number(x - fx >= 0.5)
  }
  return T + fails
}
cycles(1e6)
let best = Infinity, sink = 0
for (let k = 0; k < 5; k++) {
  const t0 = performance.now()
  sink += cycles(23e6)
  best = Math.min(best, ((performance.now() - t0) * 1e6) / 23e6)
}
console.log(JSON.stringify({ nsPerCycle: best, sink: sink > 0 }))
