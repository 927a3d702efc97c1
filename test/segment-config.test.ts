/**
 * Segment config (docs/semantics.md §15.2 export const dynamic, §15.3 export const fetchCache),
 * hand-traced under the 15 and 16.4 profiles. Reproduce: npx vitest run test/segment-config.test.ts.
 */
import { describe, expect, test } from 'vitest'
import { finalFetchRevalidate, type FetchCacheMode } from '../sim/isr/segment-config.ts'
import { parseScenario, ScenarioError, type NextVersion } from '../sim/index.ts'
import { type RouteInput, single, traced, s } from './helpers.ts'

const VERSIONS = ['15', '16.4'] as const
const run = (v: NextVersion, r: Partial<RouteInput>, atS: number[]) => traced(single({ renderS: 1, revalidateS: 10, ...r }, atS, { next: { version: v } }))
const problem = (v: NextVersion, r: Partial<RouteInput>): string => {
  try { parseScenario(single({ renderS: 1, revalidateS: 10, ...r }, [1], { next: { version: v } })); return 'accepted' } catch (e) { return e instanceof ScenarioError ? e.message : String(e) }
}

describe('§15.2 export const dynamic', () => {
  test.each(VERSIONS)('force-dynamic renders every request, whatever the revalidate (%s)', (v) => {
    const t = run(v, { segmentConfig: { dynamic: 'force-dynamic' } }, [1, 2])
    expect(t.outcomes).toEqual(['dynamic', 'dynamic'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[1, 'dynamic'], [2, 'dynamic']])
    expect(t.result.routes.r!.revalidateSource).toBe('dynamic = \'force-dynamic\'')
  })

  test.each(VERSIONS)('force-static: request APIs and a no-store fetch no longer make it dynamic; the fetch is still called on every render (%s)', (v) => {
    // The page reads cookies() (dynamic: true) and a no-store fetch (revalidate 0, latency 0.5).
    // Without force-static: dynamic on every request.
    expect(run(v, { dynamic: true, fetches: [{ id: 'n', revalidateS: 0, latencyS: 0.5 }] }, [1]).outcomes).toEqual(['dynamic'])
    // With it: cached with revalidate 10. Prebuilt at 0. t=5 HIT; t=12 STALE, regen 12..13.5
    // (render 1 + the uncached fetch's 0.5 s, called again); t=14 HIT.
    const t = run(v, { dynamic: true, segmentConfig: { dynamic: 'force-static' }, fetches: [{ id: 'n', revalidateS: 0, latencyS: 0.5 }] }, [5, 12, 14])
    expect(t.outcomes).toEqual(['hit', 'stale', 'hit'])
    expect(t.renders.map((r) => [s(r.atUs), s(r.endUs), r.mode])).toEqual([[12, 13.5, 'background']])
    expect(t.result.routes.r!.effectiveRevalidateS).toBe(10)
    expect(t.result.fetches.n!.originFetches).toBe(1)
  })

  test.each(VERSIONS)('error: a route that would be dynamic is refused at build, naming the route and the cause (%s)', (v) => {
    expect(problem(v, { dynamic: true, segmentConfig: { dynamic: 'error' } })).toMatch(/routes\[0\]\.segmentConfig\.dynamic: refuses a dynamic route, and route "r" is dynamic \(page calls request APIs\)/)
    expect(problem(v, { fetches: [{ id: 'n', revalidateS: 0 }], segmentConfig: { dynamic: 'error' } })).toMatch(/route "r" is dynamic \(fetch "n" is no-store \(revalidate 0\)\)/)
    // A static route under 'error' builds and caches as usual.
    expect(run(v, { segmentConfig: { dynamic: 'error' } }, [5, 12]).outcomes).toEqual(['hit', 'stale'])
  })
})

describe('§15.3 export const fetchCache', () => {
  test('the table: final revalidate of a fetch with no option, no-store (0), force-cache (false) and 60 s', () => {
    const row = (m: FetchCacheMode) => ([undefined, 0, false, 60] as const).map((r) => {
      const out = finalFetchRevalidate(m, r)
      return 'error' in out ? 'throws' : out.revalidateS
    })
    expect(row('auto')).toEqual([undefined, 0, false, 60])
    expect(row('force-no-store')).toEqual([0, 0, false, 0])
    expect(row('only-no-store')).toEqual([0, 0, 'throws', 'throws'])
    expect(row('only-cache')).toEqual([undefined, 'throws', false, 60])
    expect(row('force-cache')).toEqual([false, false, false, 60])
    expect(row('default-cache')).toEqual([false, 0, false, 60])
    expect(row('default-no-store')).toEqual([0, 0, false, 60])
  })

  test.each(VERSIONS)('force-no-store makes a route with a revalidate-60 fetch dynamic: one origin call per request (%s)', (v) => {
    // As observed: /fns answered n=8, n=9 with no x-nextjs-cache.
    const t = run(v, { revalidateS: 60, segmentConfig: { fetchCache: 'force-no-store' }, fetches: [{ id: 'n', revalidateS: 60 }] }, [1, 2, 3])
    expect(t.outcomes).toEqual(['dynamic', 'dynamic', 'dynamic'])
    expect(t.result.fetches.n!.originFetches).toBe(3)
    // Without it the fetch is cached for 60 s by the build: no origin call, the page HITs.
    const plain = run(v, { revalidateS: 60, fetches: [{ id: 'n', revalidateS: 60 }] }, [1, 2, 3])
    expect(plain.outcomes).toEqual(['hit', 'hit', 'hit'])
    expect(plain.result.fetches.n!.originFetches).toBe(0)
  })

  test.each(VERSIONS)('force-cache and default-cache cache a plain fetch forever; default-no-store makes it a no-store fetch (%s)', (v) => {
    // Route revalidate 10; a plain fetch of latency 0.5. 15+ does not cache a plain fetch at
    // run time, so the regeneration at 12 calls the origin (render 12..13.5).
    const plain = run(v, { fetches: [{ id: 'n', latencyS: 0.5 }] }, [12])
    expect(plain.renders.map((r) => s(r.endUs))).toEqual([13.5])
    for (const fetchCache of ['force-cache', 'default-cache'] as const) {
      // Cached forever by the build at 0: the regeneration reads it, no origin call (12..13).
      const t = run(v, { segmentConfig: { fetchCache }, fetches: [{ id: 'n', latencyS: 0.5 }] }, [12])
      expect(t.renders.map((r) => s(r.endUs)), fetchCache).toEqual([13])
      expect(t.result.fetches.n!.originFetches, fetchCache).toBe(0)
      expect(t.result.routes.r!.effectiveRevalidateS, fetchCache).toBe(10)
    }
    const t = run(v, { segmentConfig: { fetchCache: 'default-no-store' }, fetches: [{ id: 'n' }] }, [1])
    expect(t.outcomes).toEqual(['dynamic'])
    expect(t.result.routes.r!.revalidateSource).toBe('fetch "n" is no-store (revalidate 0)')
  })

  test.each(VERSIONS)('§5.3: a no-store fetch is never stored, so every dynamic render waits for the origin (%s)', (v) => {
    // Render 0.1 s, a fetch of latency 1 s made no-store by force-no-store (and, the same, one
    // with revalidate 0). Requests at 1, 5, 9: each render calls the origin and ends 1.1 s later.
    for (const r of [{ segmentConfig: { fetchCache: 'force-no-store' as const }, fetches: [{ id: 'n', revalidateS: 60, latencyS: 1 }] }, { fetches: [{ id: 'n', revalidateS: 0 as const, latencyS: 1 }] }]) {
      const t = run(v, { renderS: 0.1, ...r }, [1, 5, 9])
      expect(t.outcomes).toEqual(['dynamic', 'dynamic', 'dynamic'])
      expect(t.requests.map((q) => s(q.latencyUs))).toEqual([1.1, 1.1, 1.1])
      expect(t.events.flatMap((e) => (e.kind === 'fetch' ? [e.mode] : []))).toEqual(['foreground', 'foreground', 'foreground'])
      expect(t.result.fetches.n!.cached).toBe(false)
    }
  })

  test.each(VERSIONS)('a fetch against a throwing mode is bad input naming the fetch (%s)', (v) => {
    expect(problem(v, { segmentConfig: { fetchCache: 'only-no-store' }, fetches: [{ id: 'posts', revalidateS: 30 }] }))
      .toMatch(/routes\[0\]\.fetches\[0\]\.revalidateS: fetch "posts" is cached \(revalidate 30\), which fetchCache 'only-no-store' refuses/)
    expect(problem(v, { segmentConfig: { fetchCache: 'only-cache' }, fetches: [{ id: 'posts', revalidateS: 0 }] }))
      .toMatch(/fetch "posts" is no-store \(revalidate 0\), which fetchCache 'only-cache' refuses/)
    // only-no-store with a plain fetch is fine: it is no-store, so the route is dynamic.
    expect(run(v, { segmentConfig: { fetchCache: 'only-no-store' }, fetches: [{ id: 'posts' }] }, [1]).outcomes).toEqual(['dynamic'])
  })
})
