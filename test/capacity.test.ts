/**
 * Capacity planning and CI gates through the real command line: sweep (workers, resume,
 * shards and merge), recommend against an exhaustive grid, check with thresholds and a
 * baseline (JUnit parsed), the vitest matchers, and bad input (exit 2).
 */
import { execFile, spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, describe, expect, it } from 'vitest'
import blog from '../scenarios/blog.ts'
import catalogue from '../scenarios/catalogue.ts'
import type { SimResult } from '../sim/contract.ts'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { parseConstraint, recommend, type Assignment, type Candidate } from '../sim/planning/recommend.ts'
import { simulate } from '../sim/vitest.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'isrsim.js')
const TMP = mkdtempSync(join(tmpdir(), 'isrsim-capacity-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }
/** Spawn the CLI with extra environment variables; GITHUB_STEP_SUMMARY is blank unless given. */
function cliEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}
const cli = (...args: string[]): Promise<Run> => cliEnv({}, ...args)
const tmp = (name: string) => join(TMP, name)
const writeJson = (name: string, v: unknown) => { writeFileSync(tmp(name), JSON.stringify(v)); return tmp(name) }

const GRID = ['--vary', 'routes.product.revalidateS=30,60,300,900,3600', '--vary', 'traffic.scale=0.5,1,2']

describe('isrsim sweep', () => {
  it('runs 5 revalidate values × 3 traffic scales of the catalogue on both cores, one line per point (--mode exact: common random numbers)', async () => {
    const out = tmp('full-exact.jsonl')
    const r = await cli('sweep', 'scenarios/catalogue.ts', ...GRID, '--mode', 'exact', '--workers', '2', '--out', out)
    expect(r.code, r.stderr).toBe(0)
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; index?: number; vary?: Record<string, number>; result?: SimResult })
    expect(lines[0]).toMatchObject({ kind: 'sweep', points: 15, scenario: { name: 'catalogue' }, seed: '7' })
    expect(lines.slice(1).map((l) => l.index)).toEqual([...Array(15).keys()])
    // Both workers ran points; the speed-up over one worker is printed.
    const per = /points per worker: (\d+), (\d+)\)/.exec(r.stdout)
    expect(per, r.stdout).not.toBeNull()
    expect(Number(per![1])).toBeGreaterThan(0)
    expect(Number(per![2])).toBeGreaterThan(0)
    expect(r.stdout).toMatch(/speed-up \d+\.\d\dx over one worker/)
    // Common random numbers: the traffic is the same at every revalidate value...
    const req = (i: number) => lines[1 + i]!.result!.totals.requests
    for (const s of [0, 1, 2]) expect(new Set([0, 1, 2, 3, 4].map((v) => req(v * 3 + s))).size).toBe(1)
    // ...and renders fall as revalidate grows, at every scale.
    for (const s of [0, 1, 2]) {
      const renders = [0, 1, 2, 3, 4].map((v) => lines[1 + v * 3 + s]!.result!.totals.renders)
      expect(renders).toEqual([...renders].sort((a, b) => b - a))
    }
    // Each line equals a plain run of that point (same seed, same scenario).
    const p = lines[1 + 7]! // revalidate 300, scale 1
    expect(p.vary).toEqual({ 'routes.product.revalidateS': 300, 'traffic.scale': 1 })
    const direct = runScenario(parseScenario({ ...catalogue, routes: catalogue.routes.map((x) => (x.id === 'product' ? { ...x, revalidateS: 300 } : x)) }))
    const { series: _s, ageCdf: _a, ...rest } = direct
    expect(p.result).toEqual(JSON.parse(JSON.stringify(rest)))
  })

  it('--shard i/n on three machines + merge equals the single-machine file byte for byte', async () => {
    const shards = await Promise.all([1, 2, 3].map(async (i) => {
      const out = tmp(`shard-${i}.jsonl`)
      const r = await cli('sweep', 'scenarios/catalogue.ts', ...GRID, '--shard', `${i}/3`, '--workers', '1', '--out', out)
      expect(r.code, r.stderr).toBe(0)
      return out
    }))
    const m = await cli('merge', ...shards, '--out', tmp('merged.jsonl'))
    expect(m.code, m.stderr).toBe(0)
    const full = tmp('full.jsonl')
    if (!existsSync(full)) await cli('sweep', 'scenarios/catalogue.ts', ...GRID, '--out', full)
    expect(readFileSync(tmp('merged.jsonl'), 'utf8')).toBe(readFileSync(full, 'utf8'))
    // Sweeps default to --mode auto (docs/fast-mode.md): the catalogue's routes all fast-forward.
    const point = JSON.parse(readFileSync(full, 'utf8').split('\n')[1]!) as { result: SimResult }
    expect(point.result.mode).toBe('auto')
    expect(Object.values(point.result.routes).map((x) => x.mode)).toEqual(['fast', 'fast', 'fast', 'fast'])
    const missing = await cli('merge', shards[0]!, shards[2]!, '--out', tmp('bad-merge.jsonl'))
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('missing shard 2/3')
    expect(existsSync(tmp('bad-merge.jsonl'))).toBe(false)
  })

  it('an interrupted sweep (killed, with a torn last line) resumes without recomputing finished points', async () => {
    const out = tmp('resume.jsonl')
    const child = spawn(process.execPath, [BIN, 'sweep', 'scenarios/catalogue.ts', ...GRID, '--workers', '1', '--out', out], { cwd: ROOT, stdio: 'ignore' })
    // Kill it once a few points are on disk.
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 50))
      if (existsSync(out) && readFileSync(out, 'utf8').split('\n').length >= 5) break
    }
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const finished = readFileSync(out, 'utf8').trim().split('\n').length - 1
    expect(finished).toBeGreaterThanOrEqual(3)
    expect(finished).toBeLessThan(15)
    appendFileSync(out, '{"kind":"point","index":14,"vary":{"routes.prod') // a write cut short by the crash
    const again = await cli('sweep', 'scenarios/catalogue.ts', ...GRID, '--workers', '2', '--out', out)
    expect(again.code).toBe(2) // exists: refuses to overwrite without --resume or --force
    expect(again.stderr).toContain('--resume')
    const r = await cli('sweep', 'scenarios/catalogue.ts', ...GRID, '--workers', '2', '--out', out, '--resume')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain(`${15 - finished} of 15 points to run`)
    expect(r.stdout).toContain(`${finished} points already done (resumed)`)
    const full = tmp('full.jsonl')
    if (!existsSync(full)) await cli('sweep', 'scenarios/catalogue.ts', ...GRID, '--out', full)
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(full, 'utf8'))
    // A different sweep in the same file is refused.
    const other = await cli('sweep', 'scenarios/catalogue.ts', '--vary', 'traffic.scale=1,2', '--out', out, '--resume')
    expect(other.code).toBe(2)
    expect(other.stderr).toContain('different sweep')
  })
})

describe('isrsim recommend', () => {
  const candidates: Candidate[] = [60, 300, 900, 3600]
  const cases: [string, ScenarioInput, string][] = [
    ['blog (6 h)', { ...blog, durationS: 21_600 }, 'ageP95S<=600'],
    ['catalogue (20 min)', { ...catalogue, durationS: 1200 }, 'staleness.ageP95S<=400'],
  ]
  it.each(cases)('%s: the monotone search finds the exhaustive grid\'s optimum with fewer runs', (_name, input, constraint) => {
    const s = parseScenario(input)
    const routes = s.routes.filter((r) => !r.dynamic).map((r) => r.id)
    const run = (a: Assignment) => runScenario(parseScenario({ ...s, routes: s.routes.map((r) => (r.id in a ? { ...r, revalidateS: a[r.id]! } : r)) }))
    const base = { objective: 'cost', constraints: [parseConstraint(constraint, s.routes.map((r) => r.id), [])], routes, candidates, current: Object.fromEntries(routes.map((r) => [r, s.routes.find((x) => x.id === r)!.revalidateS as Candidate])), run }
    const smart = recommend({ ...base, exhaustive: false })
    const grid = recommend({ ...base, exhaustive: true })
    expect(grid.evaluated.length).toBeGreaterThanOrEqual(candidates.length ** routes.length)
    expect(smart.best).not.toBeNull()
    expect(smart.best!.assignment).toEqual(grid.best!.assignment)
    expect(smart.best!.objective).toBe(grid.best!.objective)
    expect(smart.evaluated.length).toBeLessThan(grid.gridSize)
    // The recommended point is on the frontier, and nothing feasible in the grid is cheaper.
    expect(grid.evaluated.filter((e) => e.feasible && e.objective < grid.best!.objective)).toEqual([])
    expect(smart.frontier).toContain(smart.best)
  })

  it('prints the chosen values, the frontier and the distance of the current values', async () => {
    const f = writeJson('rec.json', { ...blog, durationS: 21_600 })
    const r = await cli('recommend', f, '--constraint', 'ageP95S<=600', '--candidates', '60,300,900,3600', '--out', tmp('rec.out.json'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('recommended')
    expect(r.stdout).toContain('Pareto frontier of cost.monthlyUsd against staleness.ageP95S')
    expect(r.stdout).toMatch(/distance from the frontier/)
    const rec = JSON.parse(readFileSync(tmp('rec.out.json'), 'utf8')) as { best: { feasible: boolean; values: Record<string, number> } }
    expect(rec.best.feasible).toBe(true)
    expect(rec.best.values['staleness.ageP95S']).toBeLessThanOrEqual(600)
  })
})

describe('isrsim check', () => {
  const gated = (revalidateS: number): ScenarioInput => ({
    name: 'gate', durationS: 3600,
    routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS, params: { count: 50 }, renderS: 0.2, traffic: { rps: 20 } }],
    thresholds: { 'staleness.ageP95S': ['<600'], 'cost.monthlyUsd': ['<250'], 'routes.post.staleServedFraction': ['<5%'] },
  })

  it('exits 0 on an unchanged scenario and 1 on a worsened one; JUnit XML is well-formed', async () => {
    const main = writeJson('gate-main.json', gated(300))
    const base = await cli('check', main, '--out', tmp('baseline.json'), '--replications', '3')
    expect(base.code, base.stdout + base.stderr).toBe(0)
    const same = await cli('check', main, '--baseline', tmp('baseline.json'), '--replications', '3', '--junit', tmp('same.xml'), '--markdown', tmp('same.md'))
    expect(same.code, same.stdout).toBe(0)
    expect(same.stdout).toMatch(/^PASS: \d+ of \d+ checks passed/m)
    const worse = writeJson('gate-pr.json', gated(30))
    const r = await cli('check', worse, '--baseline', tmp('baseline.json'), '--replications', '3', '--junit', tmp('worse.xml'))
    expect(r.code, r.stdout).toBe(1)
    expect(r.stdout).toContain('FAIL  routes.post.staleServedFraction <5%')
    expect(r.stdout).toMatch(/FAIL {2}totals\.renders vs baseline: .*worse by/)
    expect(r.stdout).toContain('Reproduce: isrsim check')
    for (const [file, failures] of [['same.xml', 0], ['worse.xml', null]] as const) {
      const text = readFileSync(tmp(file), 'utf8')
      expect(XMLValidator.validate(text)).toBe(true)
      const doc = new XMLParser({ ignoreAttributes: false }).parse(text) as { testsuites: { '@_tests': string; '@_failures': string; testsuite: { testcase: unknown[] } } }
      expect(Number(doc.testsuites['@_tests'])).toBeGreaterThan(3)
      if (failures === 0) expect(doc.testsuites['@_failures']).toBe('0')
      else expect(Number(doc.testsuites['@_failures'])).toBeGreaterThan(2)
      expect(doc.testsuites.testsuite.testcase.length).toBe(Number(doc.testsuites['@_tests']))
    }
    expect(readFileSync(tmp('same.md'), 'utf8')).toContain('### isrsim check: ✅ PASS')
  })

  it('writes the Markdown summary to $GITHUB_STEP_SUMMARY when set', async () => {
    const summary = tmp('step-summary.md')
    const main = writeJson('gate-main2.json', gated(300))
    const r = await cliEnv({ GITHUB_STEP_SUMMARY: summary }, 'check', main, '--replications', '2')
    expect(r.code, r.stdout).toBe(0)
    expect(readFileSync(summary, 'utf8')).toMatch(/\| PASS \| `staleness\.ageP95S <600` \|/)
  })
})

describe('isrsim/vitest matchers', () => {
  it('toMeetThresholds uses the scenario\'s thresholds, or the ones given', async () => {
    const input: ScenarioInput = { name: 'm', durationS: 1800, routes: [{ id: 'p', pattern: '/', revalidateS: 60, renderS: 0.2, traffic: { rps: 5 } }], thresholds: { 'staleness.ageP95S': ['<120'] } }
    const r = await simulate(input, { replications: 2 })
    expect(r).toMeetThresholds()
    expect(r).not.toMeetThresholds({ 'staleness.ageP95S': ['<30'] })
    expect(r).toMeetThresholds({ 'totals.renders': ['>10'], errorFraction: ['==0'] })
    const worse = await simulate({ ...input, routes: [{ ...input.routes[0]!, revalidateS: 10 }] }, { replications: 2 })
    expect(r).toBeNoWorseThan(r)
    expect(worse).not.toBeNoWorseThan(r)
  })
})

describe('bad input: exit 2, a message naming the problem, nothing half-written', () => {
  it.each([
    ['an unknown --vary path', ['sweep', 'scenarios/catalogue.ts', '--vary', 'routes.product.revalidate=30'], /--vary routes\.product\.revalidate: unknown path/],
    ['an empty value list', ['sweep', 'scenarios/catalogue.ts', '--vary', 'traffic.scale='], /traffic\.scale: the value list is empty/],
    ['a value the field does not allow', ['sweep', 'scenarios/catalogue.ts', '--vary', 'routes.product.revalidateS=60,-5'], /routes\[1\]\.revalidateS: must be false.*received -5/s],
    ['a malformed constraint', ['recommend', 'scenarios/blog.ts', '--constraint', 'ageP95S<<600'], /--constraint "ageP95S<<600": "<<600" must be an operator/],
    ['a constraint on an unknown metric', ['recommend', 'scenarios/blog.ts', '--constraint', 'staleness.ageP96S<600'], /has no metric "ageP96S" in staleness/],
  ])('%s', async (_what, args, message) => {
    const r = await cli(...args, ...(args[0] === 'sweep' ? ['--out', tmp('never.jsonl')] : []))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(existsSync(tmp('never.jsonl'))).toBe(false)
  })

  it('a malformed threshold expression in the scenario', async () => {
    const f = writeJson('bad-threshold.json', { name: 't', durationS: 60, routes: [{ id: 'p', pattern: '/', renderS: 0.1, traffic: { rps: 1 } }], thresholds: { 'staleness.ageP95S': ['less than 600'], 'routes.nope.hit': ['>1'] } })
    const r = await cli('check', f, '--junit', tmp('never.xml'))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('thresholds.staleness.ageP95S[0]: must be a condition')
    expect(r.stderr).toContain('names route "nope", which is not in the scenario')
    expect(existsSync(tmp('never.xml'))).toBe(false)
  })

  it('a pricing file with a missing meter', async () => {
    const { DEFAULT_PRICING } = await import('../sim/planning/pricing.ts')
    const { isrWrites: _w, ...vercel } = DEFAULT_PRICING.vercel
    const f = writeJson('pricing.json', { ...DEFAULT_PRICING, vercel })
    const r = await cli('run', 'scenarios/flaky-origin.json', '--pricing', f, '--out', tmp('never.json'))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/vercel\.isrWrites: is required/)
    expect(existsSync(tmp('never.json'))).toBe(false)
  })

  it('a baseline from another scenario, or not a result at all', async () => {
    const other = runScenario(parseScenario({ name: 'other', durationS: 60, routes: [{ id: 'p', pattern: '/', renderS: 0.1, traffic: { rps: 1 } }] }))
    const f = writeJson('gate-x.json', { name: 'gate', durationS: 600, routes: [{ id: 'p', pattern: '/', renderS: 0.1, traffic: { rps: 1 } }], thresholds: { ageP95S: ['<600'] } })
    const r = await cli('check', f, '--baseline', writeJson('other.json', other), '--replications', '2')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('is a result of scenario "other", not "gate"')
    const v = await cli('check', f, '--baseline', writeJson('v0.json', { ...other, schemaVersion: 0 }), '--replications', '2')
    expect(v.code).toBe(2)
    expect(v.stderr).toContain('has schemaVersion 0')
    writeFileSync(tmp('truncated.json'), JSON.stringify(other).slice(0, 100))
    const t = await cli('check', f, '--baseline', tmp('truncated.json'))
    expect(t.code).toBe(2)
    expect(t.stderr).toContain('not valid JSON')
  })
})
