/**
 * Log reading speed, one core: lines per second for each format (parse + match to routes +
 * count, i.e. the whole scan that `isrsim traffic` does before fitting), and memory in the
 * log's size (RSS after reading a log once and ten times over).
 *
 *   npm run bench:logs            (BENCH_LINES=200000 for a quick run)
 *
 * Logs are generated in a temporary folder: a blog route with Zipf paths, a static page, a
 * crawler, 404s and assets, about the mix of a real site.
 */
import { execFileSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { scanLogs } from '../../scenarios/from-logs/scan.ts'
import { CLOUDFRONT_HEADER, cloudflareLine, cloudfrontLine, nginxLine, synthRequests, vercelLine, GOOGLEBOT, type SynthRequest } from '../from-logs-helpers.ts'

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000)
const PATTERNS = ['/blog/[slug]', '/about', '/', '/docs/[...slug]']
type Fmt = 'nginx' | 'nginx-plain' | 'vercel' | 'cloudfront' | 'cloudflare'

/** A block of requests (~100k), repeated with time shifted forward to reach LINES. */
function block(): { reqs: SynthRequest[]; spanMs: number } {
  const durationS = 3600
  const reqs = synthRequests({
    seed: 7, startMs: Date.UTC(2024, 4, 1), durationS,
    routes: [{ prefix: '/blog/', paths: 5000, rps: 20, zipf: 0.9, unknownRps: 0.3 }, { prefix: '/about', paths: 1, rps: 2, zipf: 1 }, { prefix: '/docs/guide/', paths: 300, rps: 3, zipf: 1.1 }],
    crawlers: [{ ua: GOOGLEBOT, route: 0, paths: 5000, revisitS: 3600 }], assetRps: 5,
  })
  return { reqs, spanMs: durationS * 1000 }
}

async function writeLog(file: string, fmt: Fmt): Promise<void> {
  const { reqs, spanMs } = block()
  const out = createWriteStream(file)
  if (fmt === 'cloudfront') out.write(CLOUDFRONT_HEADER)
  let n = 0
  for (let rep = 0; n < LINES; rep++) {
    const shift = rep * spanMs
    let buf = ''
    for (let i = 0; i < reqs.length && n < LINES; i++, n++) {
      const r = { ...reqs[i]!, atMs: reqs[i]!.atMs + shift }
      buf += `${fmt === 'nginx' ? nginxLine(r, true, n) : fmt === 'nginx-plain' ? nginxLine(r, false, n) : fmt === 'vercel' ? vercelLine(r, n) : fmt === 'cloudfront' ? cloudfrontLine(r, n) : cloudflareLine(r, n)}\n`
      if (buf.length > 1 << 20) { if (!out.write(buf)) await once(out, 'drain'); buf = '' }
    }
    out.write(buf)
  }
  out.end()
  await once(out, 'finish')
}

/** Child mode: scan `file` `times` times over and print the peak RSS, MB. */
if (process.argv[2] === '--rss') {
  const [, , , file, times] = process.argv
  await scanLogs(PATTERNS, Array.from({ length: Number(times) }, () => file!), { format: 'auto', replay: false })
  console.log((process.resourceUsage().maxRSS / 1024).toFixed(0))
  process.exit(0)
}

const dir = mkdtempSync(join(tmpdir(), 'isrsim-logs-bench-'))
try {
  const fmts: Fmt[] = ['nginx', 'nginx-plain', 'vercel', 'cloudfront', 'cloudflare']
  console.log(`log reading, ${LINES.toLocaleString('en-US')} lines per format, one core (node ${process.version}); best of 3 runs`)
  for (const fmt of fmts) {
    const file = join(dir, `${fmt}.log`)
    await writeLog(file, fmt)
    let best = Number.POSITIVE_INFINITY
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now()
      const scan = await scanLogs(PATTERNS, [file], { format: 'auto', replay: false })
      const ms = performance.now() - t0
      if (scan.tally.lines < LINES) throw new Error(`read ${scan.tally.lines} lines of ${LINES}`)
      best = Math.min(best, ms)
    }
    const mb = statSync(file).size / 1e6
    console.log(`  ${fmt.padEnd(12)} ${Math.round(LINES / (best / 1000)).toLocaleString('en-US').padStart(10)} lines/s  (${(mb / (best / 1000)).toFixed(0)} MB/s, ${best.toFixed(0)} ms)`)
    if (fmt !== 'nginx') rmSync(file)
  }
  // Memory, each in a fresh process: the same log read once, then as ten logs (as ten servers' overlapping logs).
  const file = join(dir, 'nginx.log')
  const self = fileURLToPath(import.meta.url)
  const peak = (times: number) => execFileSync(process.execPath, ['--import', join(self, '..', 'tsx-register.mjs'), self, '--rss', file, String(times)], { encoding: 'utf8' }).trim()
  console.log(`  memory (nginx, peak RSS): ${peak(1)} MB for ${LINES.toLocaleString('en-US')} lines, ${peak(10)} MB for ${(10 * LINES).toLocaleString('en-US')} lines`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
