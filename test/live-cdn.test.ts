/**
 * Live check (k) of issue 18: nginx's proxy_cache as a CDN in front of next start (§16).
 *
 * 1. The CDN service alone (loadtest/services/nginx-cdn.ts), on Debian's nginx 1.22 in front of
 *    a small upstream that answers as next start does (Cache-Control s-maxage/
 *    stale-while-revalidate, x-nextjs-cache; `private, no-store` for a dynamic page): what the
 *    CDN layer does, and that its access log gives Next's layer (background updates included).
 * 2. scenarios/live/cdn.json through `isrsim loadtest`: one next start 16.4.6 behind it, k6
 *    reading X-Cache-Status; every check of the verdict inside its predicted range, the CDN's
 *    hit/stale/miss within 2 points.
 * 3. At the same time (describe.concurrent, 3 req/s each), scenarios/live/cdn-fleet.json: 2 PoPs
 *    in front of the balancing nginx and 2 next start 16.4.6 with local caches; every check
 *    inside its range, the CDN layer within 2 points, the balancer's sequence round-robin, and
 *    what reached Next request by request against the model's trace. Alone and together they
 *    gave the same verdicts (loadtest/README.md).
 *
 * Reproduce: flock /tmp/isrsim-heavy.lock npx vitest run test/live-cdn.test.ts
 *            isrsim loadtest scenarios/live/cdn.json --out out/live/cdn
 *            isrsim loadtest scenarios/live/cdn-fleet.json --out out/live/cdn-fleet
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RequestPlan } from '../sim/contract.ts'
import { parseScenario } from '../sim/index.ts'
import { requestPlan } from '../sim/plan.ts'
import { runScenario } from '../sim/run.ts'
import type { Balancing } from '../loadtest/balancing.ts'
import { BUILD_AGE_UNCERTAINTY_S, neighbourBuildAgesS } from '../loadtest/build-age.ts'
import { checkSupported, ensureK6, ensureNext, LiveError, ROOT } from '../loadtest/live.ts'
import { CDN_STATUS_HEADER, MAX_LIVE_POPS, readCdnAccessLog, startCdn } from '../loadtest/services/nginx-cdn.ts'
import { failed, liveRun, repro, type LiveRun } from './live-helpers.ts'

const LOAD_TIMEOUT_MS = 800_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the CDN service: real nginx proxy_cache in front of an upstream answering as next start', () => {
  let upstream: Server
  let calls: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'isrsim-cdn-'))
  beforeAll(async () => {
    upstream = createServer((req, res) => {
      calls.push(req.url ?? '')
      const n = calls.filter((u) => u === req.url).length
      setTimeout(() => {
        if (req.url === '/account') {
          res.writeHead(200, { 'cache-control': 'private, no-cache, no-store, max-age=0, must-revalidate', 'content-type': 'text/html' })
          res.end(`account ${n}`)
          return
        }
        // Next 16's answer for revalidate 2 and the default expire (a year): s-maxage=2, stale-while-revalidate=E-R.
        res.writeHead(200, { 'cache-control': 's-maxage=2, stale-while-revalidate=31535998', 'x-nextjs-cache': n === 1 ? 'MISS' : 'STALE', vary: 'rsc, Accept-Encoding', 'content-type': 'text/html' })
        res.end(`page ${n}`)
      }, 200)
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
  })
  afterAll(() => {
    upstream.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('HIT for s-maxage (in whole seconds), then STALE at once with one background update, a lock on a miss, private answers passed through; its log is Next\'s layer', async () => {
    calls = []
    const cdn = await startCdn({ upstream: `127.0.0.1:${(upstream.address() as AddressInfo).port}`, dir: join(dir, 'cdn') })
    const seen: { atMs: number; status: string; body: string; ms: number }[] = []
    const t0 = Date.now()
    const get = async (path: string) => {
      const t = Date.now()
      const r = await fetch(`${cdn.url}${path}`)
      const body = await r.text()
      seen.push({ atMs: t - t0, status: r.headers.get(CDN_STATUS_HEADER) ?? '', body, ms: Date.now() - t })
    }
    try {
      // Two users at once on a cold path: one asks Next, the other waits for its answer (proxy_cache_lock).
      await Promise.all([get('/a'), get('/a')])
      for (let i = 0; i < 15; i++) { await sleep(400); await get('/a') }
      await get('/account')
      await get('/account')
      await sleep(300) // the last background update
    } finally {
      await cdn.stop()
    }
    const why = `statuses: ${JSON.stringify(seen)}; reproduce: npx vitest run test/live-cdn.test.ts`
    expect(seen.slice(0, 2).map((s) => s.status).sort(), why).toEqual(['HIT', 'MISS'])
    expect(seen[0]!.body).toBe('page 1')
    expect(seen[1]!.body).toBe('page 1')
    const a = seen.slice(2, 17)
    const stale = a.filter((s) => s.status === 'STALE')
    // s-maxage 2 from a store at about 0.2 s: fresh until the whole second after 2.2 s (nginx keeps whole seconds), never before 2 s.
    expect(stale.length, why).toBeGreaterThanOrEqual(1)
    expect(stale.length, why).toBeLessThanOrEqual(3)
    expect(stale[0]!.atMs, why).toBeGreaterThanOrEqual(2000)
    expect(stale[0]!.atMs, why).toBeLessThan(3800)
    // A STALE answer is the old copy at once (the update runs in the background), and the next one has the update.
    for (const s of stale) expect(s.ms, why).toBeLessThan(150)
    expect(a.every((s) => s.status === 'HIT' || s.status === 'STALE'), why).toBe(true)
    expect(seen.slice(17).map((s) => s.status), why).toEqual(['MISS', 'MISS'])
    expect(seen.slice(17).map((s) => s.body)).toEqual(['account 1', 'account 2'])
    // Next saw the first miss, one background update per STALE, and both private requests.
    expect(calls.filter((u) => u === '/a').length, why).toBe(1 + stale.length)
    const plan = { routes: [{ id: 'a', paths: ['/a'] }, { id: 'account', paths: ['/account'] }] } as unknown as RequestPlan
    const next = readCdnAccessLog(cdn.accessLog, plan)
    expect(next.originRequests, why).toBe(calls.length)
    expect(next.backgroundUpdates, why).toBe(stale.length)
    expect(next.routes.a, why).toEqual({ requests: 1 + stale.length, hit: 0, stale: stale.length, miss: 1, dynamic: 0, notFound: 0, error: 0 })
    expect(next.routes.account).toEqual({ requests: 2, hit: 0, stale: 0, miss: 0, dynamic: 2, notFound: 0, error: 0 })
  }, 60_000)
})

describe('the plan behind a CDN', () => {
  it('holds the users\' requests (every one the CDN gets), not only those that reach Next', () => {
    const s = parseScenario(JSON.parse(readFileSync(join(ROOT, 'scenarios/live/cdn.json'), 'utf8')))
    const plan = requestPlan(s)
    expect(plan.routes.map((r) => [r.id, r.paths.length]), 'reproduce: isrsim plan scenarios/live/cdn.json').toEqual([['home', 60], ['pricing', 60], ['account', 60]])
  })

  it('keeps who sent each request: a crawler\'s request at the edge is the crawler\'s, as without a CDN', () => {
    const one = { name: 'c', durationS: 60, routes: [{ id: 'p', pattern: '/p', revalidateS: 10, renderS: 0.1, traffic: { rps: 1, crawlers: [{ name: 'Googlebot', revisitS: 5 }] } }] }
    const plain = requestPlan(parseScenario(one)).routes[0]!
    const edge = requestPlan(parseScenario({ ...one, deployment: { cdn: { pops: 1 } } })).routes[0]!
    expect(plain.agent!.filter((a) => a === 1).length).toBe(12) // 60 s / 5 s revisits
    expect(edge.agents).toEqual(plain.agents)
    expect(edge.agent).toEqual(plain.agent)
    expect(edge.paths).toEqual(plain.paths)
  })

  it('accepts several PoPs and a CDN over several instances; refuses more PoPs than it starts nginx for (exit 2, naming the field)', () => {
    const base = JSON.parse(readFileSync(join(ROOT, 'scenarios/live/cdn.json'), 'utf8')) as { deployment: Record<string, unknown> }
    const refusal = (deployment: Record<string, unknown>) => {
      try { checkSupported(requestPlan(parseScenario({ ...base, deployment })), '16'); return undefined } catch (e) { return e as LiveError }
    }
    expect(refusal({ cdn: { pops: 1 } })).toBeUndefined()
    expect(refusal({ cdn: { pops: 3 } })).toBeUndefined()
    expect(refusal({ cdn: { pops: 2 }, instances: 3, cache: 'local' })).toBeUndefined()
    expect(refusal({ cdn: { pops: MAX_LIVE_POPS } })).toBeUndefined()
    const many = refusal({ cdn: { pops: MAX_LIVE_POPS + 1 } })
    expect(many?.exitCode).toBe(2)
    expect(many?.message).toBe(`deployment.cdn.pops: ${MAX_LIVE_POPS + 1} is more than the live suite starts; allowed: 1 to ${MAX_LIVE_POPS} (one nginx proxy_cache per PoP on this machine)`)
  })
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

/** Both live (k) runs: no dropped iterations, every response's CDN status known, the CDN's hit/stale/miss within 2 points, its origin requests in range. */
function expectCdnLayer(r: LiveRun, why: string): void {
  const o = r.observed
  expect(o.droppedIterations, why).toBe(0)
  expect(o.cdn, why).toBeDefined()
  expect(o.cdn!.unknownStatus, why).toBe(0)
  const checks = r.verdict.checks
  for (const m of ['CDN HIT fraction', 'CDN STALE fraction', 'CDN MISS fraction']) {
    const c = checks.find((x) => x.scope === 'cdn' && x.metric === m)
    expect(c, `${m} checked. ${why}`).toBeDefined()
    expect(Math.abs(c!.observed - c!.predicted), `${m}: observed ${c!.observed}, predicted ${c!.predicted}. ${why}`).toBeLessThanOrEqual(0.02)
  }
  expect(checks.find((x) => x.scope === 'cdn' && x.metric === 'origin requests')?.verdict, why).toBe('PASS')
}

describe.concurrent('live (k): nginx as a CDN in front of next start 16.4.6, k6 per layer; on one instance and over a fleet, at once', () => {
  // Installed once before the two runs start, which would otherwise both install on first use.
  beforeAll(() => {
    ensureK6(() => {})
    ensureNext('16', () => {})
  }, 600_000)

  it('(k) scenarios/live/cdn.json: every check inside its predicted range; the CDN layer within 2 points', async () => {
    const r = await liveRun('cdn')
    const why = repro('cdn')
    expect(failed(r.verdict), why).toEqual([])
    expectCdnLayer(r, why)
    const o = r.observed
    // The dynamic page's private, no-store answer passes through: every request reached Next.
    expect(o.next!.routes.account!.requests, why).toBe(o.routes.account!.requests)
    expect(o.next!.routes.account!.dynamic, why).toBe(o.routes.account!.requests)
    // Behind the CDN, Next sees a fraction of the ISR pages' requests: the first miss and the background updates.
    expect(o.next!.routes.home!.requests, why).toBeLessThan(o.routes.home!.requests / 4)
  }, LOAD_TIMEOUT_MS)

  it('(k) over a fleet, scenarios/live/cdn-fleet.json: every check inside its predicted range; the CDN layer within 2 points; the balancer round-robin over what the PoPs forward', async () => {
    const r = await liveRun('cdn-fleet')
    const why = repro('cdn-fleet')
    expect(failed(r.verdict), `${why}; verdict ${r.files.verdict}`).toEqual([])
    expectCdnLayer(r, why)
    const o = r.observed
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
    // (the calibrated scenario's trace; forwards are never planned closer than 0.2 s apart), at the
    // measured build age or one of its neighbours (loadtest/build-age.ts: the pages' age is known to
    // ±0.25 s, and a page whose revalidate boundary falls that close answers STALE for HIT).
    const calibrated = JSON.parse(readFileSync(r.files.calibrated, 'utf8')) as { buildAgeS?: number }
    const plan = JSON.parse(readFileSync(r.files.plan, 'utf8')) as RequestPlan
    const urlOf = new Map(plan.routes.map((x) => [x.id, x.paths[0]!]))
    const traceAt = (buildAgeS: number) => {
      const model: { uri: string; instance: number; cache: string }[] = []
      runScenario(parseScenario({ ...calibrated, buildAgeS }), { trace: (e) => { if (e.kind === 'request') model.push({ uri: urlOf.get(e.route)!, instance: e.instance, cache: e.outcome === 'dynamic' ? '-' : e.outcome.toUpperCase() }) } })
      return model
    }
    const measuredS = calibrated.buildAgeS ?? 0
    const live = reachedNext(r.out, t.upstreams)
    const differs = (model: readonly unknown[]) => live.map((x, i) => ({ i, live: x, model: model[i] })).filter((d) => JSON.stringify(d.live) !== JSON.stringify(d.model))
    const model = traceAt(measuredS)
    const agrees = [model, ...neighbourBuildAgesS(measuredS).map((n) => traceAt(n.buildAgeS))].some((m) => m.length === live.length && differs(m).length === 0)
    expect(agrees, `${why}: the requests reaching Next differ from the model's at build age ${measuredS} s and at ±${BUILD_AGE_UNCERTAINTY_S} s (${live.length} live, ${model.length} model at ${measuredS} s; there: ${JSON.stringify(differs(model).slice(0, 6))})`).toBe(true)
  }, LOAD_TIMEOUT_MS)
})
