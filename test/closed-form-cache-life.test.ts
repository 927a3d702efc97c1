/**
 * A 'use cache' page under a cacheLife preset in closed form (sim/isr/closed-form-cache-life.ts,
 * docs/semantics.md §12.7), checked against long simulations within 1%, in exact and fast mode.
 *
 * One path, Poisson arrivals at rate λ, constant render R, the page's cacheLife {T, E}.
 * A cycle starts when a render ends (§1.3):
 *   1. fresh for T: λT HIT requests;
 *   2. the first request after T comes X ~ Exp(λ) later (memoryless). Its age since the entry
 *      was set is T + X. On 16.3+ (expire enforced, §2) it blocks on a render (MISS) when
 *      T + X > E, probability e^(−λ(E−T)); else it is STALE and starts a background render;
 *   3. the render takes R; its λR expected requests join it: STALE while a background render
 *      runs, MISS while a blocking one does.
 * E[cycle] = T + 1/λ + R, one render per cycle, 1 + λT + λR requests per cycle, so
 *   renders/s = 1/(T + R + 1/λ), stale = q(1 + λR)/(1 + λT + λR), q = 1 − e^(−λ(E−T)),
 *   miss = (1 − q)(1 + λR)/(1 + λT + λR); on 15 (no expire enforcement) q = 1.
 * Under cacheComponents a 'seconds' page (expire 60 < 300) is a hole (§12.3): renders/s = λ, no
 * stale responses.
 * The cases are chosen so that the expire term matters (q far from 1): a model that ignored the
 * cacheLife expire, or took the page's revalidate from the default profile, misses by far more
 * than 1%. The simulated time gives each case at least ~30 000 cycles (the stale fraction's and
 * renders' noise is then 0.1-0.3%); the rarer misses are held to four standard errors.
 */
import { describe, expect, test } from 'vitest'
import { closedFormProblem } from '../sim/isr/closed-form.ts'
import { cacheLifeClosedForm, cacheLifePageFigures } from '../sim/isr/closed-form-cache-life.ts'
import { parseScenario, runScenario, type NextVersion, type ScenarioInput } from '../sim/index.ts'

const SEED = '2026'

type Preset = 'seconds' | 'minutes' | 'hours'
function page(version: NextVersion, cacheLife: Preset, lambda: number, R: number, durationS: number, cacheComponents = false): ScenarioInput {
  return {
    name: `use cache ${cacheLife} λ=${lambda} R=${R} on ${version}${cacheComponents ? ' cacheComponents' : ''}`,
    durationS,
    next: cacheComponents ? { version, cacheComponents } : { version },
    routes: [{ id: 'p', pattern: '/', cacheLife, renderS: R, traffic: { rps: lambda } }],
  }
}

const CASES: readonly (readonly [NextVersion, Preset, number, number, number, boolean])[] = [
  // version, preset, λ (req/s), R (s), simulated seconds, cacheComponents
  ['16.4', 'seconds', 1 / 30, 0.5, 2e7, false], // T 1, E 60: q = 1 − e^(−59/30) ≈ 0.86; 630 000 cycles
  ['15', 'seconds', 1 / 30, 0.5, 2e7, false], // no expire enforcement: q = 1
  ['16.4', 'minutes', 1 / 2000, 1, 3e8, false], // T 60, E 3600: q = 1 − e^(−1.77) ≈ 0.83; 146 000 cycles
  ['15', 'minutes', 1 / 2000, 1, 3e8, false], // the same page on 15: q = 1
  ['16.4', 'minutes', 1, 0.2, 2e6, false], // a busy page: q = 1 to 1e-1500; 33 000 cycles
  ['16.4', 'hours', 1 / 100, 2, 3e8, false], // T 3600: 81 000 cycles
  ['16.4', 'seconds', 1, 0.1, 2e5, true], // a hole: every request renders
]

describe('a \'use cache\' page under a cacheLife preset (renewal-reward)', () => {
  test.each(CASES)('%s cacheLife("%s") λ=%f R=%f over %d s (cacheComponents %s)', (version, preset, lambda, R, D, cc) => {
    const input = page(version, preset, lambda, R, D, cc)
    const s = parseScenario(input)
    const want = cacheLifeClosedForm(s, 0)
    if (typeof want === 'string') throw new Error(`no closed form: ${want}`)
    // Both modes (docs/fast-mode.md): fast mode runs a 'use cache' page, and a hole, fast.
    for (const mode of ['exact', 'fast'] as const) {
      const got = runScenario(s, { seed: SEED, mode })
      const route = got.routes.p!
      if (mode === 'fast') expect([route.mode, route.exactBecause ?? null]).toEqual(['fast', null])
      const simStale = route.stale / route.requests
      const simMiss = route.miss / route.requests
      const simRenders = route.renders / D
      const why = `${mode} mode: closed form stale ${want.staleFraction.toFixed(6)} miss ${want.missFraction.toFixed(6)} renders/s ${want.rendersPerS.toExponential(6)}; simulated stale ${simStale.toFixed(6)} miss ${simMiss.toFixed(6)} renders/s ${simRenders.toExponential(6)} (${route.requests} requests). Reproduce: runScenario(parseScenario(${JSON.stringify(input)}), { seed: "${SEED}", mode: "${mode}" })`
      console.log(`${input.name}: ${why.split('. Reproduce')[0]}`)
      expect(Math.abs(simRenders / want.rendersPerS - 1), `renders/s: ${why}`).toBeLessThan(0.01)
      if (want.hole) {
        expect(route.stale, why).toBe(0)
        expect(route.dynamicRenders, why).toBe(route.requests)
      } else {
        expect(Math.abs(simStale / want.staleFraction - 1), `stale fraction: ${why}`).toBeLessThan(0.01)
        // Misses are rarer: within four standard errors of a binomial count (and 1% when that is less).
        const m = want.missFraction
        if (m > 0.01) expect(Math.abs(simMiss / m - 1), `miss fraction: ${why}`).toBeLessThan(Math.max(0.01, 4 * Math.sqrt((1 - m) / (route.requests * m))))
        else expect(simMiss, why).toBeLessThan(0.001)
      }
    }
  }, 120_000)

  test('the expire term matters in the cases above: without it the stale fraction differs by more than 10%', () => {
    const on = cacheLifePageFigures(1 / 2000, 1, 'minutes', { version: '16.4', expireTimeS: 31_536_000 })
    const off = cacheLifePageFigures(1 / 2000, 1, 'minutes', { version: '15', expireTimeS: 31_536_000 })
    expect(off.staleFraction / on.staleFraction - 1).toBeGreaterThan(0.1)
    expect(on.missFraction).toBeGreaterThan(0.15)
  })

  test('a route outside the closed form says why', () => {
    const s = parseScenario({ ...page('16.4', 'minutes', 1, 0.2, 100), routes: [{ id: 'p', pattern: '/', cacheLife: 'minutes', renderS: 0.2, fetches: [{ id: 'f', revalidateS: 10 }], traffic: { rps: 1 } }] })
    expect(cacheLifeClosedForm(s, 0)).toBe('the page has layouts, fetches, a segment revalidate or request APIs')
  })
})

describe('the served-age closed form (closed-form.ts) and a cacheLife expire', () => {
  test('a page whose cacheLife expire can pass before a slow path\'s next request has no served-age closed form; the same page without it has one', () => {
    // minutes: T 60, E 3600; at 0.001 req/s the wait after T (1000 s mean) can outlast E - T: refused.
    const at = (cacheLife: 'minutes' | undefined) => closedFormProblem(parseScenario({ name: 'cf', durationS: 100, routes: [{ id: 'p', pattern: '/', ...(cacheLife ? { cacheLife } : { revalidateS: 60 }), renderS: 1, traffic: { rps: 0.001 } }] }), 0)
    expect(at('minutes')).toBe('entries may expire')
    expect(at(undefined)).toBeNull()
  })
})
