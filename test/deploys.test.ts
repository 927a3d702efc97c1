/**
 * Deploys, purges and on-demand calls that reach every instance or go through the balancer
 * (issue 16, item 5; docs/semantics.md "Deploys and purges"). Hand-traced: each derivation
 * is in the comment, the test asserts the exact trace and counters. Reproduce any of them
 * with `npx vitest run test/deploys.test.ts`; the runs use the scenario's default seed.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, ScenarioError, type ScenarioInput, type TraceEvent } from '../sim/index.ts'
import { pathsUnder, underPrefix } from '../sim/isr/deploys.ts'
import { s, single, traced } from './helpers.ts'

/** /p/[id], 4 paths of which 2 prebuilt, revalidate 100 s, 1 s renders; requests at (time, path). */
function catalogue(requests: [number, number][], extra: Partial<ScenarioInput>): ScenarioInput {
  return single({ pattern: '/p/[id]', revalidateS: 100, renderS: 1, params: { count: 4, prebuilt: 2 } }, requests.map((r) => r[0]), extra, requests.map((r) => r[1]))
}

const REQUESTS: [number, number][] = [
  [1, 2], [3, 2], [3, 0], [9.5, 3], // before the deploy at 10
  [10.2, 3], [11, 0], [11, 2], [12.5, 2], [15, 1], [110, 0], [110.5, 0],
]
const rendersOf = (events: TraceEvent[]) => events.filter((e): e is Extract<TraceEvent, { kind: 'render' }> => e.kind === 'render').map((r) => [s(r.atUs), r.path, r.mode])

describe('deploys[]: a new build goes live', () => {
  test('prebuilt paths are fresh from atS, every other path MISSes once and writes again, the old build\'s render in flight is discarded', () => {
    // Build at 0 (paths 0, 1). t=1 path 2 MISS, render 1..2 (fill write 1). t=3 path 2 HIT age 2,
    // path 0 HIT age 3. t=9.5 path 3 MISS, render 9.5..10.5: the deploy at 10 discards it.
    // Deploy at 10: paths 0 and 1 written at 10 (2 deploy writes), 2 and 3 cold.
    // t=10.2 path 3 MISS (a new render 10.2..11.2, fill 2), t=11 path 0 HIT age 1 (not 11),
    // path 2 MISS again (render 11..12, fill 3), t=12.5 path 2 HIT age 1.5, t=15 path 1 HIT age 5.
    // t=110 path 0: 110 - 10 = 100 <= 100 HIT age 100; t=110.5: STALE age 100.5, background
    // render 110.5..111.5 (a write, not a fill). Without the deploy, path 0 would be stale from 100.
    const t = traced(catalogue(REQUESTS, { deploys: [{ atS: 10 }] }))
    expect(t.outcomes).toEqual(['miss', 'hit', 'hit', 'miss', 'miss', 'hit', 'miss', 'hit', 'hit', 'hit', 'stale'])
    expect(t.requests.map((r) => s(r.ageUs))).toEqual([1, 2, 3, 1, 1, 1, 1, 1.5, 5, 100, 100.5])
    expect(rendersOf(t.events)).toEqual([[1, 2, 'blocking'], [9.5, 3, 'blocking'], [10.2, 3, 'blocking'], [11, 2, 'blocking'], [110.5, 0, 'background']])
    expect(t.events.filter((e) => e.kind === 'deploy')).toEqual([{ kind: 'deploy', atUs: 10e6, deploy: 0, prerender: true, rendersDiscarded: 1 }])
    // The discarded render still ends (on the old build's process) and is traced, but writes nothing.
    expect(t.events.filter((e) => e.kind === 'render-done').map((e) => s(e.atUs))).toEqual([2, 10.5, 11.2, 12, 111.5])
    expect(t.result.totals).toMatchObject({ renders: 5, blockingRenders: 4, backgroundRenders: 1, isrWrites: 4, fillWrites: 3, deployWrites: 2 })
  })

  test('prerender: false: every path is cold after the deploy', () => {
    // As above up to 10. Deploy at 10, nothing prerendered: t=10.2 path 3 MISS (fill), t=11
    // path 0 MISS (render 11..12, fill), path 2 MISS (fill), t=12.5 path 2 HIT age 1.5, t=15
    // path 1 MISS (fill). t=110 path 0: written at 12, 98 <= 100 HIT age 99; t=110.5 HIT 99.5.
    // Fills: t=2, 11.2, 12, 12, 16 = 5; no deploy writes.
    const t = traced(catalogue(REQUESTS, { deploys: [{ atS: 10, prerender: false }] }))
    expect(t.outcomes).toEqual(['miss', 'hit', 'hit', 'miss', 'miss', 'miss', 'miss', 'hit', 'miss', 'hit', 'hit'])
    expect(t.requests.map((r) => s(r.ageUs))).toEqual([1, 2, 3, 1, 1, 1, 1, 1.5, 1, 99, 99.5])
    expect(t.result.totals).toMatchObject({ renders: 6, blockingRenders: 6, isrWrites: 5, fillWrites: 5, deployWrites: 0 })
  })

  test('a deploy empties the tags manifest: an old mark with a future expiry does not reach the new build', () => {
    // 16.4, revalidateTag(tag, { expireS: 50 }) at 5: stale 5, expired 55. Without a deploy the
    // page regenerated at 6..7 is still judged expired at 60 (§4.3 future expiry): MISS.
    // A deploy at 20 starts a new manifest: at 60 the page (written at 20) is a HIT, age 40.
    const route = { revalidateS: 1000, renderS: 1, fetches: [{ id: 'a', tags: ['t'] }] }
    const od = { onDemand: [{ kind: 'revalidateTag' as const, tag: 't', profile: { expireS: 50 }, atS: 5 }] }
    expect(traced(single(route, [6, 60], od)).outcomes).toEqual(['stale', 'miss'])
    const t = traced(single(route, [6, 60], { ...od, deploys: [{ atS: 20 }] }))
    expect(t.outcomes).toEqual(['stale', 'hit'])
    expect(s(t.requests[1]!.ageUs)).toBe(40)
  })

  test('one day with ten deploys (everyS 8640 from atS 0): 10 x prebuilt deploy writes, and each build fills its own cold paths', () => {
    // 1000 paths, 100 prebuilt, revalidate false: the only writes are fills. Deploys at
    // 0, 8640, ..., 77760 (the 11th, at 86400, is the end of the run).
    const input: ScenarioInput = {
      name: 'ten-deploys', durationS: 86_400, seed: 'd10',
      routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0.5, params: { count: 1000, prebuilt: 100 }, traffic: { rps: 0.05 } }],
      deploys: [{ atS: 0, everyS: 8640 }],
    }
    const t = traced(input)
    const deploys = t.events.filter((e): e is Extract<TraceEvent, { kind: 'deploy' }> => e.kind === 'deploy')
    expect(deploys.map((d) => s(d.atUs))).toEqual([0, 8640, 17280, 25920, 34560, 43200, 51840, 60480, 69120, 77760])
    expect(t.result.totals.deployWrites).toBe(10 * 100)
    expect(t.result.routes.p!.deployWrites).toBe(1000)
    // Fills: in each build period, the first request of each path >= 100 MISSes and writes
    // (unless the next deploy discards its render). Count them from the requests.
    const seen = new Set<string>()
    let firsts = 0
    for (const r of t.requests) {
      const build = deploys.filter((d) => d.atUs <= r.atUs).length
      if (r.path >= 100 && !seen.has(`${build}:${r.path}`)) { seen.add(`${build}:${r.path}`); firsts++ }
    }
    const discarded = deploys.reduce((n, d) => n + d.rendersDiscarded, 0)
    expect(firsts).toBeGreaterThan(2000) // ~4320 requests, 90% to cold paths, few repeats within a period
    expect(t.result.totals.fillWrites).toBe(firsts - discarded)
    expect(t.result.totals.isrWrites).toBe(t.result.totals.fillWrites)
    expect(t.result.totals.miss).toBe(t.requests.filter((r) => r.outcome === 'miss').length)
  })
})

describe('purges[]: everything, or a path prefix', () => {
  test('a prefix purge drops only the paths under it; a full purge drops everything; the next request MISSes', () => {
    // home "/" and /p/[id] (3 paths, all prebuilt), revalidate 100, 1 s renders, built at 0.
    // Purge "/p" at 5: drops p0, p1, p2 (3 entries), not "/". t=6 home HIT age 6; p0, p1 MISS
    // (renders 6..7, fills); t=8 p0 HIT age 2. Purge everything at 20: home, p0, p1 (3 entries;
    // p2 was never re-rendered). t=21 home MISS (21..22, fill), p2 MISS (fill); t=22.5 home HIT 1.5.
    const input: ScenarioInput = {
      name: 'purges', durationS: 60,
      routes: [
        { id: 'home', pattern: '/', revalidateS: 100, renderS: 1, traffic: { rps: 0, schedule: { atS: [6, 21, 22.5] } } },
        { id: 'p', pattern: '/p/[id]', revalidateS: 100, renderS: 1, params: { count: 3 }, traffic: { rps: 0, schedule: { atS: [6, 6, 8, 21], path: [0, 1, 0, 2] } } },
      ],
      purges: [{ atS: 5, prefix: '/p' }, { atS: 20 }],
    }
    const t = traced(input)
    const by = (id: string) => t.requests.filter((r) => r.route === id).map((r) => [s(r.atUs), r.path, r.outcome, s(r.ageUs)])
    expect(by('home')).toEqual([[6, 0, 'hit', 6], [21, 0, 'miss', 1], [22.5, 0, 'hit', 1.5]])
    expect(by('p')).toEqual([[6, 0, 'miss', 1], [6, 1, 'miss', 1], [8, 0, 'hit', 2], [21, 2, 'miss', 1]])
    expect(t.events.filter((e) => e.kind === 'purge').map((e) => [s(e.atUs), (e as Extract<TraceEvent, { kind: 'purge' }>).entriesDropped])).toEqual([[5, 3], [20, 3]])
    expect(t.result.totals).toMatchObject({ isrWrites: 4, fillWrites: 4, deployWrites: 0, miss: 4 })
  })

  test('a purge while a background regeneration runs: later requests wait for it (nothing stale is left to serve)', () => {
    // revalidate 10, render 4, built at 0. t=11 STALE, background render 11..15. Purge at 12.
    // t=13 joins the render, which now blocks: MISS, latency 2 s, age 4. t=16 HIT age 5.
    const t = traced(single({ revalidateS: 10, renderS: 4 }, [11, 13, 16], { purges: [{ atS: 12 }] }))
    expect(t.outcomes).toEqual(['stale', 'miss', 'hit'])
    expect(t.requests.map((r) => [s(r.latencyUs), s(r.ageUs)])).toEqual([[0, 11], [2, 4], [0, 5]])
    expect(t.result.totals).toMatchObject({ renders: 1, isrWrites: 1, fillWrites: 1 })
  })

  test('prefixes are path segments: "/blog" holds "/blog" and "/blog/7", not "/blogs/7"', () => {
    expect([underPrefix('/blog', '/blog'), underPrefix('/blog/7', '/blog'), underPrefix('/blogs/7', '/blog'), underPrefix('/blog/7', '/blog/'), underPrefix('/x', '/')]).toEqual([true, true, false, true, true])
    expect(pathsUnder({ pattern: '/blog/[slug]', params: { count: 3, dynamicParams: true } }, '/blog')).toBe('all')
    expect(pathsUnder({ pattern: '/blog/[slug]', params: { count: 3, dynamicParams: true } }, '/shop')).toEqual([])
    expect(pathsUnder({ pattern: '/blog/[slug]', params: { count: 12, dynamicParams: true } }, '/blog/1')).toEqual([1])
    expect(pathsUnder({ pattern: '/(shop)/p/[id]', params: { count: 2, dynamicParams: true, paths: ['/p/a', '/p/b'] } }, '/p/b')).toEqual([1])
  })
})

describe('on-demand calls and webhooks to every instance, or through the balancer', () => {
  // 3 instances with local caches, round-robin; "/" prebuilt at 0, revalidate 1000, 1 s renders.
  // A data change at 5 (and 10) calls revalidatePath("/"), which expires at once. Requests at
  // 6, 6.1, 6.2 go to instances 0, 1, 2; at 11, 11.1, 11.2 to 0, 1, 2 again.
  const app = (target: 'instance' | 'all' | 'balancer' | undefined, instance?: number, deployment: ScenarioInput['deployment'] = { instances: 3 }): ScenarioInput => ({
    name: 'fan-out', durationS: 30,
    deployment,
    routes: [{ id: 'home', pattern: '/', revalidateS: 1000, renderS: 1, fetches: [{ id: 'feed', tags: ['feed'] }], traffic: { rps: 0, schedule: { atS: [6, 6.1, 6.2, 11, 11.1, 11.2] } } }],
    dataChanges: [{ fetch: 'feed', atS: 5, everyS: 5, webhook: { kind: 'revalidatePath', path: '/', ...(target === undefined ? {} : { target }), ...(instance === undefined ? {} : { instance }) } }],
  })
  const row = (t: ReturnType<typeof traced>) => ({ outcomes: t.outcomes, touched: t.result.dataChanges[0]!.entriesTouched, calls: t.result.dataChanges[0]!.webhookCalls })

  test('target "instance" (the default) invalidates only that instance\'s entry; "all" invalidates all three', () => {
    // instance 1: at 5 only instance 1's entry expires -> [hit, miss, hit]; instance 1 re-rendered
    // at 6.1..7.1; the call at 10 expires it again -> at 11.1 miss. Each of the 5 calls (5, 10,
    // 15, 20, 25) reaches that one entry: touched 5.
    expect(row(traced(app(undefined, 1)))).toEqual({ outcomes: ['hit', 'miss', 'hit', 'hit', 'miss', 'hit'], touched: 5, calls: 5 })
    expect(row(traced(app('instance', 1)))).toEqual({ outcomes: ['hit', 'miss', 'hit', 'hit', 'miss', 'hit'], touched: 5, calls: 5 })
    // all: every instance's entry expires at 5 and at 10: six MISSes; 3 + 3 entries touched
    // (calls at 15, 20, 25 touch 3 each too: 15 in all).
    expect(row(traced(app('all')))).toEqual({ outcomes: ['miss', 'miss', 'miss', 'miss', 'miss', 'miss'], touched: 15, calls: 5 })
  })

  test('target "balancer" sends each call where the balancer would: round-robin with its own turn', () => {
    // Calls at 5, 10 go to instances 0, 1 (the calls' own round-robin, apart from the requests'):
    // at 6 instance 0 MISS, the rest HIT; at 11.1 instance 1 MISS. One entry per call: 5.
    expect(row(traced(app('balancer')))).toEqual({ outcomes: ['miss', 'hit', 'hit', 'hit', 'miss', 'hit'], touched: 5, calls: 5 })
  })

  test('a shared cache: "all" marks every instance at once, without waiting for tagPropagationS', () => {
    // Shared entry written at 0; tagPropagationS 5. Calls at 5 and 10 to instance 0 only:
    // t=6 instance 0 MISS (render 6..7 writes the shared entry); 6.1 and 6.2 HIT (instances 1
    // and 2 see the first mark at 10). t=11 instance 0 MISS (mark 10 > written 7); 11.1 and
    // 11.2 HIT (their mark is 5 < 7; the second reaches them at 15).
    // With "all", every instance has each mark at once: all six MISS (the render is
    // de-duplicated per instance, §8). One shared entry per call is touched either way.
    const shared = { instances: 3, cache: 'shared' as const, tagPropagationS: 5 }
    expect(row(traced(app(undefined, 0, shared)))).toEqual({ outcomes: ['miss', 'hit', 'hit', 'miss', 'hit', 'hit'], touched: 5, calls: 5 })
    expect(row(traced(app('all', undefined, shared)))).toEqual({ outcomes: ['miss', 'miss', 'miss', 'miss', 'miss', 'miss'], touched: 5, calls: 5 })
  })

  test('a random balancer draws the calls\' instances from its own stream: the requests\' instances do not move', () => {
    const random = { instances: 3, balancer: 'random' as const }
    const instancesOf = (t: ReturnType<typeof traced>) => t.requests.map((r) => r.instance)
    const withCalls = traced(app('balancer', undefined, random))
    const without = traced({ ...app(undefined, 0, random), dataChanges: [] })
    expect(instancesOf(withCalls)).toEqual(instancesOf(without))
    expect(withCalls.result.dataChanges[0]!.entriesTouched).toBe(5)
  })

  test('bad input: instance with target "all" or "balancer", deploys and purges out of range', () => {
    const bad = (input: ScenarioInput, re: RegExp) => {
      expect(() => parseScenario(input)).toThrow(ScenarioError)
      expect(() => parseScenario(input)).toThrow(re)
    }
    bad(app('all', 2), /dataChanges\[0\]\.webhook\.instance: is only for target "instance"; with target "all" the call reaches every instance/)
    bad(catalogue([[1, 0]], { deploys: [{ atS: 500 }] }), /deploys\[0\]\.atS: must be less than durationS \(101\)/)
    bad(catalogue([[1, 0]], { deploys: [{ prerender: false }] }), /deploys\[0\]: needs atS \(one-off\) or everyS/)
    bad(catalogue([[1, 0]], { purges: [{ atS: 5, prefix: 'p' }] }), /purges\[0\]\.prefix: must be a URL path prefix starting with "\/"/)
    bad(catalogue([[1, 0]], { purges: [{ atS: 5, prefix: '/blog' }] }), /purges\[0\]\.prefix: reaches no path of any route/)
    expect(runScenario(parseScenario(catalogue([[1, 0]], { purges: [{ everyS: 50, prefix: '/p/3' }] }))).totals.requests).toBe(1)
  })
})
