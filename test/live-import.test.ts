/**
 * Issue 14, live: isrsim import against real things. Two tests, run at once (each its own
 * `isrsim loadtest` process; measured on the 2 vCPUs here, together they give the verdicts
 * and figures they give alone, loadtest/README.md):
 *
 * (e) Real logs, end to end: real k6 drives the reference app (`next start` 16.4.6) behind a
 *     real nginx (Debian's package, loadtest/tools/install-nginx.sh) whose access log records
 *     $upstream_http_x_nextjs_cache. Scenario scenarios/live/logs.json: Poisson humans on three
 *     routes with real URLs, Zipf popularity with half the paths not prebuilt, and Googlebot
 *     walking every blog post once per 20 s; 60 s of load. Then, on nginx's log: the live
 *     verdict PASSes; `isrsim import <app> --log access.log` recovers per route the rates k6
 *     sent (within 3%) and finds Googlebot with its revisitS (within 3%); `isrsim replay
 *     <calibrated scenario> --log access.log` PASSes with each route's HIT/STALE/MISS fractions
 *     within 2 points of the log's own; the same log with doctored cache statuses FAILs (exit 1).
 *     Reproduce: isrsim loadtest scenarios/live/logs.json --proxy nginx --out out/live/logs, then
 *     isrsim import <the app dir it prints> --log out/live/logs/access.log and
 *     isrsim replay out/live/logs/scenario.calibrated.json --log out/live/logs/access.log
 *
 * (f) A user's deployment: a hand-written fixture app (test/fixtures/app-next16, not made by
 *     `isrsim app`), built with the real `next build` 16.4.6 and started with `next start` on a
 *     free loopback port with its own content API, is imported (`isrsim import`), given traffic
 *     by the test (rates set explicitly: a user would fit them from logs), and load-tested with
 *     `isrsim loadtest --target`, which requests only the imported real paths (/blog/hello,
 *     /docs/guides/setup, ...). How old the build's prerendered pages are is unknown from
 *     outside, so the verdict covers every initial state that matters (loadtest/target.ts). The
 *     verdict PASSes. Reproduce: start the fixture (cd <fixture build> && FIXTURE_ORIGIN=<a JSON
 *     server> next start -p 3000), isrsim import <fixture build> --out imported.json, set
 *     traffic, then isrsim loadtest imported.json --target http://127.0.0.1:3000
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RequestPlan, VerdictJson } from '../sim/contract.ts'
import { ensureK6, ensureNext, ROOT } from '../loadtest/live.ts'
import { ensureNginx } from '../loadtest/services/nginx.ts'
import type { Observed } from '../loadtest/verify.ts'
import { buildFixture, type FixtureBuild } from './fixture-apps.ts'
import { cli, failed, LIVE_OUT, liveRun } from './live-helpers.ts'

const TARGET_OUT = join(LIVE_OUT, 'target')
const REPRO = 'Reproduce: isrsim loadtest scenarios/live/logs.json --proxy nginx --out out/live/logs (seed in the scenario)'
const log = () => {}
const within = (got: number, want: number, rel: number) => Math.abs(got - want) <= rel * want

interface ImportedRoute {
  readonly id: string
  readonly pattern: string
  readonly params?: { readonly count: number; readonly paths?: readonly string[] }
  readonly traffic: { readonly rps: number; readonly unknownRate?: number; readonly crawlers?: readonly { readonly name: string; readonly revisitS: number; readonly paths?: number }[] }
}

/** The fixture's content API (its fetches name a path; the answer names it back). */
async function contentApi(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ path: req.url, title: `Title of ${req.url}`, body: `Body of ${req.url}` }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** `next start` on a port the kernel picks, in its own process group; resolves with its URL once ready. */
function nextStart(dir: string, env: NodeJS.ProcessEnv, logFile: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(join(ROOT, '.tools/next-16/node_modules/.bin/next'), ['start', '-H', '127.0.0.1', '-p', '0'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`next start did not get ready in 60 s:\n${out}`)), 60_000)
    const on = (b: Buffer) => {
      out += b.toString()
      writeFileSync(logFile, out)
      const m = /http:\/\/127\.0\.0\.1:(\d+)[\s\S]*Ready/.exec(out)
      if (m) { clearTimeout(timer); res({ proc, url: `http://127.0.0.1:${m[1]}` }) }
    }
    proc.stdout!.on('data', on)
    proc.stderr!.on('data', on)
    proc.once('exit', (code) => { clearTimeout(timer); rej(new Error(`next start exited (${code}):\n${out}`)) })
  })
}

/** Traffic a user would fit from their logs; set explicitly here (requests/s per route pattern). */
const RPS: Readonly<Record<string, number>> = {
  '/': 3, '/about': 1, '/account': 1, '/blog': 2, '/blog/[slug]': 4, '/deals': 3, '/docs/[...slug]': 2, '/products/[id]': 2, '/search': 1,
}

interface ImportedScenario {
  durationS: number
  routes: { id: string; pattern: string; params?: { count: number; paths?: string[] }; traffic: Record<string, unknown> }[]
}

describe('isrsim import, live: real logs end to end (e), and a user\'s deployment (f)', () => {
  let build: FixtureBuild
  let api: { server: Server; url: string } | undefined
  let server: ChildProcess | undefined
  let url = ''

  beforeAll(async () => {
    ensureK6(log)
    ensureNext('16', log)
    ensureNginx(log)
    // (f)'s deployment: the fixture built, started with its content API, and imported.
    mkdirSync(TARGET_OUT, { recursive: true })
    build = await buildFixture('app-next16', '16')
    api = await contentApi()
    const s = await nextStart(build.dir, { ...process.env, NEXT_TELEMETRY_DISABLED: '1', FIXTURE_ORIGIN: api.url }, join(TARGET_OUT, 'next.log'))
    server = s.proc
    url = s.url
    const imp = await cli(['import', build.dir, '--out', join(TARGET_OUT, 'imported.json')])
    if (imp.code !== 0) throw new Error(`isrsim import ${build.dir} failed (exit ${imp.code}):\n${imp.stderr}`)
  }, 900_000)

  afterAll(() => {
    if (server?.pid !== undefined && server.exitCode === null) { try { process.kill(-server.pid, 'SIGKILL') } catch { /* gone */ } }
    api?.server.close()
  })

  describe.concurrent('(e) and (f), at once', () => {
    it('(e) the run PASSes; import recovers the rates and the crawler; replay PASSes; doctored statuses FAIL', async () => {
      const r = await liveRun('logs', ['--proxy', 'nginx'])
      expect(failed(r.verdict), REPRO).toEqual([])
      const OUT = r.out
      const accessLog = r.files.accessLog
      const plan = JSON.parse(readFileSync(r.files.plan, 'utf8')) as RequestPlan
      const observed = r.observed
      const durationS = plan.scenario.durationS
      // Every request k6 sent is one line of nginx's log (plus k6's reachability check).
      const lines = readFileSync(accessLog, 'utf8').trim().split('\n')
      const sent = Object.values(observed.routes).reduce((n, x) => n + x.requests, 0)
      expect(lines.length, REPRO).toBe(sent + 1)
      expect(observed.droppedIterations).toBe(0)

      // Import: the rates k6 sent, per route (matched by pattern), humans and crawler apart.
      const imported = join(OUT, 'imported.json')
      const imp = await cli(['import', r.appDir, '--log', accessLog, '--out', imported])
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
      const calibrated = r.files.calibrated
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

    it('(f) import, then loadtest --target with the imported real paths: PASS', async () => {
      const scenario = JSON.parse(readFileSync(join(TARGET_OUT, 'imported.json'), 'utf8')) as ImportedScenario
      scenario.durationS = 60
      for (const r of scenario.routes) {
        const rps = RPS[r.pattern]
        expect(rps, `the test gives no rate to imported route ${r.pattern}`).toBeDefined()
        r.traffic = { rps, arrivals: 'poisson', unknownRate: 0 }
      }
      expect(scenario.routes.map((r) => r.pattern).sort()).toEqual(Object.keys(RPS).sort())
      const file = join(TARGET_OUT, 'scenario.json')
      writeFileSync(file, `${JSON.stringify(scenario, null, 2)}\n`)

      const out = join(TARGET_OUT, 'run')
      const repro = `Reproduce: isrsim loadtest ${file} --target ${url} --out ${out} (the fixture started as this file's header says)`
      const run = await cli(['loadtest', file, '--target', url, '--out', out])
      expect(run.code, `${run.stdout}\n${run.stderr}\n${repro}`).toBe(0)
      const verdict = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8')) as VerdictJson
      expect(verdict.pass).toBe(true)

      // Only real URLs were requested, and every one was answered as Next would: no 404 or error.
      const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as RequestPlan
      for (const r of plan.routes) {
        expect(r.syntheticRequests, r.id).toBe(0)
        const real = scenario.routes.find((x) => x.id === r.id)!.params?.paths
        if (real) for (const u of r.paths) expect(real, r.id).toContain(u)
      }
      expect(new Set(plan.routes.find((r) => r.pattern === '/blog/[slug]')!.paths)).toEqual(new Set(['/blog/hello', '/blog/world', '/blog/isr']))
      const observed = JSON.parse(readFileSync(join(out, 'observed.json'), 'utf8')) as Observed
      for (const [id, o] of Object.entries(observed.routes)) {
        expect(o.notFound + o.error, `${id}: ${JSON.stringify(o)}`).toBe(0)
        expect(o.requests, id).toBe(plan.routes.find((r) => r.id === id)!.paths.length)
      }
      // Dynamic routes (a cookies() layout, searchParams) answered without a cache status; cached ones with one.
      expect(observed.routes.account!.dynamic).toBe(observed.routes.account!.requests)
      expect(observed.routes.search!.dynamic).toBe(observed.routes.search!.requests)
      expect(observed.routes.about!.hit).toBe(observed.routes.about!.requests)
      // The unknown initial state is said on the checks it moves (routes that go stale within the run), and only there.
      const noted = verdict.checks.filter((c) => c.note?.startsWith('initial state unknown'))
      expect(noted.length).toBeGreaterThan(0)
      expect(verdict.checks.find((c) => c.scope === 'about' && c.metric === 'HIT fraction')?.note).toBeUndefined()
    }, 400_000)
  })

  it('a plan with made-up URLs is refused (exit 2, the route and the numbers); --real-paths-only tests the real paths only', async () => {
    const scenario = JSON.parse(readFileSync(join(TARGET_OUT, 'imported.json'), 'utf8')) as ImportedScenario
    scenario.durationS = 20
    // Only the blog posts get traffic; the scenario says there are 6 (3 real) and some one-off unknown paths.
    for (const r of scenario.routes) r.traffic = r.pattern === '/blog/[slug]' ? { rps: 4, arrivals: 'poisson', unknownRate: 0.5 } : { rps: 0 }
    const post = scenario.routes.find((r) => r.pattern === '/blog/[slug]')!
    post.params = { ...post.params!, count: 6 }
    const file = join(TARGET_OUT, 'scenario.made-up.json')
    writeFileSync(file, `${JSON.stringify(scenario, null, 2)}\n`)
    const refused = await cli(['loadtest', file, '--target', url, '--out', join(TARGET_OUT, 'refused')])
    expect(refused.code, refused.stderr).toBe(2)
    expect(refused.stderr).toMatch(/route blog-slug \(\/blog\/\[slug\]\): \d+ of \d+ requests go to URLs that are not in params\.paths \(3 real paths, params\.count 6, unknownRate 0\.5\/s\)/)
    expect(refused.stderr).toContain('isrsim import <app-dir> --log')
    expect(refused.stderr).toContain('--real-paths-only')

    const out = join(TARGET_OUT, 'real-paths-only')
    const run = await cli(['loadtest', file, '--target', url, '--real-paths-only', '--out', out])
    expect(run.code, `${run.stdout}\n${run.stderr}\nReproduce: isrsim loadtest ${file} --target ${url} --real-paths-only`).toBe(0)
    expect(run.stderr).toContain('--real-paths-only: route blog-slug (/blog/[slug]): 3 real paths of params.count 6, unknownRate 0.5/s dropped')
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as RequestPlan
    const blog = plan.routes.find((r) => r.pattern === '/blog/[slug]')!
    expect(blog.syntheticRequests).toBe(0)
    expect(new Set(blog.paths)).toEqual(new Set(['/blog/hello', '/blog/world', '/blog/isr']))
    expect(plan.spec.routes.find((r) => r.pattern === '/blog/[slug]')!.params!.count).toBe(3)
  }, 200_000)
})
