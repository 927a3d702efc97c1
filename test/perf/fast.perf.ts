/**
 * `npm run bench`, fast mode's part (issue 19): figures, never pass/fail. Each run is a fresh
 * process, and the three kinds compared as ratios are interleaved in the same minutes (the
 * machine is shared and its speed swings by a third):
 *  1. fast mode on the bundled catalogue scaled to 30 days, against exact mode on the same
 *     catalogue (one day: a month would take minutes) and against the minimal single-page
 *     loop (minimal-loop.ts), in simulated requests per second of wall time on one core;
 *  2. a 1.1M-path site with a daily crawler walk and light human traffic, 30 days
 *     (sites/large-site.ts, --mode auto): wall time and peak RSS;
 *  3. 40M paths of which ~100k are visited (sites/sparse-site.ts): wall time and peak RSS, in
 *     fast mode (sparse traffic, fast-sparse.ts) and in exact mode (lazy records, entries.ts);
 *     and with a per-path fetch (sites/sparse-fetch-site.ts), in auto mode (fast) and in exact
 *     mode (lazy Data Cache rows, fetch-cache-rows.ts);
 *  4. a 20-point sweep of a month of the large site on 2 workers (sweeps default to auto);
 *  5. what real sites add to the catalogue: the bundled blog's daily traffic curve over a month,
 *     and test/perf/catalogue-shop.ts (a per-path tagged fetch, a daily revalidateTag, a
 *     nightly restart) over a week, in fast mode against exact mode (one day).
 * Set BENCH_QUICK=1 for a short version.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const quick = process.env.BENCH_QUICK === '1'
const LOADER = ['--import', './test/perf/tsx-register.mjs']
const M = (n: number) => `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} M`
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

type Once = { requests: number; backgroundRenders: number; wallS: number; cpuS: number; requestsPerWallS: number; requestsPerCpuS: number; maxRssMiB: number; routes?: Record<string, string> }
function child(args: string[]): Once {
  const out = execFileSync(process.execPath, [...LOADER, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
  return JSON.parse(out.trim().split('\n').pop()!) as Once
}
const fastOnce = (file: string, mode: string, durationS?: number) => child(['test/perf/fast-once.ts', file, mode, ...(durationS === undefined ? [] : [String(durationS)])])

// 1. ----------------------------------------------------------------------------------
const monthS = quick ? 7 * 86400 : 30 * 86400
const runs = quick ? 1 : 3
console.log(`\n1. fast mode, bundled catalogue over ${monthS / 86400} days, against exact mode (catalogue, 1 day) and the minimal single-page loop; one core, ${runs} interleaved runs each`)
const fast: Once[] = [], exact: Once[] = [], minimal: Once[] = []
for (let i = 0; i < runs; i++) {
  fast.push(fastOnce('scenarios/catalogue.ts', 'fast', monthS))
  exact.push(fastOnce('scenarios/catalogue.ts', 'exact', quick ? 3600 : 86400))
  minimal.push(child(['test/perf/run-minimal.ts', quick ? '5000000' : '20000000']))
  const [f, e, m] = [fast[i]!, exact[i]!, minimal[i]!]
  console.log(`   run ${i + 1}: fast ${M(f.requests)} requests in ${f.wallS.toFixed(2)} s = ${M(f.requestsPerWallS)} req/s (${f.cpuS.toFixed(2)} CPU-s) | exact ${M(e.requestsPerWallS)} req/s | minimal loop ${M(m.requestsPerWallS)} req/s`)
}
const [f, e, m] = [median(fast.map((r) => r.requestsPerWallS)), median(exact.map((r) => r.requestsPerWallS)), median(minimal.map((r) => r.requestsPerWallS))]
console.log(`   median: fast ${M(f)} simulated req/s of wall time; ${(f / e).toFixed(1)}x exact mode (${M(e)}), ${(f / m).toFixed(1)}x the minimal loop (${M(m)}); exact mode is ${(e / m).toFixed(2)} of the minimal loop`)
// What a render cycle's draws alone cost, measured in the same minutes: a bound on any fast mode drawing them as it does.
const floorNs = (JSON.parse(execFileSync(process.execPath, [...LOADER, 'test/perf/draw-floor.ts'], { encoding: 'utf8' }).trim().split('\n').pop()!) as { nsPerCycle: number }).nsPerCycle
const cycles = fast[0]!.backgroundRenders, wallPerCycleNs = (median(fast.map((r) => r.wallS)) * 1e9) / cycles
console.log(`   ${M(cycles)} render cycles (background renders after warmup); the run took ${wallPerCycleNs.toFixed(0)} ns of wall time per cycle, and a cycle's three draws alone (test/perf/draw-floor.ts) take ${floorNs.toFixed(1)} ns, which bounds fast mode at ${M(fast[0]!.requests / ((cycles * floorNs) / 1e9))} req/s with nothing else done per cycle`)

// 2, 3. ---------------------------------------------------------------------------------
console.log('\n2. a 1.1M-path site, a crawler walking every path daily, 20 human req/s, 30 days (test/perf/sites/large-site.ts), --mode auto')
const big = fastOnce('test/perf/sites/large-site.ts', 'auto', quick ? 3 * 86400 : undefined)
console.log(`   ${M(big.requests)} requests in ${big.wallS.toFixed(1)} s wall (${big.cpuS.toFixed(1)} CPU-s), peak RSS ${big.maxRssMiB} MiB; routes ${JSON.stringify(big.routes)}`)
console.log('\n3. 40M paths, ~100k requests in a day (test/perf/sites/sparse-site.ts), --mode fast and --mode exact')
for (const mode of ['fast', 'exact']) {
  const sparse = fastOnce('test/perf/sites/sparse-site.ts', mode)
  console.log(`   ${mode}: ${M(sparse.requests)} requests in ${sparse.wallS.toFixed(1)} s wall, peak RSS ${sparse.maxRssMiB} MiB`)
}
for (const mode of ['auto', 'exact']) {
  const fetching = fastOnce('test/perf/sites/sparse-fetch-site.ts', mode)
  console.log(`   with a per-path fetch (test/perf/sites/sparse-fetch-site.ts), ${mode}: ${M(fetching.requests)} requests in ${fetching.wallS.toFixed(1)} s wall, peak RSS ${fetching.maxRssMiB} MiB; routes ${JSON.stringify(fetching.routes)}`)
}

// 4. ----------------------------------------------------------------------------------
if (!quick) {
  console.log('\n4. a 20-point sweep of the large site over 30 days (5 revalidate values x 4 traffic scales), 2 workers, default mode')
  const dir = mkdtempSync(join(tmpdir(), 'isrsim-fast-bench-'))
  try {
    const t0 = performance.now()
    execFileSync(process.execPath, ['bin/isrsim.js', 'sweep', 'test/perf/sites/large-site.ts', '--vary', 'routes.product.revalidateS=3600,21600,86400,259200,604800', '--vary', 'traffic.scale=0.5,1,2,4', '--workers', '2', '--out', join(dir, 'sweep.jsonl')], { stdio: ['ignore', 'ignore', 'ignore'] })
    console.log(`   20 points in ${((performance.now() - t0) / 1000).toFixed(1)} s wall, the CLI's start included`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// 5. ----------------------------------------------------------------------------------
console.log('\n5. a daily curve, fetches, calls and restarts: the bundled blog over 30 days, test/perf/catalogue-shop.ts over 7 days; fast mode, and exact mode over one day')
for (const [file, days] of [['scenarios/blog.ts', quick ? 7 : 30], ['test/perf/catalogue-shop.ts', quick ? 2 : 7]] as const) {
  const f5 = fastOnce(file, 'auto', days * 86400), e5 = fastOnce(file, 'exact', 86400)
  console.log(`   ${file}: ${M(f5.requests)} requests in ${f5.wallS.toFixed(2)} s wall = ${M(f5.requestsPerWallS)} req/s, ${(f5.requestsPerWallS / e5.requestsPerWallS).toFixed(1)}x exact mode (${M(e5.requestsPerWallS)} req/s); routes ${JSON.stringify(f5.routes)}`)
}
