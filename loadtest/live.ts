/**
 * The live-validation driver behind `isrsim loadtest`: plan, app, origin, build, start,
 * calibrate, k6, prediction, verdict. It never runs simulator code: it calls the
 * `isrsim` CLI (plan, run) and reads its JSON (the layering test/arch.test.ts enforces).
 *
 * Every process it starts is recorded by pid and killed in `finally` and on SIGINT/SIGTERM.
 * Ports are chosen by the kernel (port 0) and read back from each process.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RequestPlan, SimResult } from '../sim/contract.ts'
import { InstanceError, portsFor, removeCopies, type PortSource } from './instances.ts'
import { adopt, killAll, ProcessError, release, runProcess, setLedger, startProcess } from './processes.ts'
import { k6Plan, runTimeline, TimelineError, waitForT0 } from './timeline.ts'
import { startTopology, topologyReport, withTimeline, type Topology } from './topology.ts'
import { profileOfRelease } from '../sim/versions.ts'
import { NEXT_PINS, TS_PINS, writeApp, type NextMajor } from './app.ts'
import type { OriginCounters } from './origin.ts'
import { calibrate, getJson, isCachedRoute, warmInstances } from './calibrate.ts'
import { LiveError } from './errors.ts'
import { coverBuildAge, neighbourBuildAgesS } from './build-age.ts'
import { NginxError, startNginx, type Nginx } from './services/nginx.ts'
import { RedisError, startRedisFor } from './services/redis.ts'
import { cdnRefusal, startCdnFor, type CdnRun } from './services/nginx-cdn.ts'
import { initialStates, mergeInitialStates, restrictToRealPaths, syntheticRefusal, syntheticRoutes } from './target.ts'
import { verify, type Observed, type VerdictJson } from './verify.ts'

export { LiveError }

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const K6_BIN = join(ROOT, '.tools/bin/k6')
const BIN = join(ROOT, 'bin/isrsim.js')


export interface LiveOptions {
  readonly scenario: string
  readonly outDir: string
  readonly next: NextMajor
  readonly replications: number
  /** A user's deployment: only the plan's GETs (and on-demand calls with a secret). */
  readonly target?: string
  readonly allowRemote?: boolean
  readonly cacheHeader: string
  /** A user's deployment whose plan requests made-up URLs: plan the scenario restricted to its real paths instead of refusing. */
  readonly realPathsOnly?: boolean
  /** 'nginx': a real nginx in front of next start (k6 goes through it); its access log is copied to <out>/access.log. */
  readonly proxy?: 'nginx'
  readonly log: (line: string) => void
  /** Where the instances' ports come from (tests pass a fake one); the kernel's by default. */
  readonly ports?: PortSource
  /** The k6 binary (tests pass one that fails); the project's own build by default. */
  readonly k6Bin?: string
}

export interface LiveResult {
  readonly verdict: VerdictJson
  readonly files: { readonly plan: string; readonly observed: string; readonly prediction: string; readonly verdict: string; readonly accessLog?: string }
  readonly calibration: Calibration
  readonly timingsS: Record<string, number>
  /** The generated app that ran (absent with --target). */
  readonly appDir?: string
}

export interface Calibration {
  readonly fromHash: string
  readonly buildAgeS: number
  /** Measured Next.js overhead per render, added to the scenario's render time. */
  readonly renderOverheadS: number
  readonly samples: number
}

export function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, file)
}

/** Run the isrsim CLI; stdout as text. */
function isrsim(args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  if (r.status !== 0) throw new LiveError(`isrsim ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.trim()}`, r.status === 2 ? 2 : 1)
  return r.stdout
}

/** k6: the project's own install script builds it into .tools/bin (reused when present). */
export function ensureK6(log: (l: string) => void): string {
  const r = spawnSync('bash', [join(ROOT, 'loadtest/tools/install-k6.sh')], { encoding: 'utf8' })
  if (r.status !== 0) throw new LiveError(`k6 is missing and could not be installed (loadtest/tools/install-k6.sh exit ${r.status}):\n${r.stderr.trim()}\nInstall Go (https://go.dev/dl/) and run: npm run setup:k6`)
  log(r.stdout.trim())
  return K6_BIN
}

/** One shared install of the pinned next/react per major, apps live under it. */
export function ensureNext(major: NextMajor, log: (l: string) => void): string {
  const dir = join(ROOT, `.tools/next-${major}`)
  const pins = NEXT_PINS[major]
  const deps: Record<string, string> = { next: pins.next, react: pins.react, 'react-dom': pins.react, ...TS_PINS }
  const versionOf = (pkg: string) => {
    const f = join(dir, 'node_modules', pkg, 'package.json')
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { version: string }).version : undefined
  }
  if (Object.entries(deps).every(([pkg, v]) => versionOf(pkg) === v)) return dir
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `isrsim-next-${major}`, private: true, dependencies: deps }, null, 2)}\n`)
  log(`installing next ${pins.next}, react ${pins.react} and typescript ${TS_PINS.typescript} into ${dir} ...`)
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } })
  if (r.status !== 0) throw new LiveError(`npm install of next ${pins.next} failed in ${dir}:\n${r.stderr.trim().slice(-2000)}`)
  return dir
}

/** The parts' errors as the CLI's: bad input (ports, nginx missing) exits 2, a failure of a part 1. */
export function asLiveError(e: unknown): unknown {
  if (e instanceof InstanceError) return new LiveError(e.message, 2)
  if (e instanceof NginxError) return new LiveError(e.message, /missing/.test(e.message) ? 2 : 1)
  if (e instanceof RedisError) return new LiveError(e.message, 1)
  if (e instanceof ProcessError || e instanceof TimelineError) return new LiveError(e.message, 1)
  return e
}

/** Newest mtime of the prerendered pages (App and Pages Router): what Next ages prebuilt entries from. */
function buildTimeMs(appDir: string): number {
  let newest = 0
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.html')) newest = Math.max(newest, statSync(p).mtimeMs)
    }
  }
  walk(join(appDir, '.next/server/app'))
  if (existsSync(join(appDir, '.next/server/pages'))) walk(join(appDir, '.next/server/pages'))
  return newest
}

/** Refuse what the live suite cannot mirror yet, with the field named. */
export function checkSupported(plan: RequestPlan, major: NextMajor): void {
  const s = plan.spec as RequestPlan['spec'] & { deployment?: { instances?: number; cache?: string }; dataChanges?: unknown[]; restarts?: { instance?: number }[]; onDemand?: { kind: string; instance?: number }[] }
  const bad = (field: string, value: unknown, allowed: string) => { throw new LiveError(`${field}: ${JSON.stringify(value)} is not supported by the live suite yet; allowed: ${allowed}`) }
  const n = s.deployment?.instances ?? 1
  s.restarts?.forEach((r, i) => { if (r.instance !== undefined && r.instance >= n) bad(`restarts[${i}].instance`, r.instance, `0 to ${n - 1} (deployment.instances is ${n})`) })
  s.onDemand?.forEach((e, i) => {
    if (e.kind === 'updateTag' && major === '15') bad(`onDemand[${i}].kind`, e.kind, 'revalidateTag or revalidatePath on Next 15 (updateTag is 16 only)')
    // The generated app's revalidation endpoint is an App Router handler; a Pages API route calling res.revalidate is not generated yet.
    if (e.kind === 'res.revalidate') bad(`onDemand[${i}].kind`, e.kind, 'revalidateTag, revalidatePath or updateTag')
  })
  const cdnBad = cdnRefusal(plan) // deployment.cdn: up to MAX_LIVE_POPS PoPs (services/nginx-cdn.ts)
  if (cdnBad !== undefined) throw new LiveError(cdnBad)
  if (plan.scenario.warmupS !== 0) bad('warmupS', plan.scenario.warmupS, '0 (k6 measures from the first request)')
}

/** The scenario with what was measured: build age and Next's own per-render overhead. */
function calibratedScenario(plan: RequestPlan, c: Calibration, major: NextMajor): unknown {
  const spec = plan.spec as unknown as Record<string, unknown> & { next: { version: string; expireTimeS: number }; routes: { renderS: number | { lognormal: { medianS: number; p95S: number } } }[] }
  // The behaviour profile of the Next.js that actually ran (the pinned release), by sim/versions.ts's table.
  const version = profileOfRelease(NEXT_PINS[major].next).profile
  const round = (x: number) => Math.round(x * 1000) / 1000
  // The parsed spec has every default filled in; a Pages Router route must not say dynamicParams (check-families).
  const own = (r: (typeof spec.routes)[number]) => {
    const x = r as { router?: string; params?: Record<string, unknown> }
    if (x.router !== 'pages' || x.params === undefined) return r
    const { dynamicParams: _, ...params } = x.params
    return { ...r, params }
  }
  const routes = spec.routes.map((r) => ({
    ...own(r),
    renderS: typeof r.renderS === 'number' ? round(r.renderS + c.renderOverheadS) : { lognormal: { medianS: round(r.renderS.lognormal.medianS + c.renderOverheadS), p95S: round(r.renderS.lognormal.p95S + c.renderOverheadS) } },
  }))
  return { ...spec, next: { ...spec.next, version }, seed: plan.seed, buildAgeS: round(Math.max(0, c.buildAgeS)), routes }
}

const isLoopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)

export async function runLive(o: LiveOptions): Promise<LiveResult> {
  const t = (() => { const t0 = Date.now(); return () => (Date.now() - t0) / 1000 })()
  const timings: Record<string, number> = {}
  mkdirSync(o.outDir, { recursive: true })
  const files = { plan: join(o.outDir, 'plan.json'), observed: join(o.outDir, 'observed.json'), prediction: join(o.outDir, 'prediction.json'), verdict: join(o.outDir, 'verdict.json') }
  isrsim(['plan', o.scenario, '--out', files.plan])
  let plan = JSON.parse(readFileSync(files.plan, 'utf8')) as RequestPlan
  if (o.target !== undefined) {
    if (o.proxy !== undefined) throw new LiveError(`--proxy ${o.proxy}: puts nginx in front of the generated app; it cannot be used with --target (put your own proxy in front of your deployment)`)
    let u: URL
    try { u = new URL(o.target) } catch { throw new LiveError(`--target: "${o.target}" is not a URL; allowed: http(s)://host[:port]`) }
    const sending = plan.routes.reduce((n, r) => n + r.paths.length, 0) / plan.scenario.durationS
    if (!isLoopback(u) && !o.allowRemote) throw new LiveError(`--target: ${u.host} is not on this machine; load-testing it needs --i-own-this-target (the plan sends ${Math.round(sending * 100) / 100} requests/s for ${plan.scenario.durationS} s)`)
    // Never invent URLs on a user's deployment (target.ts): refuse, or plan the real paths only.
    const synthetic = syntheticRoutes(plan)
    if (synthetic.length > 0 && !o.realPathsOnly) throw new LiveError(syntheticRefusal(synthetic))
    if (synthetic.length > 0) {
      const restricted = restrictToRealPaths(plan.spec)
      for (const n of restricted.notes) o.log(`--real-paths-only: ${n}`)
      const file = join(o.outDir, 'scenario.real-paths.json')
      writeAtomic(file, `${JSON.stringify({ ...restricted.spec, seed: plan.seed }, null, 2)}\n`)
      isrsim(['plan', file, '--out', files.plan])
      plan = JSON.parse(readFileSync(files.plan, 'utf8')) as RequestPlan
    }
  } else {
    checkSupported(plan, o.next)
    // Before the build: an instance per free port (picked again when they start).
    try { await portsFor((plan.spec as { deployment?: { instances?: number } }).deployment?.instances ?? 1, o.ports) } catch (e) { throw asLiveError(e) }
  }
  const k6 = ensureK6(o.log)
  timings.setupS = t()

  let baseUrl = o.target ?? ''
  let actionId = ''
  let originUrl = ''
  let calibration: Calibration = { fromHash: plan.scenario.hash, buildAgeS: 0, renderOverheadS: 0, samples: 0 }
  const secret = process.env.ISRSIM_REVALIDATE_SECRET ?? (o.target === undefined ? `isrsim-${process.pid}-${plan.scenario.hash}` : undefined)
  let nginx: Nginx | undefined
  let cdn: CdnRun | undefined
  let appDir = ''
  let topology: Topology | undefined
  setLedger(join(o.outDir, 'pids.json'))
  try {
    if (o.target === undefined) {
      const nextDir = ensureNext(o.next, o.log)
      appDir = join(nextDir, 'apps', plan.scenario.name.replace(/[^A-Za-z0-9_-]/g, '-'))
      writeApp(plan, appDir, { next: o.next, turbopackRoot: nextDir })
      timings.installS = t()
      // The origin runs from before the build (prebuilt pages call it) to the end.
      const origin = await startProcess(process.execPath, ['--import', 'tsx', join(ROOT, 'loadtest/origin.ts'), files.plan], { kind: 'origin', cwd: ROOT, env: process.env, ready: /\{"port":(\d+)\}/, timeoutMs: 20_000, name: 'origin', logFile: join(o.outDir, 'origin.log') })
      originUrl = `http://127.0.0.1:${origin.match[1]}`
      const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_IGNORE_INCORRECT_LOCKFILE: '1', ISRSIM_ORIGIN: originUrl, ISRSIM_REVALIDATE_SECRET: secret }
      // deployment.cache "shared": the instances' Redis (services/redis.ts, §8.2), its URL in their env.
      const redis = await startRedisFor(plan, nextDir, join(o.outDir, 'redis'), o.log)
      if (redis) { adopt('redis', redis.pid); env.REDIS_URL = redis.url }
      const nextBin = join(nextDir, 'node_modules/.bin/next')
      o.log(`building the reference app (next ${NEXT_PINS[o.next].next}) in ${appDir} ...`)
      const build = spawnSync(nextBin, ['build'], { cwd: appDir, env, encoding: 'utf8' })
      writeFileSync(join(o.outDir, 'build.log'), `${build.stdout}\n${build.stderr}`)
      if (build.status !== 0) throw new LiveError(`next build failed (exit ${build.status}); see ${join(o.outDir, 'build.log')}:\n${(build.stdout + build.stderr).slice(-1500)}`, 1)
      timings.buildS = t()
      // updateTag runs only in a Server Action; its id changes with every build.
      const manifest = join(appDir, '.next/server/server-reference-manifest.json')
      if (existsSync(manifest)) {
        const m = JSON.parse(readFileSync(manifest, 'utf8')) as { node?: Record<string, { exportedName?: string }> }
        actionId = Object.entries(m.node ?? {}).find(([, v]) => v.exportedName === 'isrsimUpdateTag')?.[0] ?? ''
      }
      topology = await startTopology(plan, { appDir, nextBin, env, outDir: o.outDir, ...(o.ports ? { ports: o.ports } : {}) })
      baseUrl = topology.instances[0]!.url
      calibration = { ...calibration, ...(await calibrate(plan, baseUrl, originUrl)) }
      o.log(`calibration: Next adds ${(calibration.renderOverheadS * 1000).toFixed(0)} ms per render (${calibration.samples} blocking renders of unplanned paths)`)
      if (topology.instances.length > 1) {
        // A shared Redis can be emptied afterwards, so there every route warms, the planned ones too.
        const urls = topology.instances.map((i) => i.url)
        o.log(`warmed ${await warmInstances(plan, urls, redis !== undefined)} route renders over ${urls.length} instances${redis ? ', then emptied Redis (the build\'s pages are not in it, §8.2)' : ''}`)
        if (redis) await redis.flush()
      }
      if (o.proxy === 'nginx' || topology.instances.length > 1) {
        // Calibration went direct (its renders stay out of the log); k6 goes through nginx.
        rmSync(join(o.outDir, 'nginx'), { recursive: true, force: true }) // nginx appends to its log
        const upstreams = topology.instances.map((i) => new URL(i.url).host)
        nginx = await startNginx({ upstreams, dir: join(o.outDir, 'nginx'), balancer: topology.balancer, nextUpstream: topology.instances.length > 1 ? 'error' : 'off' }, o.log)
        adopt('nginx', nginx.pid)
        o.log(`nginx ${nginx.url} (${topology.balancer}) in front of ${upstreams.length === 1 ? 'next start' : `${upstreams.length} next start instances:`} ${upstreams.join(', ')}`)
        baseUrl = nginx.url
      }
      // deployment.cdn: an nginx proxy_cache per PoP in front of next start or the balancer (services/nginx-cdn.ts); k6 goes through them.
      cdn = await startCdnFor(plan, baseUrl, join(o.outDir, 'cdn'), o.log, (pid, k) => adopt('nginx', pid, `nginx-cdn-${k}`))
      if (cdn) baseUrl = cdn.url
      timings.startS = t()
    }

    // k6 sends the plan; the origin's t = 0 is set in k6's setup(). Meanwhile the driver runs
    // the restarts and the calls with a named receiver from that t = 0 (timeline.ts).
    const k6PlanFile = topology?.direct ? join(o.outDir, 'plan.k6.json') : files.plan
    if (topology?.direct) writeAtomic(k6PlanFile, JSON.stringify(k6Plan(plan)))
    o.log(`k6: ${plan.routes.map((r) => `${r.id} ${r.rps}/s`).join(', ')} for ${plan.scenario.durationS} s against ${baseUrl}`)
    const k6Args = ['run', '-q', '--no-usage-report', '-e', `PLAN=${k6PlanFile}`, '-e', `BASE_URL=${baseUrl}`, '-e', `OUT=${files.observed}`, '-e', `CACHE_HEADER=${o.cacheHeader}`, '-e', `MAX_RPS=${plan.routes.reduce((n, r) => n + r.rps, 0)}`]
    if (originUrl) k6Args.push('-e', `ORIGIN=${originUrl}`)
    if (actionId) k6Args.push('-e', `ACTION_ID=${actionId}`)
    if (cdn) k6Args.push(...cdn.k6Args)
    const k6env = { ...process.env, K6_NO_USAGE_REPORT: 'true', ...(secret ? { ISRSIM_REVALIDATE_SECRET: secret } : {}) }
    let k6Done = false
    const abort = new AbortController()
    const running = runProcess('k6', o.k6Bin ?? k6, [...k6Args, join(ROOT, 'loadtest/k6/isr.ts')], { env: k6env, timeoutMs: (plan.scenario.durationS + 180) * 1000 }).finally(() => { k6Done = true })
    const timeline = topology?.timed && originUrl
      ? waitForT0(originUrl, () => k6Done).then((t0Ms) => (t0Ms === undefined ? undefined : runTimeline({ t0Ms, plan, instances: topology!.instances, start: topology!.start, secrets: { secret: secret ?? '', actionId }, log: o.log, abort: abort.signal })))
      : Promise.resolve(undefined)
    timeline.catch(() => undefined) // awaited below, after k6
    const run = await running
    writeFileSync(join(o.outDir, 'k6.log'), `${run.stdout}\n${run.stderr}`)
    // k6's setup() checks the target first; its error may come with exit 0 and a summary.
    const unreachable = /target (\S+) is unreachable: ([^"\\]+)/.exec(run.stderr)
    if (unreachable) { abort.abort(); throw new LiveError(`target ${unreachable[1]} is unreachable: ${unreachable[2]!.trim()}`, 1) }
    if (run.status !== 0 || !existsSync(files.observed)) { abort.abort(); throw new LiveError(`k6 failed (exit ${run.status}${run.timedOut ? ', timed out' : ''}); see ${join(o.outDir, 'k6.log')}:\n${run.stderr.slice(-1500)}`, 1) }
    const timed = await timeline
    timings.loadS = t()
    let observed = JSON.parse(readFileSync(files.observed, 'utf8')) as Observed
    if (timed) observed = withTimeline(observed, timed)
    if (originUrl) {
      await new Promise((r) => setTimeout(r, 1500)) // background renders the last requests started
      observed = { ...observed, origin: await getJson<OriginCounters>(`${originUrl}/__counters`) }
      calibration = { ...calibration, buildAgeS: (observed.startMs - buildTimeMs(appDir)) / 1000 }
    }
    if (cdn) { observed = await cdn.finish(observed, o.outDir); cdn.pids.forEach(release) } // their access logs: what reached Next
    writeAtomic(files.observed, `${JSON.stringify(observed, null, 2)}\n`)
    if (nginx) {
      await nginx.stop() // SIGQUIT: the access log is complete
      release(nginx.pid)
      copyFileSync(nginx.accessLog, join(o.outDir, 'access.log'))
    }
    if (topology && (topology.instances.length > 1 || topology.timed)) writeAtomic(join(o.outDir, 'topology.json'), `${JSON.stringify(topologyReport(plan, topology, nginx?.upstreamLog, timed, o.log), null, 2)}\n`)
    checkCacheHeader(plan, observed)
  } catch (e) {
    throw asLiveError(e)
  } finally {
    killAll()
    if (topology) removeCopies(appDir, topology.instances.length)
  }
  const accessLog = nginx ? { accessLog: join(o.outDir, 'access.log') } : {}

  // The prediction: the same scenario and seed, with what was measured; every replication
  // keeps the plan's requests (k6 replayed exactly those) and redraws render times and failures.
  const calFile = join(o.outDir, 'scenario.calibrated.json')
  const calibrated = (o.target === undefined ? calibratedScenario(plan, calibration, o.next) : { ...(plan.spec as object), seed: plan.seed }) as object
  writeAtomic(calFile, `${JSON.stringify(calibrated, null, 2)}\n`)
  const predict = (file: string) => JSON.parse(isrsim(['run', file, '--replications', String(o.replications), '--same-traffic', '--json'])) as SimResult
  const prediction = predict(calFile)
  writeAtomic(files.prediction, `${JSON.stringify({ ...prediction, calibration }, null, 2)}\n`)
  const observed = JSON.parse(readFileSync(files.observed, 'utf8')) as Observed
  let verdict = verify({ ...prediction, calibration } as SimResult, [observed])
  // The same scenario at another build age, predicted and verified; its files are named by `name`.
  const verdictAt = (name: string, buildAgeS: number): VerdictJson => {
    const file = join(o.outDir, `scenario.${name}.json`)
    writeAtomic(file, `${JSON.stringify({ ...calibrated, buildAgeS }, null, 2)}\n`)
    const p = predict(file)
    writeAtomic(join(o.outDir, `prediction.${name}.json`), `${JSON.stringify({ ...p, calibration }, null, 2)}\n`)
    return verify({ ...p, calibration } as SimResult, [observed])
  }
  if (o.target === undefined) {
    // The measured build age is approximate: cover its neighbours too (build-age.ts).
    const measuredS = (calibrated as { buildAgeS: number }).buildAgeS
    const neighbours = neighbourBuildAgesS(measuredS).map(({ tag, buildAgeS }) => ({ buildAgeS, verdict: verdictAt(`build-age-${tag}`, buildAgeS) }))
    verdict = coverBuildAge({ buildAgeS: measuredS, verdict }, neighbours)
  } else {
    // A deployment's initial cache state is unknown (target.ts): predict each that matters, cover them all.
    const [first, ...others] = initialStates(prediction)
    verdict = mergeInitialStates([{ state: first!, verdict }, ...others.map((st) => ({ state: st, verdict: verdictAt(st.name, st.buildAgeS) }))])
  }
  timings.predictS = t()
  writeAtomic(files.verdict, `${JSON.stringify(verdict, null, 2)}\n`)
  return { verdict, files: { ...files, ...accessLog }, calibration, timingsS: timings, ...(appDir ? { appDir } : {}) }
}

/** A static route answered without the cache header: the wrong header name, or a CDN in front. */
function checkCacheHeader(plan: RequestPlan, obs: Observed): void {
  const spec = plan.spec
  const statics = spec.routes.filter(isCachedRoute)
  const got = statics.reduce((n, r) => n + (obs.routes[r.id]?.hit ?? 0) + (obs.routes[r.id]?.stale ?? 0) + (obs.routes[r.id]?.miss ?? 0), 0)
  const answered = statics.reduce((n, r) => n + (obs.routes[r.id]?.dynamic ?? 0), 0)
  if (statics.length > 0 && got === 0 && answered > 0) {
    throw new LiveError(`the target sent no "${obs.cacheHeader}" header on ${answered} responses of cached routes (${statics.map((r) => r.id).join(', ')}); expected ${obs.cacheHeader}: HIT|STALE|MISS. If your platform names it differently, pass --cache-header (e.g. --cache-header x-vercel-cache)`, 1)
  }
}
