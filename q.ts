import { AleaRng } from './sim/rng.ts'
import { exponentialZiggurat } from './sim/dist.ts'
const r = new AleaRng('z', 'z'); const n = 4_000_000; const xs = new Float64Array(n)
for (let i = 0; i < n; i++) xs[i] = exponentialZiggurat(r)
xs.sort(); let m = 0, m2 = 0; for (const x of xs) { m += x; m2 += x * x }
m /= n; const v = m2 / n - m * m
let ks = 0; for (let i = 0; i < n; i++) ks = Math.max(ks, Math.abs((i + 1) / n - (1 - Math.exp(-xs[i]!))))
console.log({ mean: m, variance: v, p50: xs[n / 2], p99: xs[Math.floor(n * 0.99)], ln2: Math.LN2, p99exp: Math.log(100), ks, ksCrit: 1.63 / Math.sqrt(n) })
