/**
 * One measured whole run in a fresh process: `node --import ./test/perf/tsx-register.mjs
 * test/perf/run-once.ts <scenario> <targetRequests> [alloc]`. Scales the scenario's duration to about that many
 * requests (no warmup), runs it, prints one JSON line with wall time, CPU time and
 * peak memory. Separate processes keep the memory figures honest. With `alloc`, a warm
 * second run is measured with V8's sampling heap profiler (objects later collected by
 * minor GCs included) and the line gives bytes allocated per simulated request.
 */
import { Session } from 'node:inspector/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseScenario, runScenario } from '../../sim/index.ts'

const [file = 'scenarios/catalogue.ts', targetArg = '1000000'] = process.argv.slice(2)
const target = Number(targetArg)
const mod = (await import(pathToFileURL(resolve(file)).href)) as { default: unknown }
const base = parseScenario(mod.default)
const rps = base.routes.reduce((n, r) => n + r.traffic.rps + r.traffic.unknownRate, 0)
const scenario = parseScenario({ ...base, durationS: Math.max(1, Math.round(target / rps)), warmupS: 0 })

if (process.argv[4] === 'alloc') {
  runScenario(scenario) // warm: optimised code, as in a long run
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.startSampling', { samplingInterval: 64, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true })
  const r = runScenario(scenario)
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: Node } }
  type Node = { selfSize: number; children: Node[] }
  let bytes = 0
  const walk = (n: Node): void => { bytes += n.selfSize; n.children.forEach(walk) }
  walk(profile.head)
  console.log(JSON.stringify({ scenario: base.name, requests: r.totals.requests, allocatedMiB: Math.round(bytes / 1048576), bytesPerRequest: Math.round((bytes / r.totals.requests) * 100) / 100 }))
  process.exit(0)
}

const heapBefore = process.memoryUsage().heapUsed
const c0 = process.cpuUsage()
const t0 = performance.now()
const r = runScenario(scenario)
const wallS = (performance.now() - t0) / 1000
const c = process.cpuUsage(c0)
const cpuS = (c.user + c.system) / 1e6
const mem = process.memoryUsage()
console.log(JSON.stringify({
  scenario: base.name,
  requests: r.totals.requests,
  simulatedS: scenario.durationS,
  wallS: Math.round(wallS * 1000) / 1000,
  cpuS: Math.round(cpuS * 1000) / 1000,
  requestsPerWallS: Math.round(r.totals.requests / wallS),
  requestsPerCpuS: Math.round(r.totals.requests / cpuS),
  maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  heapUsedMiB: Math.round(mem.heapUsed / 1048576),
  heapGrowthMiB: Math.round((mem.heapUsed - heapBefore) / 1048576),
}))
