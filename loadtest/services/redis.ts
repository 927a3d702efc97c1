/**
 * A real Redis (Debian's redis-server, installed by loadtest/tools/install-redis.sh): the shared
 * cache of several `next start` instances (deployment.cache "shared", §8.2). It runs in the
 * foreground with a scratch config and dir of its own (never the system's), on a free 127.0.0.1
 * port, without persistence (a run starts empty and leaves nothing behind), and is stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './ports.ts'
import { ensureCacheHandler } from '../app-cache-handler.ts'
import { AppError } from '../app-data.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const REDIS_BIN = '/usr/bin/redis-server'
export const REDIS_INSTALL_HINT = 'install it with: bash loadtest/tools/install-redis.sh (Debian\'s redis-server through apt-get; needs root)'

export interface Redis {
  /** `redis://127.0.0.1:<port>`, what the generated cache-handler.mjs reads from REDIS_URL. */
  readonly url: string
  readonly pid: number
  readonly logFile: string
  /** SIGTERM, then SIGKILL of its process group if it lingers. */
  stop(): Promise<void>
  /** FLUSHALL: every key gone (the driver empties the cache after warming the instances). */
  flush(): Promise<void>
}

export class RedisError extends Error {}
/** redis-server is not there and the install script could not put it there (the CLI's exit 2). */
export class RedisMissing extends AppError {}

/** Debian's redis-server, through the project's own install script (reused when present). */
export function ensureRedis(log: (l: string) => void, bin = REDIS_BIN, installer = join(ROOT, 'loadtest/tools/install-redis.sh')): string {
  if (existsSync(bin)) return bin
  const r = spawnSync('bash', [installer], { encoding: 'utf8' })
  if (r.status !== 0 || !existsSync(bin)) throw new RedisMissing(`redis-server is missing at ${bin} and could not be installed (${installer} exit ${r.status}); ${REDIS_INSTALL_HINT}:\n${(r.stderr ?? '').trim()}`)
  log(r.stdout.trim())
  return bin
}

/** The scratch config: loopback only, no RDB/AOF, no protected mode games, logs in the dir. */
export function redisConfig(dir: string, port: number): string {
  const d = resolve(dir)
  return `# written by isrsim (loadtest/services/redis.ts); not the system's redis
bind 127.0.0.1
port ${port}
daemonize no
dir ${d}
logfile ${join(d, 'redis.log')}
save ""
appendonly no
databases 1
`
}

/** One inline command over a raw socket: its first reply line, or '' when redis is not there. */
function command(port: number, cmd: string): Promise<string> {
  return new Promise((res) => {
    const c = createConnection({ host: '127.0.0.1', port })
    let got = ''
    c.once('connect', () => c.write(`${cmd}\r\n`))
    c.on('data', (b: Buffer) => { got += b.toString(); if (got.includes('\r\n')) { c.destroy(); res(got.slice(0, got.indexOf('\r\n'))) } })
    c.once('error', () => res(''))
  })
}

/** +PONG once redis accepts commands. */
const ping = async (port: number) => (await command(port, 'PING')) === '+PONG'

async function startOnce(dir: string, bin: string): Promise<Redis | 'port-taken'> {
  const d = resolve(dir)
  mkdirSync(d, { recursive: true })
  const port = await freePort()
  const conf = join(d, 'redis.conf')
  const logFile = join(d, 'redis.log')
  writeFileSync(conf, redisConfig(d, port))
  const proc: ChildProcess = spawn(bin, [conf], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr!.on('data', (b: Buffer) => { stderr += b.toString() })
  const exited = new Promise<void>((res) => proc.once('exit', () => res()))
  const output = () => `${stderr}${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`.trim().slice(-1500)
  const deadline = Date.now() + 10_000
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      await exited
      if (/Address already in use/.test(output())) return 'port-taken'
      throw new RedisError(`redis-server exited (code ${proc.exitCode}) before it listened on 127.0.0.1:${port}:\n${output()}`)
    }
    if (await ping(port)) break
    if (Date.now() > deadline) {
      try { process.kill(-proc.pid!, 'SIGKILL') } catch { /* gone */ }
      throw new RedisError(`redis-server did not answer PING on 127.0.0.1:${port} within 10 s:\n${output()}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: proc.pid!,
    logFile,
    async flush() {
      const reply = await command(port, 'FLUSHALL')
      if (reply !== '+OK') throw new RedisError(`redis-server on 127.0.0.1:${port}: FLUSHALL answered ${JSON.stringify(reply)}`)
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      try { process.kill(proc.pid!, 'SIGTERM') } catch { return }
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))])
      if (!done) { try { process.kill(-proc.pid!, 'SIGKILL') } catch { /* gone */ } }
    },
  }
}

/** Start redis-server with a scratch config in `dir`; resolves once it answers PING. */
export async function startRedis(dir: string, log: (l: string) => void = () => {}, bin?: string): Promise<Redis> {
  const b = ensureRedis(log, bin)
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await startOnce(dir, b)
    if (r !== 'port-taken') return r
  }
  throw new RedisError('redis-server: three free ports in a row were taken before it could listen')
}

/**
 * The live driver's call (loadtest/live.ts): with deployment.cache "shared", install the pinned
 * cache handler next to next (app-cache-handler.ts) and start a redis-server in `dir` whose URL
 * the instances read from REDIS_URL. Anything else: undefined, nothing started.
 */
export async function startRedisFor(plan: { readonly spec: unknown }, nextDir: string, dir: string, log: (l: string) => void): Promise<Redis | undefined> {
  if ((plan.spec as { deployment?: { cache?: string } }).deployment?.cache !== 'shared') return undefined
  ensureCacheHandler(nextDir, log)
  const r = await startRedis(dir, log)
  log(`redis-server ${r.url} (pid ${r.pid}): the instances' shared cache (@fortedigital/nextjs-cache-handler)`)
  return r
}
