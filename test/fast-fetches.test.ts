/**
 * Fast mode with a path's own fetches (sim/isr/fast-fetches.ts, docs/fast-mode.md): which
 * routes' fetches fast mode carries and why the others run exact, and a hand-traced timeline
 * on which both modes must give the same figures. The statistical agreement on a large run is
 * test/fast-mode-fetches.test.ts's ("routes with their own fetches").
 */
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { lognormalParams } from '../sim/kernel/dist.ts'
import { bucketOf } from '../sim/kernel/histogram.ts'
import { resolveRoutes } from '../sim/isr/entries.ts'
import { durationBuckets } from '../sim/isr/fast-durations.ts'
import { fastFetches, readFetches, resetFetches, reuseFetches } from '../sim/isr/fast-fetches.ts'
import { profileFor } from '../sim/isr/profiles.ts'
import { AleaRng } from '../sim/kernel/rng.ts'

type RouteInput = ScenarioInput['routes'][number]
const product: RouteInput = {
  id: 'p', pattern: '/p/[id]', revalidateS: 60, params: { count: 50, prebuilt: 10 }, renderS: 0.2,
  fetches: [{ id: 'item', perPath: true, revalidateS: 300, latencyS: 0.05 }], traffic: { rps: 5 },
}
const one = (over: Partial<ScenarioInput>, route: Partial<RouteInput> = {}) => parseScenario({ name: 'f', seed: '1', durationS: 600, warmupS: 0, ...over, routes: [{ ...product, ...route }, ...(over.routes ?? [])] } as ScenarioInput)
const modeOf = (over: Partial<ScenarioInput>, route: Partial<RouteInput> = {}) => runScenario(one(over, route), { mode: 'fast' }).routes.p!

describe('which fetches fast mode carries', () => {
  it('a plain fetch per path, made by this route alone: fast', () => {
    expect(modeOf({}).mode).toBe('fast')
    expect(modeOf({}, { fetches: [{ id: 'item', tags: ['item-{id}'], latencyS: 0.05 }] }).mode).toBe('fast')
    expect(modeOf({ deploys: [{ atS: 200 }, { atS: 400, prerender: false }] }).mode).toBe('fast')
    expect(modeOf({ deploys: [{ atS: 300, reuseFetchCache: true }] }).mode).toBe('fast')
    expect(modeOf({}, { fetches: [{ id: 'item', perPath: true, kind: 'unstable_cache', revalidateS: 300 }] }).mode).toBe('fast')
  })

  // A plain fetch() on 16 is not kept by the Data Cache (§5.3): one origin call per render, no
  // state for paths or routes to share.
  const nav = { id: 'nav', perPath: false, latencyS: 0.05 }
  const q: RouteInput = { id: 'q', pattern: '/q/[id]', revalidateS: 30, params: { count: 5 }, renderS: 0.1, fetches: [nav], traffic: { rps: 1 } }

  it('an uncached fetch shared by every path and by two routes: both fast, one call per render, with its latency', () => {
    const s = one({ next: { version: '16.4' }, routes: [q] }, { fetches: [{ ...product.fetches![0]!, failureRate: 0.1 }, nav] })
    const r = runScenario(s, { mode: 'fast' })
    expect([r.routes.p!.mode, r.routes.q!.mode]).toEqual(['fast', 'fast'])
    expect(r.fetches.nav).toEqual({ originFetches: r.routes.p!.renders + r.routes.q!.renders, keys: 1, cached: false })
    expect(r.fetches.nav!.originFetches).toBeGreaterThan(100)
    // q's renders take 0.1 s and wait 0.05 s for nav.
    expect(r.routes.q!.renderCpuS).toBeCloseTo(0.15 * r.routes.q!.renders, 6)
    // The same scenario, exact: the same keys and caching, calls within a few per cent.
    const e = runScenario(s, { mode: 'exact' })
    expect({ ...e.fetches.nav, originFetches: 0 }).toEqual({ ...r.fetches.nav, originFetches: 0 })
    expect(Math.abs(e.fetches.nav!.originFetches / r.fetches.nav!.originFetches - 1)).toBeLessThan(0.1)
  })

  it('an uncached fetch shared with a route that runs exact: both run exact, saying why', () => {
    const r = runScenario(one({ next: { version: '16.4' }, routes: [{ ...q, traffic: { rps: 1, arrivals: 'uniform' } }] }, { fetches: [nav] }), { mode: 'fast' })
    expect(r.routes.q!.mode).toBe('exact')
    expect(r.routes.p!.mode).toBe('exact')
    expect(r.routes.p!.exactBecause).toMatch(/fetch "nav" is also made by route "q", which runs exact/)
  })

  it('one-off unknown paths: each render finds none of its keys, calls every fetch and waits for the slowest', () => {
    // One known path nobody visits, and one-off paths at 5 per second: every request is a new path's blocking render of 0.2 s.
    const s = one({ next: { version: '16.4' } }, { params: { count: 1, prebuilt: 1 }, traffic: { rps: 0, unknownRate: 5 }, fetches: [product.fetches![0]!, { ...nav, latencyS: 0.08 }] })
    const f = runScenario(s, { mode: 'fast' }), e = runScenario(s, { mode: 'exact' })
    expect(f.routes.p!.mode).toBe('fast')
    for (const r of [f, e]) {
      const renders = r.routes.p!.renders
      expect(renders).toBeGreaterThan(2700)
      expect(r.routes.p!.miss).toBe(renders)
      expect(r.fetches.item!.originFetches).toBe(renders)
      expect(r.fetches.nav!.originFetches).toBe(renders)
      expect(r.routes.p!.renderCpuS).toBeCloseTo(0.28 * renders, 6)
      expect(r.latency.p50Ms).toBeGreaterThan(279)
      expect(r.latency.p50Ms).toBeLessThan(281.5)
    }
    expect(f.fetches.item!.keys).toBe(e.fetches.item!.keys)
  })

  it('a dynamic route whose fetches no render keeps (plain on 14 too, no-store): fast, every request and crawler visit calls each and waits for the slowest', () => {
    for (const version of ['14', '16.4'] as const) {
      // Cookies in the page: every request renders (0.2 s) and calls both fetches; the slower takes 0.08 s.
      const s = one({ next: { version } }, { dynamic: true, traffic: { rps: 5, unknownRate: 1, crawlers: [{ name: 'bot', revisitS: 100 }] }, fetches: [{ id: 'cart', perPath: true, revalidateS: 0, latencyS: 0.03, failureRate: 0.1 }, { ...nav, latencyS: 0.08 }] })
      const f = runScenario(s, { mode: 'fast' }), e = runScenario(s, { mode: 'exact' })
      expect(f.routes.p!.mode).toBe('fast')
      for (const r of [f, e]) {
        const renders = r.routes.p!.renders
        // 6 requests a second for 600 s after warmup, and the crawler's 50 paths every 100 s.
        expect(renders).toBeGreaterThan(3500)
        expect(r.routes.p!.dynamic).toBe(renders)
        expect(r.routes.p!.crawlerRenders).toBe(300)
        expect(r.fetches.cart).toEqual({ originFetches: renders, keys: 50, cached: false })
        expect(r.fetches.nav).toEqual({ originFetches: renders, keys: 1, cached: version === '14' })
        expect(r.routes.p!.renderCpuS).toBeCloseTo(0.28 * renders, 6)
        expect(r.latency.p50Ms).toBeGreaterThan(279)
        expect(r.latency.p50Ms).toBeLessThan(281.5)
        expect(r.staleness.ageP50S).toBeCloseTo(0.28, 2)
      }
    }
  })

  it('every other fetch keeps the route exact, naming the fetch and why', () => {
    const cases: [Partial<ScenarioInput>, Partial<RouteInput>, RegExp][] = [
      [{}, { fetches: [{ id: 'nav', revalidateS: 300 }] }, /fetch "nav" has one key for every path \(perPath false\) and the Data Cache keeps it/],
      // 14 keeps a plain fetch() (§5.3): then one entry couples the paths.
      [{ next: { version: '14' } }, { fetches: [nav] }, /fetch "nav" has one key for every path/],
      [{ routes: [{ id: 'q', pattern: '/q/[id]', revalidateS: 60, params: { count: 5 }, renderS: 0.1, fetches: [{ id: 'item', perPath: true, revalidateS: 300, latencyS: 0.05 }], traffic: { rps: 1 } }] }, {}, /fetch "item" is also made by route "q"/],
      // A dynamic render keeps a fetch with a revalidate (§5.3) and serves it stale while it refreshes: one of its own runs fast, unless something else reads or resets it.
      [{ deploys: [{ atS: 100, reuseFetchCache: true }] }, { dynamic: true }, /fetch "item" on a dynamic route serves stale data while it refreshes, and a deploy keeps the fetch cache/],
      [{ restarts: [{ atS: 100 }] }, { dynamic: true, fetches: [{ id: 'uc', kind: 'use cache', perPath: true }] }, /fetch "uc" is 'use cache' on a dynamic route, whose entries a restart empties/],
      [{ deployment: { instances: 2, balancer: 'random' } }, { fetches: [{ id: 'ur', kind: 'use cache: remote', perPath: true }] }, /fetch "ur" is 'use cache: remote', one store every instance shares/],
      [{}, { dynamic: true, traffic: { rps: 5, crawlers: [{ name: 'bot', revisitS: 60 }] } }, /fetch "item" on a dynamic route .*, and traffic\.crawlers read it too/],
      [{}, { dynamic: true, fetches: [product.fetches![0]!, nav, { id: 'kv', kind: 'unstable_cache', perPath: true }] }, /fetches "item" and "kv" on a dynamic route are both kept/],
      [{}, { dynamic: true, fetches: [{ id: 'one', revalidateS: 60 }], traffic: { rps: 5, unknownRate: 1 } }, /fetch "one" on a dynamic route .*, one key that one-off unknown paths/],
      [{}, { params: { count: 1, prebuilt: 1 }, fetches: [{ id: 'nav', revalidateS: 300 }], traffic: { rps: 5, unknownRate: 1 } }, /fetch "nav" has one key that one-off unknown paths \(traffic\.unknownRate\) read too/],
    ]
    for (const [over, route, why] of cases) {
      const r = modeOf(over, route)
      expect(r.mode, String(why)).toBe('exact')
      expect(r.exactBecause, String(why)).toMatch(why)
      expect(r.exactBecause).toMatch(/^fetches: /)
    }
  })
})

describe('a deploy whose build keeps the fetch cache (§15.5), for one path', () => {
  it('reuses a fresh entry as it was, gives a stale one the build\'s, keeps what it does not prerender, and loses calls on their way', () => {
    const sc = one({ next: { version: '16.4' } })
    const f = fastFetches(sc, resolveRoutes(sc)[0]!, profileFor('16.4'), () => new AleaRng('fetch/item', 'x'))!
    const S = 1e6 // µs per s; item: revalidate 300 s, latency 0.05 s
    resetFetches(f, 0, true)
    reuseFetches(f, 200 * S, true)
    expect([f.has[0], f.lastModUs[0]]).toEqual([1, 0]) // 200 s old: fresh, reused
    reuseFetches(f, 400 * S, true)
    expect([f.has[0], f.lastModUs[0]]).toEqual([1, 400 * S]) // 400 s old: the build's
    reuseFetches(f, 500 * S, false)
    expect([f.has[0], f.lastModUs[0]]).toEqual([1, 400 * S]) // not prerendered: as it was
    expect(readFetches(f, 800 * S, false, 0, 3000 * S)).toBe(0.05 * S) // stale: a call, landing at 800.05 s
    reuseFetches(f, 800.05 * S, false)
    expect(f.lastModUs[0]).toBe(800.05 * S) // landed by the deploy: in the folder
    readFetches(f, 1200 * S, false, 0, 3000 * S)
    reuseFetches(f, 1200.01 * S, false)
    expect(f.lastModUs[0]).toBe(800.05 * S) // still on its way: lost
    expect(readFetches(f, 1200.1 * S, false, 0, 3000 * S)).toBe(0.05 * S) // so the next render calls again
    resetFetches(f, 1300 * S, false)
    expect(f.has[0]).toBe(0)
  })
})

describe('render times shifted by a fetch wait (one-off paths\' bulk renders)', () => {
  it('a constant render time moves to the bucket of time + wait', () => {
    const d = durationBuckets(0.2, 80_000)
    expect([d.from, d.to - d.from, d.prob[d.from], d.meanUs[d.from]]).toEqual([bucketOf(280_000), 1, 1, 280_000])
  })

  it('a lognormal keeps its mass and its mean moves by the wait', () => {
    const renderS = { lognormal: { medianS: 0.25, p95S: 0.9 } }
    const { mu, sigma } = lognormalParams(250_000, 900_000)
    for (const shiftUs of [0, 80_000, 3_000_000]) {
      const d = durationBuckets(renderS, shiftUs)
      let mass = 0, mean = 0
      for (let b = d.from; b < d.to; b++) { mass += d.prob[b]!; mean += d.prob[b]! * d.meanUs[b]! }
      expect(mass).toBeCloseTo(1, 9)
      expect(mean / (Math.exp(mu + (sigma * sigma) / 2) + shiftUs)).toBeCloseTo(1, 6)
      expect(d.from).toBeGreaterThanOrEqual(bucketOf(shiftUs))
    }
  })
})

/** Runs sc in both modes and checks that route p's figures and the fetches are exact mode's, field for field. */
function sameInBothModes(sc: ReturnType<typeof parseScenario>): { f: ReturnType<typeof runScenario>; e: ReturnType<typeof runScenario> } {
  const f = runScenario(sc, { mode: 'fast' }), e = runScenario(sc, { mode: 'exact' })
  expect(f.routes.p!.mode).toBe('fast')
  const { mode: _m, ...fr } = f.routes.p!
  const { mode: _n, ...er } = e.routes.p!
  expect(fr).toEqual(er)
  expect(f.fetches).toEqual(e.fetches)
  return { f, e }
}

describe('a hand-traced timeline: one path, a crawler every 12 s, no users', () => {
  // Page revalidate 10 s, its fetch's 25 s, 1 s origin latency, 0.5 s of render: every visit
  // (12 s apart, past the page's 10 s + 1.5 s of render) regenerates the page, and a
  // regeneration fetches only when the data, written 1 s after the call, is older than 25 s:
  // visits 12 s and 24 s after a call find it 11 s and 23 s old, the third 35 s. So after the
  // build's entry (written at 0, the build's age 0) goes stale, every third render fetches.
  const s = parseScenario({
    name: 'traced', seed: '3', durationS: 1200, warmupS: 0, buildAgeS: 0,
    routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 10, params: { count: 1, prebuilt: 1 }, renderS: 0.5, fetches: [{ id: 'd', perPath: true, revalidateS: 25, latencyS: 1 }], traffic: { rps: 0, crawlers: [{ name: 'bot', revisitS: 12 }] } }],
  } as ScenarioInput)
  const fast = runScenario(s, { mode: 'fast' }), exact = runScenario(s, { mode: 'exact' })

  it('both modes give the same figures', () => {
    expect(fast.routes.p!.mode).toBe('fast')
    const { mode: _m, ...f } = fast.routes.p!
    const { mode: _n, ...e } = exact.routes.p!
    expect(f).toEqual(e)
    expect(fast.fetches).toEqual(exact.fetches)
  })

  it('the same timeline with one URL for every path (a static page\'s own): the same figures, fast', () => {
    const shared = parseScenario({ ...s, routes: [{ ...s.routes[0]!, fetches: [{ ...s.routes[0]!.fetches[0]!, perPath: false, tags: ['d'] }] }] } as ScenarioInput)
    const { f } = sameInBothModes(shared)
    expect(f.routes.p!.renders).toBe(fast.routes.p!.renders)
    expect(f.fetches.d!.originFetches).toBe(fast.fetches.d!.originFetches)
  })

  // unstable_cache (§13): on 16 a regeneration waits for a stale entry's refresh, as for a fetch;
  // on 14 it keeps the stale value and refreshes in the background (the one-cycle lag), so no
  // render waits, and with a latency past the page's cycle several refreshes are in flight at once.
  const unstable = (version: '14' | '16.4', latencyS: number) => parseScenario({ ...s, next: { version }, routes: [{ ...s.routes[0]!, fetches: [{ id: 'd', kind: 'unstable_cache', perPath: true, revalidateS: 25, latencyS }] }] } as ScenarioInput)
  it.each([['16.4', 1], ['14', 1], ['14', 30]] as const)('unstable_cache on %s, latency %d s: the same figures in both modes', (version, latencyS) => {
    const { f } = sameInBothModes(unstable(version, latencyS))
    const renders = f.routes.p!.renders, calls = f.fetches.d!.originFetches
    if (version === '16.4') expect(f.routes.p!.renderCpuS).toBeCloseTo(0.5 * renders + latencyS * calls, 6)
    else expect(f.routes.p!.renderCpuS).toBeCloseTo(0.5 * renders, 6)
    if (latencyS === 30) {
      // Data 30 s on its way, fresh 25 s after it lands: renders 12 s apart. The one at t calls,
      // and so do those at t + 12 and t + 24 (its refresh has not landed); t + 36 ... t + 72 find
      // data landed at most 30 s before; t + 84 finds the t + 24 call's data 30 s old and calls:
      // 3 calls in 7 renders (landing every refresh at once would make it 1 in 5).
      expect(calls / renders).toBeGreaterThan(0.4)
      expect(calls / renders).toBeLessThan(3 / 7 + 0.01)
    } else expect(calls).toBeLessThanOrEqual(Math.ceil(renders / 2))
  })

  // Deploys whose builds keep the fetch cache (§15.5): at 301 s one that prerenders (the data
  // written at most 25 s before is reused as it is, older data is the build's), at 602 s two at
  // once (the first prerenders, the second does not: the path keeps what the first left), at
  // 905 s one that does not prerender (the old entry stays); and a call on its way at a deploy is lost.
  it.each([['16.4', 1], ['14', 1], ['14', 30]] as const)('deploys that keep the fetch cache, %s, latency %d s: the same figures in both modes', (version, latencyS) => {
    const kind = version === '14' ? { kind: 'unstable_cache' as const } : {}
    const d = parseScenario({ ...s, next: { version }, deploys: [{ atS: 301, reuseFetchCache: true }, { atS: 602, reuseFetchCache: true }, { atS: 602, reuseFetchCache: true, prerender: false }, { atS: 905, reuseFetchCache: true, prerender: false }],
      routes: [{ ...s.routes[0]!, fetches: [{ ...s.routes[0]!.fetches[0]!, ...kind, latencyS }] }] } as ScenarioInput)
    const { e } = sameInBothModes(d)
    // The kept cache changes what the path calls: the same deploys without it do not give these figures.
    const plain = parseScenario({ ...d, deploys: d.deploys.map(({ reuseFetchCache: _r, ...x }) => x) } as ScenarioInput)
    expect(runScenario(plain, { mode: 'exact' }).fetches.d!.originFetches).not.toBe(e.fetches.d!.originFetches)
  })

  it('every visit renders, and every third render calls the origin', () => {
    const visits = fast.routes.p!.requests, renders = fast.routes.p!.renders
    expect(visits).toBe(100)
    // (The first visit is a HIT when it comes within the build's 10 s.)
    expect(renders).toBeGreaterThanOrEqual(visits - 1)
    expect(renders).toBeLessThanOrEqual(visits)
    // The build's data is fresh until 25 s: the first one or two renders (visits before then) read it, then one call in three.
    const calls = fast.fetches.d!.originFetches
    expect(calls, `renders ${renders}, origin calls ${calls}`).toBeGreaterThanOrEqual(Math.ceil((renders - 2) / 3))
    expect(calls, `renders ${renders}, origin calls ${calls}`).toBeLessThanOrEqual(Math.ceil((renders - 1) / 3))
    // A render takes its 0.5 s, and 1 s more when it waits for the origin.
    expect(fast.routes.p!.renderCpuS).toBeCloseTo(0.5 * renders + calls, 6)
  })
})
