/**
 * Route handlers (docs/semantics.md §15.1) and App Router notFound() (§15.4), hand-traced
 * under the 14, 15 and 16.4 profiles. Reproduce: npx vitest run test/route-handlers.test.ts.
 */
import { describe, expect, test } from 'vitest'
import type { NextVersion } from '../sim/index.ts'
import { type RouteInput, single, traced, s } from './helpers.ts'

const handler = (v: NextVersion, r: Partial<RouteInput>, atS: number[], extra: Record<string, unknown> = {}, path?: number[]) =>
  traced(single({ kind: 'route-handler', renderS: 1, ...r }, atS, { next: { version: v }, ...extra }, path))

describe('§15.1 a route handler\'s implicit tag is …/route, after its file route.ts', () => {
  test.each(['15', '16.4'] as const)('%s: revalidateTag("_N_T_/api/stats/route") reaches the imported handler; "…/page" names no route', (v) => {
    // Revalidate 60, prebuilt at 0, render 1. The tag call at 10 expires it (15: revalidated-at;
    // 16.4: the one-argument form): t=11 MISS (blocking render 11..12), t=13 HIT. The build
    // writes x-next-cache-tags "…,_N_T_/api/stats/route" for app/api/stats/route.ts (F's fixture).
    const r = { pattern: '/api/stats', revalidateS: 60, source: { page: 'app/api/stats/route.ts' } }
    const t = handler(v, r, [11, 13], { onDemand: [{ kind: 'revalidateTag', tag: '_N_T_/api/stats/route', atS: 10 }] })
    expect(t.outcomes).toEqual(['miss', 'hit'])
    expect(() => handler(v, r, [11], { onDemand: [{ kind: 'revalidateTag', tag: '_N_T_/api/stats/page', atS: 10 }] })).toThrow(/onDemand\[0\]\.tag.*is not a tag of any route/s)
  })
})

describe('§15.1 route handlers: static by default on 14, dynamic from 15 unless they opt in', () => {
  test('no exports: 14 prerenders it (HIT from the build, never regenerated); 15 and 16.4 render every request', () => {
    // revalidateS is the schema's false (no export). 14: the build wrote it at 0, revalidate
    // false, so t=5 and t=50 are HITs aged 5 and 50 s, and nothing renders.
    const v14 = handler('14', {}, [5, 50])
    expect(v14.outcomes).toEqual(['hit', 'hit'])
    expect(v14.requests.map((r) => s(r.ageUs))).toEqual([5, 50])
    expect(v14.renders).toHaveLength(0)
    // 15+: isStaticGenEnabled is false, so each request is a dynamic render of 1 s.
    for (const v of ['15', '16.4'] as const) {
      const t = handler(v, {}, [5, 50])
      expect(t.outcomes, v).toEqual(['dynamic', 'dynamic'])
      expect(t.renders.map((r) => [s(r.atUs), r.mode]), v).toEqual([[5, 'dynamic'], [50, 'dynamic']])
      expect(t.result.routes.r!.effectiveRevalidateS, v).toBe(0)
      expect(t.result.routes.r!.revalidateSource, v).toContain('route handler GET is dynamic by default')
    }
  })

  test('revalidate 10 opts in on every profile: then it is the page state machine (HIT, STALE + one background render, HIT)', () => {
    // Prebuilt at 0, revalidate 10, render 1. t=5 HIT (age 5); t=12 STALE (age 12), regen
    // 12..13; t=12.5 STALE (joins, no second render); t=14 HIT (age 14 - 12 = 2, content from the render's start).
    for (const v of ['14', '15', '16.4'] as const) {
      const t = handler(v, { revalidateS: 10 }, [5, 12, 12.5, 14])
      expect(t.outcomes, v).toEqual(['hit', 'stale', 'stale', 'hit'])
      expect(t.renders.map((r) => [s(r.atUs), r.mode]), v).toEqual([[12, 'background']])
      expect(t.requests.map((r) => s(r.ageUs)), v).toEqual([5, 12, 12.5, 2])
      // Same figures as a page with the same revalidate.
      const page = traced(single({ renderS: 1, revalidateS: 10 }, [5, 12, 12.5, 14], { next: { version: v } }))
      expect(t.result.totals, v).toEqual(page.result.totals)
    }
  })

  test('force-static, dynamic "error" and generateStaticParams opt in on 15 and 16.4; request data bails out unless force-static', () => {
    for (const v of ['15', '16.4'] as const) {
      // force-static with revalidate false (the schema default): cached forever, even reading cookies().
      expect(handler(v, { dynamic: true, segmentConfig: { dynamic: 'force-static' } }, [5, 50]).outcomes, v).toEqual(['hit', 'hit'])
      // dynamic 'error': opted in; with no request data it prerenders.
      expect(handler(v, { segmentConfig: { dynamic: 'error' } }, [5]).outcomes, v).toEqual(['hit'])
      // generateStaticParams: 2 of 3 paths prebuilt. Path 0 HIT, path 2 (not prebuilt) MISS (blocking render 7..8), then HIT.
      const gsp = handler(v, { params: { count: 3, prebuilt: 2 } }, [5, 7, 9], {}, [0, 2, 2])
      expect(gsp.outcomes, v).toEqual(['hit', 'miss', 'hit'])
      expect(gsp.renders.map((r) => [s(r.atUs), r.mode, r.path]), v).toEqual([[7, 'blocking', 2]])
      // revalidate 10 with request data: still dynamic (PR #65825's caveat), with the page's cause.
      const bail = handler(v, { revalidateS: 10, dynamic: true }, [5])
      expect(bail.outcomes, v).toEqual(['dynamic'])
      expect(bail.result.routes.r!.revalidateSource, v).toBe('page calls request APIs')
    }
  })

  test('on 14 revalidateTag and revalidatePath do not reach a cached route handler; from 15 they expire it', () => {
    // revalidate 3600, fetch tagged "posts". The call at 10 s; the request at 11 s.
    // 14: HIT (aged 11 s from the build). 15 (revalidatedAt >= lastModified) and 16.4 (expired
    // now): MISS, a blocking render 11..12.
    const calls = [{ kind: 'revalidateTag', tag: 'posts', atS: 10 }, { kind: 'revalidatePath', path: '/', atS: 10 }] as const
    for (const call of calls) {
      const run = (v: NextVersion) => handler(v, { revalidateS: 3600, fetches: [{ id: 'p', tags: ['posts'] }] }, [11], { onDemand: [call] })
      const v14 = run('14')
      expect(v14.outcomes, call.kind).toEqual(['hit'])
      expect(v14.result.onDemand[0]!.entriesTouched, call.kind).toBe(0)
      for (const v of ['15', '16.4'] as const) {
        const t = run(v)
        expect(t.outcomes, `${call.kind} on ${v}`).toEqual(['miss'])
        expect(t.renders.map((r) => [s(r.atUs), r.mode]), `${call.kind} on ${v}`).toEqual([[11, 'blocking']])
      }
    }
    // A page under the same call on 14 is reached: the rule is the handler's, not the version's.
    const page = traced(single({ renderS: 1, revalidateS: 3600, fetches: [{ id: 'p', tags: ['posts'] }] }, [11], { next: { version: '14' }, onDemand: [calls[0]] }))
    expect(page.outcomes).toEqual(['miss'])
  })
})

describe('§15.4 App Router notFound(): a cached 404 entry, which costs an unknown path what "page" costs', () => {
  test('unknownResult "notFound" gives the same renders, writes and outcomes as "page" on 15 and 16.4', () => {
    // unknownRate 2/s evenly for 100 s: 200 one-off URLs, each a blocking render of 0.5 s (MISS)
    // and an ISR write; the 404 entry is never asked for again.
    for (const v of ['15', '16.4'] as const) {
      const run = (unknownResult: 'page' | 'notFound') => traced({
        name: 'nf', durationS: 100, next: { version: v },
        routes: [{ id: 'r', pattern: '/p/[id]', revalidateS: 10, renderS: 0.5, params: { count: 1, unknownResult }, traffic: { rps: 0, arrivals: 'uniform', unknownRate: 2 } }],
      })
      const nf = run('notFound'), page = run('page')
      expect(nf.result.totals.miss, v).toBe(200)
      expect(nf.result.totals.blockingRenders, v).toBe(200)
      expect(nf.result.totals.isrWrites, v).toBe(200)
      expect(nf.result.totals.notFound, v).toBe(0)
      expect(nf.result.totals, v).toEqual(page.result.totals)
      expect(nf.outcomes, v).toEqual(page.outcomes)
    }
  })
})
