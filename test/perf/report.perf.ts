/**
 * `npm run bench:report`: how long the catalogue report takes to make and to open, and
 * how big it is. Figures, never pass/fail (the size bound is asserted in reports.test.ts).
 *  1. tinybench: reportHtml() for the bundled catalogue scenario's result (compile,
 *     render every chart to SVG, assemble the page), in this process;
 *  2. `isrsim report` as a whole command in a fresh process (Node start and tsx included);
 *  3. Chromium (Debian's, via playwright-core) opening the file: navigation to the load event.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Bench } from 'tinybench'
import catalogue from '../../scenarios/catalogue.ts'
import { reportHtml } from '../../reports/html.ts'
import { parseReportInput } from '../../reports/load.ts'
import { parseScenario, runScenario } from '../../sim/index.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DIR = join(ROOT, 'out/bench')
mkdirSync(DIR, { recursive: true })
const quick = process.env.BENCH_QUICK === '1'

const result = runScenario(parseScenario(catalogue), { replications: 3 })
const text = JSON.stringify(result)
const input = join(DIR, 'catalogue.result.json')
writeFileSync(input, text)
const html = await reportHtml(parseReportInput(text, 'catalogue'))
const out = join(DIR, 'catalogue.html')
writeFileSync(out, html)

const bench = new Bench({ time: quick ? 500 : 3000 })
bench.add('reportHtml(catalogue result)', async () => {
  await reportHtml(parseReportInput(text, 'catalogue'))
})
await bench.run()
console.log('1. tinybench')
console.table(bench.table())
const lat = bench.tasks[0]!.result as { latency?: { mean: number; p99: number } }
console.log(`   catalogue report: ${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, ${html.match(/<section class="chart"/g)?.length} charts; made in ${lat.latency?.mean.toFixed(0)} ms on average (p99 ${lat.latency?.p99.toFixed(0)} ms)`)

const runs = quick ? 2 : 5
const wall: number[] = []
for (let i = 0; i < runs; i++) {
  const t0 = performance.now()
  execFileSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'report', input, '--out', join(DIR, 'catalogue-cli.html')])
  wall.push(performance.now() - t0)
}
console.log(`2. isrsim report, whole command: ${wall.map((x) => x.toFixed(0)).join(', ')} ms (${statSync(join(DIR, 'catalogue-cli.html')).size} bytes)`)

if (existsSync('/usr/bin/chromium')) {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] })
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage()
    const t0 = performance.now()
    await page.goto(pathToFileURL(out).href, { waitUntil: 'load' })
    times.push(performance.now() - t0)
    await page.close()
  }
  await browser.close()
  console.log(`3. Chromium opens it (navigation to load): ${times.map((x) => x.toFixed(0)).join(', ')} ms`)
} else console.log('3. skipped: /usr/bin/chromium missing (bash reports/tools/install-chromium.sh)')
