/**
 * The rules of `isrsim loadtest --target` (loadtest/target.ts) on real plans and predictions
 * from the simulator: made-up URLs are found and named, a scenario restricted to its real paths
 * plans only real URLs, the initial states worth predicting, and how their verdicts merge.
 * The live runs are in test/live-target.test.ts.
 */
import { describe, expect, test } from 'vitest'
import type { VerdictJson } from '../sim/contract.ts'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { requestPlan } from '../sim/plan.ts'
import { initialStates, mergeInitialStates, restrictToRealPaths, syntheticRefusal, syntheticRoutes, type InitialState } from '../loadtest/target.ts'
import type { Check } from '../loadtest/verify.ts'

function site(post: Partial<ScenarioInput['routes'][number]> = {}): ScenarioInput {
  return {
    name: 'target', durationS: 120, seed: 3, next: { version: '16.4', expireTimeS: 86_400 },
    routes: [
      { id: 'post', pattern: '/blog/[slug]', revalidateS: 30, renderS: 0.1, params: { count: 8, prebuilt: 5, paths: ['/blog/a', '/blog/b', '/blog/c'] }, traffic: { rps: 4, popularity: { zipf: 0.5 }, unknownRate: 0.3, crawlers: [{ name: 'Googlebot', revisitS: 40 }] }, ...post },
      { id: 'home', pattern: '/', revalidateS: 120, renderS: 0.1, traffic: { rps: 1, unknownRate: 0.2 } },
      { id: 'about', pattern: '/about', revalidateS: false, renderS: 0.1, traffic: { rps: 1 } },
    ],
  }
}

describe('made-up URLs on a user\'s deployment', () => {
  test('the routes that would request them are named with their numbers; static routes never are', () => {
    const plan = requestPlan(parseScenario(site()), 'x')
    const lines = syntheticRoutes(plan)
    const post = plan.routes[0]!
    expect(post.syntheticRequests).toBeGreaterThan(0)
    expect(lines).toEqual([`route post (/blog/[slug]): ${post.syntheticRequests} of ${post.paths.length} requests go to URLs that are not in params.paths (3 real paths, params.count 8, unknownRate 0.3/s)`])
    expect(syntheticRefusal(lines)).toMatch(/isrsim import <app-dir> --log <access log>.*--real-paths-only/s)
    // Every path real and no unknown paths: nothing to refuse.
    const real = requestPlan(parseScenario(site({ params: { count: 3, paths: ['/blog/a', '/blog/b', '/blog/c'] }, traffic: { rps: 4 } })), 'x')
    expect(syntheticRoutes(real)).toEqual([])
  })

  test('restricted to its real paths, the scenario plans real URLs only, and keeps its other routes as they were', () => {
    const plan = requestPlan(parseScenario(site()), 'x')
    const { spec, notes } = restrictToRealPaths(plan.spec)
    expect(notes).toEqual(['route post (/blog/[slug]): 3 real paths of params.count 8, unknownRate 0.3/s dropped'])
    const restricted = requestPlan(parseScenario(spec as unknown as ScenarioInput), 'x')
    const post = restricted.routes[0]!
    expect(post.syntheticRequests).toBe(0)
    expect(new Set(post.paths)).toEqual(new Set(['/blog/a', '/blog/b', '/blog/c']))
    expect(restricted.spec.routes[0]!.params).toMatchObject({ count: 3, prebuilt: 3 })
    // The crawler walks the 3 real paths: 3 every 40 s for 120 s.
    expect(post.agent!.filter((a) => a === 1).length).toBe(9)
    // A static route's unknown paths have its one URL: it is left alone.
    expect(restricted.spec.routes[1]).toEqual(plan.spec.routes[1])
    expect(restricted.routes[1]!.paths.length).toBe(plan.routes[1]!.paths.length)
  })

  test('a dynamic route with no real path gets no requests, and says so', () => {
    const plan = requestPlan(parseScenario(site({ params: { count: 8 } })), 'x')
    const { spec, notes } = restrictToRealPaths(plan.spec)
    expect(notes).toEqual(['route post (/blog/[slug]): no real paths (params.paths is empty), so it gets no requests'])
    expect(requestPlan(parseScenario(spec as unknown as ScenarioInput), 'x').routes[0]!.paths).toEqual([])
  })
})

describe('the unknown initial state of a deployment\'s cache', () => {
  test('states: build age 0, every prebuilt page stale (past the longest revalidate, before expire), every page expired', () => {
    const fresh = runScenario(parseScenario(site()), { seed: 'x' })
    expect(initialStates(fresh).map((s) => [s.name, s.buildAgeS])).toEqual([['fresh', 0], ['stale', 121], ['expired', 86_401]])
    // Nothing cached by time: only the fresh state.
    const never = runScenario(parseScenario({ name: 'n', durationS: 10, routes: [{ id: 'a', pattern: '/', revalidateS: false, renderS: 0.1, traffic: { rps: 1 } }] }), { seed: 'x' })
    expect(initialStates(never).map((s) => s.name)).toEqual(['fresh'])
  })

  test('the states move the fractions the simulator says they move: a stale start makes the first request to each prebuilt path STALE', () => {
    const input = site({ traffic: { rps: 4 }, params: { count: 3, paths: ['/blog/a', '/blog/b', '/blog/c'] } })
    const fresh = runScenario(parseScenario(input), { seed: 'x' })
    const stale = runScenario(parseScenario({ ...input, buildAgeS: initialStates(fresh)[1]!.buildAgeS }), { seed: 'x' })
    // home (revalidate 120 s, one path): never stale in 120 s from a fresh build, stale at its first request otherwise.
    expect(fresh.routes.home!.stale).toBe(0)
    expect(stale.routes.home!.stale).toBeGreaterThanOrEqual(1)
  })

  const check = (scope: string, metric: string, predicted: number, low: number, high: number, observed: number): Check =>
    ({ scope, metric, predicted, low, high, observed, verdict: observed >= low && observed <= high ? 'PASS' : 'FAIL', by: 'tolerance' })
  const verdict = (checks: Check[]): VerdictJson => ({ verdictVersion: 1, scenario: { name: 's', hash: 'h' }, replications: 10, pass: checks.every((c) => c.verdict === 'PASS'), checks })
  const states: InitialState[] = [{ name: 'fresh', buildAgeS: 0, label: 'build age 0' }, { name: 'stale', buildAgeS: 121, label: 'every prebuilt page stale (build age 121 s)' }]

  test('merged by the one start-state rule (start-states.ts): where a state moves the prediction by more than a quarter of the range, the range covers both and a note names each prediction; where they agree nothing changes', () => {
    const merged = mergeInitialStates([
      { state: states[0]!, verdict: verdict([check('home', 'STALE fraction', 0, -0.02, 0.02, 0.04), check('about', 'HIT fraction', 1, 0.98, 1.02, 1)]) },
      { state: states[1]!, verdict: verdict([check('home', 'STALE fraction', 0.05, 0.03, 0.07, 0.04), check('about', 'HIT fraction', 1, 0.98, 1.02, 1)]) },
    ])
    expect(merged.pass).toBe(true)
    const home = merged.checks.find((c) => c.scope === 'home')!
    expect(home).toMatchObject({ low: -0.02, high: 0.07, predicted: 0, verdict: 'PASS' })
    expect(home.note).toBe("initial state unknown: the deployment's prerendered pages may be of any age. Predicted 0.0% build age 0; 5.0% every prebuilt page stale (build age 121 s): the range covers them all")
    expect(merged.checks.find((c) => c.scope === 'about')).toEqual(check('about', 'HIT fraction', 1, 0.98, 1.02, 1))
  })

  test('merged: outside every state\'s range is still a FAIL', () => {
    const merged = mergeInitialStates([
      { state: states[0]!, verdict: verdict([check('home', 'STALE fraction', 0, -0.02, 0.02, 0.2)]) },
      { state: states[1]!, verdict: verdict([check('home', 'STALE fraction', 0.05, 0.03, 0.07, 0.2)]) },
    ])
    expect(merged.pass).toBe(false)
    expect(merged.checks[0]!.verdict).toBe('FAIL')
  })
})
