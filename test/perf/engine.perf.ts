/**
 * `npm run bench`: figures, never pass/fail. Four parts:
 *  1. tinybench micro-benchmarks of the calendar and of short whole runs;
 *  2. whole-run throughput (simulated requests per second, one core) of the bundled
 *     catalogue scenario and of its extended forms (issue 3's: tags, fetches, 4 instances;
 *     and that plus origin data changes), each run in a fresh process, with TypeScript
 *     loaded as the CLI loads it;
 *  3. bytes allocated per simulated request (the hot path should allocate nothing);
 *  4. memory: a 1M-request and a 100M-request run of the same scenario;
 *  5. exact mode against a minimal single-page stale-while-revalidate loop (minimal-loop.ts),
 *     the two interleaved in fresh processes, and their ratio (issue 19: at least 0.3).
 * Set BENCH_QUICK=1 for a short version (CI smoke).
 */
import { execFileSync } from 'node:child_process'
import { Bench } from 'tinybench'
import catalogue from '../../scenarios/catalogue.ts'
import { Calendar } from '../../sim/kernel/calendar.ts'
import { parseScenario, runScenario } from '../../sim/index.ts'

const quick = process.env.BENCH_QUICK === '1'
/** Child runs load TypeScript as the CLI does (see tsx-register.mjs). */
const LOADER = ['--import', './test/perf/tsx-register.mjs']
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 })
const medianOf = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// 1. tinybench --------------------------------------------------------------------
const bench = new Bench({ time: quick ? 200 : 1000 })
const cal = new Calendar()
let seed = 1
const nextRand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
for (let i = 0; i < 64; i++) cal.push(Math.floor(nextRand() * 1e9), 2, 0, i)
const short = parseScenario({ ...catalogue, durationS: 60, warmupS: 0 })
const shortRequests = runScenario(short).totals.requests
bench
  .add('calendar replaceTop, 64 pending events', () => {
    for (let i = 0; i < 1000; i++) cal.replaceTop(cal.topAt() + Math.floor(nextRand() * 1e6), 2, 0, i)
  })
  .add(`catalogue, 60 simulated s (${fmt(shortRequests)} requests)`, () => {
    runScenario(short)
  })
await bench.run()
console.log('\n1. tinybench')
console.table(bench.table())
const shortTask = bench.tasks[1]!.result
if (shortTask && 'latency' in shortTask && shortTask.latency) {
  console.log(`   short catalogue runs: ${fmt(shortRequests / (shortTask.latency.mean / 1000))} simulated requests/s (including model set-up)`)
}
const calTask = bench.tasks[0]!.result
if (calTask && 'latency' in calTask && calTask.latency) {
  console.log(`   calendar: ${(calTask.latency.mean * 1e6 / 1000).toFixed(1)} ns per replaceTop`)
}

// 2. whole-run throughput ----------------------------------------------------------
type Once = { requests: number; wallS: number; cpuS: number; requestsPerWallS: number; requestsPerCpuS: number; maxRssMiB: number; heapUsedMiB: number }
function once(scenario: string, requests: number): Once {
  const out = execFileSync(process.execPath, [...LOADER, 'test/perf/run-once.ts', scenario, String(requests)], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').pop()!) as Once
}
// 2, 2b, 2c. The catalogue; issue 3's extended one (tags, fetches, 4 instances); and that plus
// origin data changes, whose per-response freshness accounting is the costliest feature.
const runs = quick ? 1 : 5
for (const [label, file, n, quickN] of [
  ['2. whole-run throughput, bundled catalogue scenario, one core', 'scenarios/catalogue.ts', 20_000_000, 2_000_000],
  ['2b. whole-run throughput, catalogue extended with tags, fetches and 4 instances (test/perf/catalogue-extended.ts)', 'test/perf/catalogue-extended.ts', 20_000_000, 1_000_000],
  ['2c. the same plus origin data changes and CMS webhooks (test/perf/catalogue-freshness.ts)', 'test/perf/catalogue-freshness.ts', 10_000_000, 1_000_000],
] as const) {
  console.log(`\n${label}`)
  const rs: Once[] = []
  for (let i = 0; i < runs; i++) {
    const r = once(file, quick ? quickN : n)
    rs.push(r)
    console.log(`   run ${i + 1}: ${fmt(r.requests)} requests in ${r.wallS.toFixed(2)} s wall / ${r.cpuS.toFixed(2)} s CPU = ${fmt(r.requestsPerWallS)} req/s (${fmt(r.requestsPerCpuS)} per CPU-second)`)
  }
  console.log(`   median ${fmt(medianOf(rs.map((r) => r.requestsPerWallS)))} simulated requests/s (${fmt(medianOf(rs.map((r) => r.requestsPerCpuS)))} per CPU-second), best ${fmt(Math.max(...rs.map((r) => r.requestsPerWallS)))}`)
}

// 3. allocation ---------------------------------------------------------------------
console.log('\n3. allocation per simulated request (sampling heap profiler, warm run, fresh process)')
type Alloc = { requests: number; allocatedMiB: number; bytesPerRequest: number }
function alloc(input: string, requests: number): Alloc {
  const out = execFileSync(process.execPath, [...LOADER, 'test/perf/run-once.ts', input, String(requests), 'alloc'], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').pop()!) as Alloc
}
for (const [label, file] of [
  ['only fresh hits (one page, revalidate false)', 'test/perf/hit-only.json'],
  ['bundled catalogue (renders included)', 'scenarios/catalogue.ts'],
  ['catalogue with tags, fetches, 4 instances and data changes', 'test/perf/catalogue-freshness.ts'],
] as const) {
  const a = alloc(file, quick ? 1_000_000 : 5_000_000)
  console.log(`   ${label}: ${a.bytesPerRequest} bytes/request (${a.allocatedMiB} MiB for ${fmt(a.requests)} requests, run set-up included)`)
}

// 4. memory ------------------------------------------------------------------------
console.log('\n4. memory: does it grow with requests? (fresh process per run)')
for (const n of quick ? [1_000_000, 10_000_000] : [1_000_000, 100_000_000]) {
  const r = once('scenarios/catalogue.ts', n)
  console.log(`   ${fmt(r.requests).padStart(12)} requests: peak RSS ${r.maxRssMiB} MiB, heap after run ${r.heapUsedMiB} MiB (${r.wallS.toFixed(1)} s)`)
}

// 5. exact mode against the minimal loop ----------------------------------------------
// Issue 19: exact mode on the catalogue at least 0.3 of the requests per second of the simplest
// loop that does a request's job (minimal-loop.ts), measured in the same minutes: the two
// alternate (loop, catalogue, loop, ...), each in a fresh process, with the same request count.
console.log('\n5. exact mode against a minimal single-page loop (test/perf/minimal-loop.ts), alternating fresh processes')
function minimal(requests: number): Once {
  const out = execFileSync(process.execPath, [...LOADER, 'test/perf/run-minimal.ts', String(requests)], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').pop()!) as Once
}
for (const [label, n] of [
  ['the bundled catalogue as it is (3,600 s, 1.44M requests)', 1_440_000],
  ...(quick ? [] : [['the catalogue scaled to 20M requests', 20_000_000]] as const),
] as const) {
  console.log(`   ${label}:`)
  const ratios: number[] = [], loops: number[] = [], exact: number[] = []
  for (let i = 0; i < (quick ? 2 : 7); i++) {
    const m = minimal(n)
    const e = once('scenarios/catalogue.ts', n)
    loops.push(m.requestsPerWallS)
    exact.push(e.requestsPerWallS)
    ratios.push(e.requestsPerWallS / m.requestsPerWallS)
    console.log(`   pair ${i + 1}: minimal loop ${fmt(m.requestsPerWallS)} req/s, exact catalogue ${fmt(e.requestsPerWallS)} req/s: ratio ${ratios[i]!.toFixed(3)}`)
  }
  console.log(`   median: minimal loop ${fmt(medianOf(loops))} req/s, exact ${fmt(medianOf(exact))} req/s; ratio exact/minimal ${medianOf(ratios).toFixed(3)} (median of the pairs' ratios; range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`)
}
