/**
 * A user's deployment, live (issue 14): a hand-written fixture app (test/fixtures/app-next16,
 * not made by `isrsim app`), built with the real `next build` 16.4.6 and started with
 * `next start` on a free loopback port with its own content API, is imported (`isrsim import`),
 * given traffic by the test (rates set explicitly: a user would fit them from logs), and
 * load-tested with `isrsim loadtest --target`, which requests only the imported real paths
 * (/blog/hello, /docs/guides/setup, ...). How old the build's prerendered pages are is unknown
 * from outside, so the verdict covers every initial state that matters (loadtest/target.ts).
 * The verdict PASSes.
 *
 * Reproduce: start the fixture (cd <fixture build> && FIXTURE_ORIGIN=<a JSON server>
 * next start -p 3000), isrsim import <fixture build> --out imported.json, set traffic, then
 * isrsim loadtest imported.json --target http://127.0.0.1:3000
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RequestPlan, VerdictJson } from '../sim/contract.ts'
import { ensureK6, ensureNext, ROOT } from '../loadtest/live.ts'
import type { Observed } from '../loadtest/verify.ts'
import { buildFixture, type FixtureBuild } from './fixture-apps.ts'

const OUT = join(ROOT, 'test/artifacts/live/target')
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

describe("a user's deployment, live: a hand-written Next 16.4.6 app, imported and load-tested with --target", () => {
  let build: FixtureBuild
  let api: { server: Server; url: string } | undefined
  let server: ChildProcess | undefined
  let url = ''

  beforeAll(async () => {
    ensureK6(log)
    ensureNext('16', log)
    mkdirSync(OUT, { recursive: true })
    build = await buildFixture('app-next16', '16')
    api = await contentApi()
    const s = await nextStart(build.dir, { ...process.env, NEXT_TELEMETRY_DISABLED: '1', FIXTURE_ORIGIN: api.url }, join(OUT, 'next.log'))
    server = s.proc
    url = s.url
    const imp = await cli(['import', build.dir, '--out', join(OUT, 'imported.json')])
    if (imp.code !== 0) throw new Error(`isrsim import ${build.dir} failed (exit ${imp.code}):\n${imp.stderr}`)
  }, 900_000)

  afterAll(() => {
    if (server?.pid !== undefined && server.exitCode === null) { try { process.kill(-server.pid, 'SIGKILL') } catch { /* gone */ } }
    api?.server.close()
  })

  it('(f) import, then loadtest --target with the imported real paths: PASS', async () => {
    const scenario = JSON.parse(readFileSync(join(OUT, 'imported.json'), 'utf8')) as ImportedScenario
    scenario.durationS = 60
    for (const r of scenario.routes) {
      const rps = RPS[r.pattern]
      expect(rps, `the test gives no rate to imported route ${r.pattern}`).toBeDefined()
      r.traffic = { rps, arrivals: 'poisson', unknownRate: 0 }
    }
    expect(scenario.routes.map((r) => r.pattern).sort()).toEqual(Object.keys(RPS).sort())
    const file = join(OUT, 'scenario.json')
    writeFileSync(file, `${JSON.stringify(scenario, null, 2)}\n`)

    const out = join(OUT, 'run')
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
    // The unknown initial state is said, on the checks it affects: deals regenerates every 20 s whatever the build's age.
    const noted = verdict.checks.filter((c) => c.note?.startsWith('initial state unknown'))
    expect(noted.length).toBeGreaterThan(0)
    expect(verdict.checks.find((c) => c.scope === 'about' && c.metric === 'HIT fraction')?.note).toBeUndefined()
  }, 400_000)

  it('a plan with made-up URLs is refused (exit 2, the route and the numbers); --real-paths-only tests the real paths only', async () => {
    const scenario = JSON.parse(readFileSync(join(OUT, 'imported.json'), 'utf8')) as ImportedScenario
    scenario.durationS = 20
    // Only the blog posts get traffic; the scenario says there are 6 (3 real) and some one-off unknown paths.
    for (const r of scenario.routes) r.traffic = r.pattern === '/blog/[slug]' ? { rps: 4, arrivals: 'poisson', unknownRate: 0.5 } : { rps: 0 }
    const post = scenario.routes.find((r) => r.pattern === '/blog/[slug]')!
    post.params = { ...post.params!, count: 6 }
    const file = join(OUT, 'scenario.made-up.json')
    writeFileSync(file, `${JSON.stringify(scenario, null, 2)}\n`)
    const refused = await cli(['loadtest', file, '--target', url, '--out', join(OUT, 'refused')])
    expect(refused.code, refused.stderr).toBe(2)
    expect(refused.stderr).toMatch(/route blog-slug \(\/blog\/\[slug\]\): \d+ of \d+ requests go to URLs that are not in params\.paths \(3 real paths, params\.count 6, unknownRate 0\.5\/s\)/)
    expect(refused.stderr).toContain('isrsim import <app-dir> --log')
    expect(refused.stderr).toContain('--real-paths-only')

    const out = join(OUT, 'real-paths-only')
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
