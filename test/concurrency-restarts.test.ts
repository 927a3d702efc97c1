/**
 * Render concurrency per instance and restarts (issue 3 item 5; docs/semantics.md
 * §11.2, §1.1, §4.3 "Restart").
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import type { NextVersion } from '../sim/scenario/schema.ts'
import { traced, s } from './helpers.ts'

describe('render concurrency: renders queue first in, first out', () => {
  test('one worker: dynamic renders of 1 s requested at 0, 0.2, 0.4 start at 0, 1, 2', () => {
    const t = traced({ name: 'q', durationS: 10, deployment: { instances: 1, renderConcurrency: 1 }, routes: [{ id: 'r', pattern: '/', dynamic: true, renderS: 1, traffic: { rps: 0, schedule: { atS: [0, 0.2, 0.4] } } }] })
    expect(t.renders.map((r) => [s(r.atUs), s(r.endUs)])).toEqual([[0, 1], [1, 2], [2, 3]])
    expect(t.requests.map((r) => Math.round(s(r.latencyUs) * 1e6) / 1e6)).toEqual([1, 1.8, 2.6])
    expect(t.requests.map((r) => s(r.ageUs))).toEqual([1, 1, 1]) // data read when each render starts
  })

  test('a background regeneration waits for a worker too; the page stays stale meanwhile', () => {
    // One worker busy with a 5 s dynamic render from 0. The ISR page (revalidate 1, prebuilt at 0)
    // is stale at 2: STALE, its regeneration queues until 5 and ends at 5.5. 3 STALE (joins). 6 HIT.
    const input: ScenarioInput = {
      name: 'q2', durationS: 20, deployment: { instances: 1, renderConcurrency: 1 },
      routes: [
        { id: 'slow', pattern: '/slow', dynamic: true, renderS: 5, traffic: { rps: 0, schedule: { atS: [0] } } },
        { id: 'page', pattern: '/page', revalidateS: 1, renderS: 0.5, traffic: { rps: 0, schedule: { atS: [2, 3, 6] } } },
      ],
    }
    const t = traced(input)
    expect(t.requests.filter((r) => r.route === 'page').map((r) => r.outcome)).toEqual(['stale', 'stale', 'hit'])
    expect(t.renders.filter((r) => r.route === 'page').map((r) => [s(r.atUs), s(r.endUs)])).toEqual([[5, 5.5]])
  })

  test('M/D/1 closed form: mean response time = S + ρS/(2(1 − ρ)) (Pollaczek–Khinchine), within 2%', () => {
    // Dynamic page, Poisson λ = 5/s, constant render S = 0.1 s, one worker: ρ = 0.5.
    const lambda = 5, S = 0.1, rho = lambda * S
    const r = runScenario(parseScenario({ name: 'md1', durationS: 200_000, deployment: { instances: 1, renderConcurrency: 1 }, routes: [{ id: 'r', pattern: '/', dynamic: true, renderS: S, traffic: { rps: lambda } }] }), { seed: '1' })
    const expectedMs = (S + (rho * S) / (2 * (1 - rho))) * 1000
    expect(Math.abs(r.latency.meanMs / expectedMs - 1)).toBeLessThan(0.02)
    // Without the limit every response takes exactly S.
    const free = runScenario(parseScenario({ name: 'md1', durationS: 1000, routes: [{ id: 'r', pattern: '/', dynamic: true, renderS: S, traffic: { rps: lambda } }] }))
    expect(free.latency.meanMs).toBe(100)
  })
})

describe('§11.2 restarts', () => {
  const input = (version: NextVersion, extra: Partial<ScenarioInput>, atS: number[], path: number[]): ScenarioInput => ({
    name: 'restart', durationS: 100, next: { version },
    routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS: 3600, renderS: 1, params: { count: 2, prebuilt: 1 }, fetches: [{ id: 'p', tags: ['posts'] }], traffic: { rps: 0, schedule: { atS, path } } }],
    ...extra,
  })

  test.each(['16.3', '15'] as const)('%s: a path generated on demand falls back to the 1 s default after a restart, until regenerated once', (version) => {
    // Path 1 is not prebuilt: t=1 MISS (render 1..2, revalidate 3600). Restart at 10.
    // t=12: 12 - 2 > 1 s default -> STALE, regenerates 12..13 with the route's 3600 again. t=20 HIT.
    // Path 0 (prebuilt, in the manifest) keeps revalidate 3600: t=12 HIT.
    const t = traced(input(version, { restarts: [{ atS: 10 }] }, [1, 12, 12, 20], [1, 1, 0, 1]))
    expect(t.outcomes).toEqual(['miss', 'stale', 'hit', 'hit'])
    const without = traced(input(version, {}, [1, 12, 12, 20], [1, 1, 0, 1]))
    expect(without.outcomes).toEqual(['miss', 'hit', 'hit', 'hit'])
  })

  test('16.4: a path generated on demand keeps its revalidate across a restart (cache control stored with the entry)', () => {
    // Observed on 16.4.6: still HIT 2.4 s after a restart with revalidate 5. Here: t=12 HIT, not STALE.
    const t = traced(input('16.4', { restarts: [{ atS: 10 }] }, [1, 12, 12, 20], [1, 1, 0, 1]))
    expect(t.outcomes).toEqual(['miss', 'hit', 'hit', 'hit'])
  })

  test.each([
    ['16.4', 'hit'],
    ['15', 'hit'],
    ['14', 'miss'],
  ] as const)('%s: an invalidation not yet consumed %s after a restart (the tags manifest is in memory on 15+, on disk on 14)', (version, outcome) => {
    // revalidateTag("posts") at 5 (15: revalidatedAt; 16: expired), restart at 6, request for path 0 at 7.
    const t = traced(input(version, { onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 5 }], restarts: [{ atS: 6 }] }, [7], [0]))
    expect(t.outcomes).toEqual([outcome])
  })

  test('a restart of one instance leaves the others alone', () => {
    const t = traced({ ...input('16.3', { restarts: [{ atS: 10, instance: 1 }], deployment: { instances: 2 } }, [1, 1.5, 12, 12.5], [1, 1, 1, 1]) })
    // Round-robin: 1 -> i0 MISS, 1.5 -> i1 MISS (each instance renders its own), restart of i1 at 10,
    // 12 -> i0 HIT, 12.5 -> i1 STALE (1 s default; 16.3 does not keep cache controls across restarts).
    expect(t.outcomes).toEqual(['miss', 'miss', 'hit', 'stale'])
  })
})
