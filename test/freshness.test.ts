/**
 * Origin data changes and freshness (issue 3 item 4): outdatedServedFraction and dataLag.
 * Hand-traced micro-scenarios.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, type ScenarioInput } from '../sim/index.ts'
import { traced } from './helpers.ts'

type Change = NonNullable<ScenarioInput['dataChanges']>[number]

/** "/blog/[slug]", 3 paths prebuilt at 0, revalidate 10, render 1; fetch "post" per path and "nav" shared. */
function blog(dataChanges: Change[], atS: number[], path: number[], extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'fresh', durationS: 100,
    routes: [{
      id: 'post', pattern: '/blog/[slug]', revalidateS: 10, renderS: 1, params: { count: 3 },
      fetches: [{ id: 'post', tags: ['posts', 'post:{slug}'] }, { id: 'nav', tags: ['nav'] }],
      traffic: { rps: 0, schedule: { atS, path } },
    }],
    dataChanges,
    ...extra,
  }
}

describe('time-based revalidation only', () => {
  test('a change shows after the next regeneration: outdated responses until then, and the lag', () => {
    // "posts" changes at 5 (every post's data). Path 0:
    // t=6   HIT, data read at the build (0) < 5: outdated.
    // t=11  STALE (11 > 10): serves the old page (outdated) and regenerates 11..12, reading the origin at 11.
    // t=12.5 HIT, data read at 11 >= 5: up to date; the change is reflected, lag 12.5 - 5 = 7.5 s.
    const t = traced(blog([{ tag: 'posts', atS: 5 }], [6, 11, 12.5], [0, 0, 0]))
    expect(t.outcomes).toEqual(['hit', 'stale', 'hit'])
    expect(t.result.routes.post!.outdatedServedFraction).toBeCloseTo(2 / 3, 9)
    // 3 keys changed (path 0's, 1's and 2's post data); only path 0 was served afterwards.
    expect(t.result.freshness).toMatchObject({ dataChanges: 3, reflected: 1, dataLagMeanS: 7.5, dataLagMaxS: 7.5 })
    expect(Math.abs(t.result.freshness.dataLagP50S / 7.5 - 1)).toBeLessThan(0.004) // histogram resolution
  })

  test('a change to one post leaves the others up to date', () => {
    // "post:1" changes at 5: only path 1's key. Path 0 and 2 serve up-to-date pages.
    const t = traced(blog([{ tag: 'post:1', atS: 5 }], [6, 6, 6], [0, 1, 2]))
    expect(t.result.freshness.outdatedServedFraction).toBeCloseTo(1 / 3, 9)
    expect(t.result.freshness.dataChanges).toBe(1)
  })
})

describe('the CMS webhook pattern', () => {
  test('a change followed by revalidateTag(tag, "max") 1 s later shows after one background regeneration', () => {
    // Change at 5; webhook at 6 marks "posts" stale. t=6.5 STALE (outdated), regenerates 6.5..7.5
    // reading the origin at 6.5. t=8 HIT, reflects the change: lag 3 s.
    const t = traced(blog([{ tag: 'posts', atS: 5, webhook: { kind: 'revalidateTag', tag: 'posts', profile: 'max', delayS: 1 } }], [6.5, 8], [0, 0]))
    expect(t.outcomes).toEqual(['stale', 'hit'])
    expect(t.result.freshness).toMatchObject({ reflected: 1, dataLagMeanS: 3, dataLagMaxS: 3 })
    expect(t.result.dataChanges[0]).toMatchObject({ tag: 'posts', occurrences: 1, webhookCalls: 1, entriesTouched: 3, rendersWithin1m: 1 })
  })

  test('a templated change picks one post; its webhook revalidates that post\'s path only', () => {
    // Three changes of "post:{slug}" (one random post each), each followed by revalidatePath("/blog/{slug}").
    const t = traced(blog([{ tag: 'post:{slug}', everyS: 20, webhook: { kind: 'revalidatePath', path: '/blog/{slug}', delayS: 0 } }], [1], [0], { durationS: 70 }))
    const od = t.events.filter((e) => e.kind === 'on-demand')
    expect(t.result.dataChanges[0]).toMatchObject({ occurrences: 3, webhookCalls: 3 })
    // Each webhook reaches exactly one cached page (all 3 are prebuilt).
    expect(od).toHaveLength(0) // webhooks are not configured onDemand events...
    expect(t.result.dataChanges[0]!.entriesTouched).toBe(3) // ...but each touched one entry
  })
})

describe('Data Cache entries keep old data until refetched', () => {
  test('a fresh Data Cache entry serves old data into a regeneration: the page stays outdated', () => {
    // "nav" (shared, revalidate 60) was fetched by the build at 0 and is in the Data Cache.
    // nav changes at 15. Path 1 regenerates at 21: nav is fresh in the Data Cache
    // (21 - 0 <= 60), so the new page still has nav data from 0: outdated.
    const input: ScenarioInput = {
      name: 'dc', durationS: 100,
      routes: [{
        id: 'post', pattern: '/blog/[slug]', revalidateS: 10, renderS: 1, params: { count: 3 },
        fetches: [{ id: 'nav', revalidateS: 60, tags: ['nav'] }],
        traffic: { rps: 0, schedule: { atS: [11, 21, 22.5], path: [0, 1, 1] } },
      }],
      dataChanges: [{ tag: 'nav', atS: 15 }],
    }
    const t = traced(input)
    expect(t.outcomes).toEqual(['stale', 'stale', 'hit'])
    // 11: data from the build, no change yet -> current. 21: old page (build data) -> outdated.
    // 22.5: the new page read nav from the Data Cache (data time 0) -> still outdated.
    expect(t.result.freshness.outdatedServedFraction).toBeCloseTo(2 / 3, 9)
    expect(t.result.freshness.reflected).toBe(0)
  })
})

test('updateTag cannot be a webhook: it throws outside a Server Action (exit 2)', () => {
  expect(() => parseScenario(blog([{ tag: 'posts', atS: 5, webhook: { kind: 'updateTag', tag: 'posts', delayS: 1 } }], [6], [0]))).toThrow(/dataChanges\[0\]\.webhook\.kind: updateTag works only inside a Server Action/)
})
