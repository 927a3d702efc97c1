/**
 * The Pages Router (docs/semantics.md §14), hand-traced: getStaticProps revalidate, getStaticPaths
 * fallback false / "blocking" / true, notFound and redirect results, res.revalidate, tags that do
 * not reach Pages entries, restarts and expire, Pages and App routes side by side. Each test says
 * its derivation; where a switch or rule differs by version it runs under 15 and 16.4 (and 14
 * where res.revalidate differs). Reproduce one: npx vitest run test/pages.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, ScenarioError, type NextVersion, type ScenarioInput } from '../sim/index.ts'
import { s, traced, type RouteInput } from './helpers.ts'

/** A Pages route /p/[id] with `count` paths, the first `prebuilt` of them prebuilt, requested at atS (path indexes `path`). */
function pages(v: NextVersion, route: Partial<RouteInput> & { params: NonNullable<RouteInput['params']> }, atS: number[], path: number[], extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'pages', durationS: 100, next: { version: v },
    routes: [{ id: 'p', router: 'pages', pattern: '/p/[id]', revalidateS: 10, renderS: 1, ...route, traffic: { rps: 0, schedule: { atS, path } } }],
    ...extra,
  }
}

const BOTH = ['15', '16.4'] as const

describe('§14.1 getStaticProps revalidate: the App Router\'s timing', () => {
  test.each(BOTH)('%s: revalidate 5, render 2: STALE at 6 regenerates 6..8, HIT until 13, STALE after', (v) => {
    // Prebuilt at 0. t=6 STALE -> regen 6..8. t=11.5, 13 HIT (13 - 8 = 5 <= 5). t=13.000001 STALE.
    // Observed on 16.4.6 and 15.5.29 (§14.1): HIT, STALE 3.5 s after the render, then HIT with the new render.
    const t = traced(pages(v, { revalidateS: 5, renderS: 2, params: { count: 1 } }, [6, 11.5, 13, 13.000001], [0, 0, 0, 0]))
    expect(t.outcomes).toEqual(['stale', 'hit', 'hit', 'stale'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[6, 'background'], [13.000001, 'background']])
  })
})

describe('§14.2 fallback false and "blocking"', () => {
  test.each(BOTH)('%s: fallback false: a path not prebuilt is a 404 with no render, before the cache', (v) => {
    // Path 1 is not prebuilt (prebuilt 1 of 2). t=1 404, t=2 path 0 HIT, t=3 404 again: nothing rendered or cached.
    const t = traced(pages(v, { params: { count: 2, prebuilt: 1, fallback: false } }, [1, 2, 3], [1, 0, 1]))
    expect(t.outcomes).toEqual(['notFound', 'hit', 'notFound'])
    expect(t.renders).toHaveLength(0)
    expect(t.result.totals.notFound).toBe(2)
  })

  test.each(BOTH)('%s: fallback "blocking" (the default): MISS with a blocking render, then HIT', (v) => {
    // Path 1 not prebuilt. t=1 MISS (render 1..2, latency 1). t=1.5 joins (MISS, latency 0.5). t=2 HIT (age 1).
    for (const fallback of ['blocking', undefined] as const) {
      const t = traced(pages(v, { params: { count: 2, prebuilt: 1, ...(fallback === undefined ? {} : { fallback }) } }, [1, 1.5, 2], [1, 1, 1]))
      expect(t.outcomes, String(fallback)).toEqual(['miss', 'miss', 'hit'])
      expect(t.requests.map((r) => s(r.latencyUs))).toEqual([1, 0.5, 0])
      expect(t.renders.map((r) => r.mode)).toEqual(['blocking'])
      expect('fallback' in t.result.totals, 'no fallback: true route, no fallback outcome').toBe(false)
    }
  })

  test('one-off unknown paths: fallback false costs nothing, "blocking" a blocking render each', () => {
    const route = (fallback: false | 'blocking'): ScenarioInput => ({
      name: 'u', durationS: 100, routes: [{ id: 'p', router: 'pages', pattern: '/p/[id]', revalidateS: 60, renderS: 0.5, params: { count: 1, fallback }, traffic: { rps: 0, arrivals: 'uniform', unknownRate: 2 } }],
    })
    // 2/s evenly for 100 s: 200 requests.
    expect(traced(route(false)).result.totals).toMatchObject({ requests: 200, notFound: 200, renders: 0 })
    expect(traced(route('blocking')).result.totals).toMatchObject({ requests: 200, miss: 200, blockingRenders: 200 })
  })
})

describe('§14.3 fallback true: the shell, and the render a data request starts', () => {
  test.each(BOTH)('%s: the first request gets the shell and starts the render; a request meanwhile waits for it; then HIT', (v) => {
    // Path 1 not prebuilt, render 1 s. t=1: the shell (outcome fallback, no latency, no age) and the
    // browser's data request renders 1..2. t=1.5: joins that render (MISS, latency 0.5). t=2: HIT, age 1.
    const t = traced(pages(v, { params: { count: 2, prebuilt: 1, fallback: true } }, [1, 1.5, 2, 3], [1, 1, 1, 0]))
    expect(t.outcomes).toEqual(['fallback', 'miss', 'hit', 'hit'])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([0, 0.5, 0, 0])
    expect(s(t.requests[2]!.ageUs)).toBe(1)
    expect(t.requests[0]!.ageUs).toBe(-1)
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[1, 'blocking']])
    expect(t.result.totals).toMatchObject({ requests: 4, fallback: 1, miss: 1, hit: 2, blockingRenders: 1, isrWrites: 1 })
    expect(t.result.series.bins.reduce((n, b) => n + (b.fallback ?? 0), 0)).toBe(1)
    // The shell records no age: the served-age samples are the three page responses.
    expect(t.result.ageCdf.p!.samples).toBe(3)
  })

  test('a bot\'s request renders the page blocking (MISS), with no shell', () => {
    // One path, not prebuilt, revalidate false; a crawler visits it every 40 s over 100 s (2 or 3
    // visits): the first is a MISS that renders, the others HIT. No shell.
    const t = traced({
      name: 'bot', durationS: 100,
      routes: [{ id: 'p', router: 'pages', pattern: '/p/[id]', revalidateS: false, renderS: 1, params: { count: 1, prebuilt: 0, fallback: true }, traffic: { rps: 0, crawlers: [{ name: 'Googlebot', revisitS: 40 }] } }],
    })
    expect(t.outcomes[0]).toBe('miss')
    expect(t.outcomes.slice(1)).toEqual(t.outcomes.slice(1).map(() => 'hit'))
    expect(t.result.totals).toMatchObject({ fallback: 0, blockingRenders: 1, crawlerRenders: 1 })
  })

  test('one-off unknown paths: each gets the shell at once, and its render is a blocking one that writes', () => {
    const t = traced({
      name: 'u', durationS: 100,
      routes: [{ id: 'p', router: 'pages', pattern: '/p/[id]', revalidateS: 60, renderS: 0.5, params: { count: 1, fallback: true }, traffic: { rps: 0, arrivals: 'uniform', unknownRate: 2 } }],
    })
    expect(t.result.totals).toMatchObject({ requests: 200, fallback: 200, blockingRenders: 200, isrWrites: 200 })
    expect(t.result.latency.p99Ms).toBe(0)
  })

  test('a prebuilt path purged from the cache renders blocking (it is in the prerender manifest), not the shell', () => {
    // Path 0 prebuilt; a purge of everything at 5 s. t=6 MISS (render 6..7), t=7 HIT.
    const t = traced(pages('16.4', { params: { count: 2, prebuilt: 1, fallback: true } }, [6, 7], [0, 0], { purges: [{ atS: 5 }] }))
    expect(t.outcomes).toEqual(['miss', 'hit'])
  })
})

describe('§14.4 notFound and redirect results', () => {
  test('an unknown path\'s notFound or redirect result is cached like a page: the same renders, writes and outcomes', () => {
    // A one-off path is never asked for again, so holding its 404 or 307 in memory only (lost on a
    // restart) changes nothing the model counts; the render, MISS and write are the page's.
    const run = (unknownResult: 'page' | 'notFound' | 'redirect') => traced({
      name: 'u', durationS: 60, routes: [{ id: 'p', router: 'pages', pattern: '/p/[id]', revalidateS: 60, renderS: 0.5, params: { count: 1, unknownResult }, traffic: { rps: 0, arrivals: 'uniform', unknownRate: 1 } }],
    }).result.totals
    const page = run('page')
    expect(page).toMatchObject({ requests: 60, miss: 60, blockingRenders: 60, isrWrites: 60 })
    expect(run('notFound')).toEqual(page)
    expect(run('redirect')).toEqual(page)
  })
})

describe('§14.5 res.revalidate', () => {
  const call = (path: string, atS: number, more: Record<string, unknown> = {}) => ({ onDemand: [{ kind: 'res.revalidate' as const, path, atS, ...more }] })

  test.each(BOTH)('%s: a fresh prebuilt page is re-rendered at once; meanwhile HIT, then HIT with the new page', (v) => {
    // revalidate 3600, render 1. The call at 10 renders 10..11 in its own batch. t=10.5 HIT (the build's
    // page, age 10.5). t=11 HIT with the new page (data read at 10: age 1). One render, counted for the call.
    const t = traced(pages(v, { revalidateS: 3600, params: { count: 1 } }, [10.5, 11], [0, 0], call('/p/0', 10)))
    expect(t.outcomes).toEqual(['hit', 'hit'])
    expect(t.requests.map((r) => s(r.ageUs))).toEqual([10.5, 1])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[10, 'background']])
    expect(t.result.onDemand[0]).toMatchObject({ kind: 'res.revalidate', path: '/p/0', occurrences: 1, entriesTouched: 1, rendersWithin1m: 1 })
  })

  test.each(BOTH)('%s: a stale page during the call\'s render is served STALE and starts no second render', (v) => {
    // revalidate 5: the build's page is stale at 10.5; the call's render 10..11 is in flight, so no other starts.
    const t = traced(pages(v, { revalidateS: 5, params: { count: 1 } }, [10.5, 11.5], [0, 0], call('/p/0', 10)))
    expect(t.outcomes).toEqual(['stale', 'hit'])
    expect(t.renders).toHaveLength(1)
  })

  test.each(BOTH)('%s: fallback "blocking", a path with no entry: rendered and cached; a request meanwhile waits for it', (v) => {
    // Path 1 not prebuilt. The call at 10 renders 10..11. t=10.5 waits (MISS, latency 0.5). t=11.5 HIT.
    const t = traced(pages(v, { params: { count: 2, prebuilt: 1 } }, [10.5, 11.5], [1, 1], call('/p/1', 10)))
    expect(t.outcomes).toEqual(['miss', 'hit'])
    expect(s(t.requests[0]!.latencyUs)).toBe(0.5)
    expect(t.renders).toHaveLength(1)
  })

  test.each(BOTH)('%s: fallback false, a path not prebuilt: the call fails (NoFallbackError), nothing renders', (v) => {
    const t = traced(pages(v, { params: { count: 2, prebuilt: 1, fallback: false } }, [20], [1], call('/p/1', 10)))
    expect(t.outcomes).toEqual(['notFound'])
    expect(t.renders).toHaveLength(0)
    expect(t.result.onDemand[0]).toMatchObject({ occurrences: 1, entriesTouched: 0, rendersWithin1d: 0 })
  })

  test.each(['14', '15', '16.4'] as const)('%s: fallback true, a path never rendered: 14 renders it; 15+ get the shell and cache nothing', (v) => {
    const t = traced(pages(v, { params: { count: 2, prebuilt: 1, fallback: true } }, [20], [1], call('/p/1', 10)))
    expect(t.outcomes).toEqual([v === '14' ? 'hit' : 'fallback'])
    // 15+: the request at 20 gets the shell and its data request renders: the only render.
    expect(t.renders.map((r) => s(r.atUs))).toEqual([v === '14' ? 10 : 20])
  })

  test.each(BOTH)('%s: fallback true, a path rendered once (by a data request) is re-rendered by the call', (v) => {
    // Observed on both: /fbt/w rendered by its data request, then res.revalidate rendered it again.
    // t=1 shell + render 1..2; the call at 10 renders 10..11; t=11.5 HIT with the call's page (age 1.5).
    const t = traced(pages(v, { revalidateS: 3600, params: { count: 2, prebuilt: 1, fallback: true } }, [1, 11.5], [1, 1], call('/p/1', 10)))
    expect(t.outcomes).toEqual(['fallback', 'hit'])
    expect(s(t.requests[1]!.ageUs)).toBe(1.5)
    expect(t.renders.map((r) => s(r.atUs))).toEqual([1, 10])
  })

  test('a call\'s render still in flight when the run ends passes the end-of-run checks', () => {
    // durationS 100; the call at 99.5 renders 99.5..100.5: held in flight at the end (state 3).
    // t=99.8: the build's page (revalidate 10) is stale: STALE, and no second render.
    const t = traced(pages('16.4', { params: { count: 1 } }, [99.8], [0], call('/p/0', 99.5)))
    expect(t.outcomes).toEqual(['stale'])
    expect(t.renders.map((r) => [s(r.atUs), s(r.endUs)])).toEqual([[99.5, 100.5]])
  })

  test('target "all": every instance renders its own copy (local caches)', () => {
    const t = traced(pages('16.4', { revalidateS: 3600, params: { count: 1 } }, [], [], { ...call('/p/0', 10, { target: 'all' }), deployment: { instances: 3 } }))
    expect(t.renders.map((r) => r.instance).sort()).toEqual([0, 1, 2])
    expect(t.result.onDemand[0]).toMatchObject({ entriesTouched: 3, rendersWithin1m: 3 })
  })
})

describe('§14.6 revalidateTag and revalidatePath never reach a Pages page', () => {
  // An App route and a Pages route, both reading a fetch tagged "posts", revalidate 3600.
  const both = (v: NextVersion, onDemand: ScenarioInput['onDemand']): ScenarioInput => ({
    name: 'side', durationS: 100, next: { version: v }, onDemand,
    routes: [
      { id: 'app', pattern: '/a/[id]', revalidateS: 3600, renderS: 1, fetches: [{ id: 'f', tags: ['posts'] }], params: { count: 1 }, traffic: { rps: 0, schedule: { atS: [11] } } },
      { id: 'pages', router: 'pages', pattern: '/p/[id]', revalidateS: 3600, renderS: 1, fetches: [{ id: 'g', tags: ['posts'] }], params: { count: 1 }, traffic: { rps: 0, schedule: { atS: [11] } } },
    ],
  })

  test.each(BOTH)('%s: revalidateTag("posts") at 10: the App page is a MISS at 11, the Pages page a HIT', (v) => {
    const t = traced(both(v, [{ kind: 'revalidateTag', tag: 'posts', atS: 10 }]))
    expect(t.requests.map((r) => [r.route, r.outcome])).toEqual([['app', 'miss'], ['pages', 'hit']])
    expect(t.result.onDemand[0]!.entriesTouched).toBe(1)
  })

  test.each(BOTH)('%s: revalidatePath("/p/0") is valid and invalidates nothing; revalidatePath("/a/0") reaches the App page', (v) => {
    const t = traced(both(v, [{ kind: 'revalidatePath', path: '/p/0', atS: 10 }, { kind: 'revalidatePath', path: '/a/0', atS: 10 }]))
    expect(t.requests.map((r) => [r.route, r.outcome])).toEqual([['app', 'miss'], ['pages', 'hit']])
    expect(t.result.onDemand.map((e) => e.entriesTouched)).toEqual([0, 1])
  })
})

describe('§14.7 restarts and expire', () => {
  // An App and a Pages route, one path each, not prebuilt (rendered on demand), revalidate 10.
  const sideBySide = (v: NextVersion, atS: number[], extra: Partial<ScenarioInput>): ScenarioInput => ({
    name: 'restart', durationS: 100, next: { version: v, expireTimeS: 12 }, ...extra,
    routes: [
      { id: 'app', pattern: '/a/[id]', revalidateS: 10, renderS: 0.1, params: { count: 1, prebuilt: 0 }, traffic: { rps: 0, schedule: { atS } } },
      { id: 'pages', router: 'pages', pattern: '/p/[id]', revalidateS: 10, renderS: 0.1, params: { count: 1, prebuilt: 0 }, traffic: { rps: 0, schedule: { atS } } },
    ],
  })
  const outcomesOf = (t: ReturnType<typeof traced>, route: string) => t.requests.filter((r) => r.route === route).map((r) => r.outcome)

  test.each(BOTH)('%s: after a restart a Pages page rendered on demand falls back to the 1 s default; on 16.4 the App page keeps its 10 s', (v) => {
    // Rendered at 1 (MISS, written at 1.1). Restart at 2. t=3.5: 2.4 s old. Pages: 1 s default -> STALE
    // (observed on 16.4.6: STALE 2.99 s after its render, with no Cache-Control). App: 16.4 keeps
    // revalidate 10 (finding F2) -> HIT; 15 has the 1 s default too -> STALE.
    const t = traced(sideBySide(v, [1, 3.5], { restarts: [{ atS: 2 }] }))
    expect(outcomesOf(t, 'pages')).toEqual(['miss', 'stale'])
    expect(outcomesOf(t, 'app')).toEqual(['miss', v === '16.4' ? 'hit' : 'stale'])
  })

  test.each(BOTH)('%s: expireTime 12: a Pages page idle past expire blocks on a render on 16.4 (HIT on the wire), is STALE on 15', (v) => {
    // Rendered at 1, written at 1.1. t=20: 18.9 s > 12. 16.4: blocking render (counted as a MISS); 15: STALE.
    // Observed: 16.4.6 answered HIT with a page rendered during the request after 13 s idle; 15.5.29 STALE.
    const t = traced(sideBySide(v, [1, 20], {}))
    expect(outcomesOf(t, 'pages')).toEqual(['miss', v === '16.4' ? 'miss' : 'stale'])
  })

  test('16.4: after a restart a Pages page rendered on demand has no expire either: STALE past it', () => {
    // Observed: /fbt/x, 23 s old after the restart with expireTime 12, was STALE (not blocked).
    const t = traced(sideBySide('16.4', [1, 20], { restarts: [{ atS: 2 }] }))
    expect(outcomesOf(t, 'pages')).toEqual(['miss', 'stale'])
  })
})

describe('§14.8 Pages and App routes side by side', () => {
  test('one scenario: a fallback: true Pages route, a fallback false one and an App route, each by its own rules', () => {
    const t = traced({
      name: 'mixed', durationS: 100, next: { version: '16.4' },
      routes: [
        { id: 'app', pattern: '/a/[id]', revalidateS: 60, renderS: 1, params: { count: 2, prebuilt: 1 }, traffic: { rps: 0, schedule: { atS: [1, 2.5], path: [1, 1] } } },
        { id: 'shell', router: 'pages', pattern: '/s/[id]', revalidateS: 60, renderS: 1, params: { count: 2, prebuilt: 1, fallback: true }, traffic: { rps: 0, schedule: { atS: [1, 2.5], path: [1, 1] } } },
        { id: 'none', router: 'pages', pattern: '/n/[id]', revalidateS: 60, renderS: 1, params: { count: 2, prebuilt: 1, fallback: false }, traffic: { rps: 0, schedule: { atS: [1, 2.5], path: [1, 1] } } },
      ],
    })
    const by = (id: string) => t.requests.filter((r) => r.route === id).map((r) => r.outcome)
    expect(by('app')).toEqual(['miss', 'hit'])
    expect(by('shell')).toEqual(['fallback', 'hit'])
    expect(by('none')).toEqual(['notFound', 'notFound'])
    expect(t.result.routes.shell!.fallback).toBe(1)
    // Only a route that serves a shell, and the totals, carry the outcome (adding a Pages route changes no other route's result).
    expect('fallback' in t.result.routes.app!).toBe(false)
    expect('fallback' in t.result.routes.none!).toBe(false)
    expect(t.result.totals).toMatchObject({ requests: 6, fallback: 1 })
  })
})

describe('§14.9 getStaticProps has no Data Cache', () => {
  const page = (router: 'app' | 'pages', fetches: RouteInput['fetches'], v: NextVersion): ScenarioInput => ({
    name: 'gsp-fetch', durationS: 100, next: { version: v },
    routes: [{ id: 'p', router, pattern: '/p', revalidateS: 5, renderS: 1, fetches, traffic: { rps: 0, schedule: { atS: [6, 13], path: [0, 0] } } }],
  })
  test.each(BOTH)('%s: a fetch with next.revalidate 3600 calls the origin in every regeneration; the App page reads the build\'s entry', (v) => {
    // Prebuilt at 0. t=6 STALE -> regen 6..7; t=13 STALE (13 - 7 > 5) -> regen 13..14.
    // Pages: each regeneration fetches (2 origin calls, nothing seeded, not cached). App: the
    // build seeded the entry and it stays fresh for 3600 s: no origin call.
    // Observed on 16.4.6 and 15.5.29 (§14.9): the count went up at every regeneration.
    const fetches = [{ id: 'api', revalidateS: 3600, tags: ['t'] }]
    const pagesRun = traced(page('pages', fetches, v))
    expect(pagesRun.outcomes).toEqual(['stale', 'stale'])
    expect(pagesRun.result.fetches.api).toEqual({ originFetches: 2, keys: 1, cached: false })
    expect(traced(page('app', fetches, v)).result.fetches.api).toEqual({ originFetches: 0, keys: 1, cached: true })
  })
  test.each(BOTH)('%s: a fetch revalidate 2 does not lower the page\'s 5, and a no-store fetch does not make it dynamic', (v) => {
    expect(traced(page('pages', [{ id: 'api', revalidateS: 2 }], v)).result.routes.p!.effectiveRevalidateS).toBe(5)
    expect(traced(page('app', [{ id: 'api', revalidateS: 2 }], v)).result.routes.p!.effectiveRevalidateS).toBe(2)
    expect(traced(page('pages', [{ id: 'api', revalidateS: 0 }], v)).result.routes.p!.effectiveRevalidateS).toBe(5)
  })
  test('14: a stale unstable_cache entry is recomputed in the foreground of a Pages render (no one-cycle lag outside the App Router)', () => {
    // unstable_cache revalidate 3; prebuilt (seeded) at 0. t=6 STALE -> regen 6..7: the entry
    // (written at 0) is stale, so the render waits for the origin: one foreground call, the
    // page's data read at 6. On an App route 14 bakes the stale value in and refreshes in the background.
    const fetches = [{ id: 'uc', kind: 'unstable_cache' as const, revalidateS: 3, latencyS: 0.5 }]
    const t = traced({ ...page('pages', fetches, '14'), durationS: 10 })
    // The render waits for the origin: it ends at 6 + 1 + 0.5.
    expect(t.renders.map((r) => [s(r.atUs), r.mode, s(r.endUs)])).toEqual([[6, 'background', 7.5]])
    expect(t.events.filter((e) => e.kind === 'fetch').map((e) => [s(e.atUs), e.kind === 'fetch' && e.mode])).toEqual([[6, 'foreground']])
    expect(t.result.fetches.uc).toEqual({ originFetches: 1, keys: 1, cached: true })
    // The same route on the App Router: the stale value is baked in, refreshed in the background.
    const app = traced({ ...page('app', fetches, '14'), durationS: 10 })
    expect(app.events.filter((e) => e.kind === 'fetch').map((e) => e.kind === 'fetch' && e.mode)).toEqual(['background'])
  })
  test('\'use cache\' on a Pages route is refused', () => {
    expect(() => parseScenario(page('pages', [{ id: 'uc', kind: 'use cache', cacheLife: 'hours' }], '16.4'))).toThrow(/routes\[0\]\.fetches\[0\]\.kind.*App Router only/s)
  })
})

describe('§14 bad input', () => {
  const problem = (input: ScenarioInput): string => {
    try {
      parseScenario(input)
    } catch (e) {
      if (e instanceof ScenarioError) return e.message
      throw e
    }
    return ''
  }

  test('a Pages route with dynamicParams is refused, naming fallback', () => {
    const msg = problem(pages('16.4', { params: { count: 2, dynamicParams: false } }, [], []))
    expect(msg).toContain('routes[0].params.dynamicParams')
    expect(msg).toContain('params.fallback')
    expect(problem(pages('16.4', { params: { count: 2, dynamicParams: true } }, [], []))).toContain('getStaticPaths fallback')
  })

  test('res.revalidate needs a Pages path: an App path, an unknown path and a type are refused', () => {
    const app = (onDemand: ScenarioInput['onDemand']): ScenarioInput => ({
      ...pages('16.4', { params: { count: 2 } }, [], [], { onDemand }),
      routes: [...pages('16.4', { params: { count: 2 } }, [], []).routes, { id: 'a', pattern: '/a/[id]', revalidateS: 10, renderS: 1, params: { count: 2 }, traffic: { rps: 0 } }],
    })
    expect(problem(app([{ kind: 'res.revalidate', path: '/a/1', atS: 1 }]))).toMatch(/onDemand\[0\]\.path.*App Router route "a".*revalidatePath/s)
    expect(problem(app([{ kind: 'res.revalidate', path: '/q/1', atS: 1 }]))).toMatch(/onDemand\[0\]\.path.*matches no path of a Pages Router route/s)
    expect(problem(app([{ kind: 'res.revalidate', path: '/p/1', type: 'page', atS: 1 }]))).toMatch(/onDemand\[0\]\.type.*only for revalidatePath/s)
    expect(problem(app([{ kind: 'res.revalidate', atS: 1 }]))).toMatch(/onDemand\[0\]\.path.*required for res\.revalidate/s)
    expect(problem(app([{ kind: 'res.revalidate', path: '/p/1', atS: 1 }]))).toBe('')
  })
})

describe('§14 warnings', () => {
  test('a revalidatePath naming only a Pages page warns that nothing changes; fallback false has no unknown-paths warning', () => {
    const t = traced(pages('16.4', { params: { count: 2, fallback: false } }, [1], [0], { onDemand: [{ kind: 'revalidatePath', path: '/p/0', atS: 10 }] }))
    expect(t.result.warnings.map((w) => w.code)).toContain('pages-not-invalidated')
    const u = (fallback: false | true) => traced({ name: 'u', durationS: 10, routes: [{ id: 'p', router: 'pages', pattern: '/p/[id]', revalidateS: 60, renderS: 0.5, params: { count: 1, fallback }, traffic: { rps: 0, unknownRate: 1 } }] }).result.warnings
    expect(u(false).map((w) => w.code)).not.toContain('unknown-paths-render')
    expect(u(true).find((w) => w.code === 'unknown-paths-render')?.message).toContain('fallback shell')
  })
})
