/**
 * The Data Cache (shared/isr-semantics.md rule A10, §5.3). Hand-traced micro-scenarios.
 */
import { describe, expect, test } from 'vitest'
import type { ScenarioInput } from '../sim/index.ts'
import type { TraceEvent } from '../sim/index.ts'
import type { NextVersion } from '../sim/scenario.ts'
import { traced, s } from './helpers.ts'

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
    // Origin latency 0.5 s. t=0: no entry -> foreground call (the render waits 0.5 s), entry set at 0.5.
    // t=1, 2, 3: fresh (3 - 0.5 <= 3). t=4: stale (3.5 > 3) -> served stale, background call, set at 4.5.
    // t=4.1, 4.2: still stale (the refresh has not landed) -> a background call each.
    // t=5: fresh (set at 4.7, the last to land).
    const t = traced(one({ revalidateS: 60, layouts: [{ dynamic: true }], fetches: [{ id: 'posts', revalidateS: 3, latencyS: 0.5 }] }, [0, 1, 2, 3, 4, 4.1, 4.2, 5]))
    expect(t.outcomes.every((o) => o === 'dynamic')).toBe(true)
    expect(fetchesOf(t.events)).toEqual([[0, 'posts', 'foreground'], [4, 'posts', 'background'], [4.1, 'posts', 'background'], [4.2, 'posts', 'background']])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0.6, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    expect(t.result.fetches.posts).toEqual({ originFetches: 4, keys: 1, cached: true })
    expect(t.result.totals.originFetches).toBe(4)
  })
})

describe('A10 §5.3 in ISR regenerations: a stale entry is refetched in the foreground', () => {
  test('the regeneration waits for the origin; the entry is shared with another route', () => {
    // Two ISR pages read the same fetch "nav" (revalidate 60, latency 0.5). Both prebuilt at 0,
    // page revalidate 10, render 0.1. The build's Data Cache is empty at start.
    // t=11 a: STALE -> regeneration; "nav" has no entry: foreground call; render 11..11.6; nav set at 11.5.
    // t=12 b: STALE -> regeneration; "nav" is fresh (written by a's render): no call; render 12..12.1.
    // t=80 a: STALE -> regeneration; nav is stale (80 - 11.5 > 60): foreground call again.
    const route = (id: string, atS: number[]): Route => ({ id, pattern: `/${id}`, revalidateS: 10, renderS: 0.1, fetches: [{ id: 'nav', revalidateS: 60, latencyS: 0.5 }], traffic: { rps: 0, schedule: { atS } } })
    const t = traced({ name: 'shared', durationS: 100, routes: [route('a', [11, 80]), route('b', [12])] })
    expect(fetchesOf(t.events)).toEqual([[11, 'nav', 'foreground'], [80, 'nav', 'foreground']])
    expect(t.renders.map((r) => [r.route, s(r.atUs), Math.round(s(r.endUs - r.atUs) * 1000) / 1000])).toEqual([['a', 11, 0.6], ['b', 12, 0.1], ['a', 80, 0.6]])
    // The effective revalidate is the lowest: the page's 10 beats the fetch's 60.
    expect(t.result.routes.a!.effectiveRevalidateS).toBe(10)
  })

  test('a failing origin call fails the render: a cold path answers 500', () => {
    const t = traced(one({ revalidateS: 10, params: { count: 1, prebuilt: 0 }, pattern: '/p/[id]', fetches: [{ id: 'cms', revalidateS: 10, failureRate: 1 }] }, [1, 2]))
    expect(t.outcomes).toEqual(['error', 'error'])
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

  test('14: cached ("auto cache"), so only the first render calls the origin', () => {
    const t = traced(input('14'))
    expect(t.result.fetches.plain).toEqual({ originFetches: 1, keys: 1, cached: true })
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
  // Page revalidate 10, expireTime 100; fetch "cms" revalidate 3600, latency 0.5.
  // t=11 STALE -> background render; "cms" has no entry -> origin call 1 (entry written at 11.5).
  // t=200: 200 - 11.6 > 100 = expire.
  //   16.4: blocking render that bypasses the Data Cache -> origin call 2 although "cms" is fresh.
  //   16.0: expire is not enforced: STALE, background render reads the fresh "cms" entry: no call.
  const input = (version: NextVersion) => one({ revalidateS: 10, fetches: [{ id: 'cms', revalidateS: 3600, latencyS: 0.5 }] }, [11, 200], version, { next: { version, expireTimeS: 100 } })

  test('16.4: the expired render calls the origin again', () => {
    const t = traced(input('16.4'))
    expect(t.outcomes).toEqual(['stale', 'miss'])
    expect(fetchesOf(t.events)).toEqual([[11, 'cms', 'foreground'], [200, 'cms', 'foreground']])
  })

  test('16.0: served stale; the regeneration reads the fresh Data Cache entry', () => {
    const t = traced(input('16.0'))
    expect(t.outcomes).toEqual(['stale', 'stale'])
    expect(fetchesOf(t.events)).toEqual([[11, 'cms', 'foreground']])
  })
})
