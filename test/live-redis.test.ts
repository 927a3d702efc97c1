/**
 * The shared cache live (issue 18, 1b; docs §8.2): Debian's redis-server started and stopped by
 * loadtest/services/redis.ts, the app generator's cache handler files, and live scenario 18(i):
 * three next start 16.4.6 instances behind nginx sharing one Redis through
 * @fortedigital/nextjs-cache-handler, every headline metric inside the predicted interval.
 * Run it alone under the heavy lock (2 shared cores):
 *   flock /tmp/isrsim-heavy.lock npx vitest run test/live-redis.test.ts
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addCacheHandler, CACHE_HANDLER_PINS } from '../loadtest/app-cache-handler.ts'
import { AppError } from '../loadtest/app-data.ts'
import { ensureRedis, REDIS_BIN, RedisMissing, startRedis } from '../loadtest/services/redis.ts'
import { failed, liveRun, repro } from './live-helpers.ts'

/** One RESP command over a raw socket; the first reply line(s) as text. */
function send(url: string, cmd: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((res, rej) => {
    const c = createConnection({ host: hostname, port: Number(port) })
    let got = ''
    c.once('connect', () => c.write(`${cmd}\r\n`))
    c.on('data', (b: Buffer) => { got += b.toString(); setTimeout(() => { c.destroy(); res(got) }, 50) })
    c.once('error', rej)
  })
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }

describe('services/redis.ts: a real redis-server on loopback', () => {
  it('starts on a free 127.0.0.1 port with a scratch config and no persistence, and stops by pid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isrsim-redis-'))
    const r = await startRedis(dir)
    try {
      expect(r.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/)
      expect(await send(r.url, 'PING')).toBe('+PONG\r\n')
      expect(await send(r.url, 'CONFIG GET save')).toContain('save\r\n$0\r\n')
      expect(await send(r.url, 'CONFIG GET appendonly')).toContain('no')
      expect(await send(r.url, 'CONFIG GET bind')).toContain('127.0.0.1')
      expect(alive(r.pid)).toBe(true)
    } finally {
      await r.stop()
    }
    expect(alive(r.pid), `redis-server pid ${r.pid} still alive after stop(); reproduce: npx vitest run test/live-redis.test.ts`).toBe(false)
    rmSync(dir, { recursive: true, force: true })
  })

  it('a missing redis-server that cannot be installed: the install hint, as an AppError (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isrsim-redis-missing-'))
    const installer = join(dir, 'install.sh')
    writeFileSync(installer, '#!/usr/bin/env bash\necho "error: installing redis-server needs root" >&2\nexit 2\n')
    chmodSync(installer, 0o755)
    let err: unknown
    try { ensureRedis(() => {}, join(dir, 'no-redis-server'), installer) } catch (e) { err = e }
    expect(err).toBeInstanceOf(RedisMissing)
    expect(err).toBeInstanceOf(AppError)
    expect((err as Error).message).toContain('bash loadtest/tools/install-redis.sh')
    expect((err as Error).message).toContain('installing redis-server needs root')
    rmSync(dir, { recursive: true, force: true })
    expect(ensureRedis(() => {})).toBe(REDIS_BIN) // the real one is there (the script installed it)
  })
})

describe('app-cache-handler.ts: the generated app with deployment.cache "shared"', () => {
  const spec = { deployment: { cache: 'shared', cacheHandler: 'fortedigital-redis' } }
  it('writes the handler on REDIS_URL, the instrumentation and the next.config fields', () => {
    const files = new Map<string, string>()
    const config: string[] = []
    addCacheHandler(spec, '16', files, config)
    expect([...files.keys()].sort()).toEqual(['cache-handler.mjs', 'instrumentation.js'])
    expect(files.get('cache-handler.mjs')).toContain('process.env.REDIS_URL')
    expect(files.get('cache-handler.mjs')).toContain("from '@fortedigital/nextjs-cache-handler/redis-strings'")
    expect(files.get('instrumentation.js')).toContain('registerInitialCache(CacheHandler, { setOnlyIfNotExists: true })')
    expect(config).toEqual(["cacheHandler: new URL('./cache-handler.mjs', import.meta.url).pathname", 'cacheMaxMemorySize: 0'])
  })
  it('local caches: nothing', () => {
    const files = new Map<string, string>()
    addCacheHandler({ deployment: { cache: 'local' } }, '16', files, [])
    expect(files.size).toBe(0)
  })
  it('refuses Next 15 and a shared cache without the Redis handler named, naming the field', () => {
    expect(() => addCacheHandler(spec, '15', new Map(), [])).toThrow(/deployment\.cache: "shared" runs @fortedigital\/nextjs-cache-handler 3\.3\.0, which needs next >= 16\.1\.5/)
    expect(() => addCacheHandler({ deployment: { cache: 'shared' } }, '16', new Map(), [])).toThrow(/deployment\.cacheHandler: undefined with cache "shared".*allowed: "fortedigital-redis"/)
  })
})

describe('live (i): three next start 16.4.6 sharing one Redis, tags deleted for all at once', () => {
  it('every headline metric inside the predicted interval', { timeout: 600_000 }, async () => {
    const r = await liveRun('instances-shared')
    expect(failed(r.verdict), repro('instances-shared')).toEqual([])
    expect(r.code).toBe(0)
    // The tag deletes reach every instance: each post page renders again after each call, on
    // whichever instance asks first; the build's pages never came from Redis (first requests MISS).
    const renders = r.observed.origin?.renders ?? {}
    expect(renders.post ?? 0, repro('instances-shared')).toBeGreaterThanOrEqual(12)
    expect(r.wallS).toBeLessThan(300)
    // The run installed the pinned handler next to next 16 (a fresh clone has none before it).
    for (const [name, v] of Object.entries(CACHE_HANDLER_PINS)) {
      const installed = JSON.parse(readFileSync(join(__dirname, `../.tools/next-16/node_modules/${name}/package.json`), 'utf8')) as { version: string }
      expect(installed.version, name).toBe(v)
    }
  })
})
