/**
 * Data lag per route (issue 18): each key change's lag to the first response of each route that
 * reads the key, beside the lag to the first response of any route (freshness). The live test
 * sees a route's own lag (k6 per route), so the simulator predicts it. Hand-traced.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { traced } from './helpers.ts'

/** Two pages reading the same shared fetch "nav" (one Data Cache key), revalidate 10, render 1. */
function twoPages(a: number[], b: number[]): ScenarioInput {
  const page = (id: string, atS: number[]) => ({ id, pattern: `/${id}`, revalidateS: 10, renderS: 1, fetches: [{ id: 'nav', tags: ['nav'] }], traffic: { rps: 0, schedule: { atS, path: atS.map(() => 0) } } })
  return { name: 'lag-per-route', durationS: 60, routes: [page('a', a), page('b', b)], dataChanges: [{ tag: 'nav', atS: 5 }] }
}

describe('data lag per route', () => {
  test('a key read by two routes: each route its own first response, the freshness lag the earliest of them', () => {
    // "nav" changes at 5. Route a: 6 HIT (built at 0: outdated), 11 STALE (regenerates 11..12,
    // reading nav after 5), 12.5 HIT: shows it, lag 7.5 s. Route b: 6 HIT, 20 STALE (outdated;
    // regenerates 20..21, nav read after 5 either from the origin or a's Data Cache entry), 25 HIT:
    // shows it, lag 20 s. Over all routes the change was first shown at 12.5: 7.5 s.
    const t = traced(twoPages([6, 11, 12.5], [6, 20, 25]))
    const why = 'reproduce: npx vitest run test/freshness-routes.test.ts'
    expect(t.outcomes, why).toEqual(['hit', 'hit', 'stale', 'hit', 'stale', 'hit'])
    expect(t.result.freshness).toMatchObject({ dataChanges: 1, reflected: 1, dataLagMaxS: 7.5 })
    const a = t.result.routes.a!, b = t.result.routes.b!
    expect(a.dataLagReflected, why).toBe(1)
    expect(b.dataLagReflected, why).toBe(1)
    expect(Math.abs(a.dataLagP50S! / 7.5 - 1), why).toBeLessThan(0.004) // histogram resolution
    expect(Math.abs(b.dataLagP95S! / 20 - 1), why).toBeLessThan(0.004)
    expect(t.result.freshness.dataLagP50S).toBe(a.dataLagP50S)
  })

  test('a route that never shows the change has none reflected; a route no change reaches has no lag fields', () => {
    const s = twoPages([6, 11, 12.5], [6])
    const r = traced(s).result
    expect(r.routes.a!.dataLagReflected).toBe(1)
    expect(r.routes.b!.dataLagReflected).toBe(0)
    expect(r.routes.b!.dataLagP95S).toBe(0)
    const other = runScenario(parseScenario({ ...s, dataChanges: [{ fetch: 'nav', atS: 5 }], routes: [...s.routes!, { id: 'c', pattern: '/c', revalidateS: 10, renderS: 1, traffic: { rps: 1 } }] }))
    expect(other.routes.c!.dataLagReflected).toBeUndefined()
    expect('dataLagP50S' in other.routes.c!).toBe(false)
  })

  test('on the tags live scenario the post route is the only reader: its lag is the freshness lag', () => {
    const r = runScenario(parseScenario({ name: 'x', durationS: 120, routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS: false, renderS: 0.2, params: { count: 5 }, fetches: [{ id: 'post', tags: ['post:{slug}'] }], traffic: { rps: 8, arrivals: 'uniform' } }], dataChanges: [{ tag: 'post:{slug}', atS: 5, everyS: 20, webhook: { kind: 'revalidateTag', tag: 'post:{slug}', profile: 'max', delayS: 1 } }] }))
    const p = r.routes.post!
    expect(p.dataLagReflected).toBe(r.freshness.reflected)
    expect(p.dataLagP50S).toBe(r.freshness.dataLagP50S)
    expect(p.dataLagP95S).toBe(r.freshness.dataLagP95S)
    expect(r.freshness.reflected).toBeGreaterThan(3)
  })
})
