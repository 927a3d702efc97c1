/**
 * One run of a scenario in a mode, scaled in duration: `node --import ./test/perf/tsx-register.mjs
 * test/perf/fast-once.ts <scenario> <mode> [durationS]`. Prints one JSON line: requests,
 * wall seconds, requests per wall second, peak RSS.
 */
import { parseScenario, runScenario } from '../../sim/index.ts'
import { loadScenarioFile } from './fast-load.ts'

const [file, mode = 'fast', durationArg] = process.argv.slice(2)
const input = await loadScenarioFile(file!)
const s = parseScenario(durationArg === undefined ? input : { ...input, durationS: Number(durationArg) })
const t0 = process.hrtime.bigint()
const cpu0 = process.cpuUsage()
const r = runScenario(s, { mode: mode as 'exact' | 'fast' | 'auto' })
const wallS = Number(process.hrtime.bigint() - t0) / 1e9
const cpu = process.cpuUsage(cpu0)
const cpuS = (cpu.user + cpu.system) / 1e6
const requests = Object.values(r.routes).reduce((n, x) => n + x.requests, 0) + 0
const all = r.series.bins.reduce((n, b) => n + b.hit + b.stale + b.miss + b.dynamic + b.notFound + b.error + (b.fallback ?? 0), 0)
console.log(JSON.stringify({ mode, requests: all, measured: requests, wallS, cpuS, requestsPerWallS: all / wallS, requestsPerCpuS: all / cpuS, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), backgroundRenders: r.totals.backgroundRenders, routes: Object.fromEntries(Object.entries(r.routes).map(([id, x]) => [id, x.mode])) }))
