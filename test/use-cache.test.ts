/**
 * Hand-traced tests of 'use cache' functions' entries (docs/semantics.md §12.5, §12.6): the
 * default handler in each process's memory (no stale serving by time, foreground regeneration
 * in every render, lost on restart, one per instance), 'use cache: remote' shared, and cacheTag
 * entries under revalidateTag(tag, profile) / updateTag / 15's revalidateTag. Each derivation is
 * in the comment. Reproduce: npx vitest run test/use-cache.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import type { NextVersion, ScenarioInput } from '../sim/index.ts'
import { single, traced, s, type RouteInput } from './helpers.ts'

type FetchInput = NonNullable<RouteInput['fetches']>[number]
const fn = (extra: Partial<FetchInput> = {}): FetchInput => ({ id: 'uc', kind: 'use cache' as const, cacheLife: 'hours' as const, latencyS: 0.5, ...extra })
/** The 'use cache' function's runs: [time s, mode, instance]. */
const runs = (t: ReturnType<typeof traced>) => t.events.flatMap((e) => (e.kind === 'fetch' ? [[s(e.atUs), e.mode, e.instance] as const] : []))

describe('§12.5 the default handler: each process\'s memory', () => {
  test.each(['15', '16.4'] as const)('on %s a dynamic page reads an hours function once, then from memory, and again after a restart (observed on both)', (v) => {
    // Dynamic page (headers()), render 1 s. t=1: the function runs in the foreground (0.5 s):
    // latency 1.5. t=2: fresh (age 1 <= 3600): latency 1. Restart at 2.5. t=3: gone: runs again.
    const t = traced(single({ dynamic: true, renderS: 1, fetches: [fn()] }, [1, 2, 3], { next: { version: v }, restarts: [{ atS: 2.5 }] }))
    expect(t.outcomes).toEqual(['dynamic', 'dynamic', 'dynamic'])
    expect(runs(t)).toEqual([[1, 'foreground', 0], [3, 'foreground', 0]])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([1.5, 1, 1.5])
    expect(t.result.fetches.uc!.originFetches).toBe(2)
  })

  test('past its revalidate the entry is a miss in a dynamic render too: no stale serving by time', () => {
    // cacheLife {revalidate 5}: t=1 runs (ts 1); t=3 fresh; t=7: 6 > 5, runs in the foreground.
    const t = traced(single({ dynamic: true, renderS: 1, fetches: [fn({ cacheLife: { revalidateS: 5, expireS: 600 } })] }, [1, 3, 7], { next: { version: '16.4' } }))
    expect(runs(t)).toEqual([[1, 'foreground', 0], [7, 'foreground', 0]])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([1.5, 1, 1.5])
  })

  test('a regeneration runs a past-revalidate function in its foreground: no one-cycle lag (observed on 15.5.29)', () => {
    // A function of {revalidate 10, expire 300} lowers the page to revalidate 10 (§12.2); render 1 s, latency 0.
    // The build's entries are not in the handler. t=12 STALE (built 0): regeneration 12..13 runs
    // the function (ts 12). t=14 HIT, content 12: age 2. t=30: 30 - 13 > 10 STALE (age 18):
    // regeneration 30..31, the entry (ts 12, age 18 > 10) runs again at 30. t=32 HIT, age 2.
    // A lagging model would serve data of 12 after the second regeneration (age 20 at 32).
    const t = traced(single({ renderS: 1, fetches: [fn({ latencyS: 0, cacheLife: { revalidateS: 10, expireS: 300 } })] }, [12, 14, 30, 32], { next: { version: '15' } }))
    expect(t.outcomes).toEqual(['stale', 'hit', 'stale', 'hit'])
    expect(t.requests.map((r) => s(r.ageUs))).toEqual([12, 2, 18, 2])
    expect(runs(t)).toEqual([[12, 'foreground', 0], [30, 'foreground', 0]])
  })

  test('two instances: the default handler runs the function once per instance, \'use cache: remote\' once for both', () => {
    // Round robin: t=1 instance 0, t=2 instance 1, t=3 instance 0, t=4 instance 1.
    const at = (kind: 'use cache' | 'use cache: remote') => traced(single({ dynamic: true, renderS: 0.1, fetches: [fn({ kind })] }, [1, 2, 3, 4], { deployment: { instances: 2 } }))
    expect(runs(at('use cache'))).toEqual([[1, 'foreground', 0], [2, 'foreground', 1]])
    expect(runs(at('use cache: remote'))).toEqual([[1, 'foreground', 0]])
  })

  test('\'use cache: remote\' survives a restart; the default handler does not, even with a shared ISR cache handler', () => {
    const at = (kind: 'use cache' | 'use cache: remote') => traced(single({ dynamic: true, renderS: 0.1, fetches: [fn({ kind })] }, [1, 3], { deployment: { cache: 'shared' }, restarts: [{ atS: 2 }] }))
    expect(runs(at('use cache')).map((r) => r[0])).toEqual([1, 3])
    expect(runs(at('use cache: remote')).map((r) => r[0])).toEqual([1])
  })
})

describe('§12.6 cacheTag entries and revalidateTag / updateTag', () => {
  const tagged = (v: NextVersion, call: ScenarioInput['onDemand'] & object, atS: number[], route: Partial<RouteInput> = {}) =>
    traced(single({ dynamic: true, renderS: 1, fetches: [fn({ tags: ['t1'] })], ...route }, atS, { next: { version: v }, onDemand: call }))

  test('16.4 revalidateTag(tag, "max"): a dynamic render serves the stale entry and regenerates it in the background', () => {
    // t=1 runs (ts 1). Call at 2: tag stale. t=3: stale: served (latency 1), background run at 3 (ts 3). t=4: fresh (ts 3 > stale 2).
    const t = tagged('16.4', [{ kind: 'revalidateTag', tag: 't1', profile: 'max', atS: 2 }], [1, 3, 4])
    expect(runs(t)).toEqual([[1, 'foreground', 0], [3, 'background', 0]])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([1.5, 1, 1])
  })

  test.each([
    ['16.4 updateTag', '16.4', { kind: 'updateTag', tag: 't1', atS: 2 }],
    ['16.4 one-argument revalidateTag', '16.4', { kind: 'revalidateTag', tag: 't1', atS: 2 }],
    ['15 revalidateTag', '15', { kind: 'revalidateTag', tag: 't1', atS: 2 }],
  ] as const)('%s: the entry is a miss, run in the foreground', (_name, v, call) => {
    const t = tagged(v, [call], [1, 3, 4])
    expect(runs(t)).toEqual([[1, 'foreground', 0], [3, 'foreground', 0]])
    expect(t.requests.map((r) => s(r.latencyUs))).toEqual([1.5, 1.5, 1])
  })

  test('16.4 revalidateTag(tag, "max") on an ISR page: STALE, and the regeneration runs the function in the foreground (observed: STALE with old data, then HIT with data newer than the call)', () => {
    // Page life from the hours function: 3600. Render 0.2 s, latency 0. Built at 0; the build's entry is not in the handler.
    // t=1 HIT. Call at 2 (tag stale). t=3 STALE, regeneration 3..3.2 finds no entry: runs at 3.
    // t=3.5 HIT, content 3: age 0.5. Call at 4. t=5 STALE; the regeneration finds the entry (ts 3)
    // stale by its tag (4 > 3): an ISR render runs it in the foreground at 5. t=5.5 HIT, age 0.5.
    const t = tagged('16.4', [{ kind: 'revalidateTag', tag: 't1', profile: 'max', atS: 2 }, { kind: 'revalidateTag', tag: 't1', profile: 'max', atS: 4 }], [1, 3, 3.5, 5, 5.5], { dynamic: false, renderS: 0.2, fetches: [fn({ tags: ['t1'], latencyS: 0 })] })
    expect(t.outcomes).toEqual(['hit', 'stale', 'hit', 'stale', 'hit'])
    expect(t.requests.map((r) => s(r.ageUs))).toEqual([1, 3, 0.5, 2, 0.5])
    expect(runs(t)).toEqual([[3, 'foreground', 0], [5, 'foreground', 0]])
  })

  test('15 revalidateTag on the same ISR page: a blocking MISS whose render runs the function (observed: MISS with fresh data)', () => {
    const t = tagged('15', [{ kind: 'revalidateTag', tag: 't1', atS: 2 }], [1, 3, 3.5], { dynamic: false, renderS: 0.2, fetches: [fn({ tags: ['t1'], latencyS: 0 })] })
    expect(t.outcomes).toEqual(['hit', 'miss', 'hit'])
    expect(runs(t)).toEqual([[3, 'foreground', 0]])
  })
})
