/**
 * `isrsim replay` as users run it (node bin/isrsim.js), on access logs written from the
 * simulator's own traced answers (test/replay-logs.ts): the replay PASSes with the logged
 * fractions, doctored statuses and a wrong model FAIL naming the route and metric, the
 * deployment's unknown start state is marked, bad input is exit 2 with nothing written, and
 * the verdict renders as a report. The live version (real nginx, next start, k6) is in the
 * live suite. Reproduce one: node bin/isrsim.js replay <dir>/<scenario>.json --log <dir>/<log>
 * (the test's temporary directory is printed on failure as part of the command).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScenarioInput, SimResult, VerdictCheck, VerdictJson } from '../sim/index.ts'
import { combineStartStates } from '../loadtest/start-states.ts'
import { formatLog } from './from-logs-helpers.ts'
import { nginxLog, simLog, vercelLog, type SimLog } from './replay-logs.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'isrsim.js')

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string; readonly command: string }
function cli(...args: string[]): Promise<Run> {
  const command = `node bin/isrsim.js ${args.join(' ')}`
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 55_000 }, (error, stdout, stderr) => {
      // cli-table3 colours its borders when the environment forces colour: read the text.
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout: stdout.replace(/\x1b\[[0-9;]*m/g, ''), stderr, command })
    })
  })
}

const PATHS = Array.from({ length: 50 }, (_, k) => `/blog/post-${k}`)
/** The deployment: a blog with a popular home page and a dynamic account page. */
const DEPLOYED: ScenarioInput = {
  name: 'blog', durationS: 1800, seed: 7,
  routes: [
    { id: 'post', pattern: '/blog/[slug]', revalidateS: 60, renderS: { lognormal: { medianS: 0.3, p95S: 1 } }, params: { count: 50, prebuilt: 10, paths: PATHS }, traffic: { rps: 5, popularity: { zipf: 1 } } },
    { id: 'home', pattern: '/', revalidateS: 10, renderS: 0.5, traffic: { rps: 2 } },
    { id: 'account', pattern: '/account', dynamic: true, renderS: 0.2, traffic: { rps: 0.5 } },
  ],
}

let dir = ''
let sim: SimLog
const p = (name: string) => join(dir, name)
const file = (name: string, text: string) => { writeFileSync(p(name), text); return p(name) }
const readVerdict = (name: string) => JSON.parse(readFileSync(p(name), 'utf8')) as VerdictJson
const checkOf = (v: VerdictJson, scope: string, metric: string): VerdictCheck => {
  const c = v.checks.find((x) => x.scope === scope && x.metric === metric)
  if (!c) throw new Error(`no check ${scope} ${metric} in ${JSON.stringify(v.checks.map((x) => `${x.scope} ${x.metric}`))}`)
  return c
}
const fraction = (counts: Record<string, number>, k: string) => counts[k]! / Object.values(counts).reduce((a, b) => a + b, 0)

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'isrsim-replay-'))
  sim = simLog(DEPLOYED)
  file('blog.json', JSON.stringify(DEPLOYED))
  file('access.log', nginxLog(sim.requests))
})
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }) })

describe('isrsim replay on a log of the simulator\'s own answers', () => {
  it('nginx (isrsim log_format): PASS, the logged fractions are the traced ones, and the replay scenario reproduces the prediction', async () => {
    const r = await cli('replay', p('blog.json'), '--log', p('access.log'), '--out', p('nginx/verdict.json'))
    expect(r.code, `${r.command}\n${r.stderr}\n${r.stdout}`).toBe(0)
    expect(r.stdout).toContain('PASS: 7 of 7 checks')
    const v = readVerdict('nginx/verdict.json')
    expect(v.kind).toBe('replay')
    expect(v.replications).toBe(10)
    for (const [route, metrics] of [['post', ['hit', 'stale', 'miss']], ['home', ['hit', 'stale', 'miss']], ['account', ['dynamic']]] as const) {
      for (const m of metrics) {
        const c = checkOf(v, route, `${m === 'hit' ? 'HIT' : m === 'stale' ? 'STALE' : m === 'miss' ? 'MISS' : 'dynamic'} fraction`)
        // The log holds exactly what the traced run answered; the replay predicts it within 2 points.
        expect(c.observed).toBeCloseTo(fraction(sim.outcomes[route]!, m), 12)
        expect(Math.abs(c.predicted - c.observed), `${route} ${m}: ${r.command}`).toBeLessThanOrEqual(0.02)
      }
    }
    expect(r.stdout).toMatch(/Reproduce the prediction: isrsim run \S+verdict\.scenario\.json --replications 10 --same-traffic --seed 7/)
    // The written replay scenario: the log's requests, route by route, and nothing else.
    const s = JSON.parse(readFileSync(p('nginx/verdict.scenario.json'), 'utf8')) as ScenarioInput
    expect(s.routes.map((x) => x.traffic.schedule?.atS.length)).toEqual(['post', 'home', 'account'].map((id) => Object.values(sim.outcomes[id]!).reduce((a, b) => a + b, 0)))
    expect(s.routes.map((x) => [x.traffic.rps, x.revalidateS, x.renderS])).toEqual(DEPLOYED.routes.map((x) => [0, x.revalidateS, x.renderS]))
    expect(s.durationS).toBeGreaterThan(1799)
    const run = await cli('run', p('nginx/verdict.scenario.json'), '--replications', '10', '--same-traffic', '--json')
    expect(run.code, run.stderr).toBe(0)
    const again = JSON.parse(run.stdout) as SimResult
    const post = again.intervals!.routes['post']!
    expect(post.stale!.mean / again.routes['post']!.requests).toBeCloseTo(checkOf(v, 'post', 'STALE fraction').predicted, 12)
  })

  it('Vercel drain with statusCode -1 background regenerations: PASS, and background renders are compared', async () => {
    const r = await cli('replay', p('blog.json'), '--log', file('vercel.ndjson', vercelLog(sim)), '--out', p('vercel/verdict.json'))
    expect(r.code, `${r.command}\n${r.stderr}\n${r.stdout}`).toBe(0)
    const v = readVerdict('vercel/verdict.json')
    expect(v.pass).toBe(true)
    for (const route of ['post', 'home']) {
      const c = checkOf(v, route, 'background renders')
      expect(c.observed).toBe(sim.background.filter((b) => (route === 'home' ? b.path === '/' : b.path.startsWith('/blog/'))).length)
      expect(c.verdict).toBe('PASS')
    }
    expect(checkOf(v, 'post', 'STALE fraction').observed).toBeCloseTo(fraction(sim.outcomes['post']!, 'stale'), 12)
  })

  it('doctored statuses FAIL: half the STALE lines of /blog/[slug] turned into HIT', async () => {
    let n = 0
    const doctored = sim.requests.map((q) => (q.cache === 'STALE' && q.path.startsWith('/blog/') && n++ % 2 === 0 ? { ...q, cache: 'HIT' as const } : q))
    const before = fraction(sim.outcomes['post']!, 'stale')
    expect(before, 'the doctoring must move STALE by more than the 2-point tolerance').toBeGreaterThan(0.06)
    const r = await cli('replay', p('blog.json'), '--log', file('doctored.log', formatLog(doctored, 'nginx')), '--out', p('doctored/verdict.json'))
    expect(r.code, `${r.command}\n${r.stderr}`).toBe(1)
    expect(r.stdout).toMatch(/post\s+│ STALE fraction .*FAIL/)
    expect(r.stdout).toMatch(/post\s+│ HIT fraction .*FAIL/)
    expect(r.stdout).toMatch(/home\s+│ STALE fraction .*PASS/)
    expect(r.stdout).toMatch(/^FAIL: /m)
    const v = readVerdict('doctored/verdict.json')
    expect(v.pass).toBe(false)
    expect(checkOf(v, 'post', 'STALE fraction').observed).toBeCloseTo(before - Math.ceil(sim.outcomes['post']!.stale / 2) / Object.values(sim.outcomes['post']!).reduce((a, b) => a + b, 0), 12)
  })

  it('lines without a cache status on a cached route are counted, reported and checked as its dynamic fraction', async () => {
    const stripped = sim.requests.map((q, i) => (q.path.startsWith('/blog/') && i % 10 === 0 ? { ...q, cache: '-' as const } : q))
    const none = stripped.filter((q) => q.path.startsWith('/blog/') && q.cache === '-').length
    const r = await cli('replay', p('blog.json'), '--log', file('cdn.log', formatLog(stripped, 'nginx')), '--out', p('cdn/verdict.json'))
    expect(r.code, `${r.command}\n${r.stderr}`).toBe(1)
    expect(r.stderr).toContain(`; ${none} without a cache status on a cached route`)
    const dyn = checkOf(readVerdict('cdn/verdict.json'), 'post', 'dynamic fraction')
    expect(dyn.verdict).toBe('FAIL')
    expect(dyn.observed).toBeCloseTo(none / stripped.filter((q) => q.path.startsWith('/blog/')).length, 12)
    expect(dyn.note).toContain('requests logged without a cache status on a route the scenario caches')
  })

  it('a wrong model FAILs: the scenario says the home page revalidates every 300 s, the deployment did every 10 s', async () => {
    const wrong = { ...DEPLOYED, routes: DEPLOYED.routes.map((r) => (r.id === 'home' ? { ...r, revalidateS: 300 } : r)) }
    const r = await cli('replay', file('wrong.json', JSON.stringify(wrong)), '--log', p('access.log'), '--out', p('wrong/verdict.json'))
    expect(r.code, `${r.command}\n${r.stderr}`).toBe(1)
    const v = readVerdict('wrong/verdict.json')
    const stale = checkOf(v, 'home', 'STALE fraction')
    expect(stale.verdict).toBe('FAIL')
    expect(stale.predicted).toBeLessThan(0.01)
    expect(stale.observed).toBeGreaterThan(0.05)
    expect(v.checks.filter((c) => c.verdict === 'FAIL').every((c) => c.scope === 'home')).toBe(true)
  })

  it('--warmup S: requests of the first S seconds are simulated and compared on neither side', async () => {
    const r = await cli('replay', p('blog.json'), '--log', p('access.log'), '--warmup', '600', '--out', p('warm/verdict.json'))
    expect(r.code, `${r.command}\n${r.stderr}`).toBe(0)
    const t0 = sim.requests[0]!.atMs
    const after = sim.requests.filter((q) => q.path === '/' && q.atMs - t0 >= 600_000)
    expect(r.stderr).toContain(`home: ${after.length} requests compared (${sim.requests.filter((q) => q.path === '/').length - after.length} in the warmup, simulated only)`)
    const v = readVerdict('warm/verdict.json')
    expect(checkOf(v, 'home', 'STALE fraction').observed).toBeCloseTo(after.filter((q) => q.cache === 'STALE').length / after.length, 12)
    expect((JSON.parse(readFileSync(p('warm/verdict.scenario.json'), 'utf8')) as ScenarioInput).warmupS).toBe(600)
  })
})

describe('the deployment\'s cache state when the log starts', () => {
  // A 10-minute log of a docs site whose every page was cached before the log started (hour-long
  // revalidate: all HIT). The scenario prebuilds none, so as given it predicts a MISS per path.
  const docs = (prebuilt: number): ScenarioInput => ({
    name: 'docs', durationS: 600, seed: 3,
    routes: [{ id: 'doc', pattern: '/docs/[slug]', revalidateS: 3600, renderS: 0.2, params: { count: 200, prebuilt, paths: Array.from({ length: 200 }, (_, k) => `/docs/page-${k}`) }, traffic: { rps: 2 } }],
  })

  it('marks the checks that depend on it, and their range covers every start state', async () => {
    const log = simLog(docs(200))
    expect(fraction(log.outcomes['doc']!, 'hit')).toBe(1)
    const r = await cli('replay', file('docs.json', JSON.stringify(docs(0))), '--log', file('docs.log', nginxLog(log.requests)), '--out', p('docs/verdict.json'))
    expect(r.code, `${r.command}\n${r.stderr}\n${r.stdout}`).toBe(0)
    const v = readVerdict('docs/verdict.json')
    const miss = checkOf(v, 'doc', 'MISS fraction')
    // As given, one MISS per path (~200 of ~1200 requests): outside its own ±2 points of the observed 0.
    expect(miss.predicted).toBeGreaterThan(0.1)
    expect(miss.observed).toBe(0)
    expect(miss.low).toBeLessThanOrEqual(0)
    expect(miss.verdict).toBe('PASS')
    expect(miss.note).toMatch(/^depends on the deployment's cache state when the log starts; use --warmup or set buildAgeS/)
    expect(miss.note).toContain('every path of the log cached and fresh')
    expect(r.stdout).toMatch(/checks? depends? on the deployment's cache state .*doc MISS fraction/)
  })

  it('the rule: a start state that moves the prediction by more than a quarter of the range widens it to the hull', () => {
    const c = (predicted: number, observed: number): VerdictCheck => ({ scope: 'r', metric: 'MISS fraction', predicted, low: predicted - 0.02, high: predicted + 0.02, observed, verdict: Math.abs(observed - predicted) <= 0.02 ? 'PASS' : 'FAIL', by: 'tolerance' })
        // 0.009 < 0.04 / 4: not dependent; the check is the scenario's own.
    const near = combineStartStates([{ label: 'as given', checks: [c(0.1, 0.125)] }, { label: 'fresh', checks: [c(0.109, 0.125)] }], 'why')
    expect(near[0]).toEqual(c(0.1, 0.125))
    // 0.011 > 0.01: dependent; the hull [0.08, 0.131] holds 0.125.
    const far = combineStartStates([{ label: 'as given', checks: [c(0.1, 0.125)] }, { label: 'fresh', checks: [c(0.111, 0.125)] }], 'why')
    expect(far[0]!.low).toBeCloseTo(0.08, 12)
    expect(far[0]!.high).toBeCloseTo(0.131, 12)
    expect(far[0]!.verdict).toBe('PASS')
    expect(far[0]!.note).toContain('Predicted 10.0% as given; 11.1% fresh')
  })
})

describe('bad input: exit 2, a message that says what to do, nothing written', () => {
  it('a log without cache statuses names the nginx log_format line', async () => {
    const r = await cli('replay', p('blog.json'), '--log', file('plain.log', formatLog(sim.requests, 'nginx-plain')), '--out', p('bad1/verdict.json'))
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/^isrsim: .*plain\.log: the log records no cache status/m)
    expect(r.stderr).toContain('"$upstream_http_x_nextjs_cache" $msec $request_time')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    nothingWrittenIn('bad1')
  })

  it('a log whose cached routes mostly have no status ("-") says what the log lacks', async () => {
    const blank = sim.requests.map((q, i) => (i % 5 !== 0 ? { ...q, cache: '-' as const } : q))
    const r = await cli('replay', p('blog.json'), '--log', file('blank.log', formatLog(blank, 'nginx')), '--out', p('bad2/verdict.json'))
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/requests \(\d+\.\d%\) to routes the scenario caches have no cache status in the log/)
    expect(r.stderr).toContain('log_format isrsim')
    nothingWrittenIn('bad2')
  })

  it('a log of another site, a missing scenario, --replications 1, a negative --warmup', async () => {
    const other = { ...DEPLOYED, routes: DEPLOYED.routes.map((r) => ({ ...r, pattern: `/shop${r.pattern === '/' ? '' : r.pattern}` })) }
    const foreign = await cli('replay', file('other.json', JSON.stringify(other)), '--log', p('access.log'), '--out', p('bad3/verdict.json'))
    expect(foreign.code, foreign.stderr).toBe(2)
    expect(foreign.stderr).toContain('Is this the log of another site?')
    const missing = await cli('replay', p('nope.json'), '--log', p('access.log'), '--out', p('bad3/verdict.json'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`cannot read scenario file ${p('nope.json')}: ENOENT`)
    const invalid = { ...DEPLOYED, routes: DEPLOYED.routes.map((r) => (r.id === 'home' ? { ...r, revalidateS: -3 } : r)) }
    const bad = await cli('replay', file('invalid.json', JSON.stringify(invalid)), '--log', p('access.log'), '--out', p('bad3/verdict.json'))
    expect(bad.code, bad.stderr).toBe(2)
    expect(bad.stderr).toContain(`isrsim: ${p('invalid.json')}: 1 problem\n  routes[1].revalidateS: must be false`)
    const one = await cli('replay', p('blog.json'), '--log', p('access.log'), '--replications', '1', '--out', p('bad3/verdict.json'))
    expect(one.code).toBe(2)
    expect(one.stderr).toMatch(/--replications.*received "1"; allowed: a whole number >= 2/)
    const warm = await cli('replay', p('blog.json'), '--log', p('access.log'), '--warmup', '-5', '--out', p('bad3/verdict.json'))
    expect(warm.code).toBe(2)
    expect(warm.stderr).toContain('allowed: a number of seconds >= 0')
    const long = await cli('replay', p('blog.json'), '--log', p('access.log'), '--warmup', '5000', '--out', p('bad3/verdict.json'))
    expect(long.code).toBe(2)
    expect(long.stderr).toContain('the warmup must end before the log does')
    nothingWrittenIn('bad3')
  })
})

describe('the verdict as a report', () => {
  it('isrsim report renders a replay verdict and names the kind of check; an old verdict still reads as a live run', async () => {
    const r = await cli('report', p('nginx/verdict.json'), '--out', p('replay.html'))
    expect(r.code, r.stderr).toBe(0)
    const html = readFileSync(p('replay.html'), 'utf8')
    expect(html).toContain('PASS: the access log\'s cache statuses matched the prediction')
    expect(html).toContain('replay of an access log')
    expect(html).not.toContain('live run')
    const { kind: _kind, ...old } = readVerdict('nginx/verdict.json')
    const o = await cli('report', file('old-verdict.json', JSON.stringify(old)), '--out', p('old.html'))
    expect(o.code, o.stderr).toBe(0)
    expect(readFileSync(p('old.html'), 'utf8')).toContain('PASS: the live run matched the prediction')
    // The start-state notes of the docs replay are listed under the chart.
    const d = await cli('report', p('docs/verdict.json'), '--out', p('docs.html'))
    expect(d.code, d.stderr).toBe(0)
    expect(readFileSync(p('docs.html'), 'utf8')).toMatch(/<section id="notes"><h2>Notes<\/h2><ul><li>doc HIT fraction: depends on the deployment's cache state when the log starts/)
  })

  it('replay --report writes the report of the verdict it just made', async () => {
    const r = await cli('replay', p('blog.json'), '--log', p('docs-none.log'), '--out', p('rep/verdict.json'))
    expect(r.code).toBe(2) // a missing log: exit 2, nothing written
    nothingWrittenIn('rep')
    const ok = await cli('replay', p('blog.json'), '--log', p('access.log'), '--out', p('rep/verdict.json'), '--report', p('rep/verdict.html'))
    expect(ok.code, ok.stderr).toBe(0)
    const html = readFileSync(p('rep/verdict.html'), 'utf8')
    expect(html).toContain('replay of an access log')
  })
})

function nothingWrittenIn(sub: string): void {
  expect(existsSync(p(sub)) ? readdirSync(p(sub)) : []).toEqual([])
}
