/**
 * unstable_cache (docs/semantics.md §13): hand-traced micro-scenarios under the 15 and 16.4
 * profiles, and 14 where the one-cycle lag differs. Each trace mirrors what was observed on
 * next start 15.5.29 and 16.4.6 (§13, "Observed"). Reproduce one:
 * npx vitest run test/unstable-cache.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, ScenarioError, type ScenarioInput, type TraceEvent } from '../sim/index.ts'
import type { NextVersion } from '../sim/scenario/schema.ts'
import { s, traced } from './helpers.ts'

type Route = ScenarioInput['routes'][number]
type Fetch = NonNullable<Route['fetches']>[number]
const fetchesOf = (events: TraceEvent[]) => events.flatMap((e) => (e.kind === 'fetch' ? [[s(e.atUs), e.fetch, e.mode] as const] : []))
const durations = (t: ReturnType<typeof traced>) => t.renders.map((r) => [r.route, s(r.atUs), Math.round((r.endUs - r.atUs) / 1e3) / 1e3])

/** An unstable_cache function "data" (revalidate 5, tag "data") and the pages reading it. */
const data = (extra: Partial<Fetch> = {}): Fetch => ({ id: 'data', kind: 'unstable_cache', revalidateS: 5, tags: ['data'], ...extra })
const page = (id: string, atS: number[], extra: Partial<Route> = {}): Route =>
  ({ id, pattern: `/${id}`, revalidateS: 5, renderS: 0.1, fetches: [data()], traffic: { rps: 0, schedule: { atS } }, ...extra })
const input = (v: NextVersion, routes: Route[], extra: Partial<ScenarioInput> = {}): ScenarioInput =>
  ({ name: 'uc', durationS: 40, next: { version: v }, routes, ...extra })

describe('§13.2 a regeneration and a stale unstable_cache entry: the fresh value (15, 16.4) or the one-cycle lag (14)', () => {
  // Page /p, revalidate 5, prebuilt; "data" revalidate 5, latency 0.5, filled by the build at 0
  // (§13.1). A data change at 3 s, so the freshness figures say which data each page shows.
  // t=6: page stale (6 > 5): STALE, regeneration; "data" stale (6 - 0 > 5).
  //   15, 16.4: the regeneration waits for the origin: call at 6 (foreground), render 6..6.6,
  //     the page shows data read at 6; t=7 HIT reflects the change: lag 7 - 3 = 4.
  //   14: the regeneration keeps the stale value (read at 0) and refreshes "data" in the
  //     background: call at 6, written 6.5; render 6..6.1. t=7 HIT still shows the data of 0.
  // t=13: page stale (15/16.4: 13 - 6.6 > 5; 14: 13 - 6.1 > 5): STALE, regeneration; "data"
  //   written at 6.5 is stale (13 - 6.5 > 5): a call at 13, foreground (15, 16.4) or
  //   background (14, whose page now shows the value fetched at 6). t=14 HIT: 14 reflects the
  //   change with lag 14 - 3 = 11, one page cycle late.
  const run = (v: NextVersion) => traced(input(v, [page('p', [6, 7, 13, 14], { fetches: [data({ latencyS: 0.5 })] })], { dataChanges: [{ fetch: 'data', atS: 3 }] }))

  test.each(['15', '16.4'] as const)('%s: the regeneration waits for the fresh value (observed on 15.5.29 and 16.4.6)', (v) => {
    const t = run(v)
    expect(t.outcomes).toEqual(['stale', 'hit', 'stale', 'hit'])
    expect(fetchesOf(t.events)).toEqual([[6, 'data', 'foreground'], [13, 'data', 'foreground']])
    expect(durations(t)).toEqual([['p', 6, 0.6], ['p', 13, 0.6]])
    expect(t.result.freshness!.dataLagMeanS).toBe(4)
    // Outdated: t=6 (the build's page, data of 0, after the change at 3). t=7, 13, 14 are not.
    expect(t.result.freshness!.outdatedServedFraction).toBe(0.25)
  })

  test('14: the regeneration bakes the stale value in and refreshes it in the background (the one-cycle lag)', () => {
    const t = run('14')
    expect(t.outcomes).toEqual(['stale', 'hit', 'stale', 'hit'])
    expect(fetchesOf(t.events)).toEqual([[6, 'data', 'background'], [13, 'data', 'background']])
    expect(durations(t)).toEqual([['p', 6, 0.1], ['p', 13, 0.1]])
    expect(t.result.freshness!.dataLagMeanS).toBe(11)
    // t=6, 7 and 13 show the data of 0; only t=14 shows the value fetched at 6.
    expect(t.result.freshness!.outdatedServedFraction).toBe(0.75)
  })
})

describe('§13.1 the entry: its revalidate lowers the page, it is always cached, strict age > revalidate, kept across restarts', () => {
  test.each(['15', '16.4'] as const)('%s: revalidate 4 under a page revalidate of 60 gives the route 4 (observed: s-maxage=4 on both)', (v) => {
    const t = traced(input(v, [page('low', [1], { revalidateS: 60, fetches: [data({ revalidateS: 4, tags: ['low'] })] })]))
    expect(t.result.routes.low!.effectiveRevalidateS).toBe(4)
  })

  test.each(['14', '15', '16.4'] as const)('%s: with neither revalidate nor tags it is still cached, for one year: one origin call for three dynamic renders', (v) => {
    // A plain fetch with no option is not cached from 15 on (§5.2): 3 calls. unstable_cache: 1.
    const t = traced(input(v, [page('d', [0, 1, 2], { dynamic: true, fetches: [{ id: 'cfg', kind: 'unstable_cache' }] })]))
    expect(fetchesOf(t.events)).toEqual([[0, 'cfg', 'foreground']])
    expect(t.result.fetches.cfg).toEqual({ originFetches: 1, keys: 1, cached: true })
  })

  test('16.4: without its own revalidate it does not take the route\'s (a fetch with tags would): a regeneration at 11 makes no call', () => {
    // Page revalidate 10, prebuilt; the build filled both entries at 0. At 11 the fetch entry
    // (the route's 10, finding F11) is stale, the unstable_cache entry (one year) is not.
    const t = traced(input('16.4', [page('p', [11], { revalidateS: 10, fetches: [{ id: 'uc', kind: 'unstable_cache', tags: ['x'] }, { id: 'f', tags: ['x'] }] })]))
    expect(fetchesOf(t.events)).toEqual([[11, 'f', 'foreground']])
  })

  test.each(['15', '16.4'] as const)('%s: stale only when strictly older than its revalidate, to the microsecond', (v) => {
    // A dynamic page (not prerendered): t=0 miss, foreground call, written at 0 (latency 0).
    // t=5: age 5, not > 5: fresh. t=5.000001: stale, served, refreshed in the background.
    const t = traced(input(v, [page('d', [0, 5, 5.000001], { dynamic: true })]))
    expect(fetchesOf(t.events)).toEqual([[0, 'data', 'foreground'], [5.000001, 'data', 'background']])
  })

  test.each(['15', '16.4'] as const)('%s: entries survive a restart (on disk with the fetch cache; observed on 16.4.6)', (v) => {
    // t=0 foreground call; restart at 3; t=4 the entry written at 0 is fresh: no call; t=7 stale: background call.
    const t = traced(input(v, [page('d', [0, 4, 7], { dynamic: true })], { restarts: [{ atS: 3 }] }))
    expect(fetchesOf(t.events)).toEqual([[0, 'data', 'foreground'], [7, 'data', 'background']])
  })
})

describe('§13.3 a dynamic render: the stale value now, refreshed in the background; one entry shared across routes', () => {
  // The observation on both versions: /p (ISR, revalidate 5) and /d (dynamic) read the same
  // function. The build filled "data" at 0. t=6 /p: STALE, its regeneration refreshes "data"
  // in the foreground (14: background), written at 6. t=7 /d: fresh (7 - 6 <= 5): no call.
  // t=13 /d: stale (13 - 6 > 5): the value of 6 now, a background call. t=13.5 /d: fresh, no call.
  test.each([['14', 'background'], ['15', 'foreground'], ['16.4', 'foreground']] as const)('%s', (v, regeneration) => {
    const t = traced(input(v, [page('p', [6]), page('d', [7, 13, 13.5], { dynamic: true })]))
    expect(fetchesOf(t.events)).toEqual([[6, 'data', regeneration], [13, 'data', 'background']])
    expect(t.requests.filter((r) => r.route === 'd').map((r) => s(r.latencyUs))).toEqual([0.1, 0.1, 0.1])
    expect(t.result.fetches.data!.keys).toBe(1)
  })
})

describe('§13.4 tags and paths on unstable_cache entries', () => {
  // /p revalidate 60 and "data" revalidate 300 (so that nothing goes stale by time), latency
  // 0.5, both filled by the build at 0. revalidateTag("data") at 10.
  const tagged = (v: NextVersion, profile: boolean) => input(v, [page('p', [11, 12], { revalidateS: 60, fetches: [data({ revalidateS: 300, latencyS: 0.5 })] })], {
    onDemand: [{ kind: 'revalidateTag', tag: 'data', atS: 10, ...(profile ? { profile: 'max' as const } : {}) }],
  })

  test('16.4, revalidateTag("data", "max"): the page is STALE and its regeneration refreshes the entry in the foreground (observed on 16.4.6)', () => {
    const t = traced(tagged('16.4', true))
    expect(t.outcomes).toEqual(['stale', 'hit'])
    expect(fetchesOf(t.events)).toEqual([[11, 'data', 'foreground']])
    expect(durations(t)).toEqual([['p', 11, 0.6]])
  })

  test('15, revalidateTag("data"): the page is a MISS and the entry a miss, fetched while the request waits (observed on 15.5.29)', () => {
    const t = traced(tagged('15', false))
    expect(t.outcomes).toEqual(['miss', 'hit'])
    expect(fetchesOf(t.events)).toEqual([[11, 'data', 'foreground']])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0.6, 0])
  })

  test.each([['16.4', 'background', 0.1], ['15', 'foreground', 0.6]] as const)('%s, a dynamic render after revalidateTag: stale value and a background refresh on 16.4 ("max"), a miss on 15', (v, mode, latencyS) => {
    // /d dynamic (not prerendered): t=1 fills "data" (foreground, latency 0.5). Tag at 10.
    // 16.4 (stale): t=11 the old value, background call; 15 (revalidated-at): a miss, foreground. t=12: fresh.
    const t = traced(input(v, [page('d', [1, 11, 12], { dynamic: true, fetches: [data({ revalidateS: 300, latencyS: 0.5 })] })], {
      onDemand: [{ kind: 'revalidateTag', tag: 'data', atS: 10, ...(v === '16.4' ? { profile: 'max' as const } : {}) }],
    }))
    expect(fetchesOf(t.events)).toEqual([[1, 'data', 'foreground'], [11, 'data', mode]])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0.6, latencyS, 0.1])
  })

  test.each(['15', '16.4'] as const)('%s, revalidatePath("/p"): the page\'s implicit tag expires the entry it reads (soft tags)', (v) => {
    const t = traced(input(v, [page('p', [11, 12], { revalidateS: 60, fetches: [data({ revalidateS: 300 })] })], { onDemand: [{ kind: 'revalidatePath', path: '/p', atS: 10 }] }))
    expect(t.outcomes).toEqual(['miss', 'hit'])
    expect(fetchesOf(t.events)).toEqual([[11, 'data', 'foreground']])
  })
})

describe('§13 bad input', () => {
  function issuesOf(x: ScenarioInput): string[] {
    try {
      parseScenario(x)
      return []
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e
      return e.issues.map((i) => `${i.path}: ${i.message}`)
    }
  }

  test('revalidate 0 is refused (unstable_cache throws on it)', () => {
    expect(issuesOf(input('16.4', [page('p', [1], { fetches: [data({ revalidateS: 0 })] })]))).toEqual(['routes[0].fetches[0].revalidateS: must be false or seconds >= 1: unstable_cache throws on revalidate 0'])
  })

  test('one id is one cache key: a fetch and an unstable_cache function cannot share it', () => {
    const x = input('15', [page('a', [1], { fetches: [{ id: 'data', revalidateS: 5, tags: ['data'] }] }), page('b', [1])])
    expect(issuesOf(x)).toEqual(['routes[1].fetches[0].kind: is "unstable_cache" but routes[0].fetches[0] uses the id "data" as "fetch"; one fetch id is one cache key, so its kind must match'])
  })
})
