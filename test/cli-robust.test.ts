/**
 * A robust command line (issue 16, item 7), through the real binary: output paths that cannot
 * be written exit 2 with one line before anything runs; output piped to `head` ends quietly;
 * NO_COLOR and non-terminal output carry no colours; `isrsim help <command>`; `run` shows
 * progress and an ETA on a terminal only, and says how big a long run is first; no command
 * prints a stack trace for a user error. A terminal is a real pseudo-terminal (util-linux
 * `script`), a pipe a real pipe (bash).
 *
 * Reproduce a case: the command in its failure message, from the repository root.
 */
import { execFile, execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { parseScenario, runScenario } from '../sim/index.ts'
import { estimatedRequests, LONG_RUN_REQUESTS, sizeLine } from '../sim/cli/progress.ts'
import { arbCase } from './arbitraries.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'isrsim.js')
const TMP = mkdtempSync(join(tmpdir(), 'isrsim-robust-'))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
const show = (args: readonly string[]) => `node bin/isrsim.js ${args.map(q).join(' ')}`

/** Spawn a program; never rejects. */
function spawnRun(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd: ROOT, env: { ...process.env, GITHUB_STEP_SUMMARY: '', NO_COLOR: '', FORCE_COLOR: undefined, ...env }, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr })
    })
  })
}
const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => spawnRun(process.execPath, [BIN, ...args], env)

/** Whether a program is on the PATH. */
const has = (cmd: string) => { try { execFileSync('sh', ['-c', `command -v ${cmd}`]); return true } catch { return false } }
const HAS_SCRIPT = has('script')

/** Run the CLI on a pseudo-terminal (stdout and stderr both the terminal): what a user at a terminal sees. */
function onTerminal(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const assigns = Object.entries(env).map(([k, v]) => `${k}=${q(v)}`).join(' ')
  // CI, NO_COLOR and FORCE_COLOR of the machine running the tests are dropped: CI=1 made the table
  // library drop colours on a terminal, which is what this test found.
  return spawnRun('script', ['-qec', `env -u CI -u NO_COLOR -u FORCE_COLOR ${assigns} ${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}`, '/dev/null'], { TERM: 'xterm-256color' })
}

const SGR = /\x1b\[[0-9;]*m/ // a colour or style code

const write = (name: string, text: string) => {
  const f = join(TMP, name)
  mkdirSync(dirname(f), { recursive: true })
  writeFileSync(f, text)
  return f
}
const SMALL = write('small.json', JSON.stringify({ name: 'small', durationS: 60, routes: [{ id: 'p', pattern: '/', revalidateS: 10, renderS: 0.1, traffic: { rps: 2 } }], thresholds: { ageP95S: ['<600'] } }))

describe('an output path that cannot be written: exit 2, one line, before anything runs', () => {
  const aFile = write('a-file', 'x')
  const aDir = join(TMP, 'a-dir')
  mkdirSync(aDir)
  const cases: { name: string; args: string[]; says: string }[] = [
    { name: 'run --out whose parent is a file', args: ['run', SMALL, '--out', join(aFile, 'r.json')], says: `--out ${join(aFile, 'r.json')}: ${aFile} is a file, not a folder` },
    { name: 'run --out that is a directory', args: ['run', SMALL, '--out', aDir], says: `--out ${aDir}: is a directory, not a file` },
    { name: 'run --report whose parent is a file', args: ['run', SMALL, '--report', join(aFile, 'deep', 'r.html')], says: `--report ${join(aFile, 'deep', 'r.html')}: ${aFile} is a file, not a folder` },
    { name: 'check --junit that is a directory', args: ['check', SMALL, '--junit', aDir], says: `--junit ${aDir}: is a directory, not a file` },
    { name: 'check --markdown whose parent is a file', args: ['check', SMALL, '--markdown', join(aFile, 'x.md')], says: `--markdown ${join(aFile, 'x.md')}: ${aFile} is a file, not a folder` },
    { name: 'check --out that is a directory', args: ['check', SMALL, '--out', aDir], says: `--out ${aDir}: is a directory, not a file` },
    { name: 'sweep --out that is a directory', args: ['sweep', SMALL, '--vary', 'traffic.scale=1,2', '--out', aDir], says: `--out ${aDir}: is a directory, not a file` },
    { name: 'sweep --report whose parent is a file', args: ['sweep', SMALL, '--vary', 'traffic.scale=1,2', '--out', join(TMP, 'never.jsonl'), '--report', join(aFile, 'r.html')], says: `--report ${join(aFile, 'r.html')}: ${aFile} is a file` },
    { name: 'recommend --out whose parent is a file', args: ['recommend', SMALL, '--out', join(aFile, 'rec.json')], says: `--out ${join(aFile, 'rec.json')}: ${aFile} is a file` },
    { name: 'plan --out that is a directory', args: ['plan', SMALL, '--out', aDir], says: `--out ${aDir}: is a directory` },
    { name: 'schema --out whose parent is a file', args: ['schema', '--out', join(aFile, 's.json')], says: `--out ${join(aFile, 's.json')}: ${aFile} is a file` },
    { name: 'pricing --out that is a directory', args: ['pricing', '--out', aDir], says: `--out ${aDir}: is a directory` },
    { name: 'merge --out that is a directory', args: ['merge', SMALL, '--out', aDir], says: `--out ${aDir}: is a directory` },
  ]
  it.each(cases)('$name', async (c) => {
    const r = await cli(c.args)
    const how = `reproduce: ${show(c.args)}`
    expect(r.code, `${r.stderr}\n${how}`).toBe(2)
    expect(r.stderr, how).toBe(`isrsim: ${r.stderr.slice('isrsim: '.length).split('\n')[0]}\n`) // one line
    expect(r.stderr, how).toContain(c.says)
    expect(r.stderr, how).not.toMatch(/\n\s+at /)
    // Nothing ran: no table, no gate lines, no sweep progress, no file.
    expect(r.stdout, how).toBe('')
    expect(existsSync(join(TMP, 'never.jsonl'))).toBe(false)
    expect(readdirSync(aDir)).toEqual([])
  }, 60_000)

  it('report --out that is a directory (the report module) is one line too', async () => {
    const result = join(TMP, 'small-result.json')
    expect((await cli(['run', SMALL, '--out', result])).code).toBe(0)
    const r = await cli(['report', result, '--out', aDir])
    expect(r.code, show(['report', result, '--out', aDir])).toBe(2)
    expect(r.stderr).toBe(`isrsim: --out ${aDir}: is a directory, not a file\n`)
  }, 60_000)

  // As root, permission bits do not stop a write; a read-only mount does. unshare gives the
  // command its own mount namespace, so the read-only bind is seen by it alone.
  const readOnly = join(TMP, 'read-only')
  mkdirSync(readOnly)
  const nsOk = process.getuid?.() === 0 && has('unshare') && (() => {
    try { execFileSync('unshare', ['-m', 'sh', '-c', `mount --bind ${q(readOnly)} ${q(readOnly)} && mount -o remount,bind,ro ${q(readOnly)}`], { stdio: 'ignore' }); return true } catch { return false }
  })()
  it.skipIf(process.getuid?.() === 0 && !nsOk)('a folder without write permission: exit 2 naming it (a read-only bind mount as root, chmod 555 otherwise)', async () => {
    const out = join(readOnly, 'sub', 'r.json')
    let r: Run
    if (process.getuid?.() === 0) {
      r = await spawnRun('unshare', ['-m', 'sh', '-c', `mount --bind ${q(readOnly)} ${q(readOnly)} && mount -o remount,bind,ro ${q(readOnly)} && exec ${q(process.execPath)} ${q(BIN)} run ${q(SMALL)} --out ${q(out)}`])
    } else {
      chmodSync(readOnly, 0o555)
      r = await cli(['run', SMALL, '--out', out])
      chmodSync(readOnly, 0o755)
    }
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(new RegExp(`^isrsim: --out ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write in ${readOnly.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\((read-only file system|permission denied)\\)\n$`))
    expect(r.stdout).toBe('')
  }, 60_000)
})

describe('output piped to head ends quietly', () => {
  it.each([
    ['plan', ['plan', 'scenarios/catalogue.ts']],
    ['run --json', ['run', 'scenarios/catalogue.ts', '--json']],
  ])('%s | head -1: exit 0, nothing on stderr', async (_name, args) => {
    const err = join(TMP, `${args[0]}.err`)
    // A real pipe: head exits after one line, the CLI's next write gets EPIPE.
    const r = await spawnRun('bash', ['-c', `${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')} 2>${q(err)} | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"`])
    const how = `reproduce: ${show(args)} | head -1`
    // The output is far bigger than a pipe's buffer, so the write does fail.
    expect(r.stdout.trim(), `${readFileText(err)}\n${how}`).toBe('0')
    expect(readFileText(err), how).toBe('')
  }, 60_000)
})

const readFileText = (f: string) => (existsSync(f) ? execFileSync('cat', [f], { encoding: 'utf8' }) : '')

describe('colours: none with NO_COLOR or when the output is not a terminal', () => {
  it.skipIf(!HAS_SCRIPT)('doctor on a terminal is coloured; with NO_COLOR it is not; piped it is not', async () => {
    const [tty, ci, noColor, piped] = await Promise.all([onTerminal(['doctor']), onTerminal(['doctor'], { CI: '1' }), onTerminal(['doctor'], { NO_COLOR: '1' }), cli(['doctor'])])
    // The test can fail: a terminal does get colours, also with CI set (a CI job's own terminal).
    expect(tty.stdout, 'reproduce: node bin/isrsim.js doctor (on a terminal)').toMatch(SGR)
    expect(ci.stdout, 'reproduce: CI=1 node bin/isrsim.js doctor (on a terminal)').toMatch(SGR)
    expect(noColor.stdout, 'reproduce: NO_COLOR=1 node bin/isrsim.js doctor').toContain('tool')
    expect(noColor.stdout, 'reproduce: NO_COLOR=1 node bin/isrsim.js doctor').not.toMatch(SGR)
    expect(piped.stdout).toContain('tool')
    expect(`${piped.stdout}${piped.stderr}`).not.toMatch(/\x1b/)
  }, 60_000)

  it.skipIf(!HAS_SCRIPT)('run, check and --help with NO_COLOR on a terminal: no colour codes', async () => {
    const runs = await Promise.all([['run', SMALL], ['check', SMALL, '--replications', '2'], ['--help'], ['help', 'run']].map((a) => onTerminal(a, { NO_COLOR: '1' })))
    for (const r of runs) expect(r.stdout).not.toMatch(SGR)
  }, 60_000)
})

describe('isrsim help <command>', () => {
  it('names the command\'s usage and options, for this module\'s commands and the others\'', async () => {
    const runs = await Promise.all([['help', 'run'], ['help', 'check'], ['help', 'loadtest'], ['help', 'import'], ['help', 'report'], ['help', 'nosuch']].map((a) => cli(a)))
    const [run, check, loadtest, imp, report, bad] = runs as [Run, Run, Run, Run, Run, Run]
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Usage: isrsim run \[options\] <scenario>/)
    expect(run.stdout).toContain('--replications <n>')
    expect(check.stdout).toMatch(/^Usage: isrsim check/)
    expect(check.stdout).toContain('--baseline <result.json>')
    expect(loadtest.code).toBe(0)
    expect(loadtest.stdout).toMatch(/^Usage: isrsim loadtest \[options\] <scenario>/)
    expect(imp.stdout).toMatch(/^Usage: isrsim import \[options\] <app-dir>/)
    expect(report.stdout).toMatch(/^Usage: isrsim report \[options\] <input>/)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^isrsim: help: unknown command "nosuch" \(commands: run, plan, check, .*import, traffic\)\n$/)
  }, 60_000)
})

describe('run: progress and an ETA on a terminal only; the size of a long run first', () => {
  const big = write('big.json', JSON.stringify({ name: 'big', durationS: 1000, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.05, params: { count: 1000 }, traffic: { rps: 6000, arrivals: 'uniform' } }] }))

  it('estimatedRequests is within 1% of what the bundled scenarios simulate (warmup included)', async () => {
    for (const f of ['scenarios/flaky-origin.json', 'scenarios/catalogue.ts']) {
      const { loadScenario } = await import('../sim/cli/files.ts')
      const s = await loadScenario(join(ROOT, f))
      const r = runScenario({ ...s, warmupS: 0 })
      expect(Math.abs(estimatedRequests(s) / r.totals.requests - 1), f).toBeLessThan(0.01)
    }
    const s = parseScenario(JSON.parse(readFileText(big)))
    expect(estimatedRequests(s)).toBe(6_000_000)
    expect(sizeLine(s, 1)).toBe('about 6.0 million requests to simulate, 16.7 min of simulated time each')
    expect(sizeLine(s, 3)).toBe('about 18.0 million requests to simulate (3 replications × 6.0 million), 16.7 min of simulated time each')
    expect(sizeLine(parseScenario(JSON.parse(readFileText(SMALL))), 100)).toBeNull()
    expect(LONG_RUN_REQUESTS).toBe(5_000_000)
  })

  it.skipIf(!HAS_SCRIPT)('on a terminal: the size line, then a bar with an ETA on stderr, cleared before the table', async () => {
    const r = await onTerminal(['run', big])
    const how = `reproduce: ${show(['run', big])} (on a terminal)`
    expect(r.code, how).toBe(0)
    expect(r.stdout, how).toContain('run: about 6.0 million requests to simulate, 16.7 min of simulated time each')
    expect(r.stdout, how).toMatch(/run \[[=-]+\] \d+% \| [\d.]+ (s|min) of 16\.7 min simulated \| \d+s elapsed \| ETA \d+s/)
    // The bar ends at 100% and is cleared (the line erased) before the table is printed.
    expect(r.stdout, how).toMatch(/run \[=+\] 100% \| 16\.7 min of 16\.7 min simulated/)
    expect(r.stdout.indexOf('100%'), how).toBeLessThan(r.stdout.indexOf('│ route '))
    expect(r.stdout, how).toContain('│ route ')
  }, 120_000)

  it('not on a terminal, or with --json: the size line at most, never a bar', async () => {
    const [piped, json] = await Promise.all([cli(['run', big]), HAS_SCRIPT ? onTerminal(['run', big, '--json']) : cli(['run', big, '--json'])])
    expect(piped.code).toBe(0)
    expect(piped.stderr).toBe('run: about 6.0 million requests to simulate, 16.7 min of simulated time each\n')
    expect(piped.stdout).not.toContain('ETA')
    expect(json.code).toBe(0)
    expect(json.stdout).not.toContain('ETA')
    expect(json.stdout).not.toContain('run: about')
    expect(JSON.parse(json.stdout.replace(/\r\n/g, '\n')).totals.requests).toBe(6_000_000)
  }, 120_000)

  it('progress does not change the result: slicing the run gives the same result, byte for byte (fast-check)', () => {
    fc.assert(fc.property(arbCase(), (c) => {
      const s = parseScenario(c.input)
      const seen: number[] = []
      const plain = JSON.stringify(runScenario(s, { seed: c.seed, replications: 2 }))
      const sliced = JSON.stringify(runScenario(s, { seed: c.seed, replications: 2, onProgress: (done, total) => { seen.push(done); expect(total).toBe(2 * s.durationS) } }))
      expect(sliced).toBe(plain)
      // Simulated time only grows, and ends at the whole run.
      expect(seen).toEqual([...seen].sort((a, b) => a - b))
      expect(seen[seen.length - 1]).toBeCloseTo(2 * s.durationS, 6)
    }), { numRuns: 40, seed: 16 })
  }, 120_000)
})

describe('no command prints a stack trace for a user error', () => {
  const missing = join(TMP, 'missing.json')
  const cases: string[][] = [
    ['run', missing], ['run', SMALL, '--replications', 'x'], ['plan', missing], ['check', missing], ['check', SMALL, '--tolerance', 'lots'],
    ['sweep', SMALL, '--vary', 'nope=1'], ['recommend', SMALL, '--constraint', 'ageP95S<<1'], ['merge', missing, '--out', join(TMP, 'm.jsonl')],
    ['pricing', '--bogus'], ['schema', '--bogus'], ['report', missing], ['app', missing, '--out', join(TMP, 'app')], ['loadtest', missing],
    ['verify', missing, missing], ['doctor', '--bogus'], ['replay', missing, '--log', missing], ['import', join(TMP, 'no-app')],
    ['traffic', missing, '--log', missing, '--out', join(TMP, 't.json')], ['help', 'nosuch'], ['nosuch'], ['--bogus'],
  ]
  it.each(cases.map((a) => [a.join(' '), a] as const))('isrsim %s', async (_name, args) => {
    const r = await cli(args)
    const how = `reproduce: ${show(args)}`
    expect(r.code, `${r.stderr}\n${how}`).toBe(2)
    expect(r.stderr.trim().length, how).toBeGreaterThan(0)
    expect(r.stderr, how).not.toMatch(/\n\s+at /)
    expect(r.stderr, how).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m)
  }, 60_000)
})
