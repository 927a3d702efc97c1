/** Dev check: pooled age histograms of exact and fast mode on one scenario, bucket by bucket (printed, not asserted). */
import { parseScenario, runScenario } from '../../sim/index.ts'
import { HISTOGRAM_BUCKETS as B, bucketValue } from '../../sim/kernel/histogram.ts'
import { loadScenarioFile } from './fast-load.ts'

const [file, repsArg = '50', routeArg = '0'] = process.argv.slice(2)
const s = parseScenario(await loadScenarioFile(file!))
const reps = Number(repsArg), route = Number(routeArg)
const pooled = (mode: 'exact' | 'fast') => {
  const h = new Float64Array(B)
  let sum = 0
  runScenario(s, { mode, replications: reps, onReplication: (_i, m) => { for (let b = 0; b < B; b++) h[b] = h[b]! + m.ageHist[route * B + b]!; sum += m.ageSum[route]! } })
  return { h, sum }
}
const e = pooled('exact'), f = pooled('fast')
const ne = e.h.reduce((a, b) => a + b, 0), nf = f.h.reduce((a, b) => a + b, 0)
console.log('n', ne, nf, 'mean s', e.sum / ne / 1e6, f.sum / nf / 1e6)
let ce = 0, cf = 0, dmax = 0, at = 0
const rows: string[] = []
for (let b = 0; b < B; b++) {
  ce += e.h[b]! / ne; cf += f.h[b]! / nf
  if (Math.abs(ce - cf) > dmax) { dmax = Math.abs(ce - cf); at = b }
  if (e.h[b]! + f.h[b]! > 0) rows.push(`${b} ${(bucketValue(b) / 1e6).toFixed(4)} ${e.h[b]} ${f.h[b]} cdf ${ce.toFixed(5)} ${cf.toFixed(5)}`)
}
console.log('KS D', dmax, 'at bucket', at, (bucketValue(at) / 1e6).toFixed(4))
const i = rows.findIndex((r) => r.startsWith(`${at} `))
console.log(rows.slice(Math.max(0, i - 5), i + 5).join('\n'))
