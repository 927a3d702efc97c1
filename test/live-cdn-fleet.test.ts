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
 * 3. scenarios/live/cdn-fleet.json through `isrsim loadtest`: 2 PoPs, 2 next start 16.4.6 with
 *    local caches; every check of the verdict inside its predicted range, the CDN layer within 2
 *    points, the balancer's sequence round-robin, and what reached Next request by request
 *    against the model's trace.
 *
 * Reproduce: flock /tmp/isrsim-heavy.lock npx vitest run test/live-cdn-fleet.test.ts
 *            isrsim loadtest scenarios/live/cdn-fleet.json --out out/live/cdn-fleet
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
import { compareRoundRobin, type Balancing } from '../loadtest/balancing.ts'
import { ensureK6, ensureNext, ROOT } from '../loadtest/live.ts'
import type { Observed } from '../loadtest/verify.ts'
import { startNginx } from '../loadtest/services/nginx.ts'
import { CDN_STATUS_HEADER, startCdnFor } from '../loadtest/services/nginx-cdn.ts'
import { failed, liveRun, repro } from './live-helpers.ts'

const LOAD_TIMEOUT_MS = 400_000
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

interface TopologyJson { readonly instances: number; readonly upstreams: readonly string[]; readonly balancing: Balancing }

/** The balancer's upstream log: per request that reached Next, in arrival order, URI, instance and x-nextjs-cache. */
function reachedNext(out: string, upstreams: readonly string[]): { uri: string; instance: number; cache: string }[] {
  const re = /^(\d+\.\d+) (\d+\.\d+) "GET (\S+)" \d+ "([^",]+)[^"]*" "([^"]*)"/
  return readFileSync(join(out, 'nginx/upstream.log'), 'utf8').split('\n').flatMap((l) => {
    const m = re.exec(l)
    if (!m || m[3]!.startsWith('/__isrsim')) return []
    return [{ at: Number(m[1]) - Number(m[2]), uri: m[3]!, instance: upstreams.indexOf(m[4]!), cache: m[5]! }]
  }).sort((a, b) => a.at - b.at).map(({ uri, instance, cache }) => ({ uri, instance, cache }))
}

describe('live (k) over a fleet: 2 PoPs in front of 2 next start 16.4.6 with local caches', () => {
  beforeAll(() => {
    ensureK6(() => {})
    ensureNext('16', () => {})
  }, 600_000)

  it('scenarios/live/cdn-fleet.json: every check inside its predicted range; the CDN layer within 2 points; the balancer round-robin over what the PoPs forward', async () => {
    const r = await liveRun('cdn-fleet')
    const why = repro('cdn-fleet')
    expect(failed(r.verdict), `${why}; verdict ${r.files.verdict}`).toEqual([])
    const o = r.observed
    expect(o.droppedIterations, why).toBe(0)
    expect(o.cdn!.unknownStatus, why).toBe(0)
    const checks = r.verdict.checks
    for (const m of ['CDN HIT fraction', 'CDN STALE fraction', 'CDN MISS fraction']) {
      const c = checks.find((x) => x.scope === 'cdn' && x.metric === m)
      expect(c, `${m} checked. ${why}`).toBeDefined()
      expect(Math.abs(c!.observed - c!.predicted), `${m}: observed ${c!.observed}, predicted ${c!.predicted}. ${why}`).toBeLessThanOrEqual(0.02)
    }
    expect(checks.find((x) => x.scope === 'cdn' && x.metric === 'origin requests')?.verdict, why).toBe('PASS')
    // Each PoP's log was kept; their merge is what reached Next.
    for (const k of [0, 1]) expect(existsSync(join(r.out, `cdn-access.pop${k}.log`)), why).toBe(true)
    // The dynamic page passes through both PoPs and the balancer: every request reached Next.
    expect(o.next!.routes.account!.dynamic, why).toBe(o.routes.account!.requests)
    // The balancer (one worker) sent the n-th request reaching it to instance n mod 2.
    const t = JSON.parse(readFileSync(join(r.out, 'topology.json'), 'utf8')) as TopologyJson
    expect(t.instances, why).toBe(2)
    expect(t.balancing.compared, why).toBe(o.next!.originRequests)
    expect(t.balancing.unexplained, `${why}; ${JSON.stringify(t.balancing)}`).toBe(0)
    expect(t.balancing.agreement, why).toBe(1)
    // Request by request, what reached Next is the model's: same URI, instance and Next's answer
    // (the calibrated scenario's trace; forwards are never planned closer than 0.2 s apart).
    const model: { uri: string; instance: number; cache: string }[] = []
    const s = parseScenario(JSON.parse(readFileSync(r.files.calibrated, 'utf8')))
    const plan = JSON.parse(readFileSync(r.files.plan, 'utf8')) as RequestPlan
    const urlOf = new Map(plan.routes.map((x) => [x.id, x.paths[0]!]))
    runScenario(s, { trace: (e) => { if (e.kind === 'request') model.push({ uri: urlOf.get(e.route)!, instance: e.instance, cache: e.outcome === 'dynamic' ? '-' : e.outcome.toUpperCase() }) } })
    const live = reachedNext(r.out, t.upstreams)
    const differ = live.map((x, i) => ({ i, live: x, model: model[i] })).filter((d) => JSON.stringify(d.live) !== JSON.stringify(d.model))
    expect(differ, `${why}: requests reaching Next that differ from the model's (${live.length} live, ${model.length} model)`).toEqual([])
    expect(live.length, why).toBe(model.length)
  }, LOAD_TIMEOUT_MS)
})
