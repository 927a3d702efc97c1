/**
 * Golden numbers: every bundled scenario at its default seed. These numbers change only
 * when the model changes. If they change, bump MODEL_VERSION in sim/version.ts, say why in
 * the commit, and regenerate with `npx vitest run test/noreg.test.ts -u`.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import blog from '../scenarios/blog.ts'
import catalogue from '../scenarios/catalogue.ts'
import { parseScenario, runScenario } from '../sim/index.ts'
import { MODEL_VERSION } from '../sim/version.ts'

const flaky: unknown = JSON.parse(readFileSync(new URL('../scenarios/flaky-origin.json', import.meta.url), 'utf8'))

describe(`golden results, model version ${MODEL_VERSION}`, () => {
  test.each([
    ['blog', blog],
    ['catalogue', catalogue],
    ['flaky-origin', flaky],
  ] as const)('%s at its default seed', (_name, input) => {
    const r = runScenario(parseScenario(input))
    expect({ modelVersion: r.modelVersion, seed: r.seed, hash: r.scenario.hash, totals: r.totals, staleness: r.staleness, latency: r.latency, monthlyUsd: { vercel: r.cost.vercelMonthlyUsd, selfHosted: r.cost.selfHostedMonthlyUsd } }).toMatchSnapshot()
  })
})
