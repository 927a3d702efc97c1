/**
 * Laws of the CDN layer (docs/semantics.md §16) over random scenarios (test/arbitraries.ts),
 * each run with a CDN of 1 to 3 PoPs in front: the edge answers every user's request once,
 * the users' requests are the same as without a CDN (the CDN moves no arrival), and Next
 * answers exactly the requests the CDN forwarded.
 * Reproduce: DEFAULT_SEED=<seed> npx vitest run test/cdn-laws.test.ts (the seed is in the title).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput, type TraceEvent } from '../sim/index.ts'
import { arbCase } from './arbitraries.ts'

const RUNS = process.env.FC_NUM_RUNS !== undefined ? Number(process.env.FC_NUM_RUNS) : 25

type CdnEv = Extract<TraceEvent, { kind: 'cdn' }>

function withCdn(input: ScenarioInput, pops: number): ScenarioInput {
  const d = input.deployment ?? {}
  return { ...input, deployment: { ...d, platform: 'self-hosted', cdn: { pops } } }
}

function withoutCdn(input: ScenarioInput): ScenarioInput {
  const { cdn: _, ...d } = input.deployment ?? {}
  return { ...input, deployment: d }
}

describe(`§16 CDN laws over random scenarios (fast-check seed ${fc.readConfigureGlobal().seed})`, () => {
  it('every user request gets one edge answer; the users are those without a CDN; Next answers what the CDN forwarded', () => {
    fc.assert(
      fc.property(arbCase(), fc.integer({ min: 1, max: 3 }), (c, pops) => {
        const input = withCdn(c.input, pops)
        const where = `scenario ${JSON.stringify(input)} seed ${JSON.stringify(c.seed)}`
        const events: TraceEvent[] = []
        const r = runScenario(parseScenario(input), { seed: c.seed, trace: (e) => events.push(e) })
        const cdn = r.cdn
        expect(cdn, where).toBeDefined()
        expect(cdn!.pops, where).toBe(pops)
        const warmupUs = (input.warmupS ?? 0) * 1e6
        const edge = events.filter((e): e is CdnEv => e.kind === 'cdn' && e.atUs >= warmupUs)
        expect(cdn!.requests, `edge answers vs trace: ${where}`).toBe(edge.length)
        if (cdn!.requests > 0) expect(cdn!.hit + cdn!.stale + cdn!.miss, where).toBeCloseTo(1, 8)
        expect(edge.every((e) => e.pop >= 0 && e.pop < pops), where).toBe(true)
        // Next's side: one answer per forwarded request, and no more requests than users sent.
        expect(cdn!.originRequests, `forwarded vs Next's requests: ${where}`).toBe(r.totals.requests)
        expect(r.totals.requests, where).toBeLessThanOrEqual(cdn!.requests + edge.filter((e) => e.forwarded === 'background').length)
        // A hit or a stale answer at the edge took no time.
        expect(edge.filter((e) => e.outcome !== 'miss').every((e) => e.latencyUs === 0), where).toBe(true)
        // The CDN moves no arrival: users sent what they send with no CDN.
        const plain = runScenario(parseScenario(withoutCdn(input)), { seed: c.seed })
        expect(plain.cdn, where).toBeUndefined()
        expect(cdn!.requests, `users with and without a CDN: ${where}`).toBe(plain.totals.requests)
      }),
      { numRuns: RUNS },
    )
  })
})
