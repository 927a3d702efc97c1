/**
 * Two stacked stale-while-revalidate caches, a CDN PoP over `next start` (docs/semantics.md
 * §16.1, sim/isr/closed-form-cdn.ts, where the derivation is), checked against long
 * simulations within 1%: the CDN's hit and stale fractions, the requests it sends Next, the
 * fraction Next answers STALE, Next's renders, and the mean age users see end to end.
 *
 * To average over many independent cycles quickly, the route has N paths of equal popularity:
 * each path is its own Poisson stream at rate λ, with its own CDN entry and Next entry.
 * Reproduce one case: npx vitest run test/closed-form-cdn.test.ts -t "<case>".
 */
import { describe, expect, test } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import type { NextVersion } from '../sim/scenario/schema.ts'
import { cdnEdge, stackedCdn } from '../sim/isr/closed-form-cdn.ts'

const SEED = '2026'
const PATHS = 200

interface Case {
  readonly version: NextVersion
  /** Per path: requests/s, revalidate (= s-maxage), render time. */
  readonly lambda: number
  readonly t: number
  readonly r: number
}

function scenario(c: Case, durationS: number, pops = 1): ScenarioInput {
  return {
    name: `cdn ${c.version} λ=${c.lambda} T=${c.t} r=${c.r}`,
    durationS,
    warmupS: 10 * (c.t + c.r + 1 / c.lambda),
    next: { version: c.version },
    routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: c.t, renderS: c.r, params: { count: PATHS }, traffic: { rps: c.lambda * PATHS } }],
    deployment: { instances: 1, balancer: 'round-robin', cache: 'local', tagPropagationS: 0, cdn: { pops } },
  }
}

describe('closed form of a CDN over Next (§16.1): the formulas', () => {
  test('no render time: Next is always fresh at a CDN fetch after a STALE, so p = 0 and every fetch is a trigger', () => {
    const k = stackedCdn({ lambdaPerS: 2, revalidateS: 10, renderS: 0 })
    const eG = 10 + 0.5, eG2 = 100 + 10 + 0.5
    expect(k.nextStaleFraction).toBe(1)
    expect(k.rendersPerS).toBeCloseTo(1 / eG, 12)
    // Content is one CDN cycle behind: mean age E[G] + E[G²]/(2E[G]).
    expect(k.meanAgeS).toBeCloseTo(eG + eG2 / (2 * eG), 10)
  })

  test('rejects a render longer than revalidate (the derivation assumes r <= T)', () => {
    expect(() => stackedCdn({ lambdaPerS: 1, revalidateS: 2, renderS: 3 })).toThrow(/0 <= r <= T/)
  })
})

describe('§16.1 a CDN over Next against the simulator, within 1%', () => {
  test.each<Case>([
    { version: '16.4', lambda: 1, t: 10, r: 0.5 },
    { version: '16.4', lambda: 0.3, t: 5, r: 2 },
    { version: '15', lambda: 2, t: 3, r: 3 },
    { version: '16.4', lambda: 0.5, t: 20, r: 8 },
  ])('$version: λ=$lambda T=$t r=$r', (c) => {
    const k = stackedCdn({ lambdaPerS: c.lambda, revalidateS: c.t, renderS: c.r })
    const durationS = Math.ceil(3000 * (c.t + 1 / c.lambda))
    const input = scenario(c, durationS)
    const res = runScenario(parseScenario(input), { seed: SEED })
    const measuredS = durationS - input.warmupS!
    const cdn = res.cdn!
    const sim = {
      cdnHitFraction: cdn.hit,
      cdnStaleFraction: cdn.stale,
      originRequestsPerS: cdn.originRequests / measuredS / PATHS,
      nextStaleFraction: res.totals.stale / res.totals.requests,
      rendersPerS: res.totals.renders / measuredS / PATHS,
      meanAgeS: cdn.ageMeanS,
    }
    const msg = `${c.version} λ=${c.lambda} T=${c.t} r=${c.r}: closed form ${JSON.stringify(k)}, simulated ${JSON.stringify(sim)}. Reproduce: runScenario(parseScenario(${JSON.stringify(input)}), { seed: "${SEED}" })`
    console.log(msg)
    expect(cdn.miss, msg).toBe(0)
    for (const key of Object.keys(k) as (keyof typeof k)[]) expect(Math.abs(sim[key] / k[key] - 1), `${key}: ${msg}`).toBeLessThan(0.01)
    // One SWR layer alone (A3: the age of Next's own responses) is far from what users see.
    const eG = c.r + c.t + 1 / c.lambda
    const oneLayer = c.r + (eG * eG + 1 / c.lambda ** 2) / (2 * eG)
    expect(k.meanAgeS / oneLayer - 1, msg).toBeGreaterThan(0.05)
  })
})

describe('§16.1 several PoPs: the edge against the simulator, within 1%', () => {
  test.each([
    { pops: 3, lambda: 3, t: 5, r: 0.5 },
    { pops: 5, lambda: 2, t: 4, r: 6 }, // a render longer than revalidate: Next still answers at once
  ])('$pops PoPs: λ=$lambda T=$t r=$r', ({ pops, lambda, t, r }) => {
    const k = cdnEdge({ lambdaPerS: lambda, revalidateS: t, pops })
    const durationS = Math.ceil(3000 * (t + pops / lambda))
    const input = scenario({ version: '16.4', lambda, t, r }, durationS, pops)
    const res = runScenario(parseScenario(input), { seed: SEED })
    const cdn = res.cdn!
    const sim = { hitFraction: cdn.hit, staleFraction: cdn.stale, originRequestsPerS: cdn.originRequests / (durationS - input.warmupS!) / PATHS }
    const msg = `${pops} PoPs λ=${lambda} T=${t} r=${r}: closed form ${JSON.stringify(k)}, simulated ${JSON.stringify(sim)}. Reproduce: runScenario(parseScenario(${JSON.stringify(input)}), { seed: "${SEED}" })`
    console.log(msg)
    for (const key of Object.keys(k) as (keyof typeof k)[]) expect(Math.abs(sim[key] / k[key] - 1), `${key}: ${msg}`).toBeLessThan(0.01)
    // One PoP would be far off: the PoPs' copies are what multiplies the requests to Next.
    expect(cdnEdge({ lambdaPerS: lambda, revalidateS: t, pops: 1 }).originRequestsPerS / k.originRequestsPerS, msg).toBeLessThan(0.9)
  })
})
