/**
 * `isrsim/vitest`: caching budgets inside your own test suite.
 *
 *   import { simulate } from 'isrsim/vitest'
 *   import scenario from './isr.scenario.ts'
 *   test('caching budget', async () => {
 *     expect(await simulate(scenario, { replications: 5 })).toMeetThresholds()
 *   })
 *
 * Importing this module registers the matchers with vitest's `expect`.
 */
import { expect } from 'vitest'
import type { SimResult } from './contract.ts'
import { gate, gateText } from './planning/gate.ts'
import { runScenario, type RunOptions } from './run.ts'
import { parseScenario } from './scenario/parse.ts'
import { type ScenarioInput } from './scenario/schema.ts'
import { metricProblem } from './scenario/metric-paths.ts'

/** The thresholds of the scenario each simulated result came from. */
const thresholdsOf = new WeakMap<SimResult, Readonly<Record<string, readonly string[]>>>()

/** Validate and run a scenario (defaults filled in); the result remembers the scenario's thresholds. */
export function simulate(input: ScenarioInput, options: Omit<RunOptions, 'trace'> = {}): Promise<SimResult> {
  try {
    const scenario = parseScenario(input, options.source)
    const result = runScenario(scenario, options)
    thresholdsOf.set(result, scenario.thresholds ?? {})
    return Promise.resolve(result)
  } catch (e) {
    return Promise.reject(e as Error)
  }
}

interface IsrsimMatchers<R = unknown> {
  /** Every threshold holds: the scenario's own, or the ones given here (k6 style: { "staleness.ageP95S": ["<600"] }). */
  toMeetThresholds(thresholds?: Readonly<Record<string, readonly string[]>>): R
  /** No headline metric is worse than the baseline result beyond the tolerance (default 5%) and the replication noise. */
  toBeNoWorseThan(baseline: SimResult, options?: { tolerance?: number }): R
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends IsrsimMatchers<T> {}
}

function isResult(x: unknown): x is SimResult {
  return x !== null && typeof x === 'object' && 'schemaVersion' in x && 'totals' in x && 'routes' in x
}

expect.extend({
  toMeetThresholds(received: unknown, thresholds?: Readonly<Record<string, readonly string[]>>) {
    if (!isResult(received)) return { pass: false, message: () => 'expected an isrsim result (from simulate() or runScenario())' }
    const t = thresholds ?? thresholdsOf.get(received) ?? {}
    if (Object.keys(t).length === 0) return { pass: false, message: () => 'no thresholds to check: give them to toMeetThresholds() or put "thresholds" in the scenario' }
    const ids = Object.keys(received.routes), fetchIds = Object.keys(received.fetches)
    for (const m of Object.keys(t)) {
      const why = metricProblem(m, ids, fetchIds)
      if (why !== null) return { pass: false, message: () => `threshold ${m} ${why}` }
    }
    const report = gate(received, t, null, 0)
    return { pass: report.pass, message: () => `${gateText(report)}\nReproduce: isrsim check <scenario> --seed ${JSON.stringify(received.seed)}` }
  },
  toBeNoWorseThan(received: unknown, baseline: SimResult, options: { tolerance?: number } = {}) {
    if (!isResult(received) || !isResult(baseline)) return { pass: false, message: () => 'expected two isrsim results' }
    const report = gate(received, {}, baseline, options.tolerance ?? 0.05)
    return { pass: report.pass, message: () => gateText(report) }
  },
})
