/**
 * What reaches every path of a route reaches lazy records' implicit entries (the live build's
 * prerenders with no record) as a set, without a record each: an invalidation's fan-out over a
 * tag every path carries (sim/isr/stats.ts: a record made later takes the touch that covered
 * it), and a purge (entries.ts: they hold no entry until the next deploy). Against eager
 * records, under any sequence of fan-outs (two tags on one route in one call, a path's own tag),
 * first uses, attributed renders and deploys, the counts must be the same; and the hand-traced
 * purge below must give the same outcomes.
 * Reproduce: npx vitest run test/lazy-implicit.test.ts
 */
import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import { parseScenario } from '../sim/index.ts'
import { Entries, resolveRoutes, useLazyEntries } from '../sim/isr/entries.ts'
import { createInvalidationStats } from '../sim/isr/stats.ts'
import type { Target } from '../sim/isr/tags.ts'
import { single, traced } from './helpers.ts'

afterEach(() => useLazyEntries(null))

const s = parseScenario({
  name: 'fan-out', durationS: 600, deployment: { instances: 2 },
  routes: [
    { id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 6, prebuilt: 3 }, traffic: { rps: 1 } },
    { id: 'c', pattern: '/c/[id]', revalidateS: 60, renderS: 0.1, params: { count: 4, prebuilt: 2 }, traffic: { rps: 1 } },
  ],
})
const routes = resolveRoutes(s)
/** Per tag id, its targets: two tags on all of route p, one on path 1 of c, one on path 2 of p, one on all of c. */
const targets: Target[][] = [[{ route: 0, path: 'all' }], [{ route: 0, path: 'all' }], [{ route: 1, path: 1 }], [{ route: 0, path: 2 }], [{ route: 1, path: 'all' }]]
const slots = 2 * 10

type Op =
  | { readonly kind: 'fan'; readonly row: number; readonly ids: number[]; readonly cache: number }
  | { readonly kind: 'use'; readonly slot: number }
  | { readonly kind: 'render'; readonly slot: number }
  | { readonly kind: 'wait'; readonly s: number }
  | { readonly kind: 'deploy'; readonly prerender: boolean }

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('fan' as const), row: fc.nat(2), ids: fc.array(fc.nat(4), { minLength: 1, maxLength: 3 }), cache: fc.nat(1) }),
  fc.record({ kind: fc.constant('use' as const), slot: fc.nat(slots - 1) }),
  fc.record({ kind: fc.constant('render' as const), slot: fc.nat(slots - 1) }),
  fc.record({ kind: fc.constant('wait' as const), s: fc.constantFrom(10, 100, 4000) }),
  fc.record({ kind: fc.constant('deploy' as const), prerender: fc.boolean() }),
)

describe('fan-out over lazy records', () => {
  test('touch and attribution counts equal eager records\' under any sequence (two tags on one route in one call, a path\'s own tag, first uses, deploys)', () => {
    fc.assert(fc.property(fc.array(arbOp, { maxLength: 40 }), (ops) => {
      const make = (lazy: boolean) => {
        const clock = new Float64Array(1)
        const entries = new Entries(routes, 2, false, 0, undefined, lazy)
        return { clock, entries, stats: createInvalidationStats(3, 0, entries, true, clock) }
      }
      const e = make(false), l = make(true)
      for (const op of ops) {
        const touched = [e, l].map((m) => {
          switch (op.kind) {
            case 'fan': return m.stats.fanOut(op.row, op.ids, targets, routes, op.cache)
            case 'use': m.entries.off(op.slot); return 0
            // A render starts only on a slot with a record: the request that caused it made one.
            case 'render': m.entries.off(op.slot); m.stats.attribute(op.slot); return 0
            case 'wait': m.clock[0] = m.clock[0]! + op.s * 1e6; return 0
            case 'deploy': m.entries.rebuild(routes, m.clock[0]!, op.prerender); return 0
          }
        })
        expect(touched[1], JSON.stringify(op)).toBe(touched[0])
        expect(l.stats.rows).toEqual(e.stats.rows)
      }
      // Lazy: no record for an implicit entry that only a fan-out reached.
      expect(l.entries.records()).toBeLessThanOrEqual(ops.filter((o) => o.kind === 'use' || o.kind === 'render').length + ops.filter((o) => o.kind === 'fan').length * 2)
    }), { numRuns: 500 })
  })

  test('a tag on every path of a 4M-path route with 1M prerendered: each firing counts the 1M entries without a record for them', () => {
    const big = parseScenario({ name: 'big', durationS: 60, routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: 60, renderS: 0.1, params: { count: 4_000_000, prebuilt: 1_000_000 }, traffic: { rps: 1 } }] })
    const r = resolveRoutes(big)
    const clock = new Float64Array(1)
    const entries = new Entries(r, 1, false, 0, undefined, true)
    const stats = createInvalidationStats(1, 0, entries, true, clock)
    entries.off(5) // one record, inside the prerendered range
    expect(stats.fanOut(0, [0], [[{ route: 0, path: 'all' }]], r, 0)).toBe(1_000_000)
    expect(entries.records()).toBe(1)
    // A render of a path first used after the firing is attributed to it.
    clock[0] = 30e6
    entries.off(999_999)
    stats.attribute(999_999)
    expect(stats.rows[0]!).toMatchObject({ entriesTouched: 1_000_000, rendersWithin1m: 1, rendersWithin1h: 1 })
  })
})

describe('a purge over lazy records', () => {
  test.each([false, true])('drops the prerendered entries no request touched until the next deploy (lazy %s)', (lazy) => {
    // 6 paths, 3 prerendered, revalidate 60. t=1 path 0: the build's entry (HIT). Purge of
    // everything at 2. t=3 path 1, prerendered but never touched: no entry (MISS). Deploy at 4:
    // the new build's prerenders. t=5 path 2: HIT. With lazy records paths 1 and 2 have no record
    // until their request, so the purge and the deploy reach them only as the implicit set.
    useLazyEntries(lazy)
    const t = traced(single({ renderS: 0.5, revalidateS: 60, params: { count: 6, prebuilt: 3 } }, [1, 3, 5], { purges: [{ atS: 2 }], deploys: [{ atS: 4 }] }, [0, 1, 2]))
    expect(t.outcomes).toEqual(['hit', 'miss', 'hit'])
    const purge = t.events.find((e) => e.kind === 'purge')
    expect(purge).toMatchObject({ entriesDropped: 3 })
  })
})

describe('data freshness over lazy records', () => {
  test.each([false, true])('a prebuilt page first requested after a deploy shows the deploy\'s data (lazy %s)', (lazy) => {
    // Every product's data changes at 10; the deploy at 20 prerenders paths 0-2 again, reading
    // the data then. t=5 path 0: the build's page, data from before the change. t=15 path 1: the
    // build's page, data older than the change: outdated. t=25 path 2 and t=26 path 0: the
    // deploy's pages, data from 20: current. One of four outdated. With lazy records path 2 has
    // no record until t=25, and path 0's was made at t=5, before the deploy.
    useLazyEntries(lazy)
    const t = traced(single({ renderS: 0.5, revalidateS: 3600, params: { count: 6, prebuilt: 3 }, fetches: [{ id: 'p', revalidateS: 3600, perPath: true }] }, [5, 15, 25, 26], { dataChanges: [{ fetch: 'p', atS: 10 }], deploys: [{ atS: 20 }] }, [0, 1, 2, 0]))
    expect(t.outcomes).toEqual(['hit', 'hit', 'hit', 'hit'])
    expect(t.result.routes.r!.outdatedServedFraction).toBe(0.25)
  })
})
