/**
 * `isrsim replay <scenario> --log FILE...`: hold a scenario's predictions against the cache
 * status each line of a production access log records, with no load test at all.
 *
 * The logged arrivals are replayed exactly (scenarios/from-logs' replay schedules) through
 * `isrsim run --replications N --same-traffic` (render times and failures vary between
 * replications, arrivals do not), and per route the HIT/STALE/MISS fractions (dynamic on
 * dynamic routes, errors where either side has them) and, where the log records them,
 * background regenerations are compared by `verify`'s ranges.
 *
 * The deployment's cache when the log starts is unknown. Each check is also predicted from the
 * other start states (replay-scenario.ts startStates); where the start state moves a check's
 * prediction by more than a quarter of its accepted range's width, the check depends on it: its
 * range becomes the hull of every state's range, and its note says so.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { Interval, SimResult } from '../sim/contract.ts'
import { fitTraffic, LogInputError, readRouteRequests, type LogFormat, type LogRequests } from '../scenarios/from-logs/index.ts'
import { LiveError, ROOT, writeAtomic } from './live.ts'
import { isCached, logOutcomes, observedOf, type LogOutcomes } from './replay-observed.ts'
import { readScenarioInput, replayScenario, startStates, type ScenarioInput } from './replay-scenario.ts'
import { combineStartStates } from './start-states.ts'
import { checkOf, COUNT_TOL, FRACTION_TOL, verify, type Check, type VerdictJson } from './verify.ts'

export interface ReplayOptions {
  readonly scenario: string
  readonly logs: readonly string[]
  readonly format: LogFormat
  readonly replications: number
  /** Seconds at the start of the log that are simulated but compared on neither side. */
  readonly warmupS: number
  readonly humanAgents?: RegExp
  readonly allowUnmatched?: boolean
  /** The verdict JSON; the replay scenario goes next to it. */
  readonly out: string
  readonly progress?: NodeJS.WritableStream
  readonly log: (line: string) => void
}

export interface ReplayResult {
  readonly verdict: VerdictJson
  readonly files: { readonly verdict: string; readonly scenario: string }
  /** The commands that reproduce the prediction and the verdict. */
  readonly reproduce: readonly string[]
}

/** The nginx log format the README recommends: Next's cache status, ms times and durations. */
export const NGINX_LOG_FORMAT = `log_format isrsim '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$upstream_http_x_nextjs_cache" $msec $request_time';`

const BIN = join(ROOT, 'bin/isrsim.js')
const pct = (a: number, b: number) => `${b > 0 ? ((100 * a) / b).toFixed(1) : '0.0'}%`
const quote = (s: string) => (/^[\w./:=@%+,-]+$/.test(s) ? s : JSON.stringify(s))

/** A bad log is bad input: exit 2. */
async function logInput<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    if (e instanceof LogInputError) throw new LiveError(e.message)
    throw e
  }
}

/**
 * `isrsim run <file> --replications n --same-traffic --json`, as a child process (loadtest/ never
 * runs the simulator in-process). `file` is a scenario built from the user's `source`: its
 * validation messages name the source, since their fields are the source's.
 */
function predict(file: string, replications: number, source: string): Promise<SimResult> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BIN, 'run', file, '--replications', String(replications), '--same-traffic', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    p.stdout.on('data', (b: Buffer) => out.push(b))
    p.stderr.on('data', (b: Buffer) => err.push(b))
    p.once('error', (e) => fail(new LiveError(`cannot start isrsim run: ${e.message}`, 1)))
    p.once('close', (code) => {
      const stderr = Buffer.concat(err).toString().trim()
      if (code === 2) return fail(new LiveError(stderr.replace(/^isrsim: /, '').replaceAll(file, source)))
      if (code !== 0) return fail(new LiveError(`isrsim run ${file} --replications ${replications} --same-traffic failed (exit ${code}):\n${stderr}`, 1))
      try {
        done(JSON.parse(Buffer.concat(out).toString()) as SimResult)
      } catch (e) {
        fail(new LiveError(`isrsim run ${file}: its JSON does not parse (${(e as Error).message})`, 1))
      }
    })
  })
}

/**
 * Validate the user's scenario while the logs are read (a 10 GB log is read twice before the
 * replay runs): the scenario without traffic (the replay replaces it), one replication.
 */
function validate(user: ScenarioInput, dir: string, source: string): Promise<SimResult> {
  const file = join(dir, 'scenario-check.json')
  writeFileSync(file, JSON.stringify({ ...user, warmupS: 0, routes: user.routes.map((r) => ({ ...r, traffic: { rps: 0 } })) }))
  return predict(file, 1, source)
}

const frac = (i: Interval | undefined, requests: number): Interval | undefined => (i && requests > 0 ? { mean: i.mean / requests, sd: i.sd / requests, low: i.low / requests, high: i.high / requests } : undefined)

/** What verify does not know about a log: cached routes answered without a cache status, and background regenerations. */
function logChecks(p: SimResult, o: LogOutcomes, compareBackground: boolean): Check[] {
  const checks: Check[] = []
  for (const [id, ri] of Object.entries(p.intervals?.routes ?? {})) {
    const obs = o.routes[id]
    if (!obs || obs.requests === 0 || !isCached(p, id)) continue
    const reqs = ri.requests?.mean ?? p.routes[id]!.requests
    const dyn = frac(ri.dynamic, reqs)
    if (obs.dynamic > 0 && dyn) checks.push(checkOf(id, 'dynamic fraction', dyn, p.replications, obs.dynamic / obs.requests, FRACTION_TOL, 'requests logged without a cache status on a route the scenario caches: a CDN or proxy cache answered them, or the deployment renders this route dynamically'))
    if (compareBackground && ri.backgroundRenders) checks.push(checkOf(id, 'background renders', ri.backgroundRenders, p.replications, o.background[id] ?? 0, Math.max(COUNT_TOL * ri.backgroundRenders.mean, 1), 'background regenerations the log records (statusCode -1)'))
  }
  return checks
}


function replayCommand(o: ReplayOptions): string {
  const args = ['isrsim', 'replay', o.scenario, ...o.logs.flatMap((l) => ['--log', l])]
  if (o.format !== 'auto') args.push('--log-format', o.format)
  if (o.warmupS > 0) args.push('--warmup', String(o.warmupS))
  if (o.humanAgents) args.push('--human-ua', o.humanAgents.source)
  if (o.allowUnmatched) args.push('--allow-unmatched')
  args.push('--replications', String(o.replications), '--out', o.out)
  return args.map(quote).join(' ')
}

const CACHE_STATUS_HELP = `The log must record Next's x-nextjs-cache response header. For nginx in front of next start:\n  ${NGINX_LOG_FORMAT}\n  access_log /var/log/nginx/access.log isrsim;\nVercel log drains record it as proxy.vercelCache, CloudFront standard logs as x-edge-result-type, Cloudflare Logpush as CacheCacheStatus.`

/** Exit 2 when most requests to the routes the prediction caches have no cache status: the log cannot say what Next served. */
function needCacheStatus(p: SimResult, o: LogOutcomes, logs: readonly string[]): void {
  let cached = 0
  let none = 0
  for (const [id, r] of Object.entries(o.routes)) if (isCached(p, id)) { cached += r.requests; none += r.dynamic }
  if (cached > 0 && none * 2 > cached) {
    throw new LiveError(`${logs.join(', ')}: ${none} of ${cached} requests (${pct(none, cached)}) to routes the scenario caches have no cache status in the log. ${CACHE_STATUS_HELP}\nIf a CDN or proxy cache in front answered them, log at the origin instead; if these routes are dynamic in the deployment, the scenario is wrong about them.`)
  }
}

export async function runReplay(o: ReplayOptions): Promise<ReplayResult> {
  if (!(o.warmupS >= 0)) throw new LiveError(`--warmup: received ${o.warmupS}; allowed: seconds >= 0`)
  const user = await readScenarioInput(o.scenario)
  const dir = mkdtempSync(join(tmpdir(), 'isrsim-replay-'))
  try {
    const valid = validate(user, dir, o.scenario)
    valid.catch(() => undefined) // awaited below; a log error may come first
    const read = await readLogs(o, user)
    await valid
    return await compare(o, read, dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface ReadLogs {
  readonly scenario: ScenarioInput
  readonly log: LogRequests
  readonly outcomes: LogOutcomes
}

/** The replay scenario (first pass over the logs) and each logged request's outcome (second pass). */
async function readLogs(o: ReplayOptions, user: ScenarioInput): Promise<ReadLogs> {
  const fit = await logInput(() => fitTraffic(user, o.logs, { format: o.format, replay: true, ...(o.progress ? { progress: o.progress } : {}), ...(o.humanAgents ? { humanAgents: o.humanAgents } : {}), ...(o.allowUnmatched ? { allowUnmatched: true } : {}) }))
  const scenario = replayScenario(user, fit.scenario, o.warmupS)
  if (o.warmupS >= fit.scenario.durationS) throw new LiveError(`--warmup: received ${o.warmupS} s, but the log spans ${fit.scenario.durationS} s; the warmup must end before the log does`)
  const log = await logInput(() => readRouteRequests(scenario, o.logs, { format: o.format, ...(o.humanAgents ? { humanAgents: o.humanAgents } : {}), ...(o.allowUnmatched ? { allowUnmatched: true } : {}) }))
  for (const w of log.warnings) o.log(`warning: ${w}`)
  for (const l of log.report) o.log(l)
  scenario.routes.forEach((r, i) => {
    const n = r.traffic.schedule?.atS.length ?? 0
    if (n !== log.routes[i]!.atS.length) throw new LiveError(`internal: route ${r.id} has ${n} scheduled requests but ${log.routes[i]!.atS.length} logged ones`, 1)
  })
  if (!log.hasCache) throw new LiveError(`${o.logs.join(', ')}: the log records no cache status, so there is nothing to hold the prediction against. ${CACHE_STATUS_HELP}`)
  const outcomes = logOutcomes(log, o.warmupS)
  if (Object.values(outcomes.routes).every((r) => r.requests === 0)) throw new LiveError(`--warmup ${o.warmupS}: no logged request is left to compare after the warmup (the log spans ${fit.scenario.durationS} s)`)
  return { scenario, log, outcomes }
}

/** Predict every start state, compare, write the scenario and the verdict. */
async function compare(o: ReplayOptions, { scenario, log, outcomes }: ReadLogs, dir: string): Promise<ReplayResult> {
  const states = startStates(scenario)
  const name = basename(o.scenario).replace(/\.(json|m?ts|m?js)$/, '')
  const predictions = await Promise.all(states.map((s) => {
    const file = join(dir, `${name}.replay.${s.id}.json`)
    writeFileSync(file, JSON.stringify(s.scenario))
    return predict(file, o.replications, `${o.scenario} (replayed)`)
  }))
  const main = predictions[0]!
  needCacheStatus(main, outcomes, o.logs)
  const anyBackground = Object.values(outcomes.background).some((n) => n > 0)
  const compareBackground = anyBackground && o.warmupS === 0
  const checks = combineStartStates(states.map((state, i) => {
    const p = predictions[i]!
    return { label: state.label, checks: [...verify(p, [observedOf(p, outcomes, log, o.logs)]).checks, ...logChecks(p, outcomes, compareBackground)] }
  }), 'depends on the deployment\'s cache state when the log starts; use --warmup or set buildAgeS')

  for (const r of scenario.routes) {
    const c = outcomes.routes[r.id]!
    const none = isCached(main, r.id) ? c.dynamic : 0
    o.log(`${r.id}: ${c.requests} requests compared${outcomes.beforeWarmup[r.id] ? ` (${outcomes.beforeWarmup[r.id]} in the warmup, simulated only)` : ''}: HIT ${pct(c.hit, c.requests)}, STALE ${pct(c.stale, c.requests)}, MISS ${pct(c.miss, c.requests)}, dynamic ${pct(c.dynamic, c.requests)}, 404 ${pct(c.notFound, c.requests)}, error ${pct(c.error, c.requests)}${none ? `; ${none} without a cache status on a cached route` : ''}${outcomes.background[r.id] ? `; ${outcomes.background[r.id]} background regenerations` : ''}`)
  }
  if (anyBackground && !compareBackground) o.log('background regenerations: not compared (the log counts them over its whole span, and --warmup cuts the prediction\'s)')
  o.log(`start states predicted: ${states.map((s) => s.label).join('; ')}`)

  const verdict: VerdictJson = {
    verdictVersion: 1,
    kind: 'replay',
    scenario: { name: main.scenario.name, hash: main.scenario.hash },
    seed: main.seed,
    modelVersion: main.modelVersion,
    isrsimVersion: main.isrsimVersion,
    replications: main.replications,
    pass: checks.every((c) => c.verdict !== 'FAIL'),
    checks,
  }
  const scenarioFile = `${o.out.replace(/\.json$/i, '')}.scenario.json`
  writeAtomic(scenarioFile, `${JSON.stringify(scenario, null, 2)}\n`)
  writeAtomic(o.out, `${JSON.stringify(verdict, null, 2)}\n`)
  return {
    verdict,
    files: { verdict: o.out, scenario: scenarioFile },
    reproduce: [
      `the prediction: isrsim run ${quote(scenarioFile)} --replications ${o.replications} --same-traffic --seed ${quote(main.seed)}`,
      `the verdict: ${replayCommand(o)}`,
    ],
  }
}
