/**
 * The three model bugs of issue 15, each pinned by a hand-traced scenario that failed before
 * its fix (model versions 3, 4 and 5: see docs/semantics.md). Reproduce one with
 * npx vitest run test/model-fixes.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'

describe('bug 1 (model version 3): dynamic responses track origin data changes, templated tags included', () => {
  // /p/[id] is dynamic with one path, asked for at t = 0, 1, ..., 1299 s. Its fetch is Data-Cached
  // for 600 s (origin latency 0): read from the origin at t = 0, served from the cache after that,
  // and, once stale (t = 601, 1202), served stale while refreshed in the background, so the
  // response after the refresh (t = 602, 1203) reads the new data. The data changes every 60 s
  // from t = 60: changes at 60..600 are reflected at 602 (lags 542, 482, ..., 2 s), those at
  // 660..1200 at 1203 (543, ..., 3 s), the one at 1260 never. Outdated: t = 60..601 (542
  // responses), 660..1202 (543) and 1260..1299 (40): 1125 of 1300.
  const scenario = (change: { tag: string } | { fetch: string }): ScenarioInput => ({
    name: 'dynamic-freshness', durationS: 1300,
    routes: [{ id: 'p', pattern: '/p/[id]', dynamic: true, params: { count: 1 }, renderS: 0.01, fetches: [{ id: 'd', revalidateS: 600, tags: ['d-{id}'] }], traffic: { rps: 1, arrivals: 'uniform' } }],
    dataChanges: [{ ...change, everyS: 60 }],
  })
  const expected = { dataChanges: 21, reflected: 20, dataLagMeanS: 272.5, dataLagMaxS: 543, outdatedServedFraction: 0.865384615 }

  test.each([
    ['the templated tag', { tag: 'd-{id}' }],
    ['the filled tag', { tag: 'd-0' }],
    ['the fetch id', { fetch: 'd' }],
  ] as const)('a change named by %s: reflected 20 of 21, lag mean 272.5 s, max 543 s, 1125 of 1300 responses outdated', (_what, change) => {
    const r = runScenario(parseScenario(scenario(change)))
    expect(r.freshness).toMatchObject(expected)
    expect(r.routes.p!.outdatedServedFraction).toBe(expected.outdatedServedFraction)
    expect(r.totals).toMatchObject({ requests: 1300, dynamic: 1300, dynamicRenders: 1300, originFetches: 3 })
  })
})
