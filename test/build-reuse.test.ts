/**
 * A new build that keeps .next/cache/fetch-cache (docs/semantics.md §15.5, finding F3),
 * hand-traced under the 15 and 16.4 profiles. Reproduce: npx vitest run test/build-reuse.test.ts.
 */
import { describe, expect, test } from 'vitest'
import type { NextVersion } from '../sim/index.ts'
import { type RouteInput, single, traced, s } from './helpers.ts'

/** One page (revalidate 60 unless the fetch lowers it), its fetch "p" changed at the origin at 20 s, a deploy at 30 s. */
const run = (v: NextVersion, fetch: NonNullable<RouteInput['fetches']>[number], reuseFetchCache: boolean | undefined, atS: number[]) =>
  traced(single({ renderS: 1, revalidateS: 60, fetches: [fetch] }, atS, {
    next: { version: v }, dataChanges: [{ fetch: 'p', atS: 20 }],
    deploys: [{ atS: 30, ...(reuseFetchCache === undefined ? {} : { reuseFetchCache }) }],
  }))

describe('§15.5 a build that keeps .next/cache/fetch-cache', () => {
  test.each(['15', '16.4'] as const)('a fresh entry is reused on every version: the new build\'s page shows the data of before the change (%s)', (v) => {
    // Fetch revalidate 3600, written by the first build at 0 (data read at 0). The origin
    // changes at 20. The deploy at 30 finds the entry 30 s old (fresh): its prerender reuses
    // it, so the page of the new build (HIT at 31, aged 1 s) carries data from 0: outdated.
    const reuse = run(v, { id: 'p', revalidateS: 3600 }, true, [31])
    expect(reuse.outcomes).toEqual(['hit'])
    expect(reuse.requests.map((r) => s(r.ageUs))).toEqual([1])
    expect(reuse.result.routes.r!.outdatedServedFraction).toBe(1)
    // Without it (the default, and false) the build fetched at 30: the page is up to date.
    for (const off of [undefined, false]) expect(run(v, { id: 'p', revalidateS: 3600 }, off, [31]).result.routes.r!.outdatedServedFraction, String(off)).toBe(0)
    // The reused entry keeps its write time: at 95 the page (revalidate 60 from 30) is STALE and
    // its regeneration (95..96) reads the entry, 95 s old and still fresh: no origin call, and the
    // page at 97 still has the old data. Without reuse the build read the data at 30, after the
    // change: both responses are current.
    const later = run(v, { id: 'p', revalidateS: 3600 }, true, [95, 97])
    expect(later.outcomes).toEqual(['stale', 'hit'])
    expect(later.result.fetches.p!.originFetches).toBe(0)
    expect(later.result.routes.r!.outdatedServedFraction).toBe(1)
    expect(run(v, { id: 'p', revalidateS: 3600 }, false, [95, 97]).result.routes.r!.outdatedServedFraction).toBe(0)
  })

  test('a stale entry: 16.4 refetches it during the build (page up to date), 15 puts the old data in the page', () => {
    // Fetch revalidate 10 (the route's revalidate is then 10). At the deploy (30) the entry is
    // 30 s old: stale. 16.4 waits for the origin: the page has data from 30 (after the change).
    // 15 serves the stale entry into the page (data from 0, before the change) and refreshes it in
    // the background: the Data Cache holds the data of 30 either way.
    expect(run('16.4', { id: 'p', revalidateS: 10 }, true, [31]).result.routes.r!.outdatedServedFraction).toBe(0)
    expect(run('15', { id: 'p', revalidateS: 10 }, true, [31]).result.routes.r!.outdatedServedFraction).toBe(1)
    // 15: at 42 the page (written at 30, revalidate 10) is STALE, still with the old data; its
    // regeneration 42..43 finds the entry (written at 30) 12 s old: stale, so it refetches in the
    // foreground (render 42..43 + no latency) and the page at 44 is current.
    const t = run('15', { id: 'p', revalidateS: 10 }, true, [31, 42, 44])
    expect(t.outcomes).toEqual(['hit', 'stale', 'hit'])
    expect(t.renders.map((r) => [s(r.atUs), r.mode])).toEqual([[42, 'background']])
    expect(t.result.fetches.p!.originFetches).toBe(1)
    expect(t.result.routes.r!.outdatedServedFraction).toBeCloseTo(2 / 3, 8) // the result rounds to 9 decimals
  })

  test.each(['15', '16.4'] as const)('entries the build does not read stay in the folder for the new server, also with prerender false (%s)', (v) => {
    // prerender false: nothing is prebuilt, so the request at 31 is a MISS (render 31..32). Its
    // fetch p (revalidate 3600) finds the entry the first build wrote at 0: fresh, no origin
    // call, data from before the change at 20. Without reuse the Data Cache is empty: the render
    // calls the origin and is current.
    const deploy = (reuseFetchCache: boolean) => traced(single({ renderS: 1, revalidateS: 60, fetches: [{ id: 'p', revalidateS: 3600 }] }, [31], {
      next: { version: v }, dataChanges: [{ fetch: 'p', atS: 20 }], deploys: [{ atS: 30, prerender: false, reuseFetchCache }],
    }))
    const kept = deploy(true)
    expect(kept.outcomes).toEqual(['miss'])
    expect(kept.result.fetches.p!.originFetches).toBe(0)
    expect(kept.result.routes.r!.outdatedServedFraction).toBe(1)
    const fresh = deploy(false)
    expect(fresh.result.fetches.p!.originFetches).toBe(1)
    expect(fresh.result.routes.r!.outdatedServedFraction).toBe(0)
    // A per-path key of a path the build does not prerender (path 1 of 2, prebuilt 1), fetched
    // at run time at 10 (data from 10): kept, so path 1's MISS at 31 reads it (outdated), where
    // a new folder would make it call the origin.
    const perPath = (reuseFetchCache: boolean) => traced({
      name: 'kept', durationS: 100, next: { version: v },
      routes: [{ id: 'r', pattern: '/p/[id]', revalidateS: 60, renderS: 1, params: { count: 2, prebuilt: 1 }, fetches: [{ id: 'p', revalidateS: 3600, perPath: true }], traffic: { rps: 0, schedule: { atS: [10, 31], path: [1, 1] } } }],
      dataChanges: [{ fetch: 'p', atS: 20 }], deploys: [{ atS: 30, reuseFetchCache }],
    })
    const k = perPath(true)
    expect(k.outcomes).toEqual(['miss', 'miss'])
    expect(k.events.flatMap((e) => (e.kind === 'fetch' ? [s(e.atUs)] : []))).toEqual([10])
    expect(perPath(false).events.flatMap((e) => (e.kind === 'fetch' ? [s(e.atUs)] : []))).toEqual([10, 31])
  })

  test.each(['15', '16.4'] as const)('per-path keys and two instances with local caches: each cache\'s entries are reused on their own (%s)', (v) => {
    // Two paths, one key per path (revalidate 3600), two local caches. Both caches were seeded
    // by the first build at 0 and nothing rewrote them, so every prebuilt page of the new build,
    // in either cache, reads its key's data from 0, before the change at 20: all outdated.
    const t = traced({
      name: 'reuse', durationS: 100, next: { version: v }, deployment: { instances: 2, balancer: 'round-robin' },
      routes: [{ id: 'r', pattern: '/p/[id]', revalidateS: 60, renderS: 1, params: { count: 2 }, fetches: [{ id: 'p', revalidateS: 3600, perPath: true }], traffic: { rps: 0, schedule: { atS: [31, 32, 33, 34], path: [0, 0, 1, 1] } } }],
      dataChanges: [{ fetch: 'p', atS: 20 }], deploys: [{ atS: 30, reuseFetchCache: true }],
    })
    expect(t.outcomes).toEqual(['hit', 'hit', 'hit', 'hit'])
    expect(t.requests.map((r) => r.instance)).toEqual([0, 1, 0, 1])
    expect(t.result.routes.r!.outdatedServedFraction).toBe(1)
  })
})
