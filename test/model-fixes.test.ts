/**
 * The three model bugs of issue 15, each pinned by a hand-traced scenario that failed before
 * its fix (model versions 3, 4 and 5: see docs/semantics.md). Reproduce one with
 * npx vitest run test/model-fixes.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { createStreams, TRAFFIC_STREAMS } from '../sim/kernel/rng.ts'
import { replicationSeed } from '../sim/run.ts'
import { richScenario } from './goldens/rich.ts'

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

describe('bug 2 (model version 4): whether a regeneration writes depends on its own route\'s data', () => {
  // Two pages alike: revalidate 60, a 0.5 s render, one request a second for an hour, so each
  // regenerates at t = 61, 122, ..., 3599 (59 renders, all written without data changes). Page
  // b reads an uncached fetch whose data changes every 300 s: its regeneration writes only when
  // a change fell since the previous render's read (each of the 11 changes, t = 300..3300, lies
  // in one 61 s gap). Page a reads no changing data: its output is not known to be unchanged,
  // so every regeneration still writes.
  const page = (id: string, extra: object) => ({ id, pattern: `/${id}`, revalidateS: 60, renderS: 0.5, traffic: { rps: 1, arrivals: 'uniform' as const }, ...extra })
  const site = (withChange: boolean): ScenarioInput => ({
    name: 'writes', durationS: 3600,
    routes: [page('a', {}), page('b', { fetches: [{ id: 'posts' }] })],
    ...(withChange ? { dataChanges: [{ fetch: 'posts', everyS: 300 }] } : {}),
  })

  test('adding a data change on b leaves a\'s 59 writes, and b writes its 11 changes', () => {
    const without = runScenario(parseScenario(site(false)))
    const withChange = runScenario(parseScenario(site(true)))
    expect(without.routes.a).toMatchObject({ renders: 59, isrWrites: 59 })
    expect(without.routes.b).toMatchObject({ renders: 59, isrWrites: 59 })
    expect(withChange.routes.a).toMatchObject({ renders: 59, isrWrites: 59 })
    expect(withChange.routes.b).toMatchObject({ renders: 59, isrWrites: 11 })
    expect(withChange.totals.isrWrites).toBe(70)
  })

  test('the rich scenario: a route no data change reaches writes the same with and without the data changes', () => {
    const input = parseScenario(richScenario('16.4', 'local'))
    const withChanges = runScenario(input)
    const without = runScenario({ ...input, dataChanges: [] })
    // legacy (a plain fetch no change names), home (its nav fetch changes) and post change; only legacy is untouched.
    expect(withChanges.routes.legacy!.isrWrites).toBe(without.routes.legacy!.isrWrites)
    expect(withChanges.routes.legacy!.isrWrites).toBeGreaterThan(500)
    expect(withChanges.routes.legacy!.renders).toBe(without.routes.legacy!.renders)
  })
})

describe('bug 3 (model version 5): replications with --same-traffic keep the data changes', () => {
  // Everything random here is traffic (Poisson arrivals and paths) or data (Poisson changes of a
  // random post, each followed by a webhook): render times are constant and nothing fails. So
  // with the traffic kept, every replication must be the same run, as the load test that
  // replays replication 0's plan (its requests, on-demand calls and data changes) is.
  const input: ScenarioInput = {
    name: 'same-traffic-data', durationS: 600,
    routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS: false, params: { count: 20 }, renderS: 0.2, fetches: [{ id: 'post', tags: ['post:{slug}'] }], traffic: { rps: 5, popularity: { zipf: 1 } } }],
    dataChanges: [{ tag: 'post:{slug}', ratePerS: 0.05, webhook: { kind: 'revalidateTag', tag: 'post:{slug}', profile: 'max', delayS: 1 } }],
  }

  test('3 replications with sameTraffic: the same data changes, so the same figures (every interval has sd 0)', () => {
    const r = runScenario(parseScenario(input), { replications: 3, sameTraffic: true })
    const spread = Object.entries({ ...r.intervals!.totals, ...r.intervals!.freshness, ...r.intervals!.staleness }).filter(([, i]) => i.sd !== 0).map(([k, i]) => `${k} sd ${i.sd}`)
    expect(spread, 'figures that vary between replications that keep the traffic').toEqual([])
    expect(r.freshness.dataChanges).toBeGreaterThan(15)
    expect(r.freshness.reflected).toBeGreaterThan(10)
    // Without sameTraffic the data changes (and so the figures) are redrawn.
    const free = runScenario(parseScenario(input), { replications: 3 })
    expect(free.intervals!.freshness.dataChanges!.sd).toBeGreaterThan(0)
  })

  test('the data stream of replication i with sameTraffic is replication 0\'s', () => {
    const draws = (streams: ReturnType<typeof createStreams>) => { const rng = streams.claim('data', '0'); return Array.from({ length: 5 }, () => rng.next()) }
    expect(TRAFFIC_STREAMS).toContain('data')
    expect(draws(createStreams(replicationSeed('s', 2), { names: TRAFFIC_STREAMS, seed: 's' }))).toEqual(draws(createStreams('s')))
  })
})
