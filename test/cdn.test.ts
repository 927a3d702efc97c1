/**
 * The CDN layer (docs/semantics.md §16, sim/isr/cdn.ts) traced by hand: each scenario is a few
 * scheduled requests to one path, and every expected value below is worked out from the rules
 * (§7 headers, §1.2 Next's decision, §3 the back-off), not read from a run.
 * Reproduce one: npx vitest run test/cdn.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, ScenarioError, type ScenarioInput } from '../sim/index.ts'
import type { TraceEvent } from '../sim/isr/trace.ts'
import { traced } from './helpers.ts'

type Route = ScenarioInput['routes'][number]
type CdnEvent = Extract<TraceEvent, { kind: 'cdn' }>

const CDN = { instances: 1, balancer: 'round-robin', cache: 'local', tagPropagationS: 0, cdn: { pops: 1 } } as const

/** One route at /a (revalidate 10 s, render 1 s, built at t = 0), requested at atS. */
function scenario(atS: number[], r: Partial<Route> = {}, extra: Partial<ScenarioInput> = {}, path?: number[]): ScenarioInput {
  return {
    name: 'cdn hand-traced', durationS: 200, next: { version: '16.4' },
    routes: [{ id: 'a', pattern: '/a', revalidateS: 10, renderS: 1, fetches: [{ id: 'p', tags: ['posts'] }], ...r, traffic: { rps: 0, schedule: { atS, ...(path ? { path } : {}) } } }],
    deployment: CDN, ...extra,
  }
}

function run(input: ScenarioInput) {
  const t = traced(input)
  const cdn = t.events.filter((e): e is CdnEvent => e.kind === 'cdn')
  return {
    ...t,
    edge: cdn.map((e) => e.outcome),
    ages: cdn.map((e) => e.ageUs / 1e6),
    waits: cdn.map((e) => e.latencyUs / 1e6),
    forwarded: cdn.map((e) => e.forwarded),
    /** Next's side: when it was asked, and what it answered. */
    next: t.requests.map((e) => [e.atUs / 1e6, e.outcome]),
    reproduce: `Reproduce: npx vitest run test/cdn.test.ts; scenario ${JSON.stringify(input)}`,
  }
}

describe('§16 a CDN in front of next start, traced by hand', () => {
  test('two stacked SWR layers: the CDN keeps a page Next served stale for a full s-maxage', () => {
    // 1: no CDN entry, miss; Next's build entry is 1 s old: HIT. Stored at 1, fresh until 11.
    // 5: CDN hit (age 5). 12: stale at the CDN (11 s > 10), served (age 12), revalidated in the
    // background: Next's entry is 12 s old, STALE (age 12), regenerating 12 -> 13. The CDN stores
    // that stale page at 12, fresh again until 22 (s-maxage is the full 10 s, §7). 13: hit, age
    // 13. 25: stale at the CDN (age 25); Next's entry (written 13, content 12) is 12 s old: STALE.
    const r = run(scenario([1, 5, 12, 13, 25]))
    expect(r.edge, r.reproduce).toEqual(['miss', 'hit', 'stale', 'hit', 'stale'])
    expect(r.ages, r.reproduce).toEqual([1, 5, 12, 13, 25])
    expect(r.forwarded, r.reproduce).toEqual(['foreground', 'none', 'background', 'none', 'background'])
    expect(r.next, r.reproduce).toEqual([[1, 'hit'], [12, 'stale'], [25, 'stale']])
    // The result: three of five users' requests at the edge were hits or stale, three reached Next.
    expect(r.result.cdn, r.reproduce).toMatchObject({ pops: 1, requests: 5, hit: 0.4, stale: 0.4, miss: 0.2, originRequests: 3, ageMaxS: 25 })
    expect(r.result.totals.requests, r.reproduce).toBe(3)
  })

  test('an on-demand invalidation reaches Next, not the CDN: the old page stays until s-maxage', () => {
    // revalidateTag("posts") at 3 expires Next's entry (one argument, §4.3). 4: the CDN still
    // hits (the old page). 12: CDN stale, its background request finds Next's entry expired: a
    // blocking MISS rendering 12 -> 13. 12.5: still stale at the CDN, nothing new sent (one
    // revalidation per PoP and path). 14: the answer arrived at 13 (content time 12): a hit, age 2.
    const r = run(scenario([1, 4, 12, 12.5, 14], {}, { onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 3 }] }))
    expect(r.edge, r.reproduce).toEqual(['miss', 'hit', 'stale', 'stale', 'hit'])
    expect(r.ages, r.reproduce).toEqual([1, 4, 12, 12.5, 2])
    expect(r.next, r.reproduce).toEqual([[1, 'hit'], [12, 'miss']])
  })

  test('a failed regeneration lowers s-maxage, and the CDN revalidates sooner (§3)', () => {
    // revalidate 60, every render fails (render 0.1 s). 1: miss, stored until 61. 62: CDN
    // stale; Next STALE with the old header (s-maxage 60), its regeneration fails at 62.1 and
    // re-sets the entry with revalidate 30. 123: CDN stale (61 s > 60); Next's entry, re-set at
    // 62.1, is stale (60.9 s > 30): STALE, now with s-maxage=30. 150: hit (27 s); 155: stale (32 s > 30).
    const failing = run(scenario([1, 62, 123, 150, 155], { revalidateS: 60, renderS: 0.1, failureRate: 1 }))
    expect(failing.edge, failing.reproduce).toEqual(['miss', 'stale', 'stale', 'hit', 'stale'])
    // Without the failure, s-maxage stays 60: 155 is a hit (32 s after 123).
    const ok = run(scenario([1, 62, 123, 150, 155], { revalidateS: 60, renderS: 0.1 }))
    expect(ok.edge, ok.reproduce).toEqual(['miss', 'stale', 'stale', 'hit', 'hit'])
  })

  test('after a restart Next answers with the 1 s default cache control, and the CDN revalidates again a second later (§11.2)', () => {
    // Path 1 is not prebuilt, revalidate 60. 1: CDN miss, Next MISS rendering 1 -> 2; stored at 2
    // until 62. A restart at 5 drops 16.0's cache controls: path 1 falls back to 1 s. 70: CDN
    // stale; Next STALE with s-maxage=1 (regenerating 70 -> 71, which sets 60 again); the CDN keeps
    // that answer 1 s only. 71.5: CDN stale again; Next HIT with s-maxage=60. 72: hit.
    // 16.4 keeps the cache control (finding F2): 70 is stored for 60 s, so 71.5 is a hit.
    const at = [1, 70, 71.5, 72]
    const r: Partial<Route> = { pattern: '/p/[id]', revalidateS: 60, params: { count: 2, prebuilt: 1 } }
    const v16 = run({ ...scenario(at, r, { restarts: [{ atS: 5 }] }, [1, 1, 1, 1]), next: { version: '16.0' } })
    expect(v16.edge, v16.reproduce).toEqual(['miss', 'stale', 'stale', 'hit'])
    expect(v16.next, v16.reproduce).toEqual([[1, 'miss'], [70, 'stale'], [71.5, 'hit']])
    const v164 = run(scenario(at, r, { restarts: [{ atS: 5 }] }, [1, 1, 1, 1]))
    expect(v164.edge, v164.reproduce).toEqual(['miss', 'stale', 'hit', 'hit'])
  })

  test('a dynamic route passes through: every request is a miss that reaches Next', () => {
    const r = run(scenario([1, 2, 3], { revalidateS: 0, renderS: 0.2 }))
    expect(r.edge, r.reproduce).toEqual(['miss', 'miss', 'miss'])
    expect(r.waits, r.reproduce).toEqual([0.2, 0.2, 0.2])
    expect(r.next.map((n) => n[1]), r.reproduce).toEqual(['dynamic', 'dynamic', 'dynamic'])
    expect(r.result.cdn!.originRequests, r.reproduce).toBe(3)
  })

  test('a cold path: one request goes to Next, the next waits for its answer (the lock)', () => {
    // Path 1 is not prebuilt. 1: CDN miss, Next MISS (blocking render 1 -> 2). 1.5: CDN miss
    // that waits 0.5 s for the same answer (age 1, the render). 3: hit, age 2 (content at 1).
    const r = run(scenario([1, 1.5, 3], { pattern: '/p/[id]', params: { count: 2, prebuilt: 1 } }, {}, [1, 1, 1]))
    expect(r.edge, r.reproduce).toEqual(['miss', 'miss', 'hit'])
    expect(r.waits, r.reproduce).toEqual([1, 0.5, 0])
    expect(r.ages, r.reproduce).toEqual([1, 1, 2])
    expect(r.next, r.reproduce).toEqual([[1, 'miss']])
  })

  test('several PoPs: each keeps its own copy, so each one misses once', () => {
    const atS = Array.from({ length: 40 }, (_, i) => 1 + i * 0.1) // all within one s-maxage
    const r = run(scenario(atS, {}, { deployment: { ...CDN, cdn: { pops: 3 } } }))
    const cdn = r.events.filter((e): e is CdnEvent => e.kind === 'cdn')
    const pops = [...new Set(cdn.map((e) => e.pop))].sort()
    expect(pops, r.reproduce).toEqual([0, 1, 2]) // 40 uniform draws reach all three
    for (const pop of pops) {
      const seen = cdn.filter((e) => e.pop === pop).map((e) => e.outcome)
      expect(seen, `PoP ${pop}: ${r.reproduce}`).toEqual(['miss', ...seen.slice(1).map(() => 'hit')])
    }
    expect(r.result.cdn!.originRequests, r.reproduce).toBe(3)
  })

  test('14 sends a bare stale-while-revalidate: no stale window, so the CDN misses after s-maxage', () => {
    const r = run({ ...scenario([1, 12, 13]), next: { version: '14' } })
    // 12: past s-maxage with no stale window: a miss that Next answers STALE at once (age 12).
    expect(r.edge, r.reproduce).toEqual(['miss', 'miss', 'hit'])
    expect(r.ages, r.reproduce).toEqual([1, 12, 13])
  })
})

describe('§16 result.cdn against the trace, with Poisson traffic and a warmup', () => {
  test('counts after warmup, forwarded requests = what reached Next, and no result.cdn without a CDN', () => {
    const input: ScenarioInput = {
      name: 'cdn counts', durationS: 300, warmupS: 30, next: { version: '16.4' },
      routes: [
        { id: 'isr', pattern: '/p/[id]', revalidateS: 5, renderS: 0.3, params: { count: 30, prebuilt: 10 }, traffic: { rps: 20, unknownRate: 0.5 } },
        { id: 'dyn', pattern: '/d', revalidateS: 0, renderS: 0.05, traffic: { rps: 2 } },
      ],
      deployment: { ...CDN, instances: 2, cdn: { pops: 2 } },
    }
    const r = run(input)
    const wu = 30e6
    for (const id of ['isr', 'dyn']) {
      const cdn = r.events.filter((e): e is CdnEvent => e.kind === 'cdn' && e.route === id && e.atUs >= wu)
      const got = r.result.cdn!.routes[id]!
      expect(got.requests, `${id}: ${r.reproduce}`).toBe(cdn.length)
      for (const o of ['hit', 'stale', 'miss'] as const) expect(got[o], `${id} ${o}: ${r.reproduce}`).toBeCloseTo(cdn.filter((e) => e.outcome === o).length / cdn.length, 8)
      // Every request the CDN forwarded is one Next answered (the trace has Next's as 'request').
      expect(got.originRequests, `${id}: ${r.reproduce}`).toBe(r.result.routes[id]!.requests)
    }
    expect(r.result.cdn!.routes.dyn!.miss, r.reproduce).toBe(1)
    // A crawler's requests carry its index at the edge, and the route counts those that reached Next.
    const crawled = run({ ...input, routes: [{ ...input.routes[0]!, traffic: { rps: 0, crawlers: [{ name: 'bot', revisitS: 30 }] } }] })
    const bot = crawled.events.filter((e): e is CdnEvent => e.kind === 'cdn' && e.atUs >= wu)
    expect(bot.length, crawled.reproduce).toBe(270) // 30 paths every 30 s, from 30 s to 300 s
    expect(bot.every((e) => e.crawler === 0), crawled.reproduce).toBe(true)
    expect(crawled.result.routes.isr!.crawlerRequests, crawled.reproduce).toBe(crawled.result.cdn!.originRequests)
    // Replications give the CDN's figures as intervals too.
    const reps = runScenario(parseScenario(input), { replications: 3 })
    expect(reps.intervals?.cdn?.stale, r.reproduce).toMatchObject({ mean: expect.any(Number), low: expect.any(Number), high: expect.any(Number) })
    expect(reps.intervals!.cdn!.stale!.low, r.reproduce).toBeLessThanOrEqual(reps.intervals!.cdn!.stale!.high)
    const { deployment: _, ...noCdn } = input
    expect(traced(noCdn).result.cdn, 'a scenario without deployment.cdn has no result.cdn').toBeUndefined()
  })
})

describe('§16 bad input', () => {
  test('more PoPs × paths than isrsim keeps, with traffic that can reach half of them: a ScenarioError naming deployment.cdn.pops (exit 2 on the command line)', () => {
    const input: ScenarioInput = { name: 'big', durationS: 10, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 10, renderS: 0.1, params: { count: 5000 }, traffic: { rps: 300_000 } }], deployment: { ...CDN, cdn: { pops: 1000 } } }
    expect(() => runScenario(parseScenario(input))).toThrow(ScenarioError)
    expect(() => runScenario(parseScenario(input))).toThrow(/deployment\.cdn\.pops: 1000 PoPs × 5000 paths is 5000000 cached paths, more than the 4194304/)
  })
  test('with light traffic the same 5M (PoP, path) slots keep lazy records: the run goes through', () => {
    const input: ScenarioInput = { name: 'big', durationS: 10, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 10, renderS: 0.1, params: { count: 5000 }, traffic: { rps: 100 } }], deployment: { ...CDN, cdn: { pops: 1000 } } }
    const r = runScenario(parseScenario(input))
    expect(r.routes.p!.requests).toBeGreaterThan(900)
    // 1000 PoPs: nearly every request is the first of its (PoP, path), a CDN miss (a fraction of requests).
    expect(r.cdn!.miss).toBeGreaterThan(0.8)
    expect(r.cdn!.originRequests).toBeGreaterThan(0.8 * r.routes.p!.requests)
  })
})
