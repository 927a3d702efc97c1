/**
 * Live check (k) over a fleet (issue 18): nginx proxy_cache as a CDN with several PoPs, in front
 * of the balancing nginx and several next start instances with local caches (§16, §8).
 *
 * 1. The plan names each user's request's PoP (the model's draw from 'balancer/cdn'), only with
 *    pops > 1, and a prediction with --same-traffic keeps those draws (they are traffic).
 * 2. The services alone: two CDN nginx (startCdnFor) in front of the real balancing nginx in
 *    front of two small upstreams answering as next start: each PoP its own cache, the balancer
 *    round-robin over what the PoPs forward, the PoPs' logs merged into Next's layer, every nginx
 *    stopped.
 * 3. The live run of scenarios/live/cdn-fleet.json is in test/live-cdn.test.ts, at once with
 *    live (k) on one instance.
 *
 * Reproduce: npx vitest run test/live-cdn-fleet.test.ts
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RequestPlan } from '../sim/contract.ts'
import { parseScenario } from '../sim/index.ts'
import { requestPlan } from '../sim/plan.ts'
import { runScenario } from '../sim/run.ts'
import { compareRoundRobin } from '../loadtest/balancing.ts'
import { ROOT } from '../loadtest/live.ts'
import type { Observed } from '../loadtest/verify.ts'
import { startNginx } from '../loadtest/services/nginx.ts'
import { CDN_STATUS_HEADER, startCdnFor } from '../loadtest/services/nginx-cdn.ts'

const FLEET = join(ROOT, 'scenarios/live/cdn-fleet.json')
const fleet = () => JSON.parse(readFileSync(FLEET, 'utf8')) as Record<string, unknown> & { deployment: Record<string, unknown> }
const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }

describe('the plan with several PoPs', () => {
  it('names the PoP of every user request, the model\'s own draw (its \'cdn\' trace events), only with pops > 1', () => {
    const s = parseScenario(fleet())
    const plan = requestPlan(s)
    const drawn = new Map<string, number[]>()
    runScenario(s, { trace: (e) => { if (e.kind === 'cdn') drawn.set(e.route, [...(drawn.get(e.route) ?? []), e.pop]) } })
    const why = 'reproduce: isrsim plan scenarios/live/cdn-fleet.json'
    for (const r of plan.routes) {
      expect(r.pop, `${r.id}: ${why}`).toEqual(drawn.get(r.id))
      expect(r.pop!.length, why).toBe(r.paths.length)
      // Both PoPs get a share of each route (a uniform draw over 60 requests).
      expect(r.pop!.filter((p) => p === 1).length, why).toBeGreaterThan(15)
      expect(r.pop!.filter((p) => p === 0).length, why).toBeGreaterThan(15)
      // Behind a CDN a user's request has no instance: only what the CDN forwards reaches one.
      expect(r.instance, why).toBeUndefined()
    }
    const one = requestPlan(parseScenario({ ...fleet(), deployment: { cdn: { pops: 1 } } }))
    const none = requestPlan(parseScenario({ ...fleet(), deployment: {} }))
    for (const p of [one, none]) for (const r of p.routes) expect('pop' in r, why).toBe(false)
    expect(JSON.stringify(one.routes.map((r) => r.paths))).toBe(JSON.stringify(plan.routes.map((r) => r.paths)))
  })

  it('--same-traffic keeps the PoP draws (replications redraw only what is not traffic), without it they are redrawn', () => {
    const s = parseScenario(fleet())
    const same = runScenario(s, { replications: 4, sameTraffic: true }).intervals!.cdn!
    const free = runScenario(s, { replications: 4 }).intervals!.cdn!
    const why = 'reproduce: isrsim run scenarios/live/cdn-fleet.json --replications 4 [--same-traffic] --json'
    // The schedule is fixed and renders take a fixed time: with the draws kept, every replication is the plan's.
    expect(same.hit?.sd, why).toBe(0)
    expect(same.originRequests?.sd, why).toBe(0)
    expect((free.hit?.sd ?? 0) + (free.originRequests?.sd ?? 0), why).toBeGreaterThan(0)
  })
})

describe('the CDN services: two PoPs in front of the balancing nginx in front of two upstreams answering as next start', () => {
  const servers: Server[] = []
  const calls: string[][] = [[], []]
  const dir = mkdtempSync(join(tmpdir(), 'isrsim-cdn-fleet-'))
  beforeAll(async () => {
    for (const k of [0, 1]) {
      const s = createServer((req, res) => {
        calls[k]!.push(req.url ?? '')
        const n = calls[k]!.filter((u) => u === req.url).length
        res.writeHead(200, { 'cache-control': 's-maxage=30, stale-while-revalidate=31535970', 'x-nextjs-cache': n === 1 ? 'MISS' : 'HIT', 'content-type': 'text/html' })
        res.end(`instance ${k} ${req.url} ${n}`)
      })
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
      servers.push(s)
    }
  })
  afterAll(() => {
    for (const s of servers) s.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('each PoP has its own cache, the balancer sends what they forward round-robin, their logs merge into Next\'s layer, every nginx is stopped', async () => {
    const upstreams = servers.map((s) => `127.0.0.1:${(s.address() as AddressInfo).port}`)
    const balancer = await startNginx({ upstreams, dir: join(dir, 'nginx'), balancer: 'round-robin', nextUpstream: 'error' })
    const plan = { spec: { deployment: { instances: 2, cdn: { pops: 2 } } }, routes: [{ id: 'a', paths: ['/a', '/b'] }] } as unknown as RequestPlan
    const started: [number, number][] = []
    const cdn = (await startCdnFor(plan, balancer.url, join(dir, 'cdn'), () => {}, (pid, pop) => started.push([pid, pop])))!
    const got: string[] = []
    try {
      expect(cdn.urls.length).toBe(2)
      expect(started.map(([, pop]) => pop)).toEqual([0, 1])
      expect(cdn.pids).toEqual(started.map(([pid]) => pid))
      expect(cdn.url).toBe(cdn.urls[0])
      expect(cdn.k6Args).toEqual(['-e', `CDN_HEADER=${CDN_STATUS_HEADER}`, '-e', `POP_URLS=${cdn.urls.join(',')}`])
      // Sequentially: PoP 0 /a, PoP 1 /a, PoP 0 /a, PoP 1 /a, PoP 1 /b, PoP 0 /b.
      for (const [pop, path] of [[0, '/a'], [1, '/a'], [0, '/a'], [1, '/a'], [1, '/b'], [0, '/b']] as const) {
        const r = await fetch(`${cdn.urls[pop]}${path}`)
        got.push(`${pop}${path} ${r.headers.get(CDN_STATUS_HEADER)} ${await r.text()}`)
      }
    } finally {
      await cdn.stop().catch(() => undefined)
    }
    const why = `responses: ${JSON.stringify(got)}; reproduce: npx vitest run test/live-cdn-fleet.test.ts`
    // Each PoP misses /a once (its own cache), then hits; the balancer alternates over the four forwards.
    expect(got, why).toEqual([
      '0/a MISS instance 0 /a 1',
      '1/a MISS instance 1 /a 1',
      '0/a HIT instance 0 /a 1',
      '1/a HIT instance 1 /a 1',
      '1/b MISS instance 0 /b 1',
      '0/b MISS instance 1 /b 1',
    ])
    const out = join(dir, 'out')
    mkdirSync(out, { recursive: true })
    const obs = await cdn.finish({ routes: {} } as unknown as Observed, out)
    await balancer.stop()
    expect(started.every(([pid]) => !alive(pid)), why).toBe(true)
    expect(existsSync(join(out, 'cdn-access.pop0.log')) && existsSync(join(out, 'cdn-access.pop1.log')), why).toBe(true)
    const merged = readFileSync(join(out, 'cdn-access.log'), 'utf8').trim().split('\n')
    expect(merged.length, why).toBe(6)
    const times = merged.map((l) => Number(l.split(' ')[0]))
    expect(times, why).toEqual([...times].sort((a, b) => a - b))
    expect(obs.next, why).toEqual({ originRequests: 4, backgroundUpdates: 0, unmatched: 0, routes: { a: { requests: 4, hit: 0, stale: 0, miss: 4, dynamic: 0, notFound: 0, error: 0 } } })
    const b = compareRoundRobin(balancer.upstreamLog, upstreams)
    expect(b, why).toMatchObject({ compared: 4, agreed: 4, unexplained: 0, retried: 0, perInstance: [{ instance: 0, model: 2, nginx: 2 }, { instance: 1, model: 2, nginx: 2 }] })
  }, 60_000)
})
