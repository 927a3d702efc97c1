/**
 * The minimal loop (minimal-loop.ts) in a fresh process, as run-once.ts runs a scenario:
 * `node --import ./test/perf/tsx-register.mjs test/perf/run-minimal.ts <requests>`. Prints one
 * JSON line of the same shape (wall and CPU time of the loop, peak memory).
 */
import { minimalLoop } from './minimal-loop.ts'

const n = Number(process.argv[2] ?? '20000000')
const c0 = process.cpuUsage()
const r = minimalLoop(n)
const c = process.cpuUsage(c0)
const cpuS = (c.user + c.system) / 1e6
console.log(JSON.stringify({
  scenario: 'minimal-loop',
  requests: r.requests,
  hit: r.hit,
  stale: r.stale,
  renders: r.renders,
  wallS: Math.round(r.wallS * 1000) / 1000,
  cpuS: Math.round(cpuS * 1000) / 1000,
  requestsPerWallS: r.requestsPerWallS,
  requestsPerCpuS: Math.round(r.requests / cpuS),
  maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
}))
