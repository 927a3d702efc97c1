/**
 * The live side of the `isrsim` command line: app, loadtest, verify, doctor.
 * Exit codes: 0 ok, 1 a FAIL verdict or a failed run, 2 usage or input errors.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Table from 'cli-table3'
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import type { RequestPlan, SimResult } from '../sim/contract.ts'
import { AppError, NEXT_PINS, writeApp, type NextMajor } from './app.ts'
import { K6_BIN, LiveError, ROOT, runLive, writeAtomic } from './live.ts'
import { verify, VerifyError, type Observed, type VerdictJson } from './verify.ts'
import { LOG_FORMATS, type LogFormat } from '../scenarios/from-logs/index.ts'
import { runReplay } from './replay.ts'

function nextMajor(v: string): NextMajor {
  if (v === '16' || v === '15') return v
  throw new InvalidArgumentError(`received "${v}"; allowed: 16 (next ${NEXT_PINS['16'].next}) or 15 (next ${NEXT_PINS['15'].next})`)
}
function proxyName(v: string): 'nginx' {
  if (v === 'nginx') return v
  throw new InvalidArgumentError(`received "${v}"; allowed: nginx (Debian's nginx, installed by loadtest/tools/install-nginx.sh)`)
}
function positiveInt(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError(`received "${v}"; allowed: a whole number >= 2`)
  return n
}

function logFormat(v: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(v)) return v as LogFormat
  throw new InvalidArgumentError(`received "${v}"; allowed: ${LOG_FORMATS.join(', ')}`)
}
function seconds(v: string): number {
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`received "${v}"; allowed: a number of seconds >= 0`)
  return n
}
function regex(v: string): RegExp {
  try { return new RegExp(v) } catch (e) { throw new InvalidArgumentError(`not a regular expression: ${(e as Error).message}`) }
}

function readJson<T>(file: string, what: string): T {
  let text: string
  try { text = readFileSync(file, 'utf8') } catch (e) { throw new LiveError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`) }
  try { return JSON.parse(text) as T } catch (e) { throw new LiveError(`${file}: not valid JSON (${(e as Error).message})`) }
}

const fmt = (metric: string, x: number) => (metric.includes('fraction') ? `${(x * 100).toFixed(1)}%` : metric.includes('(s)') ? `${x.toFixed(2)} s` : x.toFixed(1))

export function verdictTable(v: VerdictJson): string {
  const t = new Table({ head: ['scope', 'metric', 'predicted', 'accepted range', 'observed', 'verdict'] })
  for (const c of v.checks) t.push([c.scope, c.metric, fmt(c.metric, c.predicted), `${fmt(c.metric, c.low)} … ${fmt(c.metric, c.high)} (${c.by})`, fmt(c.metric, c.observed), c.verdict])
  const fails = v.checks.filter((c) => c.verdict === 'FAIL').length
  return `${t.toString()}\n${v.pass ? 'PASS' : 'FAIL'}: ${v.checks.length - fails} of ${v.checks.length} checks inside the predicted range (${v.replications} replications)`
}

/** What bin/isrsim.js hands in: the report writer for --report (loadtest/ never imports reports/). */
export interface LiveHost {
  readonly report?: (text: string, source: string, out: string) => Promise<void>
}

async function reportOf(host: LiveHost, out: string | undefined, v: VerdictJson, source: string): Promise<void> {
  if (out === undefined) return
  if (!host.report) throw new LiveError('--report: this host cannot write reports (run the isrsim command)', 2)
  await host.report(`${JSON.stringify(v, null, 2)}\n`, source, out)
  process.stdout.write(`report written to ${out}\n`)
}

export function buildProgram(host: LiveHost = {}): Command {
  const program = new Command().name('isrsim').exitOverride().configureOutput({ outputError: (str, write) => write(str) })

  program.command('app')
    .description('Generate a Next.js App Router app whose routes mirror the scenario (the live target).')
    .argument('<scenario>', 'scenario file')
    .requiredOption('--out <dir>', 'directory to write the app into (replaced)')
    .option('--next <major>', 'Next.js major: 16 or 15', nextMajor, '16' as NextMajor)
    .action((file: string, opts: { out: string; next: NextMajor }) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'plan', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
      if (r.status !== 0) { process.stderr.write(r.stderr); throw new LiveError('could not read the scenario', 2) }
      writeApp(JSON.parse(r.stdout) as RequestPlan, resolve(opts.out), { next: opts.next })
      process.stdout.write(`app written to ${opts.out}\nnext: cd ${opts.out} && npm install && ISRSIM_ORIGIN=http://127.0.0.1:<origin port> npm run build && npm start\n(the origin: node --import tsx loadtest/origin.ts <plan.json>, the plan from: isrsim plan ${file})\n`)
    })

  program.command('loadtest')
    .description('Build and start the reference app and origin, replay the plan with k6, predict, and compare.')
    .argument('<scenario>', 'scenario file')
    .option('--out <dir>', 'where plan, observed, prediction and verdict go', 'out/live')
    .option('--next <major>', 'Next.js major: 16 or 15', nextMajor, '16' as NextMajor)
    .option('--replications <n>', 'simulator replications for the intervals', positiveInt, 10)
    .option('--target <url>', 'your deployment instead of the generated app (GET requests only; on-demand calls only with ISRSIM_REVALIDATE_SECRET set)')
    .option('--i-own-this-target', 'allow a --target that is not on this machine')
    .option('--cache-header <name>', 'response header with HIT/STALE/MISS', 'x-nextjs-cache')
    .option('--real-paths-only', 'with --target: where the plan would request URLs that are not in params.paths, test the scenario restricted to its real paths instead of refusing')
    .option('--proxy <proxy>', 'put a real nginx in front of the generated app (k6 goes through it; its access log is copied to <out>/access.log)', proxyName)
    .option('--report <file>', 'also write an HTML report of the verdict')
    .action(async (file: string, opts: { out: string; next: NextMajor; replications: number; target?: string; iOwnThisTarget?: boolean; cacheHeader: string; realPathsOnly?: boolean; proxy?: 'nginx'; report?: string }) => {
      const outDir = resolve(opts.out)
      const r = await runLive({ scenario: file, outDir, next: opts.next, replications: opts.replications, cacheHeader: opts.cacheHeader, allowRemote: opts.iOwnThisTarget === true, realPathsOnly: opts.realPathsOnly === true, log: (l) => process.stderr.write(`${l}\n`), ...(opts.target ? { target: opts.target } : {}), ...(opts.proxy ? { proxy: opts.proxy } : {}) })
      process.stdout.write(`${verdictTable(r.verdict)}\n`)
      process.stdout.write(`calibration: build age ${r.calibration.buildAgeS.toFixed(1)} s, render overhead ${(r.calibration.renderOverheadS * 1000).toFixed(0)} ms\n`)
      process.stdout.write(`files: ${Object.values(r.files).join(', ')}\n`)
      if (r.appDir) process.stdout.write(`app: ${r.appDir}\n`)
      await reportOf(host, opts.report, r.verdict, r.files.verdict)
      if (!r.verdict.pass) process.exitCode = 1
    })

  program.command('verify')
    .description('Compare a prediction (isrsim run --replications N) with observed k6 results; exit 1 on any FAIL.')
    .argument('<prediction>', 'prediction JSON')
    .argument('<observed...>', 'observed JSON files (several k6 runners are merged)')
    .option('--out <file>', 'verdict JSON', 'verdict.json')
    .option('--report <file>', 'also write an HTML report of the verdict')
    .action(async (pfile: string, ofiles: string[], opts: { out: string; report?: string }) => {
      const prediction = readJson<SimResult>(pfile, 'prediction')
      const observed = ofiles.map((f) => readJson<Observed>(f, 'observed file'))
      const v = verify(prediction, observed)
      writeAtomic(opts.out, `${JSON.stringify(v, null, 2)}\n`)
      process.stdout.write(`${verdictTable(v)}\nverdict written to ${opts.out}\n`)
      await reportOf(host, opts.report, v, opts.out)
      if (!v.pass) process.exitCode = 1
    })

  program.command('replay')
    .description('Replay an access log\'s requests through the simulator and hold the predicted HIT/STALE/MISS fractions against the cache status each line records; exit 1 on any FAIL.')
    .argument('<scenario>', 'the scenario of the logged deployment (its routes, revalidate, layouts, fetches, deployment)')
    .requiredOption('--log <file>', 'an access log with cache statuses (repeatable; .gz is read too)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--log-format <format>', `the logs' format: ${LOG_FORMATS.join(', ')}`, logFormat, 'auto' as LogFormat)
    .option('--replications <n>', 'simulator replications for the ranges', positiveInt, 10)
    .option('--warmup <seconds>', 'the first seconds of the log are simulated but compared on neither side (the cache state when the log starts is unknown)', seconds, 0)
    .option('--human-ua <regex>', 'user agents that are human even where the bot list flags them', regex)
    .option('--allow-unmatched', 'accept logs where most requests match no route (a scenario of part of the site)')
    .option('--out <file>', 'verdict JSON (the replay scenario goes next to it, <out>.scenario.json)', 'verdict.json')
    .option('--report <file>', 'also write an HTML report of the verdict')
    .action(async (file: string, opts: { log: string[]; logFormat: LogFormat; replications: number; warmup: number; humanUa?: RegExp; allowUnmatched?: boolean; out: string; report?: string }) => {
      const r = await runReplay({
        scenario: file, logs: opts.log, format: opts.logFormat, replications: opts.replications, warmupS: opts.warmup, out: opts.out,
        progress: process.stderr, log: (l) => process.stderr.write(`${l}\n`),
        ...(opts.humanUa ? { humanAgents: opts.humanUa } : {}), ...(opts.allowUnmatched ? { allowUnmatched: true } : {}),
      })
      process.stdout.write(`${verdictTable(r.verdict)}\n`)
      const dependent = r.verdict.checks.filter((c) => c.note?.startsWith('depends on'))
      if (dependent.length > 0) process.stdout.write(`${dependent.length === 1 ? '1 check depends' : `${dependent.length} checks depend`} on the deployment's cache state when the log starts (their ranges cover every start state; use --warmup or set buildAgeS): ${dependent.map((c) => `${c.scope} ${c.metric}`).join(', ')}\n`)
      process.stdout.write(`verdict written to ${r.files.verdict}, replay scenario to ${r.files.scenario}\n${r.reproduce.map((l) => `Reproduce ${l}`).join('\n')}\n`)
      await reportOf(host, opts.report, r.verdict, r.files.verdict)
      if (!r.verdict.pass) process.exitCode = 1
    })

  program.command('doctor')
    .description('Check the tools the live suite needs, and say how to get each one that is missing.')
    .action(() => {
      const rows: [string, boolean, string][] = []
      const ver = (cmd: string, args: string[]) => { const r = spawnSync(cmd, args, { encoding: 'utf8' }); return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0]! : null }
      const node = process.versions.node
      rows.push(['node', Number(node.split('.')[0]) >= 20, `${node} (needs 20.19+)`])
      const go = ver('go', ['version'])
      rows.push(['go', go !== null, go ?? 'missing: install Go 1.25+ from https://go.dev/dl/ (needed to build k6)'])
      const k6 = existsSync(K6_BIN) ? ver(K6_BIN, ['version']) : null
      rows.push(['k6', k6 !== null, k6 ?? 'missing: npm run setup:k6 (go install go.k6.io/k6/v2 into .tools/bin)'])
      for (const major of ['16', '15'] as const) {
        const p = join(ROOT, `.tools/next-${major}/node_modules/next/package.json`)
        const v = existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version : null
        rows.push([`next ${major}`, v === NEXT_PINS[major].next, v ? `${v} in .tools/next-${major}` : `not installed: isrsim loadtest installs next ${NEXT_PINS[major].next} on first use${major === '15' ? ' (with --next 15)' : ''}`])
      }
      const nginx = ver('/usr/sbin/nginx', ['-v'])
      rows.push(['nginx', nginx !== null, nginx ?? 'missing (log and topology tests): bash loadtest/tools/install-nginx.sh (apt-get install nginx)'])
      const chromium = ver('/usr/bin/chromium', ['--version'])
      rows.push(['chromium', chromium !== null, chromium ?? 'missing (reports only): sudo apt-get install chromium'])
      const t = new Table({ head: ['tool', 'ok', 'version / what to do'] })
      for (const [n, ok, msg] of rows) t.push([n, ok ? 'yes' : 'NO', msg])
      process.stdout.write(`${t.toString()}\n`)
      if (rows.slice(0, 3).some((r) => !r[1])) process.exitCode = 1
    })
  return program
}

export async function main(argv: readonly string[], host: LiveHost = {}): Promise<number> {
  try {
    await buildProgram(host).parseAsync([...argv], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2
    if (e instanceof LiveError) { process.stderr.write(`isrsim: ${e.message}\n`); return e.exitCode }
    if (e instanceof VerifyError || e instanceof AppError) { process.stderr.write(`isrsim: ${e.message}\n`); return 2 }
    throw e
  }
}
