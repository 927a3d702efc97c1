/**
 * Fast mode's contract and its split (docs/fast-mode.md): `--mode`, `mode` and
 * `routes.<id>.mode` / `exactBecause` in the result, the reasons per blocking feature, and the
 * exact half of a mixed run being exactly the exact run of those routes (stream isolation).
 * The statistical agreement of the fast half with exact mode is test/fast-mode*.test.ts's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import catalogue from '../scenarios/catalogue.ts'
import type { RouteResult } from '../sim/contract.ts'
import { resolveRoutes } from '../sim/isr/entries.ts'
import { exactMemory } from '../sim/isr/exact-memory.ts'
import { deployTimes } from '../sim/isr/fast-paths.ts'
import { fastPlan, routeBlocker, scenarioBlocker } from '../sim/isr/fast-eligibility.ts'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { cli } from './cli-run.ts'

const TMP = mkdtempSync(join(tmpdir(), 'isrsim-fast-split-'))
const base: ScenarioInput = { ...catalogue, durationS: 900, warmupS: 60 }

/** The catalogue plus a route whose pages share a fetch's one URL (the Data Cache keeps it: one entry couples the pages, so exact). */
const mixed: ScenarioInput = {
  ...base,
  routes: [...base.routes, { id: 'feed', pattern: '/feed/[page]', revalidateS: 60, renderS: 0.2, params: { count: 20 }, fetches: [{ id: 'cms', revalidateS: 30, latencyS: 0.05 }], traffic: { rps: 5 } }],
}

const strip = (r: RouteResult) => { const { mode: _m, exactBecause: _e, ...rest } = r; return rest }

describe('a mixed run', () => {
  it('runs the eligible routes fast and the route with a fetch exact, saying why', () => {
    const r = runScenario(parseScenario(mixed), { mode: 'auto' })
    expect(r.mode).toBe('auto')
    expect(Object.fromEntries(Object.entries(r.routes).map(([id, x]) => [id, x.mode]))).toEqual({ home: 'fast', product: 'fast', category: 'fast', search: 'fast', feed: 'exact' })
    expect(r.routes.feed!.exactBecause).toMatch(/^fetches: /)
    expect(r.routes.home!.exactBecause).toBeUndefined()
  })

  it('its exact route is, figure for figure, that route in a run of the whole scenario in exact mode', () => {
    const s = parseScenario(mixed)
    for (const seed of ['1', 'b7']) {
      const auto = runScenario(s, { mode: 'auto', seed })
      const exact = runScenario(s, { mode: 'exact', seed })
      expect(strip(auto.routes.feed!), `reproduce: isrsim run <mixed> --seed ${seed} --mode auto`).toEqual(strip(exact.routes.feed!))
      expect(auto.fetches).toEqual(exact.fetches)
      // ...and every route's requests add up: the totals are the routes' sums.
      expect(auto.totals.requests).toBe(Object.values(auto.routes).reduce((n, x) => n + x.requests, 0))
      expect(auto.totals.renders).toBe(Object.values(auto.routes).reduce((n, x) => n + x.renders, 0))
    }
  })

  it('--mode exact runs every route exact and records no reason', () => {
    const r = runScenario(parseScenario(mixed), { mode: 'exact' })
    expect(r.mode).toBe('exact')
    expect(Object.values(r.routes).every((x) => x.mode === 'exact' && x.exactBecause === undefined)).toBe(true)
  })
})

describe('what keeps a route or a scenario exact', () => {
  const one = (over: Partial<ScenarioInput>, route: Record<string, unknown> = {}) =>
    parseScenario({ ...base, ...over, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 10 }, traffic: { rps: 5 }, ...route }] } as ScenarioInput)
  const scenarioCases: [string, Partial<ScenarioInput>, RegExp][] = [
    ['several instances, round-robin', { deployment: { instances: 2 } }, /^deployment\.instances 2 with balancer "round-robin"/],
    ['a shared cache', { deployment: { cache: 'shared' } }, /^deployment\.cache "shared"/],
    ['a CDN', { deployment: { cdn: { pops: 1 } } }, /^deployment\.cdn/],
    ['Vercel', { deployment: { platform: 'vercel' } }, /^deployment\.platform "vercel"/],
    ['render concurrency', { deployment: { renderConcurrency: 2 } }, /^deployment\.renderConcurrency 2/],
  ]
  it.each(scenarioCases)('%s keeps the whole scenario exact', (_name, over, reason) => {
    const s = one(over)
    expect(scenarioBlocker(s)).toMatch(reason)
    const plan = fastPlan(s, resolveRoutes(s), 'fast')
    expect(plan.anyFast).toBe(false)
  })
  const routeCases: [string, Record<string, unknown>, RegExp][] = [
    ['a fetch', { fetches: [{ id: 'x', revalidateS: 30 }] }, /^fetches/],
    ['evenly spaced arrivals', { traffic: { rps: 5, arrivals: 'uniform' } }, /^traffic\.arrivals "uniform"/],
    ['a \'use cache\' function every path shares', { fetches: [{ id: 'x', kind: 'use cache' }] }, /^fetches: fetch "x" has one key for every path/],
  ]
  it('purges run fast, replayed per path with the calls (fast-tags.ts), also beside a route that runs exact', () => {
    const s = one({ purges: [{ atS: 10 }, { prefix: '/p/1', everyS: 30 }] })
    expect(scenarioBlocker(s)).toBeNull()
    expect(fastPlan(s, resolveRoutes(s), 'auto').exactBecause).toEqual([null])
    const m = parseScenario({ ...mixed, purges: [{ everyS: 100 }] } as ScenarioInput)
    expect(fastPlan(m, resolveRoutes(m), 'auto').exactBecause.filter((x) => x === null)).toHaveLength(4)
  })
  it('on-demand calls run fast, replayed per path (fast-tags.ts); one that reaches a \'use cache\' entry keeps its route exact, and with it every route', () => {
    const calls = { onDemand: [{ kind: 'revalidatePath', path: '/p/1', atS: 10 }, { kind: 'revalidateTag', tag: 'items', everyS: 100 }] } as Partial<ScenarioInput>
    const tagged = one(calls, { fetches: [{ id: 'x', revalidateS: 30, perPath: true, tags: ['items'] }] })
    expect(scenarioBlocker(tagged)).toBeNull()
    expect(fastPlan(tagged, resolveRoutes(tagged), 'auto').exactBecause).toEqual([null])
    // §14.5: res.revalidate renders its Pages path at the call, which fast mode does not carry.
    const pages = one({ onDemand: [{ kind: 'res.revalidate', path: '/p/1', atS: 10 }] }, { router: 'pages' })
    expect(scenarioBlocker(pages)).toMatch(/^onDemand\[0\] res\.revalidate: the call renders its Pages path at once/)
    const cached = one(calls, { fetches: [{ id: 'x', kind: 'use cache', perPath: true, tags: ['items'] }] })
    expect(routeBlocker(cached, 0, resolveRoutes(cached)[0]!)).toMatch(/^onDemand\[0\] reaches route "p", whose fetch "x" keeps a 'use cache' entry/)
    // The calls fire once for the run and count over every route: a route run exact keeps the others exact.
    const m = parseScenario({ ...mixed, onDemand: [{ kind: 'revalidatePath', path: '/', atS: 10 }] } as ScenarioInput)
    const plan = fastPlan(m, resolveRoutes(m), 'auto')
    expect(plan.anyFast).toBe(false)
    expect(plan.exactBecause[0]).toMatch(/^onDemand: the calls fire once for every route, and route "feed" runs exact \(fetches: /)
  })
  it.each(routeCases)('%s keeps its route exact', (_name, route, reason) => {
    const s = one({}, route)
    expect(scenarioBlocker(s)).toBeNull()
    expect(routeBlocker(s, 0, resolveRoutes(s)[0]!)).toMatch(reason)
  })
  it('a cached route handler (§15.1), a \'use cache\' page and layout (cacheLife, §12.2) and segment config (§15.2, §15.3) run fast, with the revalidate and expire they set', () => {
    const cases: [Record<string, unknown>, number | false, number | undefined][] = [
      [{ kind: 'route-handler', revalidateS: 30 }, 30, undefined],
      [{ cacheLife: 'minutes' }, 60, 3600],
      [{ layouts: [{ cacheLife: { revalidateS: 20, expireS: 200 } }] }, 20, 200],
      [{ segmentConfig: { dynamic: 'force-static' }, dynamic: true }, 60, undefined],
      // fetchCache force-no-store: the fetch is no-store and makes the route dynamic; it is then an origin call per request.
      [{ segmentConfig: { fetchCache: 'force-no-store' }, fetches: [{ id: 'x', perPath: true, revalidateS: 30, latencyS: 0.05 }] }, 0, undefined],
    ]
    for (const [route, revalidateS, expireS] of cases) {
      const s = one({}, route)
      const r = runScenario(s, { mode: 'fast' }).routes.p!
      expect([JSON.stringify(route), r.mode, r.exactBecause, r.effectiveRevalidateS, r.effectiveExpireS]).toEqual([JSON.stringify(route), 'fast', undefined, revalidateS, expireS])
    }
  })
  it('a Pages Router page runs fast whatever its fallback (§14.1-§14.3), its fetch() uncached (§14.9), with restarts too (§14.7)', () => {
    for (const fallback of ['blocking', false, true] as const) {
      const s = one({}, { router: 'pages', params: { count: 10, prebuilt: 4, fallback }, fetches: [{ id: 'x', revalidateS: 30 }], traffic: { rps: 5, unknownRate: 1 } })
      expect(fastPlan(s, resolveRoutes(s), 'auto').exactBecause).toEqual([null])
      const fast = runScenario(s, { mode: 'fast' })
      expect(fast.routes.p!.mode).toBe('fast')
      // fallback false: a path that was not prebuilt is a 404 (one-off paths and paths 4-9); "blocking" renders them.
      if (fallback === false) expect(fast.routes.p!.notFound).toBeGreaterThan(fast.routes.p!.requests / 2)
      else expect(fast.routes.p!.notFound).toBe(0)
      // fallback true: the one-off URLs (1 a second, 840 after warmup) and the first visits of paths 4-9 get the shell.
      if (fallback === true) expect(fast.routes.p!.fallback).toBeGreaterThan(760)
      else expect(fast.routes.p!.fallback).toBeUndefined()
      // getStaticProps has no Data Cache: one origin call per render.
      expect(fast.fetches.x!.cached).toBe(false)
      expect(fast.fetches.x!.originFetches).toBe(fast.routes.p!.renders)
      const restarted = one({ restarts: [{ atS: 10 }] }, { router: 'pages', params: { count: 10, fallback } })
      expect(routeBlocker(restarted, 0, resolveRoutes(restarted)[0]!)).toBeNull()
    }
  })
  it('several instances behind a random balancer run fast, crawlers included; with a route that runs exact, every route runs exact', () => {
    const s = one({ deployment: { instances: 3, balancer: 'random' } }, { traffic: { rps: 5, crawlers: [{ name: 'bot', revisitS: 60 }] } })
    expect(scenarioBlocker(s)).toBeNull()
    expect(fastPlan(s, resolveRoutes(s), 'auto').exactBecause).toEqual([null])
    // The balancer's one stream draws for every route in turn: a route run exact apart would draw other numbers.
    const m = parseScenario({ ...mixed, deployment: { instances: 3, balancer: 'random' } })
    const plan = fastPlan(m, resolveRoutes(m), 'auto')
    expect(plan.anyFast).toBe(false)
    expect(plan.exactBecause[0]).toMatch(/^deployment\.instances 3: the balancer draws for every route's requests in turn, and route "feed" runs exact \(fetches: /)
    expect(plan.exactBecause[4]).toMatch(/^fetches: /)
  })
  it('deploys run fast: each starts every path again from the new build', () => {
    const s = one({ deploys: [{ atS: 10 }, { everyS: 20, prerender: false }] })
    expect(scenarioBlocker(s)).toBeNull()
    expect(fastPlan(s, resolveRoutes(s), 'fast').anyExact).toBe(false)
  })
  it('a deploy at t = 0 starts the users\' arrivals at 0, flat or on a daily curve', () => {
    for (const diurnal of [undefined, { hourly: Array.from({ length: 24 }, (_, h) => 1 + (h % 3)) }]) {
      const s = one({ durationS: 600, warmupS: 0, deploys: [{ atS: 0, prerender: false }], ...(diurnal ? { diurnal } : {}) }, { traffic: { rps: 20 } })
      const fast = runScenario(s, { mode: 'fast' }), exact = runScenario(s, { mode: 'exact' })
      // 12,000 expected (times the curve's first hour): the two agree within 5 standard deviations.
      expect(Math.abs(fast.totals.requests - exact.totals.requests), JSON.stringify(diurnal)).toBeLessThan(5 * Math.sqrt(2 * exact.totals.requests))
      expect(fast.totals.requests).toBeGreaterThan(10_000)
    }
  })
  it('restarts on 16.4 run fast: exact mode gives the very same results with and without them (entries stay, 16.4 reads each one\'s cache control back)', () => {
    for (const deployment of [undefined, { instances: 3, balancer: 'random' as const }]) {
      const over = { durationS: 900, ...(deployment ? { deployment } : {}) }
      const withRestarts = one({ ...over, restarts: [{ atS: 200 }, { atS: 450, instance: 0 }, { atS: 700 }] }, { failureRate: 0.2, params: { count: 50, prebuilt: 10 } })
      const without = one(over, { failureRate: 0.2, params: { count: 50, prebuilt: 10 } })
      expect(withRestarts.next.version).toBe('16.4')
      expect(scenarioBlocker(withRestarts)).toBeNull()
      const a = runScenario(withRestarts, { mode: 'exact' }), b = runScenario(without, { mode: 'exact' })
      expect(a.totals.renders).toBeGreaterThan(50)
      expect({ totals: a.totals, routes: a.routes, staleness: a.staleness, series: a.series }).toEqual({ totals: b.totals, routes: b.routes, staleness: b.staleness, series: b.series })
      // On 16.3 the same restarts move the results: paths generated on demand fall back to the 1 s default.
      const v163 = (s: ReturnType<typeof one>) => parseScenario({ ...s, next: { ...s.next, version: '16.3' } } as ScenarioInput)
      expect(runScenario(v163(withRestarts), { mode: 'exact' }).totals).not.toEqual(runScenario(v163(without), { mode: 'exact' }).totals)
    }
  })
  it('deploys at one µs keep the engine\'s order: by when each was scheduled, so the build live is the one the engine leaves live', () => {
    // A fires at 1, 5, 9 (its 9 s firing scheduled at 5); B first fires at 9, scheduled at the start: B goes first at 9, A's build is live.
    const tie = one({ durationS: 12, warmupS: 0, deploys: [{ atS: 1, everyS: 4 }, { everyS: 9, prerender: false }] })
    expect(deployTimes(tie, 12e6)).toEqual([{ atUs: 1e6, prerender: true, reuse: false }, { atUs: 5e6, prerender: true, reuse: false }, { atUs: 9e6, prerender: false, reuse: false }, { atUs: 9e6, prerender: true, reuse: false }])
    // Both first firings at 9, scheduled at the start in scenario order: the second is live.
    const both = one({ durationS: 12, warmupS: 0, deploys: [{ atS: 9 }, { atS: 9, prerender: false }] })
    expect(deployTimes(both, 12e6).map((d) => d.prerender)).toEqual([true, false])
  })
  it('crawlers, one-off unknown paths, a daily curve, failures, outages, Zipf popularity and dynamic routes run fast', () => {
    const s = one({ diurnal: { hourly: Array.from({ length: 24 }, (_, h) => 0.5 + h / 24) }, outages: [{ fromS: 100, toS: 200, failureRate: 0.5 }] }, { failureRate: 0.01, traffic: { rps: 5, unknownRate: 1, popularity: { zipf: 1.2 }, crawlers: [{ name: 'bot', revisitS: 300 }] } })
    expect(routeBlocker(s, 0, resolveRoutes(s)[0]!)).toBeNull()
    const d = one({}, { dynamic: true })
    expect(routeBlocker(d, 0, resolveRoutes(d)[0]!)).toBeNull()
  })
})

describe('exact mode\'s per-path memory, estimated before a run', () => {
  const sc = (over: object, route: object = {}) => parseScenario({ name: 'm', durationS: 60, ...over, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 1000 }, traffic: { rps: 1 }, ...route }] } as ScenarioInput)
  const bytes = (s: ReturnType<typeof sc>, mode: 'exact' | 'auto') => exactMemory(s, resolveRoutes(s), mode).bytes
  it('66 bytes per (instance, path) slot of an exact route, 36 more per path for a Zipf alias table, 96 per CDN slot; nothing for a fast route', () => {
    expect(bytes(sc({}), 'exact')).toBe(66_000)
    expect(bytes(sc({}), 'auto')).toBe(0)
    expect(exactMemory(sc({}), resolveRoutes(sc({})), 'auto').largest).toBeNull()
    expect(bytes(sc({ deployment: { instances: 3 } }), 'auto')).toBe(198_000)
    expect(bytes(sc({ deployment: { instances: 3, balancer: 'random' } }), 'auto')).toBe(0)
    expect(bytes(sc({}, { traffic: { rps: 1, popularity: { zipf: 1 } } }), 'exact')).toBe(66_000 + 36_000)
    expect(bytes(sc({ deployment: { cdn: { pops: 2 } } }), 'auto')).toBe(66_000 + 2 * 96_000)
  })
  it('above 2^20 slots, records are lazy: 163 bytes per record, at most one per request (two with a shared cache), plus the prerendered entries a purge or invalidation reaches; Zipf past 2^21 paths needs no table', () => {
    const big = (over: object, route: object) => sc({ durationS: 3600, ...over }, { params: { count: 4_000_000, prebuilt: 1000 }, ...route })
    const m = exactMemory(big({}, { traffic: { rps: 10 } }), resolveRoutes(big({}, { traffic: { rps: 10 } })), 'exact')
    expect(m.lazy).toBe(true)
    expect(m.records).toBe(36_001)
    expect(m.bytes).toBe(36_001 * 163)
    const shared = big({ deployment: { instances: 2, cache: 'shared' } }, { traffic: { rps: 10 } })
    expect(exactMemory(shared, resolveRoutes(shared), 'exact').records).toBe(2 * 36_001)
    // A purge reaches the 1000 prerendered entries, which then get records.
    const purged = big({ purges: [{ atS: 100 }] }, { traffic: { rps: 10 } })
    expect(exactMemory(purged, resolveRoutes(purged), 'exact').records).toBe(36_001 + 1000)
    // A crawler walking every path twice an hour: 8M visits, capped by the 4M slots.
    const crawled = big({}, { traffic: { rps: 10, crawlers: [{ name: 'bot', revisitS: 1800 }] } })
    expect(exactMemory(crawled, resolveRoutes(crawled), 'exact').records).toBe(4_000_000)
    const zipf = big({}, { traffic: { rps: 10, popularity: { zipf: 1 } } })
    expect(bytes(zipf, 'exact')).toBe(36_001 * 163)
    expect(bytes(sc({}, { traffic: { rps: 1, popularity: { zipf: 1 } }, params: { count: 2_000_000 } }), 'exact')).toBe(61 * 163 + 2_000_000 * 36)
  })
  it('the Data Cache: 17 bytes per (cache, key), \'use cache\' 17 per (store, key); lazily at most a row per key a visited path reads (~90 bytes each); data changes add per-key lists and per-path data times', () => {
    const perPath = { fetches: [{ id: 'f', revalidateS: 600, perPath: true }, { id: 'shared', revalidateS: 600 }] }
    // 1000 per-path keys and one shared, one cache: (1000 + 1) × 17.
    expect(bytes(sc({}, perPath), 'exact')).toBe(66_000 + 1001 * 17)
    // Two local caches; 'use cache' has a store per process and a remote one: 3 × 1001 keys more.
    const uc = { fetches: [{ id: 'f', perPath: true, kind: 'use cache' }, { id: 'shared', revalidateS: 600 }] }
    expect(bytes(sc({ deployment: { instances: 2 } }, uc), 'exact')).toBe(2 * 66_000 + 2 * 1001 * 17 + 3 * 1001 * 17)
    // Data changes: 16 bytes per key (two times), and per (cache and instance, path) 8 bytes per fetch of the widest route.
    expect(bytes(sc({ dataChanges: [{ fetch: 'f', atS: 10 }] }, perPath), 'exact')).toBe(66_000 + 1001 * 17 + 1001 * 16 + 2 * 1000 * 2 * 8)
    // 4M paths, 36,001 records: each reads at most 2 keys.
    const big = sc({ durationS: 3600 }, { params: { count: 4_000_000, prebuilt: 1000 }, traffic: { rps: 10 }, ...perPath })
    expect(bytes(big, 'exact')).toBe(36_001 * 163 + 2 * 36_001 * (1.5 * 17 + 64))
    // Lazily, a change to the whole per-path fetch: 88 bytes for each of its 4M keys' times, and the
    // data times per record (entry and in flight, 2 fetches); the records bound counts the 1000
    // prerendered entries a change can reach.
    const changed = sc({ durationS: 3600, dataChanges: [{ fetch: 'f', atS: 10 }] }, { params: { count: 4_000_000, prebuilt: 1000 }, traffic: { rps: 10 }, ...perPath })
    expect(bytes(changed, 'exact')).toBe(37_001 * 163 + 2 * 37_001 * (1.5 * 17 + 64) + 4_000_000 * (1.5 * 16 + 64) + 2 * 37_001 * 2 * 8 * 1.5)
    // A deploy that reuses the fetch cache may carry every key over.
    const reused = sc({ durationS: 3600, deploys: [{ atS: 60, reuseFetchCache: true }] }, { params: { count: 4_000_000, prebuilt: 1000 }, traffic: { rps: 10 }, ...perPath })
    expect(bytes(reused, 'exact')).toBe(36_001 * 163 + 4_000_001 * (1.5 * 17 + 64))
  })
  it('a fast route\'s fetches cost the exact part nothing: only the exact routes\' keys are counted', () => {
    // p fast with its 1000 per-path keys; q exact (evenly spaced arrivals) with one shared key.
    const s = parseScenario({ name: 'm', durationS: 60, routes: [
      { id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 1000 }, traffic: { rps: 1 }, fetches: [{ id: 'f', revalidateS: 600, perPath: true }] },
      { id: 'q', pattern: '/q/[id]', revalidateS: 60, renderS: 0.1, params: { count: 10 }, traffic: { rps: 1, arrivals: 'uniform' }, fetches: [{ id: 'shared', revalidateS: 600 }] },
    ] } as ScenarioInput)
    const auto = exactMemory(s, resolveRoutes(s), 'auto'), exact = exactMemory(s, resolveRoutes(s), 'exact')
    expect(auto.dataBytes).toBe(17)
    expect(exact.dataBytes).toBe(1001 * 17)
    expect(auto.bytes).toBe(10 * 66 + 17)
  })
})

describe('the command line', () => {
  const file = join(TMP, 'mixed.json')
  writeFileSync(file, JSON.stringify(mixed))
  it('--mode fast prints every route that ran exact and why; the result carries the modes', async () => {
    const out = join(TMP, 'r.json')
    const r = await cli('run', file, '--mode', 'fast', '--out', out)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('mode fast: home, product, category, search fast-forwarded; feed exact')
    expect(r.stdout).toMatch(/ {2}feed ran exact, not fast: fetches: /)
    expect(r.stdout).toContain(`--mode fast`)
    const json = JSON.parse(readFileSync(out, 'utf8')) as { mode: string; routes: Record<string, RouteResult> }
    expect(json.mode).toBe('fast')
    expect(json.routes.feed!.mode).toBe('exact')
  })
  it('the default is auto (one line, no reasons); --mode exact prints no mode line', async () => {
    const auto = await cli('run', file)
    expect(auto.stdout).toContain('mode auto: home, product, category, search fast-forwarded; feed exact')
    expect(auto.stdout).not.toContain('ran exact, not fast')
    const exact = await cli('run', file, '--mode', 'exact')
    expect(exact.stdout).not.toMatch(/^mode /m)
  })
  it('a run whose exact-mode state would not fit in memory exits 2 before allocating it, naming the fields (no stack trace)', async () => {
    const huge = join(TMP, 'huge.json')
    // A crawler walking all 50M paths every hour for a day: 1.2 billion visits over 3.2 billion (instance, path) slots.
    writeFileSync(huge, JSON.stringify({ name: 'huge', durationS: 86_400, deployment: { instances: 64 }, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 50_000_000, prebuilt: 0 }, traffic: { rps: 1, crawlers: [{ name: 'bot', revisitS: 3600 }] } }] }))
    for (const [args, why] of [[[], 'deployment.instances 64 with balancer "round-robin"'], [['--mode', 'exact'], '--mode exact']] as const) {
      const r = await cli('run', huge, ...args)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(/^isrsim: run: exact mode would hold about 182\.2 GB of per-path state \(up to 1,200,086,401 records, one per \(instance, path\) the traffic can visit, of 64 instances × 50,000,000 paths\), more than 75% of this machine's [\d.]+ GB; route "p" has params\.count 50,000,000 and runs exact because /)
      expect(r.stderr).toContain(why)
      expect(r.stderr).not.toMatch(/^\s+at /m)
    }
    // The planning commands check it too, for each of their workers.
    for (const cmd of [['sweep', huge, '--vary', 'routes.p.revalidateS=30,60', '--workers', '2', '--out', join(TMP, 'huge.jsonl')], ['recommend', huge, '--workers', '2'], ['check', huge]]) {
      const r = await cli(...cmd)
      expect(r.code, `${cmd[0]}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toContain(`isrsim: ${cmd[0]}: exact mode would hold about 182.2 GB of per-path state`)
      if (cmd[0] !== 'check') expect(r.stderr).toContain('in each of 2 workers')
    }
  })
  it('a data change by fetch on a 40M-key per-path fetch exits 2 before tracking each key in the JS heap, naming the change and the templated-tag way out', async () => {
    const wide = join(TMP, 'wide-change.json')
    const route = { id: 'p', pattern: '/p/[id]', revalidateS: 3600, renderS: 0.1, params: { count: 40_000_000, prebuilt: 0 }, traffic: { rps: 1 } }
    // Every minute for an hour, each firing reaching all 40M keys: 40M × (320 + 24 × 60) bytes = 65.6 GiB of change lists.
    writeFileSync(wide, JSON.stringify({ name: 'wide', durationS: 3600, routes: [{ ...route, fetches: [{ id: 'product', perPath: true }] }], dataChanges: [{ fetch: 'product', everyS: 60 }] }))
    const r = await cli('run', wide)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/^isrsim: run: tracking dataChanges would hold about 65\.6 GB in the JS heap, more than 75% of its [\d.]+ GB limit; dataChanges\[0\] \(fetch "product"\) reaches 40,000,000 Data Cache keys, each tracked on its own\. For a change to one product of a per-path fetch, name a templated tag/)
    expect(r.stderr).not.toMatch(/^\s+at /m)
    // The same change through a templated tag reaches one key per firing, and runs.
    const narrow = join(TMP, 'narrow-change.json')
    writeFileSync(narrow, JSON.stringify({ name: 'narrow', durationS: 600, routes: [{ ...route, fetches: [{ id: 'product', tags: ['product-{id}'] }] }], dataChanges: [{ tag: 'product-{id}', everyS: 60 }] }))
    const ok = await cli('run', narrow, '--out', join(TMP, 'narrow.result.json'))
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain('freshness: 9 origin changes') // at 60, 120, …, 540 s
  })
  it('64 instances × 50M paths with light traffic run in exact mode: lazy records keep only the visited (instance, path) pairs', async () => {
    const light = join(TMP, 'light.json')
    writeFileSync(light, JSON.stringify({ name: 'light', durationS: 600, deployment: { instances: 64 }, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 50_000_000, prebuilt: 0 }, traffic: { rps: 2 } }] }))
    const out = join(TMP, 'light.result.json')
    const r = await cli('run', light, '--mode', 'exact', '--out', out)
    expect(r.code, r.stderr).toBe(0)
    const json = JSON.parse(readFileSync(out, 'utf8')) as { routes: Record<string, RouteResult> }
    // ~1200 requests, each for a path never seen: a MISS each (a repeat would be a 1-in-40,000 chance).
    expect(json.routes.p!.requests).toBeGreaterThan(1000)
    expect(json.routes.p!.miss).toBeGreaterThan(json.routes.p!.requests - 5)
  })
  it('--mode bogus: exit 2 naming the allowed values', async () => {
    const r = await cli('run', file, '--mode', 'bogus')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--mode must be exact, fast or auto, received "bogus"')
  })
})
