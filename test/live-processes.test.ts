/**
 * Every process `isrsim loadtest` starts is stopped by pid however the run ends: when k6 fails,
 * and when the driver gets SIGINT or SIGTERM mid-load. One scenario starts every kind: the
 * origin, redis-server (deployment.cache "shared"), two next start instances, nginx in front,
 * and k6. The driver writes each pid to <out>/pids.json as it starts it; the test reads that
 * ledger and checks from outside that no pid (and no process of its group) is left.
 * Run it alone under the heavy lock (2 shared cores; three builds, about 3 min):
 *   flock /tmp/isrsim-heavy.lock npx vitest run test/live-processes.test.ts
 */
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { LiveError, ROOT, runLive } from '../loadtest/live.ts'
import type { ProcessKind } from '../loadtest/processes.ts'
import { LIVE_OUT } from './live-helpers.ts'

const DIR = join(LIVE_OUT, 'processes')
mkdirSync(DIR, { recursive: true })
const SCENARIO = join(DIR, 'scenario.json')
writeFileSync(SCENARIO, JSON.stringify({
  name: 'live-processes', seed: '5', durationS: 40, next: { version: '16.4' },
  deployment: { instances: 2, balancer: 'round-robin', cache: 'shared', cacheHandler: 'fortedigital-redis' },
  routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS: 5, params: { count: 3 }, renderS: 0.05, traffic: { rps: 4, arrivals: 'poisson' } }],
  restarts: [{ atS: 30, instance: 1 }],
}, null, 2))
const REPRO = `Reproduce: flock /tmp/isrsim-heavy.lock npx vitest run test/live-processes.test.ts (scenario ${SCENARIO})`
const KINDS: readonly ProcessKind[] = ['origin', 'redis', 'next', 'nginx', 'k6']

type Entry = { kind: ProcessKind; pid: number; name: string }
const ledger = (out: string): Entry[] => (existsSync(join(out, 'pids.json')) ? JSON.parse(readFileSync(join(out, 'pids.json'), 'utf8')) as Entry[] : [])

/** A pid (or its process group) still running: signal 0 reaches it and /proc does not call it a zombie. */
function running(pid: number): boolean {
  for (const target of [pid, -pid]) {
    try { process.kill(target, 0) } catch { continue }
    if (target > 0) {
      // The process may exit between the signal and the read: no /proc entry is gone too.
      let stat: string
      try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8') } catch { continue }
      if (/^\d+ \(.*\) Z/.test(stat)) continue
    }
    return true
  }
  return false
}

async function leftRunning(entries: readonly Entry[]): Promise<Entry[]> {
  const deadline = Date.now() + 5000
  for (;;) {
    const left = entries.filter((e) => running(e.pid))
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((r) => setTimeout(r, 100))
  }
}

function expectEveryKind(entries: readonly Entry[], what: string): void {
  for (const k of KINDS) expect(entries.some((e) => e.kind === k), `${what}: no ${k} in the ledger ${JSON.stringify(entries)}. ${REPRO}`).toBe(true)
  expect(entries.filter((e) => e.kind === 'next').length, `${what}: two next start instances. ${REPRO}`).toBeGreaterThanOrEqual(2)
}

describe('every process the live driver starts is stopped by pid', () => {
  test('when k6 fails (a k6 that exits 3 mid-load)', async () => {
    const out = join(DIR, 'k6-fails')
    rmSync(out, { recursive: true, force: true })
    const fakeK6 = join(DIR, 'k6-fails.sh')
    writeFileSync(fakeK6, '#!/bin/sh\nsleep 2\necho "k6: simulated failure" >&2\nexit 3\n')
    chmodSync(fakeK6, 0o755)
    const err = await runLive({ scenario: SCENARIO, outDir: out, next: '16', replications: 1, cacheHeader: 'x-nextjs-cache', log: () => {}, k6Bin: fakeK6 }).catch((e: unknown) => e)
    expect(err, REPRO).toBeInstanceOf(LiveError)
    expect((err as Error).message).toMatch(/k6 failed \(exit 3\)/)
    const entries = ledger(out)
    expectEveryKind(entries, 'k6 failed')
    expect(await leftRunning(entries), `still running after k6 failed. ${REPRO}`).toEqual([])
  }, 240_000)

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`when the driver gets ${signal} while k6 runs`, async () => {
      const out = join(DIR, signal.toLowerCase())
      rmSync(out, { recursive: true, force: true })
      const p = spawn(process.execPath, [join(ROOT, 'bin/isrsim.js'), 'loadtest', SCENARIO, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stderr = ''
      p.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)))
      // Wait until k6 has run a few seconds (the ledger names it), then signal the driver.
      const deadline = Date.now() + 200_000
      let k6At = 0
      while (Date.now() < deadline && p.exitCode === null) {
        if (k6At === 0 && ledger(out).some((e) => e.kind === 'k6')) k6At = Date.now()
        if (k6At > 0 && Date.now() - k6At > 3000) break
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(k6At, `k6 never started; the driver said:\n${stderr.slice(-2000)}\n${REPRO}`).toBeGreaterThan(0)
      const before = ledger(out)
      expect(before.filter((e) => running(e.pid)).map((e) => e.kind).sort(), `every kind running before ${signal}. ${REPRO}`).toEqual(expect.arrayContaining([...KINDS]))
      p.kill(signal)
      expect(await exited, `the driver's exit code after ${signal}. ${REPRO}`).toBe(130)
      const entries = ledger(out)
      expectEveryKind(entries, signal)
      expect(await leftRunning(entries), `still running after ${signal} to the driver. ${REPRO}`).toEqual([])
    }, 240_000)
  }
})
