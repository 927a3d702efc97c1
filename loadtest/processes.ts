/**
 * Every process a live run starts (origin, next start, nginx, k6, redis): started in its own
 * process group, recorded by pid, and killed (the whole group) however the run ends: in the
 * driver's `finally`, on SIGINT/SIGTERM and at exit. Each pid is also written to a ledger
 * (`<out>/pids.json`, kind and pid) so that a test can check from outside that none survived.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { renameSync, writeFileSync } from 'node:fs'

/** What a live run starts; the ledger names each pid by its kind. */
export type ProcessKind = 'origin' | 'next' | 'nginx' | 'k6' | 'redis'

export class ProcessError extends Error {}

/** Processes this run started (spawned here); killed by process group however the run ends. */
const started = new Set<ChildProcess>()
/** Processes started elsewhere (nginx by services/nginx.ts, redis), by pid: their groups are killed too. */
const foreign = new Set<number>()
const ledger: { kind: ProcessKind; pid: number; name: string }[] = []
let ledgerFile: string | undefined

/** Where the ledger of pids is written (the run's output folder); each start appends to it. */
export function setLedger(file: string): void {
  ledgerFile = file
  ledger.length = 0
  writeLedger()
}

function writeLedger(): void {
  if (ledgerFile === undefined) return
  const tmp = `${ledgerFile}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(ledger, null, 2)}\n`)
  renameSync(tmp, ledgerFile)
}

function record(kind: ProcessKind, pid: number, name: string): void {
  ledger.push({ kind, pid, name })
  writeLedger()
}

/** A process started outside this module (nginx, redis): killed with the others by its pid's group. */
export function adopt(kind: ProcessKind, pid: number, name: string = kind): void {
  foreign.add(pid)
  record(kind, pid, name)
}

export function release(pid: number): void {
  foreign.delete(pid)
}

const killGroup = (pid: number) => { try { process.kill(-pid, 'SIGKILL') } catch { try { process.kill(pid, 'SIGKILL') } catch { /* gone */ } } }

export function killAll(): void {
  for (const p of started) if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) killGroup(p.pid)
  started.clear()
  for (const pid of foreign) killGroup(pid)
  foreign.clear()
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { killAll(); process.exit(130) })
process.once('exit', killAll)

export interface StartOptions {
  readonly kind: ProcessKind
  readonly name: string
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  readonly ready: RegExp
  readonly timeoutMs: number
  readonly logFile: string
}

/** Start a detached process (its own group, so children die with it); resolve when `ready` matches its output. */
export function startProcess(cmd: string, args: readonly string[], opts: StartOptions): Promise<{ proc: ChildProcess; match: RegExpMatchArray }> {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  started.add(proc)
  if (proc.pid !== undefined) record(opts.kind, proc.pid, opts.name)
  let out = ''
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new ProcessError(`${opts.name} did not start within ${opts.timeoutMs / 1000} s; its output:\n${out.slice(-2000)}`)), opts.timeoutMs)
    const on = (b: Buffer) => {
      out += b.toString()
      writeFileSync(opts.logFile, out)
      const m = out.match(opts.ready)
      if (m) { clearTimeout(timer); res({ proc, match: m }) }
    }
    proc.stdout!.on('data', on)
    proc.stderr!.on('data', on)
    proc.once('error', (e) => { clearTimeout(timer); rej(new ProcessError(`${opts.name} could not be started: ${e.message}`)) })
    proc.once('exit', (code) => { clearTimeout(timer); rej(new ProcessError(`${opts.name} exited (code ${code}) before it was ready; its output:\n${out.slice(-2000)}`)) })
  }).then((r) => { proc.removeAllListeners('exit'); return r as { proc: ChildProcess; match: RegExpMatchArray } })
}

/** A process run to its end (k6): recorded and killed like the others, its output collected. */
export function runProcess(kind: ProcessKind, cmd: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ status: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  const proc = spawn(cmd, args, { env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  started.add(proc)
  if (proc.pid !== undefined) record(kind, proc.pid, kind)
  let stdout = '', stderr = '', timedOut = false
  proc.stdout!.on('data', (b: Buffer) => { stdout += b.toString() })
  proc.stderr!.on('data', (b: Buffer) => { stderr += b.toString() })
  const timer = setTimeout(() => { timedOut = true; if (proc.pid !== undefined) killGroup(proc.pid) }, opts.timeoutMs)
  return new Promise((res) => {
    proc.once('error', (e) => { clearTimeout(timer); started.delete(proc); res({ status: null, stdout, stderr: `${stderr}\n${e.message}`, timedOut }) })
    proc.once('close', (code) => { clearTimeout(timer); started.delete(proc); res({ status: code, stdout, stderr, timedOut }) })
  })
}

/** Kill one process's group now (SIGKILL) and forget it. */
export function stop(proc: ChildProcess): void {
  if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) killGroup(proc.pid)
  started.delete(proc)
}

/**
 * Stop one process the way an orchestrator does (SIGTERM to its group, SIGKILL after `graceMs`)
 * and resolve when it has exited.
 */
export async function terminate(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) { started.delete(proc); return }
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  try { process.kill(-proc.pid, 'SIGTERM') } catch { /* gone */ }
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))])
  if (!done) { killGroup(proc.pid); await exited }
  started.delete(proc)
}
