/**
 * §8.2: deployment.cacheHandler "fortedigital-redis", the rules of @fortedigital/nextjs-cache-handler
 * 3.3.0 (redis-strings) as observed on two `next start` 16.4.6 sharing one redis-server 7.0
 * (docs/semantics.md §8.2), hand-traced against the file-system rules of a shared cache.
 * Reproduce: npx vitest run test/shared-cache.test.ts
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, type ScenarioInput } from '../sim/index.ts'
import { s, traced } from './helpers.ts'

type Deployment = NonNullable<ScenarioInput['deployment']>
const REDIS: Deployment = { instances: 2, cache: 'shared', cacheHandler: 'fortedigital-redis' }
const FS: Deployment = { instances: 2, cache: 'shared' }

function app(deployment: Deployment, atS: number[], extra: Partial<ScenarioInput> = {}, revalidateS = 10): ScenarioInput {
  return {
    name: 'redis',
    durationS: (atS[atS.length - 1] ?? 0) + 40,
    next: { version: '16.4' },
    deployment,
    routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS, renderS: 1, params: { count: 1 }, fetches: [{ id: 'p', tags: ['posts'] }], traffic: { rps: 0, schedule: { atS } } }],
    ...extra,
  }
}

describe('§8.2 the Redis handler', () => {
  test('the build\'s prerendered page is not in Redis: the first request anywhere is a blocking MISS, the other instance then HITs', () => {
    // 1 i0: no key (registerInitialCache wrote "/blog/0", Next 16.4 reads "/route-cache/APP_PAGE/…/$/blog/0"): MISS, render 1..2.
    // 3 i1: the prebuilt path's cache control is the manifest's 10 s, set at 2: HIT. The file-system rules HIT the build's page at once.
    expect(traced(app(REDIS, [1, 3])).outcomes).toEqual(['miss', 'hit'])
    expect(traced(app(FS, [1, 3])).outcomes).toEqual(['hit', 'hit'])
  })

  test('a key lives 1.5 × revalidate: STALE in between, then gone (MISS) for every instance', () => {
    // 1 i0 MISS, render 1..2 (key expires at 2 + 15 = 17). 13 i1: 11 s old: STALE, render 13..14 (key to 29).
    // 14.5 i0 HIT. 30 i1: 16 s after the set at 14, past 15: no key, MISS (the file-system rules: STALE).
    const t = traced(app(REDIS, [1, 13, 14.5, 30]))
    expect(t.outcomes).toEqual(['miss', 'stale', 'hit', 'miss'])
    expect(t.renders.map((r) => [s(r.atUs), r.instance])).toEqual([[1, 0], [13, 1], [30, 1]])
    expect(traced(app(FS, [1, 13, 14.5, 30])).outcomes).toEqual(['hit', 'stale', 'hit', 'stale'])
  })

  test('revalidateTag(tag, "max") deletes the entry for every instance at once: MISS, not STALE', () => {
    // 1 i0 MISS (render 1..2). revalidateTag("posts", "max") on i0 at 5. 6 i1: the key is gone: MISS (blocking, render 6..7).
    // 8 i0: HIT (set at 7). The file-system rules on 16: stale-while-revalidate, 6 i1 STALE.
    const od: Partial<ScenarioInput> = { onDemand: [{ kind: 'revalidateTag', tag: 'posts', profile: 'max', atS: 5, instance: 0 }] }
    const t = traced(app(REDIS, [1, 6, 8], od))
    expect(t.outcomes).toEqual(['miss', 'miss', 'hit'])
    expect(t.renders.map((r) => [s(r.atUs), r.instance])).toEqual([[1, 0], [6, 1]])
    expect(traced(app(FS, [1, 6, 8], od)).outcomes).toEqual(['hit', 'stale', 'hit'])
  })

  test('revalidatePath on one instance: the next request on the other is a MISS', () => {
    const od: Partial<ScenarioInput> = { onDemand: [{ kind: 'revalidatePath', path: '/blog/0', atS: 5, instance: 1 }] }
    expect(traced(app(REDIS, [1, 6, 8], od)).outcomes).toEqual(['miss', 'miss', 'hit'])
  })

  test('entries and deletions survive a restart (they live in Redis)', () => {
    // 1 i0 MISS (render 1..2). Restart of both at 3. 4 i1 HIT (set at 2, the manifest's 10 s).
    // revalidateTag at 5; restart at 6; 7 i0: still no key: MISS.
    const t = traced(app(REDIS, [1, 4, 7], { restarts: [{ atS: 3 }, { atS: 6 }], onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 5, instance: 0 }] }))
    expect(t.outcomes).toEqual(['miss', 'hit', 'miss'])
  })

  test('a deploy leaves the cache cold (the new build\'s pages never reach Redis)', () => {
    // 1 i0 MISS (render 1..2). Deploy at 3. 4 i1: no entry, MISS. The file-system rules: the new build's page, HIT.
    expect(traced(app(REDIS, [1, 4], { deploys: [{ atS: 3 }] })).outcomes).toEqual(['miss', 'miss'])
    expect(traced(app(FS, [1, 4], { deploys: [{ atS: 3 }] })).outcomes).toEqual(['hit', 'hit'])
  })
})

describe('§8.2 the Redis handler and the Data Cache', () => {
  test('fetch() is not cached: one origin call per render, none served from the build', () => {
    // 1 i0 MISS: render 1..2 calls the origin (the file-system rules: HIT, the build's page).
    // revalidateTag at 5; 6 i1 MISS: a second call. The file-system rules: one call (the regeneration at 6).
    const od: Partial<ScenarioInput> = { onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 5, instance: 0 }] }
    expect(traced(app(REDIS, [1, 6, 8], od)).result.totals.originFetches).toBe(2)
    expect(traced(app(FS, [1, 6, 8], od)).result.totals.originFetches).toBe(1)
  })
})

describe('§8.2 bad input', () => {
  const base = app(REDIS, [1])
  test('cacheHandler is ignored with local caches', () => {
    const local = { ...base, deployment: { instances: 2, cacheHandler: 'fortedigital-redis' as const } }
    expect(traced(local).outcomes).toEqual(traced({ ...base, deployment: { instances: 2 } }).outcomes)
  })
  test('tagPropagationS must be 0 with the Redis handler', () => {
    expect(() => parseScenario({ ...base, deployment: { ...REDIS, tagPropagationS: 2 } })).toThrow(/deployment\.tagPropagationS.*must be 0 with cacheHandler "fortedigital-redis"/)
  })
  test('not on Vercel', () => {
    expect(() => parseScenario({ ...base, deployment: { ...REDIS, platform: 'vercel' } })).toThrow(/deployment\.cacheHandler.*not allowed with deployment\.platform "vercel"/)
  })
})
