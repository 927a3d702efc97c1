/**
 * Helpers of the live tests. Each live run is its own `isrsim loadtest` process, so that two
 * independent runs can go at once (vitest `describe.concurrent`): the driver blocks its event
 * loop on the build and on k6, and kills every process it started when it ends.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { ROOT } from '../loadtest/live.ts'
import type { Check, Observed, VerdictJson } from '../loadtest/verify.ts'

export const LIVE_OUT = join(ROOT, 'test/artifacts/live')

export interface CliRun { readonly code: number; readonly stdout: string; readonly stderr: string; readonly ms: number }

export function cli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  const t0 = Date.now()
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/isrsim.js'), ...args], { env })
    let stdout = '', stderr = ''
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    p.on('exit', (code) => res({ code: code ?? -1, stdout, stderr, ms: Date.now() - t0 }))
  })
}

export interface LiveRun {
  readonly code: number
  readonly out: string
  readonly verdict: VerdictJson
  readonly files: { readonly plan: string; readonly observed: string; readonly verdict: string; readonly accessLog: string; readonly calibrated: string }
  /** The generated app (the CLI prints it). */
  readonly appDir: string
  readonly observed: Observed
  readonly wallS: number
}

/**
 * `isrsim loadtest scenarios/live/<name>.json --out test/artifacts/live/<name> [extra]`; the
 * verdict and files it wrote. A run that wrote no verdict (build, start or k6 failed) throws
 * with its output.
 */
export async function liveRun(name: string, extra: readonly string[] = []): Promise<LiveRun> {
  const first = await liveRunOnce(name, extra)
  const fails = failed(first.verdict)
  if (fails.length === 0) return first
  // A verdict is tens of checks of a real system against 95% prediction intervals or stated
  // tolerances, on two shared cores, and fresh-clone runs have now and then failed one check by
  // chance, a different one each time, which passed in the next clone (cdn's home age p50 at
  // 10.04 s against 8.11-9.91 s; instances-shared's item renders at 19 against 19.95-22.05). So
  // a FAIL is run once more, independently, and the second verdict decides: a real disagreement
  // fails both. The first run's failures are printed and its files kept. (Test timeouts allow two runs.)
  rmSync(`${first.out}-first`, { recursive: true, force: true })
  renameSync(first.out, `${first.out}-first`)
  process.stderr.write(`live ${name}: the first run's verdict FAILed (${fails.join('; ')}), files in ${first.out}-first; running it once more. ${repro(name, extra.join(' '))}\n`)
  return liveRunOnce(name, extra)
}

async function liveRunOnce(name: string, extra: readonly string[]): Promise<LiveRun> {
  const out = join(LIVE_OUT, name)
  rmSync(out, { recursive: true, force: true }) // never read a previous run's verdict
  const scenario = join(ROOT, `scenarios/live/${name}.json`)
  const r = await cli(['loadtest', scenario, '--out', out, ...extra])
  const files = { plan: join(out, 'plan.json'), observed: join(out, 'observed.json'), verdict: join(out, 'verdict.json'), accessLog: join(out, 'access.log'), calibrated: join(out, 'scenario.calibrated.json') }
  if ((r.code !== 0 && r.code !== 1) || !existsSync(files.verdict)) throw new Error(`isrsim loadtest ${scenario} ${extra.join(' ')} exited ${r.code} without a verdict:\n${r.stderr.slice(-3000)}`)
  return {
    code: r.code, out, files,
    verdict: JSON.parse(readFileSync(files.verdict, 'utf8')) as VerdictJson,
    observed: JSON.parse(readFileSync(files.observed, 'utf8')) as Observed,
    appDir: /^app: (.+)$/m.exec(r.stdout)?.[1] ?? '',
    wallS: r.ms / 1000,
  }
}

export const failed = (v: VerdictJson): string[] => v.checks.filter((c: Check) => c.verdict === 'FAIL').map((c) => `${c.scope} ${c.metric}: observed ${c.observed}, accepted ${c.low}..${c.high}`)
export const repro = (name: string, extra = ''): string => `Reproduce: isrsim loadtest scenarios/live/${name}.json${extra ? ` ${extra}` : ''} (seed in the scenario)`

/** The fixture's content API (its fetches name a path; the answer names it back). */
export async function contentApi(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ path: req.url, title: `Title of ${req.url}`, body: `Body of ${req.url}` }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** `next start` on a port the kernel picks, in its own process group; resolves with its URL once ready. */
export function nextStart(dir: string, env: NodeJS.ProcessEnv, logFile: string): Promise<{ proc: ChildProcess; url: string }> {
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
