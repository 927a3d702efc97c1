/**
 * The Data Cache (docs/semantics.md rule A10, §5.3). Hand-traced micro-scenarios.
 */
import { describe, expect, test } from 'vitest'
import type { ScenarioInput } from '../sim/index.ts'
import type { TraceEvent } from '../sim/index.ts'
import type { NextVersion } from '../sim/scenario/schema.ts'
import { traced, s } from './helpers.ts'
import { secToUs } from '../sim/kernel/time.ts'

type Route = ScenarioInput['routes'][number]
const fetchesOf = (events: TraceEvent[]) => events.filter((e): e is Extract<TraceEvent, { kind: 'fetch' }> => e.kind === 'fetch').map((e) => [s(e.atUs), e.fetch, e.mode])

function one(route: Partial<Route>, atS: number[], version: NextVersion = '16.4', extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'dc', durationS: (atS[atS.length - 1] ?? 0) + 30, next: { version },
    routes: [{ id: 'r', pattern: '/', renderS: 0.1, traffic: { rps: 0, schedule: { atS } }, ...route }],
    ...extra,
  }
}

describe('A10 §5.3 in dynamic renders: stale data now, refreshed in the background, with no de-duplication', () => {
  test('a dynamic layout over a fetch with revalidate 3: one origin call per 3 s at low load, one per request under load', () => {
    // Part A: "the fetch went to the origin about once every 3 s at low load. Under 50-connection
    // load that became 43 calls in 10 s ..., because background refreshes are not de-duplicated".
    // Origin latency 0.5 s. The build prerendered the page until the layout bailed out, and
    // its fetch ran then: the Data Cache holds "posts" from t=0 (finding F7, docs/semantics.md).
    // t=0..3: fresh (3 - 0 <= 3). t=4: stale (4 > 3) -> served stale, background call, set at 4.5.
    // t=4.1, 4.2: still stale (the refresh has not landed) -> a background call each.
    // t=5: fresh (set at 4.7, the last to land).
    const t = traced(one({ revalidateS: 60, layouts: [{ dynamic: true }], fetches: [{ id: 'posts', revalidateS: 3, latencyS: 0.5 }] }, [0, 1, 2, 3, 4, 4.1, 4.2, 5]))
    expect(t.outcomes.every((o) => o === 'dynamic')).toBe(true)
    expect(fetchesOf(t.events)).toEqual([[4, 'posts', 'background'], [4.1, 'posts', 'background'], [4.2, 'posts', 'background']])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    expect(t.result.fetches.posts).toEqual({ originFetches: 3, keys: 1, cached: true })
    expect(t.result.totals.originFetches).toBe(3)
  })

  test.each([15, 16, 17, 32, 33, 64, 65])('%i calls in flight at once for one entry: each lands at its own completion, in call order', (n) => {
    // Origin latency 5 s, revalidate 3: requests at t=4.00, 4.05, ... (all before the first
    // call lands at 9) find the entry (from the build, t=0) stale and each makes a background
    // call, n calls in flight together, the last landing at L = 4 + (n - 1)/20 + 5. At
    // L + 2.98 the entry, written at L, is fresh: no call (had the last write been lost, the
    // one before, 0.05 s earlier, would make it stale). At L + 3.1 it is stale again: one
    // call. Sizes around powers of two: the calls in flight wait in a ring that grows.
    const burst = Array.from({ length: n }, (_, i) => 4 + i / 20)
    const landS = 4 + (n - 1) / 20 + 5
    const t = traced(one({ revalidateS: 60, layouts: [{ dynamic: true }], fetches: [{ id: 'posts', revalidateS: 3, latencyS: 5 }] }, [...burst, landS + 2.98, landS + 3.1]))
    expect(fetchesOf(t.events)).toEqual([...burst, landS + 3.1].map((at) => [s(secToUs(at)), 'posts', 'background']))
    expect(t.result.fetches.posts!.originFetches).toBe(n + 1)
  })

  test('a dynamic page (cookies() in the page itself) is not prerendered: its first request fetches in the foreground', () => {
    const t = traced(one({ revalidateS: 60, dynamic: true, fetches: [{ id: 'posts', revalidateS: 3, latencyS: 0.5 }] }, [0, 1, 4]))
    expect(fetchesOf(t.events)).toEqual([[0, 'posts', 'foreground'], [4, 'posts', 'background']])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0.6, 0.1, 0.1])
  })
})

describe('A10 §5.3 in ISR regenerations: a stale entry is refetched in the foreground', () => {
  test('the build fills the Data Cache; a stale entry makes the regeneration wait for the origin; entries are shared across routes', () => {
    // Two ISR pages read the same fetch "nav" (revalidate 60, latency 0.5). Both prebuilt at 0,
    // page revalidate 10, render 0.1. `next build` fetched "nav" at 0 (.next/cache/fetch-cache).
    // t=11 a: STALE -> regeneration; nav is fresh (11 - 0 <= 60): no call; render 11..11.1.
    // t=12 b: STALE -> regeneration; nav fresh: no call.
    // t=80 a: STALE -> regeneration; nav is stale (80 > 60): foreground call, render 80..80.6; nav set at 80.5.
    // t=81 b: regeneration (81 - 12.1 > 10); nav is fresh again, written by a's render: no call.
    const route = (id: string, atS: number[]): Route => ({ id, pattern: `/${id}`, revalidateS: 10, renderS: 0.1, fetches: [{ id: 'nav', revalidateS: 60, latencyS: 0.5 }], traffic: { rps: 0, schedule: { atS } } })
    const t = traced({ name: 'shared', durationS: 100, routes: [route('a', [11, 80]), route('b', [12, 81])] })
    expect(fetchesOf(t.events)).toEqual([[80, 'nav', 'foreground']])
    expect(t.renders.map((r) => [r.route, s(r.atUs), Math.round(s(r.endUs - r.atUs) * 1000) / 1000])).toEqual([['a', 11, 0.1], ['b', 12, 0.1], ['a', 80, 0.6], ['b', 81, 0.1]])
    // The effective revalidate is the lowest: the page's 10 beats the fetch's 60.
    expect(t.result.routes.a!.effectiveRevalidateS).toBe(10)
  })

  test('§3.5: an HTTP error from the origin is not a failure: the page renders and is cached, the data is not', () => {
    // Cold path: t=1 MISS (the page renders with the error response); nothing goes into the Data Cache.
    // t=12 STALE (12 - 2 > 10): the regeneration finds no "cms" entry and calls the origin again.
    const t = traced(one({ revalidateS: 10, params: { count: 1, prebuilt: 0 }, pattern: '/p/[id]', fetches: [{ id: 'cms', revalidateS: 3600, failureRate: 1 }] }, [1, 2, 12]))
    expect(t.outcomes).toEqual(['miss', 'hit', 'stale'])
    expect(t.result.totals.error).toBe(0)
    expect(t.result.fetches.cms!.originFetches).toBe(2)
  })
})

describe('§5.2 fetch defaults: a fetch with no cache option', () => {
  // A dynamic page with a plain fetch (no revalidate, no tags). Requests at 0, 1, 2.
  const input = (v: NextVersion) => one({ dynamic: true, fetches: [{ id: 'plain' }] }, [0, 1, 2], v)

  test.each(['15', '16.0', '16.4'] as const)('%s: not cached at runtime, so every render calls the origin', (v) => {
    const t = traced(input(v))
    expect(t.result.fetches.plain).toEqual({ originFetches: 3, keys: 1, cached: false })
  })

  test('14: not cached in a dynamic route either (its revalidate is 0)', () => {
    expect(traced(input('14')).result.fetches.plain!.originFetches).toBe(3)
  })

  test.each([
    ['14', 2],
    ['15', 3],
    ['16.4', 3],
  ] as const)('%s in ISR routes: a plain fetch is cached with the route\'s revalidate on 14 only (%i origin calls)', (v, calls) => {
    // Pages a and b (revalidate 10, prebuilt at 0, render 0.1) share a plain fetch.
    // t=11 a regenerates: 14's build-cached entry (written at 0, revalidate 10) is stale -> call; 15+: call.
    // t=12 b regenerates: 14 reuses the entry written at 11 (fresh); 15+: call.
    // t=23 b regenerates (23 - 12.1 > 10): 14's entry is stale again (23 - 11 > 10) -> call; 15+: call.
    const route = (id: string, atS: number[]): Route => ({ id, pattern: `/${id}`, revalidateS: 10, renderS: 0.1, fetches: [{ id: 'plain' }], traffic: { rps: 0, schedule: { atS } } })
    const t = traced({ name: 'plain', durationS: 40, next: { version: v }, routes: [route('a', [5, 11]), route('b', [5.5, 12, 23])] })
    expect(t.result.fetches.plain!.originFetches).toBe(calls)
  })
})

describe('§4.1 tags reach Data Cache entries: their own tags and the page\'s soft tags', () => {
  // /blog/[slug], 3 paths, revalidate false, per-path fetch "post" (tags post:{slug}) and shared
  // fetch "nav" (tag nav). Prebuilt at 0 with empty Data Cache; warm both at t=1..3.
  const base = (onDemand: NonNullable<ScenarioInput['onDemand']>, atS: number[], path: number[]): ScenarioInput => ({
    name: 'tags', durationS: 100,
    routes: [{
      id: 'post', pattern: '/blog/[slug]', revalidateS: false, renderS: 0.1, params: { count: 3, prebuilt: 0 },
      fetches: [{ id: 'post', tags: ['post:{slug}'] }, { id: 'nav', revalidateS: 3600, tags: ['nav'] }],
      traffic: { rps: 0, schedule: { atS, path } },
    }],
    onDemand,
  })

  test('revalidateTag("post:1") expires page 1 and its own fetch entry, not the shared one', () => {
    // t=1,2,3: cold renders of paths 0,1,2 (post:0..2 fetched; nav fetched once at t=1).
    // revalidateTag("post:1") at 10: page 1 and fetch post#1 expire. t=11 path 1: MISS; render refetches post#1 only.
    const t = traced(base([{ kind: 'revalidateTag', tag: 'post:1', atS: 10 }], [1, 2, 3, 11], [0, 1, 2, 1]))
    expect(t.outcomes).toEqual(['miss', 'miss', 'miss', 'miss'])
    expect(t.events.filter((e) => e.kind === 'fetch').map((e) => e.kind === 'fetch' && `${e.fetch}#${e.key}@${s(e.atUs)}`)).toEqual(['post#0@1', 'nav#0@1', 'post#1@2', 'post#2@3', 'post#1@11'])
  })

  test('revalidatePath("/blog/2") also expires the fetch entries that page reads (soft tags)', () => {
    const t = traced(base([{ kind: 'revalidatePath', path: '/blog/2', atS: 10 }], [1, 2, 3, 11], [0, 1, 2, 2]))
    expect(t.events.filter((e) => e.kind === 'fetch').map((e) => e.kind === 'fetch' && `${e.fetch}#${e.key}@${s(e.atUs)}`)).toEqual(['post#0@1', 'nav#0@1', 'post#1@2', 'post#2@3', 'post#2@11', 'nav#0@11'])
  })
})

describe('§5.3: a 16.3+ expired render is an on-demand revalidation and bypasses the Data Cache', () => {
  // Page revalidate 10, expireTime 100; fetch "cms" revalidate 3600, latency 0.5, filled by the build at 0.
  // t=11 STALE -> background render; "cms" is fresh: no call.
  // t=200: 200 - 11.1 > 100 = expire.
  //   16.4: blocking render that bypasses the Data Cache -> an origin call although "cms" is fresh.
  //   16.0: expire is not enforced: STALE, background render reads the fresh "cms" entry: no call.
  const input = (version: NextVersion) => one({ revalidateS: 10, fetches: [{ id: 'cms', revalidateS: 3600, latencyS: 0.5 }] }, [11, 200], version, { next: { version, expireTimeS: 100 } })

  test('16.4: the expired render calls the origin although the entry is fresh', () => {
    const t = traced(input('16.4'))
    expect(t.outcomes).toEqual(['stale', 'miss'])
    expect(fetchesOf(t.events)).toEqual([[200, 'cms', 'foreground']])
  })

  test('16.0: served stale; the regeneration reads the fresh Data Cache entry', () => {
    const t = traced(input('16.0'))
    expect(t.outcomes).toEqual(['stale', 'stale'])
    expect(fetchesOf(t.events)).toEqual([])
  })
})
