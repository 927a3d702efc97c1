/**
 * Several `next start` instances of one build (deployment.instances, §8), live: each on a free
 * 127.0.0.1 port, each with its own copy of the built app (its own .next: local caches, as pods
 * with their own disk), sharing the install's node_modules. Restarts (restarts[]) stop an
 * instance by pid (SIGTERM, as an orchestrator does) and start it again on the same port, so
 * the balancer in front keeps its upstream list.
 */
import type { ChildProcess } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { startProcess, terminate } from './processes.ts'

/** Gives `n` distinct ports that are free on 127.0.0.1 right now (tests pass a fake one). */
export type PortSource = (n: number) => Promise<readonly number[]>

export class InstanceError extends Error {}

/** The kernel's: n sockets bound to port 0 at once (so the ports differ), then closed. */
export const kernelPorts: PortSource = async (n) => {
  const servers: Server[] = []
  const ports: number[] = []
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer()
      servers.push(s)
      ports.push(await new Promise<number>((res, rej) => {
        s.once('error', rej)
        s.listen(0, '127.0.0.1', () => res((s.address() as { port: number }).port))
      }))
    }
  } catch {
    // Out of ports (or file descriptors): return what was found; the caller says what is missing.
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))))
  }
  return ports
}

/** `n` distinct free ports from `source`, or an error that names the field and what was found. */
export async function portsFor(n: number, source: PortSource = kernelPorts): Promise<readonly number[]> {
  let got: readonly number[]
  try { got = await source(n) } catch (e) { got = []; void e }
  const distinct = [...new Set(got.filter((p) => Number.isInteger(p) && p > 0 && p < 65536))]
  if (distinct.length < n) {
    throw new InstanceError(`deployment.instances: ${n} instances need ${n} free ports on 127.0.0.1 (one next start each); only ${distinct.length} ${distinct.length === 1 ? 'was' : 'were'} free${distinct.length > 0 ? ` (${distinct.join(', ')})` : ''}. Allowed: at most as many instances as free ports; free ports (stop what holds them) or lower deployment.instances`)
  }
  return distinct.slice(0, n)
}

/**
 * The app folder of instance i: the built app itself for 0, a copy next to it for the others
 * (a sibling, so ../../node_modules still finds the shared install). Timestamps are kept: Next
 * ages the prerendered pages from their files' mtimes.
 */
export function instanceDirs(appDir: string, n: number): string[] {
  const dirs = [appDir]
  for (let i = 1; i < n; i++) {
    const d = `${appDir}.i${i}`
    rmSync(d, { recursive: true, force: true })
    cpSync(appDir, d, { recursive: true, preserveTimestamps: true, filter: (src) => !src.startsWith(join(appDir, 'node_modules')) })
    dirs.push(d)
  }
  return dirs
}

/** Remove the copies of instanceDirs (not the built app). */
export function removeCopies(appDir: string, n: number): void {
  for (let i = 1; i < n; i++) if (existsSync(`${appDir}.i${i}`)) rmSync(`${appDir}.i${i}`, { recursive: true, force: true })
}

export interface Instance {
  readonly index: number
  readonly dir: string
  readonly port: number
  readonly url: string
  proc: ChildProcess
}

export interface InstanceStart {
  readonly nextBin: string
  readonly env: NodeJS.ProcessEnv
  /** The log of instance i (each start appends a new file: next.<i>.log, next.<i>.r<k>.log). */
  readonly logFile: (index: number, start: number) => string
}

async function startOne(o: InstanceStart, index: number, dir: string, port: number, start: number): Promise<ChildProcess> {
  const { proc } = await startProcess(o.nextBin, ['start', '-H', '127.0.0.1', '-p', String(port)], { kind: 'next', name: `next start (instance ${index})`, cwd: dir, env: o.env, ready: /Ready/, timeoutMs: 60_000, logFile: o.logFile(index, start) })
  return proc
}

/** Start every instance (one after the other: two cores) on its port. */
export async function startInstances(o: InstanceStart, dirs: readonly string[], ports: readonly number[]): Promise<Instance[]> {
  const out: Instance[] = []
  for (let i = 0; i < dirs.length; i++) {
    const proc = await startOne(o, i, dirs[i]!, ports[i]!, 0)
    out.push({ index: i, dir: dirs[i]!, port: ports[i]!, url: `http://127.0.0.1:${ports[i]!}`, proc })
  }
  return out
}

/** One restart as it happened: when it was asked for and how long the instance was away (ms since t0). */
export interface RestartRecord {
  readonly instance: number
  readonly plannedMs: number
  readonly stopMs: number
  readonly exitedMs: number
  readonly readyMs: number
}

/**
 * Restart an instance: SIGTERM to its process group (graceful: in-flight renders may finish, as
 * §11.2 assumes), SIGKILL after 10 s, then `next start` again in the same folder and port.
 */
export async function restartInstance(o: InstanceStart, inst: Instance, start: number, sinceT0Ms: () => number, plannedMs: number): Promise<RestartRecord> {
  const stopMs = sinceT0Ms()
  await terminate(inst.proc, 10_000)
  const exitedMs = sinceT0Ms()
  inst.proc = await startOne(o, inst.index, inst.dir, inst.port, start)
  return { instance: inst.index, plannedMs, stopMs, exitedMs, readyMs: sinceT0Ms() }
}
