/**
 * Several instances (docs/semantics.md §8): local caches, a shared cache handler,
 * load balancers. Hand-traced cases and renewal-reward closed forms.
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { traced, s } from './helpers.ts'

type Deployment = NonNullable<ScenarioInput['deployment']>

function app(deployment: Deployment, atS: number[], extra: Partial<ScenarioInput> = {}, renderS = 1): ScenarioInput {
  return {
    name: 'inst',
    durationS: (atS[atS.length - 1] ?? 0) + 50,
    deployment,
    routes: [{ id: 'post', pattern: '/blog/[slug]', revalidateS: 10, renderS, params: { count: 1 }, fetches: [{ id: 'p', tags: ['posts'] }], traffic: { rps: 0, schedule: { atS } } }],
    ...extra,
  }
}

describe('§8 local caches: every instance regenerates on its own', () => {
  test('round-robin over 2 instances: each instance goes stale and regenerates separately', () => {
    // Prebuilt at 0 on both. 11 -> i0 STALE (render 11..12); 12 -> i1 STALE (render 12..13);
    // 13 -> i0 HIT (set at 12); 14 -> i1 HIT (set at 13).
    const t = traced(app({ instances: 2 }, [11, 12, 13, 14]))
    expect(t.requests.map((r) => r.instance)).toEqual([0, 1, 0, 1])
    expect(t.outcomes).toEqual(['stale', 'stale', 'hit', 'hit'])
    expect(t.renders.map((r) => [s(r.atUs), r.instance])).toEqual([[11, 0], [12, 1]])
  })

  test('an invalidation reaches only the instance that received it', () => {
    // revalidateTag("posts") on instance 0 at 5. 6 -> i0 MISS (render 6..7); 7 -> i1 HIT (old page);
    // 8 -> i0 HIT (new); 9 -> i1 HIT (still the build's page, age 9).
    const t = traced(app({ instances: 2 }, [6, 7, 8, 9], { onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 5, instance: 0 }] }))
    expect(t.outcomes).toEqual(['miss', 'hit', 'hit', 'hit'])
    expect(s(t.requests[3]!.ageUs)).toBe(9)
    expect(t.result.onDemand[0]!.entriesTouched).toBe(1)
    const w = t.result.warnings.find((x) => x.code === 'local-cache-invalidation')!
    expect(w.message).toBe('2 instances with local caches: on-demand calls reach only instance 0; the other instances keep serving old pages until they go stale by time.')
  })
})

describe('§8 a shared cache handler', () => {
  test('entries are shared, but regeneration is de-duplicated per instance only', () => {
    // Render 2 s. 11 -> i0 STALE, render 11..13. 12 -> i1: the shared entry is still stale and
    // i1 has nothing in flight: STALE and a second render 12..14. 14.5 -> i0 HIT (set at 14).
    const t = traced(app({ instances: 2, cache: 'shared' }, [11, 12, 14.5], {}, 2))
    expect(t.outcomes).toEqual(['stale', 'stale', 'hit'])
    expect(t.renders.map((r) => [s(r.atUs), r.instance])).toEqual([[11, 0], [12, 1]])
    expect(s(t.requests[2]!.ageUs)).toBe(2.5) // the last write wins: data read at 12
  })

  test('cache controls stay per process: an entry another instance wrote goes stale after 1 s here (§1.1)', () => {
    // A path not in the prerender manifest, revalidate 60, round-robin over 2 instances, shared cache.
    // 1   i0 MISS, renders 1..1.1 and records revalidate 60 in its own memory.
    // 2   i1 reads the shared entry; it has no cache control for the path: the 1 s default. 2 - 1.1 <= 1: HIT.
    // 3   i0 HIT (60 s). 3.5 i1: 3.5 - 1.1 > 1: STALE, regenerates 3.5..3.6 and records 60.
    // 5   i0 HIT. 6 i1 HIT (6 - 3.6 <= 60).
    // Restart of both at 10: the 1 s default again. 11 i0: 11 - 3.6 > 1: STALE ("go stale after 1 s in every cold isolate").
    const input: ScenarioInput = {
      // 16.3: 16.4 keeps cache controls with the entry (finding F2), so the restart part differs there.
      name: 'cc', durationS: 30, next: { version: '16.3' }, deployment: { instances: 2, cache: 'shared' },
      routes: [{ id: 'p', pattern: '/b/[s]', revalidateS: 60, renderS: 0.1, params: { count: 1, prebuilt: 0 }, traffic: { rps: 0, schedule: { atS: [1, 2, 3, 3.5, 5, 6, 11] } } }],
      restarts: [{ atS: 10 }],
    }
    const t = traced(input)
    expect(t.outcomes).toEqual(['miss', 'hit', 'hit', 'stale', 'hit', 'hit', 'stale'])
    expect(t.renders.map((r) => [s(r.atUs), r.instance])).toEqual([[1, 0], [3.5, 1], [11, 0]])
  })

  test('an invalidation reaches the other instances after tagPropagationS', () => {
    // revalidateTag("posts") on i0 at 5. 6 -> i0 MISS (render 6..7, blocking). 6.5 -> i1: with no
    // propagation delay its view is expired too and it has nothing in flight: MISS (render 6.5..7.5).
    // With a 5 s delay, i1 still reads the old shared entry at 6.5: HIT.
    const od = { onDemand: [{ kind: 'revalidateTag' as const, tag: 'posts', atS: 5, instance: 0 }] }
    expect(traced(app({ instances: 2, cache: 'shared', tagPropagationS: 0 }, [6, 6.5], od)).outcomes).toEqual(['miss', 'miss'])
    expect(traced(app({ instances: 2, cache: 'shared', tagPropagationS: 5 }, [6, 6.5], od)).outcomes).toEqual(['miss', 'hit'])
    // A shared cache gives no local-cache warning.
    expect(traced(app({ instances: 2, cache: 'shared' }, [6], od)).result.warnings.map((w) => w.code)).not.toContain('local-cache-invalidation')
  })
})

describe('closed forms for N instances with local caches (renewal-reward)', () => {
  // One page, Poisson λ in total, revalidate T, render R.
  const N = 4, lambda = 40, T = 10, R = 2, durationS = 100_000
  const input = (balancer: 'random' | 'round-robin'): ScenarioInput => ({
    name: `instances-${balancer}`, durationS, deployment: { instances: N, balancer },
    routes: [{ id: 'p', pattern: '/', revalidateS: T, renderS: R, traffic: { rps: lambda } }],
  })

  test('random balancer: each instance sees Poisson λ/N, so renders/s = N/(T + R + N/λ) within 1%', () => {
    const r = runScenario(parseScenario(input('random')), { seed: '2026' })
    const expected = N / (T + R + N / lambda)
    expect(Math.abs(r.totals.renders / durationS / expected - 1)).toBeLessThan(0.01)
  })

  test('round-robin: exact cycle E[N⌈(K+1)/N⌉]/λ with K ~ Poisson(λ(R+T)); ≈ N/(T + R + N/λ)', () => {
    // An instance gets every N-th request. Its regeneration starts on one of them; the entry is
    // fresh until R + T later; K requests arrive in that time (Poisson), and the trigger is the
    // instance's next request after them: global request number N⌈(K+1)/N⌉, each λ⁻¹ apart.
    const mu = lambda * (R + T)
    let eCycle = 0
    let pk = Math.exp(-mu)
    for (let k = 0; k < mu * 4 + 200; k++) {
      eCycle += pk * N * Math.ceil((k + 1) / N)
      pk *= mu / (k + 1)
    }
    eCycle /= lambda
    const r = runScenario(parseScenario(input('round-robin')), { seed: '2026' })
    expect(Math.abs(r.totals.renders / durationS / (N / eCycle) - 1)).toBeLessThan(0.01)
    // The form holds to well within 1% here, since N/λ is small against T + R.
    expect(Math.abs(N / eCycle / (N / (T + R + N / lambda)) - 1)).toBeLessThan(0.01)
    expect(Math.abs(r.totals.renders / durationS / (N / (T + R + N / lambda)) - 1)).toBeLessThan(0.015)
  })

  test('round-robin spreads requests exactly; random spreads them evenly on average', () => {
    const rr = traced({ ...input('round-robin'), durationS: 100 })
    const counts = [0, 0, 0, 0]
    for (const q of rr.requests) counts[q.instance]!++
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    const rnd = traced({ ...input('random'), durationS: 500 })
    const c2 = [0, 0, 0, 0]
    for (const q of rnd.requests) c2[q.instance]!++
    const n = rnd.requests.length
    for (const c of c2) expect(Math.abs(c - n / 4)).toBeLessThan(5 * Math.sqrt((n * 3) / 16))
  })
})

test('an on-demand event naming an instance that does not exist is rejected', () => {
  expect(() => parseScenario(app({ instances: 2 }, [1], { onDemand: [{ kind: 'revalidateTag', tag: 'posts', atS: 1, instance: 2 }] }))).toThrow(/onDemand\[0\]\.instance: must be below deployment\.instances \(2\)/)
})
