/**
 * Real logs, end to end (issue 14): real k6 drives the reference app (`next start` 16.4.6)
 * behind a real nginx (Debian's package, loadtest/tools/install-nginx.sh) whose access log
 * records $upstream_http_x_nextjs_cache. Scenario (e), scenarios/live/logs.json: Poisson humans
 * on three routes with real URLs, Zipf popularity with half the paths not prebuilt, and
 * Googlebot walking every blog post once per 20 s; 60 s of load. Then, on nginx's log:
 * - the live verdict of the run PASSes;
 * - `isrsim import <app> --log access.log` recovers per route the rates k6 sent (within 3%) and
 *   finds Googlebot with its revisitS (within 3%);
 * - `isrsim replay <calibrated scenario> --log access.log` PASSes, each route's HIT/STALE/MISS
 *   fractions within 2 points of the log's own;
 * - the same log with doctored cache statuses FAILs (exit 1).
 *
 * Reproduce: isrsim loadtest scenarios/live/logs.json --proxy nginx --out out/live/logs, then
 * isrsim import <the app dir it prints> --log out/live/logs/access.log and
 * isrsim replay out/live/logs/scenario.calibrated.json --log out/live/logs/access.log
 */
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RequestPlan, VerdictJson } from '../sim/contract.ts'
import { ensureK6, ensureNext, ROOT, runLive } from '../loadtest/live.ts'
import { ensureNginx } from '../loadtest/services/nginx.ts'
import type { Observed } from '../loadtest/verify.ts'

const OUT = join(ROOT, 'test/artifacts/live/logs')
const REPRO = 'Reproduce: isrsim loadtest scenarios/live/logs.json --proxy nginx --out out/live/logs (seed in the scenario)'
const log = () => {}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/isrsim.js'), ...args])
    let stdout = '', stderr = ''
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    p.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }))
  })
}

interface ImportedRoute {
  readonly id: string
  readonly pattern: string
  readonly params?: { readonly count: number; readonly paths?: readonly string[] }
  readonly traffic: { readonly rps: number; readonly unknownRate?: number; readonly crawlers?: readonly { readonly name: string; readonly revisitS: number; readonly paths?: number }[] }
}

const within = (got: number, want: number, rel: number) => Math.abs(got - want) <= rel * want

describe('real logs, end to end: k6 -> nginx -> next start 16.4.6, then import and replay its access log', () => {
  beforeAll(() => {
    ensureK6(log)
    ensureNext('16', log)
    ensureNginx(log)
  }, 600_000)

  it('(e) the run PASSes; import recovers the rates and the crawler; replay PASSes; doctored statuses FAIL', async () => {
    const r = await runLive({ scenario: join(ROOT, 'scenarios/live/logs.json'), outDir: OUT, next: '16', replications: 10, cacheHeader: 'x-nextjs-cache', proxy: 'nginx', log })
    const failed = r.verdict.checks.filter((c) => c.verdict === 'FAIL').map((c) => `${c.scope} ${c.metric}: observed ${c.observed}, accepted ${c.low}..${c.high}`)
    expect(failed, REPRO).toEqual([])
    const accessLog = r.files.accessLog!
    const plan = JSON.parse(readFileSync(r.files.plan, 'utf8')) as RequestPlan
    const observed = JSON.parse(readFileSync(r.files.observed, 'utf8')) as Observed
    const durationS = plan.scenario.durationS
    // Every request k6 sent is one line of nginx's log (plus k6's reachability check).
    const lines = readFileSync(accessLog, 'utf8').trim().split('\n')
    const sent = Object.values(observed.routes).reduce((n, x) => n + x.requests, 0)
    expect(lines.length, REPRO).toBe(sent + 1)
    expect(observed.droppedIterations).toBe(0)

    // Import: the rates k6 sent, per route (matched by pattern), humans and crawler apart.
    const imported = join(OUT, 'imported.json')
    const imp = await cli(['import', r.appDir!, '--log', accessLog, '--out', imported])
    expect(imp.code, `${imp.stderr}\nReproduce: isrsim import ${r.appDir} --log ${accessLog}`).toBe(0)
    const routes = (JSON.parse(readFileSync(imported, 'utf8')) as { routes: ImportedRoute[] }).routes
    for (const pr of plan.routes) {
      const ir = routes.find((x) => x.pattern === pr.pattern)
      expect(ir, `no imported route with pattern ${pr.pattern}`).toBeDefined()
      const t = ir!.traffic
      const crawlerRate = (t.crawlers ?? []).reduce((n, c) => n + (c.paths ?? ir!.params?.count ?? 1) / c.revisitS, 0)
      const fitted = t.rps + (t.unknownRate ?? 0) + crawlerRate
      const sentRate = observed.routes[pr.id]!.requests / durationS
      expect(within(fitted, sentRate, 0.03), `${pr.id}: fitted ${fitted} req/s, k6 sent ${sentRate} req/s. ${REPRO}`).toBe(true)
      const humans = pr.agent ? pr.agent.filter((a) => a === 0).length : pr.paths.length
      expect(within(t.rps, humans / durationS, 0.03), `${pr.id}: human rps ${t.rps}, k6 sent ${humans / durationS}`).toBe(true)
      // The real URLs k6 requested (and the build's prebuilt ones) are the imported route's real paths.
      if (pr.pattern.includes('[')) {
        const real = new Set(plan.spec.routes.find((x) => x.id === pr.id)!.params!.paths)
        for (const u of new Set(pr.paths)) expect(ir!.params!.paths, pr.id).toContain(u)
        for (const u of ir!.params!.paths!) expect(real.has(u), `${pr.id}: imported path ${u} is not one of the scenario's`).toBe(true)
      }
    }
    const post = routes.find((x) => x.pattern === '/blog/[slug]')!
    expect(post.traffic.crawlers?.map((c) => c.name)).toEqual(['Googlebot'])
    const bot = post.traffic.crawlers![0]!
    expect(bot.paths).toBe(24)
    expect(within(bot.revisitS, 20, 0.03), `Googlebot revisitS ${bot.revisitS}, the scenario's 20 s`).toBe(true)
    for (const x of routes) if (x.pattern !== '/blog/[slug]') expect(x.traffic.crawlers, x.pattern).toBeUndefined()

    // Replay: the log's own cache statuses against the calibrated scenario, replayed exactly.
    const calibrated = join(OUT, 'scenario.calibrated.json')
    const replayOut = join(OUT, 'replay.json')
    const rep = await cli(['replay', calibrated, '--log', accessLog, '--out', replayOut])
    const replayRepro = `Reproduce: isrsim replay ${calibrated} --log ${accessLog}`
    expect(rep.code, `${rep.stdout}\n${rep.stderr}\n${replayRepro}`).toBe(0)
    const verdict = JSON.parse(readFileSync(replayOut, 'utf8')) as VerdictJson
    expect(verdict.pass).toBe(true)
    for (const pr of plan.routes) {
      for (const metric of ['HIT fraction', 'STALE fraction', 'MISS fraction']) {
        const c = verdict.checks.find((x) => x.scope === pr.id && x.metric === metric)
        expect(c, `${pr.id} ${metric} missing from the replay verdict`).toBeDefined()
        expect(Math.abs(c!.predicted - c!.observed), `${pr.id} ${metric}: predicted ${c!.predicted}, logged ${c!.observed}. ${replayRepro}`).toBeLessThanOrEqual(0.02)
      }
    }

    // The same log with doctored statuses: every STALE logged as HIT, every third HIT as MISS.
    let hits = 0
    const doctored = lines.map((l) => l.replace(/"(HIT|STALE)"( [\d.]+ [\d.]+)$/, (_m, s: string, rest: string) => (s === 'STALE' ? `"HIT"${rest}` : ++hits % 3 === 0 ? `"MISS"${rest}` : `"HIT"${rest}`)))
    expect(doctored).not.toEqual(lines)
    const bad = join(OUT, 'access.doctored.log')
    writeFileSync(bad, `${doctored.join('\n')}\n`)
    const fail = await cli(['replay', calibrated, '--log', bad, '--out', join(OUT, 'replay.doctored.json')])
    expect(fail.code, `${fail.stdout}\n${fail.stderr}`).toBe(1)
    const v2 = JSON.parse(readFileSync(join(OUT, 'replay.doctored.json'), 'utf8')) as VerdictJson
    expect(v2.checks.filter((c) => c.verdict === 'FAIL').map((c) => c.scope).sort()).toEqual(expect.arrayContaining(['doc', 'home', 'post']))
  }, 400_000)
})
