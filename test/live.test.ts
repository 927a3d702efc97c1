/**
 * Live validation (issue 4): the bundled live scenarios against a real `next start`
 * (16.4.6), a real origin and real k6, each predicted with 10 replications and checked by
 * `verify`. Each runs 60 s of load. k6 and next are installed by the project's scripts on
 * first use (.tools/, git-ignored). Servers bind 127.0.0.1 on ports the kernel picks.
 *
 * Independent scenarios run two at a time (each its own `isrsim loadtest` process): measured
 * on the 2 vCPUs here, a pair's verdicts and figures are those of the same runs alone (the
 * numbers are in loadtest/README.md), and a pair takes ~80 s instead of ~145 s.
 *
 * Reproduce one: isrsim loadtest scenarios/live/<name>.json --out out/live/<name>
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureK6, ensureNext, ROOT } from '../loadtest/live.ts'
import { cli, failed, LIVE_OUT as OUT, liveRun, repro } from './live-helpers.ts'

const LOAD_TIMEOUT_MS = 300_000
const log = () => {}

describe('live validation against next start 16.4.6 and k6', () => {
  beforeAll(() => {
    ensureK6(log)
    ensureNext('16', log)
  }, 600_000)

  describe.concurrent('(a) and (b), at once', () => {
    it('(a) time-based SWR with an outage: failed regenerations keep the stale page and back off', async () => {
      const r = await liveRun('swr-failure')
      expect(failed(r.verdict), repro('swr-failure')).toEqual([])
      const o = r.observed
      // The outage (20-38 s) made regenerations fail, and no request saw an error: stale pages were kept.
      expect(o.origin!.failedRenders.post ?? 0).toBeGreaterThanOrEqual(4)
      expect(o.routes.post!.error).toBe(0)
      // Back-off: one retry per path per 8 s during the outage, not one per request (8 req/s).
      expect(o.origin!.renders.post!).toBeLessThan(40)
      expect(o.routes.post!.requests).toBe(480)
      expect(o.droppedIterations).toBe(0)
    }, LOAD_TIMEOUT_MS)

    it('(b) tags: scheduled revalidateTag(tag, "max") and revalidatePath on Next 16', async () => {
      const r = await liveRun('tags')
      expect(failed(r.verdict), repro('tags')).toEqual([])
      const o = r.observed
      expect(o.onDemand).toEqual({ planned: 7, sent: 7, failed: 0 }) // 4 scheduled calls, 3 webhooks after data changes
      // revalidate false: every render after the start came from an invalidation.
      expect(o.routes.home!.stale).toBeGreaterThan(0)
      expect(o.routes.post!.miss).toBeGreaterThan(0) // revalidatePath blocks the next request on 16
      // The verdict of this real run, as the report a team would forward.
      const html = join(OUT, 'tags', 'verdict.html')
      const rep = await cli(['report', r.files.verdict, '--out', html])
      expect(rep.code, rep.stderr).toBe(0)
      const page = readFileSync(html, 'utf8')
      expect(page).toContain('PASS: the live run matched the prediction')
      expect(page.match(/<td>PASS<\/td>/g)?.length).toBe(r.verdict.checks.filter((c) => c.verdict === 'PASS').length)
    }, LOAD_TIMEOUT_MS)
  })

  describe.concurrent('(c) and (d), at once', () => {
    it('(c) a dynamic layout over a page whose fetch is still served from the Data Cache', async () => {
      const r = await liveRun('dynamic-layout')
      expect(failed(r.verdict), repro('dynamic-layout')).toEqual([])
      const o = r.observed
      expect(o.routes.item!.dynamic).toBe(o.routes.item!.requests) // no x-nextjs-cache on a dynamic page
      expect(o.origin!.renders.item).toBe(o.routes.item!.requests)
      expect(o.origin!.fetches.item!).toBeLessThan(o.origin!.renders.item! / 5)
    }, LOAD_TIMEOUT_MS)

    it('(d) updateTag from a Server Action (Next 16): the tagged page blocks on a fresh render', async () => {
      const r = await liveRun('update-tag')
      expect(failed(r.verdict), repro('update-tag')).toEqual([])
      const o = r.observed
      expect(o.onDemand).toEqual({ planned: 2, sent: 2, failed: 0 })
      expect(o.routes.post!.miss).toBe(2) // one blocking render per updateTag, no STALE
      expect(o.routes.post!.stale).toBe(0)
    }, LOAD_TIMEOUT_MS)
  })
})

describe('live suite: bad input', () => {
  it('an unreachable target fails within seconds with a clear error', async () => {
    const r = await cli(['loadtest', join(ROOT, 'scenarios/live/logs.json'), '--target', 'http://127.0.0.1:9', '--out', join(OUT, 'unreachable')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/127\.0\.0\.1:9 is unreachable/)
    expect(r.ms).toBeLessThan(30_000)
  }, 60_000)

  it('a target without the cache header names the header and --cache-header', async () => {
    const server = createServer((_, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html></html>') })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    try {
      const r = await cli(['loadtest', join(ROOT, 'scenarios/live/logs.json'), '--target', `http://127.0.0.1:${port}`, '--out', join(OUT, 'no-header')])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('no "x-nextjs-cache" header')
      expect(r.stderr).toContain('--cache-header')
    } finally {
      server.close()
    }
  }, 120_000)

  it('an interrupted run stops every process it started (SIGINT while building)', async () => {
    const out = join(OUT, 'interrupted')
    const p = spawn(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'loadtest', join(ROOT, 'scenarios/live/swr-failure.json'), '--out', out])
    let stderr = ''
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    const exited = new Promise<number | null>((res) => p.on('exit', (code, signal) => res(code ?? (signal ? 128 : null))))
    // The origin is up once the build starts.
    for (let i = 0; i < 600 && !stderr.includes('building the reference app'); i++) await new Promise((r) => setTimeout(r, 100))
    const port = (JSON.parse(readFileSync(join(out, 'origin.log'), 'utf8').trim()) as { port: number }).port
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
    p.kill('SIGINT')
    expect(await exited).toBe(130)
    await expect(fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow()
  }, 120_000)

  it('a remote target is refused without --i-own-this-target', async () => {
    const r = await cli(['loadtest', join(ROOT, 'scenarios/live/swr-failure.json'), '--target', 'https://example.com', '--out', join(OUT, 'remote')])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--i-own-this-target')
  }, 60_000)

  it('verify refuses a prediction and an observation of different scenarios', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isrsim-verify-'))
    const pred = join(dir, 'p.json')
    spawnSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'run', join(ROOT, 'scenarios/live/tags.json'), '--replications', '3', '--out', pred])
    const obs = { observedVersion: 1, scenario: { name: 'other', hash: '0000000000000000', durationS: 60, warmupS: 0 }, seed: '1', target: '', cacheHeader: 'x-nextjs-cache', startMs: 0, testRunDurationMs: 0, droppedIterations: 0, unknownCacheHeader: 0, onDemand: { planned: 0, sent: 0, failed: 0 }, routes: {} }
    const ofile = join(dir, 'o.json')
    await import('node:fs').then((fs) => fs.writeFileSync(ofile, JSON.stringify(obs)))
    const r = await cli(['verify', pred, ofile, '--out', join(dir, 'v.json')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/different scenarios: the prediction is live-tags \(hash [0-9a-f]{16}\), the observation other \(hash 0000000000000000\)/)
  }, 60_000)

  it('without Go, the k6 installer exits 2 with the install hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isrsim-k6-'))
    mkdirSync(join(dir, 'loadtest/tools'), { recursive: true })
    copyFileSync(join(ROOT, 'loadtest/tools/install-k6.sh'), join(dir, 'loadtest/tools/install-k6.sh'))
    const r = spawnSync('bash', [join(dir, 'loadtest/tools/install-k6.sh')], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain("the Go toolchain ('go') is not on PATH")
  })
})
