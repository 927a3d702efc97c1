/**
 * The Data Cache's and 'use cache' entries kept lazily (sim/isr/fetch-cache-rows.ts,
 * use-cache.ts): a row per (cache, key) slot a render reads, the build's seed implicit. Lazy
 * and eager must agree slot by slot under any sequence of reads, writes, deploys and snapshots,
 * and in the hand-traced cases where the implicit seed and restarts decide the outcome.
 * (test/lazy-entries.test.ts runs every golden and generated scenario both ways.)
 * Reproduce: npx vitest run test/lazy-data-cache.test.ts
 */
import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import { useLazyEntries } from '../sim/isr/entries.ts'
import { createFetchCacheRows, type FetchCacheRows, type FetchCacheSnapshot } from '../sim/isr/fetch-cache-rows.ts'
import { s, single, traced, type RouteInput } from './helpers.ts'

afterEach(() => useLazyEntries(null))

type Op =
  | { readonly kind: 'read'; readonly slot: number }
  | { readonly kind: 'write'; readonly slot: number; readonly atUs: number }
  | { readonly kind: 'deploy'; readonly atUs: number; readonly seed: boolean; readonly snapshot: boolean }

/** What a slot holds as seen from outside: the entry flag, and the times (a read makes a lazy row). */
const view = (r: FetchCacheRows, slot: number, read: boolean) => {
  if (!read) return [r.hasEntry(slot)]
  const d = r.rowOf(slot)
  return [r.hasEntry(slot), r.has[d], r.lastModUs[d], r.dataAtUs[d]]
}
const snapView = (sn: FetchCacheSnapshot, slots: number) => {
  const each: number[] = []
  sn.forEachEntry((slot) => each.push(slot))
  return { each: each.sort((a, b) => a - b), at: Array.from({ length: slots }, (_, slot) => [sn.hasEntry(slot), sn.lastModUs(slot), sn.dataAtUs(slot)]) }
}

describe('fetch-cache-rows: lazy rows hold what eager cells hold', () => {
  test('any sequence of reads, writes and deploys (seeding or not, snapshotted or not), 2 caches × 3 fetches', () => {
    const arb = fc.record({
      keys: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }),
      seededOf: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 3, maxLength: 3 }),
      firstSeed: fc.boolean(),
      ops: fc.array(fc.oneof(
        fc.record({ kind: fc.constant('read' as const), slot: fc.nat(29) }),
        fc.record({ kind: fc.constant('write' as const), slot: fc.nat(29), atUs: fc.integer({ min: 1, max: 1e6 }) }),
        fc.record({ kind: fc.constant('deploy' as const), atUs: fc.integer({ min: 1, max: 1e6 }), seed: fc.boolean(), snapshot: fc.boolean() }),
      ), { maxLength: 40 }),
    })
    fc.assert(fc.property(arb, ({ keys: perFetch, seededOf, firstSeed, ops }) => {
      const caches = 2
      const bases = Int32Array.from(perFetch, (_, i) => perFetch.slice(0, i).reduce((a, b) => a + b, 0))
      const keys = perFetch.reduce((a, b) => a + b, 0)
      const seeded = Int32Array.from(seededOf, (n, i) => Math.min(n, perFetch[i]!))
      const slots = caches * keys
      const make = (lazy: boolean) => createFetchCacheRows(caches, keys, bases, seeded, firstSeed ? 0 : null, lazy)
      // eager; lazy seen only from outside; lazy read everywhere (rows made for every slot).
      const [e, quiet, busy] = [make(false), make(true), make(true)]
      for (const op of ops) {
        const slot = op.kind === 'deploy' ? 0 : op.slot % slots
        const all = [e, quiet, busy]
        if (op.kind === 'read') all.forEach((r) => r.rowOf(slot))
        else if (op.kind === 'write') all.forEach((r) => r.setEntry(slot, op.atUs, op.atUs - 1))
        else {
          const sn = op.snapshot ? all.map((r) => r.snapshot()) : null
          all.forEach((r) => r.rebuild(op.atUs, op.seed))
          if (sn !== null) {
            // A snapshot is the state before the deploy, whatever rows the deploy's own writes make.
            all.forEach((r) => r.setEntry(slot, op.atUs, op.atUs))
            const want = snapView(sn[0]!, slots)
            expect(snapView(sn[1]!, slots)).toEqual(want)
            expect(snapView(sn[2]!, slots)).toEqual(want)
          }
        }
        for (let k = 0; k < slots; k++) {
          const want = view(e, k, true)
          expect(view(quiet, k, false)).toEqual(want.slice(0, 1))
          expect(view(busy, k, true)).toEqual(want)
        }
        expect(snapView(quiet.snapshot(), slots)).toEqual(snapView(e.snapshot(), slots))
      }
    }), { numRuns: 300 })
  })

  test('a 40M-key site: no row until a key is read; a read of a seeded key holds the build\'s entry', () => {
    const r = createFetchCacheRows(1, 40_000_000, Int32Array.of(0), Int32Array.of(1_000_000), 5, true)
    expect(r.rows()).toBe(0)
    expect(r.has.length).toBeLessThan(1000)
    expect(r.hasEntry(999_999)).toBe(true)
    expect(r.hasEntry(1_000_000)).toBe(false)
    const d = r.rowOf(999_999)
    expect([r.has[d], r.lastModUs[d], r.dataAtUs[d]]).toEqual([1, 5, 5])
    const d2 = r.rowOf(39_999_999)
    expect([r.has[d2], r.lastModUs[d2], r.dataAtUs[d2]]).toEqual([0, 0, 0])
    expect(r.rows()).toBe(2)
    // A deploy that prerenders nothing: the build's keys keep the old times without an entry.
    r.rebuild(100, false)
    expect(r.hasEntry(999_999)).toBe(false)
    const d3 = r.rowOf(7)
    expect([r.has[d3], r.lastModUs[d3], r.dataAtUs[d3]]).toEqual([0, 5, 5])
    expect(r.rows()).toBe(3)
  })
})

describe('hand-traced cases with lazy records, where the implicit seed or a restart decides', () => {
  test.each([false, true])('a deploy with prerender false keeps the first build\'s seeded entry in a reused folder (lazy %s)', (lazy) => {
    // The build seeds fetch p at 0 (revalidate 3600); the deploy at 30 prerenders nothing but
    // keeps the folder: the MISS at 31 reads the kept entry, no origin call (build-reuse.test.ts).
    useLazyEntries(lazy)
    const t = traced(single({ renderS: 1, revalidateS: 60, fetches: [{ id: 'p', revalidateS: 3600 }] }, [31], { deploys: [{ atS: 30, prerender: false, reuseFetchCache: true }] }))
    expect(t.outcomes).toEqual(['miss'])
    expect(t.result.fetches.p!.originFetches).toBe(0)
  })

  test.each([false, true])('a restart empties the default \'use cache\' handler of that process only (lazy %s)', (lazy) => {
    // Two instances, round robin: t=1 on 0 and t=2 on 1 run the function; instance 0 restarts
    // at 2.5; t=3 on 0 runs it again, t=4 on 1 reads its memory (use-cache.test.ts).
    useLazyEntries(lazy)
    const fn: NonNullable<RouteInput['fetches']>[number] = { id: 'uc', kind: 'use cache', cacheLife: 'hours', latencyS: 0.5 }
    const t = traced(single({ dynamic: true, renderS: 0.1, fetches: [fn] }, [1, 2, 3, 4], { deployment: { instances: 2 }, restarts: [{ atS: 2.5, instance: 0 }] }))
    expect(t.events.flatMap((x) => (x.kind === 'fetch' ? [[s(x.atUs), x.instance]] : []))).toEqual([[1, 0], [2, 1], [3, 0]])
  })
})
