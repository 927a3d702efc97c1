/**
 * deployment.platform "vercel" (docs/semantics.md §17, sim/isr/cdn-vercel.ts): the ISR cache is
 * the platform's one cache, so what `next start` keeps per process does not split it. Each case
 * runs the same scenario self-hosted and on Vercel, traced by hand.
 * Reproduce one: npx vitest run test/cdn-vercel.test.ts -t "<name>".
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, ScenarioError, type ScenarioInput } from '../sim/index.ts'
import { traced } from './helpers.ts'

type Route = ScenarioInput['routes'][number]
const DEP = { instances: 3, balancer: 'round-robin', cache: 'local', tagPropagationS: 0 } as const

function scenario(platform: 'self-hosted' | 'vercel', atS: number[], r: Partial<Route> = {}, extra: Partial<ScenarioInput> = {}, path?: number[]): ScenarioInput {
  return {
    name: `platform ${platform}`, durationS: 100, next: { version: '16.4' },
    routes: [{ id: 'a', pattern: '/a', revalidateS: 3600, renderS: 0.1, fetches: [{ id: 'p', tags: ['posts'] }], ...r, traffic: { rps: 0, schedule: { atS, ...(path ? { path } : {}) } } }],
    deployment: { ...DEP, platform }, ...extra,
  }
}

const outcomes = (input: ScenarioInput) => traced(input).outcomes
const why = (input: ScenarioInput) => `Reproduce: npx vitest run test/cdn-vercel.test.ts; scenario ${JSON.stringify(input)}`

describe('§17 Vercel: one cache for the deployment', () => {
  test('an invalidation sent to one instance reaches every request on Vercel; self-hosted, only that instance', () => {
    // Round-robin: 11 -> instance 0, 12 -> 1, 13 -> 2. revalidateTag("posts") at 10 to instance 1
    // expires the entry there only (§8); on Vercel the one cache: 11 is a MISS, then HITs.
    const at = [1, 2, 3, 11, 12, 13]
    const calls = { onDemand: [{ kind: 'revalidateTag' as const, tag: 'posts', atS: 10, instance: 1 }] }
    const self = scenario('self-hosted', at, {}, calls), vercel = scenario('vercel', at, {}, calls)
    expect(outcomes(self), why(self)).toEqual(['hit', 'hit', 'hit', 'hit', 'miss', 'hit'])
    expect(outcomes(vercel), why(vercel)).toEqual(['hit', 'hit', 'hit', 'miss', 'hit', 'hit'])
    // Only self-hosted local caches warn that a call reaches one instance.
    expect(traced(self).result.warnings.map((w) => w.code)).toContain('local-cache-invalidation')
    expect(traced(vercel).result.warnings.map((w) => w.code)).not.toContain('local-cache-invalidation')
  })

  test('one regeneration per path for the whole deployment (request collapsing), not one per instance', () => {
    // revalidate 10, render 5 s: 11, 12, 13 find the page stale on three instances. Self-hosted,
    // each instance regenerates it (3 renders); on Vercel the first starts one and the others join it.
    const at = [11, 12, 13]
    const self = scenario('self-hosted', at, { revalidateS: 10, renderS: 5 }), vercel = scenario('vercel', at, { revalidateS: 10, renderS: 5 })
    expect(traced(self).renders.length, why(self)).toBe(3)
    expect(traced(vercel).renders.length, why(vercel)).toBe(1)
    expect(outcomes(vercel), why(vercel)).toEqual(['stale', 'stale', 'stale'])
  })

  test('a restart loses nothing on Vercel: a page rendered on demand keeps its revalidate (16.0)', () => {
    // Path 1 is not prebuilt: rendered at 1 (MISS). A restart at 5 drops 16.0's in-memory cache
    // controls, so self-hosted falls back to the 1 s default (STALE at 7, §11.2); Vercel keeps 60 s.
    const r: Partial<Route> = { pattern: '/p/[id]', revalidateS: 60, params: { count: 2, prebuilt: 1 } }
    const extra = { next: { version: '16.0' as const }, restarts: [{ atS: 5 }], deployment: { ...DEP, instances: 1 } }
    const self = scenario('self-hosted', [1, 7], r, { ...extra, deployment: { ...extra.deployment, platform: 'self-hosted' } }, [1, 1])
    const vercel = scenario('vercel', [1, 7], r, { ...extra, deployment: { ...extra.deployment, platform: 'vercel' } }, [1, 1])
    expect(outcomes(self), why(self)).toEqual(['miss', 'stale'])
    expect(outcomes(vercel), why(vercel)).toEqual(['miss', 'hit'])
  })

  test('a CDN in front of Vercel is refused, naming the field and why', () => {
    const input = { ...scenario('vercel', [1]), deployment: { ...DEP, platform: 'vercel' as const, cdn: { pops: 2 } } }
    expect(() => parseScenario(input)).toThrow(ScenarioError)
    expect(() => parseScenario(input)).toThrow(/deployment\.cdn.*not allowed with deployment\.platform "vercel"/)
  })
})
