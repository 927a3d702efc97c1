/**
 * Real, timed `next build`s of generated reference apps (loadtest/app.ts writeApp), for
 * test/build-time.test.ts and the calibration script (test/build-time-calibrate.ts).
 *
 * The app has one ISR route /p/[id] whose generateStaticParams returns `paths` ids; each
 * prerender calls the origin's /render, which sleeps the route's render time. The origin
 * runs in this process (the build must be spawned, not spawnSync'd, so it can answer).
 * The build is wrapped in `flock /tmp/isrsim-heavy.lock` (2 shared cores: a build timed
 * beside another heavy job is disturbed) and only the build itself is timed, not the
 * wait for the lock. When an ancestor process already holds the lock (the suite was started
 * as `flock /tmp/isrsim-heavy.lock npx vitest run ...`), the build runs without taking it
 * again, which would wait for ourselves.
 */
import { spawn } from 'node:child_process'
import { readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NEXT_PINS, writeApp } from '../loadtest/app.ts'
import { ensureNext } from '../loadtest/live.ts'
import { startOrigin } from '../loadtest/origin.ts'
import { parseScenario, type ScenarioInput } from '../sim/index.ts'
import { requestPlan } from '../sim/plan.ts'

export const HEAVY_LOCK = '/tmp/isrsim-heavy.lock'

/** The scenario of a generated app with `paths` prerendered paths of one ISR route. */
export function buildScenario(paths: number, renderS: number, build?: ScenarioInput['build']): ScenarioInput {
  return {
    name: `build-time-${paths}`, durationS: 60,
    ...(build !== undefined ? { build } : {}),
    routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 3600, renderS, params: { count: paths }, traffic: { rps: 1 } }],
  }
}

export interface RealBuild {
  readonly paths: number
  /** Wall time of `next build`, seconds (without the wait for the lock). */
  readonly wallS: number
  /** Next's own "Generating static pages using W workers (N/N)" figures. */
  readonly workers: number
  readonly staticPages: number
  /** Next's own "Generating static pages ... in X" (seconds). */
  readonly generateS: number
  /** Next's "Compiled successfully in X" (seconds), when printed. */
  readonly compiledS: number | undefined
  readonly stdout: string
}

const MARK = 'ISRSIM_BUILD_NS'

/** Whether this process or an ancestor holds the flock on `lock` (read from /proc/locks). */
export function ancestorHoldsLock(lock: string): boolean {
  let inode: number
  let locks: string
  try { inode = statSync(lock).ino; locks = readFileSync('/proc/locks', 'utf8') } catch { return false }
  // "1: FLOCK  ADVISORY  WRITE 29295 00:1f:1234 0 EOF": pid, then major:minor:inode; "->" lines are waiters.
  const holders = new Set(locks.split('\n').filter((l) => / FLOCK /.test(l) && !l.includes('->')).flatMap((l) => {
    const m = /FLOCK\s+\S+\s+\S+\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)/.exec(l)
    return m && Number(m[2]) === inode ? [Number(m[1])] : []
  }))
  for (let pid = process.pid, hops = 0; pid > 1 && hops < 64; hops++) {
    if (holders.has(pid)) return true
    try { pid = Number(/\) \S+ (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]) } catch { return false }
  }
  return false
}

/** Generate the app, build it under the heavy lock, time it, delete it. */
export async function realBuild(paths: number, renderS: number, tag: string): Promise<RealBuild> {
  const nextDir = ensureNext('16', () => {})
  const appDir = join(nextDir, 'apps', `obs-e-build-${tag}-${paths}-${process.pid}`)
  const plan = requestPlan(parseScenario(buildScenario(paths, renderS)), '1')
  writeApp(plan, appDir, { next: '16', turbopackRoot: nextDir })
  const origin = await startOrigin(plan.spec, plan.seed)
  try {
    const nextBin = join(nextDir, 'node_modules/next/dist/bin/next')
    // Times the build inside the lock: the wait for another heavy job is not build time.
    const script = `s=$(date +%s%N); "${process.execPath}" "${nextBin}" build; rc=$?; e=$(date +%s%N); echo "${MARK} $((e-s))"; exit $rc`
    const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NEXT_IGNORE_INCORRECT_LOCKFILE: '1', ISRSIM_ORIGIN: `http://127.0.0.1:${origin.port}`, ISRSIM_REVALIDATE_SECRET: 'build-time' }
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const [cmd, args] = ancestorHoldsLock(HEAVY_LOCK) ? ['bash', ['-c', script]] as const : ['flock', [HEAVY_LOCK, 'bash', '-c', script]] as const
      const p = spawn(cmd, args, { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = '', stderr = ''
      p.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      p.on('error', reject)
      p.on('close', (code) => resolve({ code, stdout, stderr }))
    })
    const repro = `(reproduce: npx vitest run test/build-time.test.ts; app ${appDir}, next ${NEXT_PINS['16'].next})`
    if (out.code !== 0) throw new Error(`next build of ${paths} paths failed (exit ${out.code}) ${repro}:\n${(out.stdout + out.stderr).slice(-2000)}`)
    const ns = new RegExp(`${MARK} (\\d+)`).exec(out.stdout)
    const gen = /Generating static pages using (\d+) workers? \((\d+)\/(\d+)\)/.exec(out.stdout)
    if (ns === null || gen === null) throw new Error(`next build of ${paths} paths: no timing or no "Generating static pages" line ${repro}:\n${out.stdout.slice(-2000)}`)
    const compiled = /Compiled successfully in ([\d.]+)(ms|s)/.exec(out.stdout)
    const genIn = /Generating static pages using \d+ workers? \(\d+\/\d+\) in ([\d.]+)(ms|s)/.exec(out.stdout)
    if (genIn === null) throw new Error(`next build of ${paths} paths: no "Generating static pages ... in" line ${repro}:\n${out.stdout.slice(-2000)}`)
    return {
      paths, wallS: Number(ns[1]) / 1e9, workers: Number(gen[1]), staticPages: Number(gen[3]),
      generateS: Number(genIn[1]) / (genIn[2] === 'ms' ? 1000 : 1),
      compiledS: compiled ? Number(compiled[1]) / (compiled[2] === 'ms' ? 1000 : 1) : undefined,
      stdout: out.stdout,
    }
  } finally {
    await origin.close()
    rmSync(appDir, { recursive: true, force: true })
  }
}
