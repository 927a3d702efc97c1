/**
 * The cost model against hand calculations, and ISR writes with and without data changes.
 *
 * The page: one path, constant render R = 0.5 s, evenly spaced arrivals at 1/s (t = 0, 1,
 * ..., 3599), revalidate T = 60, built at t = 0. A request at t is stale when t - lastModified
 * > 60, and a regeneration started at t ends at t + 0.5, so the entry's clock restarts at
 * t + 0.5: the stale requests are t = 61, 122, 183, ... (every 61 s), 59 of them before 3600
 * (61 × 59 = 3599). Each starts one background render: 59 renders, 29.5 s of render time,
 * 3600 cached responses (3541 HIT + 59 STALE).
 */
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { DEFAULT_PRICING, type Pricing } from '../sim/planning/pricing.ts'
import { parseConstraint } from '../sim/planning/recommend.ts'
import { evaluateThresholds } from '../sim/planning/thresholds.ts'
import { canonicalMetric, metricProblem } from '../sim/scenario/metric-paths.ts'

const page = (extra: Partial<ScenarioInput> = {}, route: Record<string, unknown> = {}): ScenarioInput => ({
  name: 'hand',
  durationS: 3600,
  routes: [{ id: 'page', pattern: '/', revalidateS: 60, renderS: 0.5, pageSizeKb: 20, traffic: { rps: 1, arrivals: 'uniform' }, ...route }],
  ...extra,
})

/** The bundled list prices with every allowance removed, and a price per origin call. */
const noAllowances: Pricing = {
  ...DEFAULT_PRICING,
  name: 'test: list prices, no allowances',
  vercel: Object.fromEntries(Object.entries(DEFAULT_PRICING.vercel).map(([k, m]) => [k, { ...m, includedPerMonth: 0 }])) as Pricing['vercel'],
  origin: { calls: { ...DEFAULT_PRICING.origin.calls, usdPerUnit: 0.00001 } },
}

const meter = (r: ReturnType<typeof runScenario>, id: string) => r.cost.meters.find((m) => m.id === id)!

describe('cost model: hand-computed single page', () => {
  const r = runScenario(parseScenario(page()), { pricing: noAllowances })

  it('counts what the hand trace says', () => {
    expect(r.totals).toMatchObject({ requests: 3600, hit: 3541, stale: 59, renders: 59, backgroundRenders: 59, isrWrites: 59, renderCpuS: 29.5 })
  })

  it('prices every meter exactly as by hand', () => {
    const month = (30 * 86400) / 3600 // 720 runs of this hour in 30 days
    const units = Math.ceil(20 / 8) // 3 units of 8 KB per 20 KB page
    expect(r.cost.monthFactor).toBe(720)
    // ISR reads: 3600 cached responses × 3 units (no CDN hits), $0.40 per million.
    expect(meter(r, 'vercel.isrReads')).toMatchObject({ runUnits: 10_800, monthlyUnits: 7_776_000, monthlyUsd: 3.1104 })
    // ISR writes: 59 changed outputs × 3 units, $4 per million.
    expect(meter(r, 'vercel.isrWrites')).toMatchObject({ runUnits: 177, monthlyUnits: 127_440, monthlyUsd: 0.50976 })
    // Invocations: 59 renders, $0.60 per million.
    expect(meter(r, 'vercel.invocations')).toMatchObject({ runUnits: 59, monthlyUnits: 42_480, monthlyUsd: 0.025488 })
    // Active CPU: 29.5 s × 720 = 5.9 h at $0.128.
    expect(meter(r, 'vercel.activeCpuHours').monthlyUnits).toBeCloseTo(5.9, 9)
    expect(meter(r, 'vercel.activeCpuHours').monthlyUsd).toBe(0.7552)
    // Memory: 2 GB × 5.9 h = 11.8 GB-h at $0.0106.
    expect(meter(r, 'vercel.memoryGbHours').monthlyUsd).toBe(0.12508)
    // Self-hosted: 1 instance × 2 vCPU × 720 h at $0.05.
    expect(meter(r, 'selfHosted.vcpuHours')).toMatchObject({ runUnits: 2, monthlyUnits: 1440, monthlyUsd: 72 })
    expect(r.cost.vercelMonthlyUsd).toBe(4.525928) // 3.1104 + 0.50976 + 0.025488 + 0.7552 + 0.12508, to the nano-dollar
    expect(r.cost.monthlyUsd).toBe(r.cost.vercelMonthlyUsd) // primary vercel, no origin calls
    expect(r.cost.runUsd).toBeCloseTo((10_800 * 0.4 + 177 * 4 + 59 * 0.6) / 1e6 + (29.5 / 3600) * 0.128 + (29.5 / 3600) * 2 * 0.0106, 9)
    expect(units).toBe(3)
    expect(r.cost.pricing).toEqual({ name: noAllowances.name, date: '2026-02-23' })
  })

  it('applies the plan allowances per month (Vercel Pro: 10M reads, 2M writes, 1M invocations included)', () => {
    const d = runScenario(parseScenario(page()))
    expect(meter(d, 'vercel.isrReads').monthlyUsd).toBe(0) // 7.776M < 10M
    expect(meter(d, 'vercel.isrWrites').monthlyUsd).toBe(0)
    expect(meter(d, 'vercel.invocations').monthlyUsd).toBe(0)
    expect(d.cost.vercelMonthlyUsd).toBe(0.7552 + 0.12508)
  })

  it('a CDN hit fraction, activeCpuFraction and the self-hosted primary change exactly their meters', () => {
    const c = runScenario(parseScenario(page({ cost: { primary: 'self-hosted', cdnHitFraction: 0.75, activeCpuFraction: 0.5, vcpusPerInstance: 4 } })), { pricing: noAllowances })
    expect(meter(c, 'vercel.isrReads').runUnits).toBe(2700) // 3600 × 0.25 × 3
    expect(meter(c, 'vercel.activeCpuHours').monthlyUsd).toBe(0.3776)
    expect(meter(c, 'selfHosted.vcpuHours').monthlyUsd).toBe(144)
    expect(c.cost.monthlyUsd).toBe(144)
    expect(c.cost.selfHostedCpuUtilization).toBeCloseTo((29.5 * 0.5) / (4 * 3600), 9)
  })
})

describe('ISR writes follow the data-change model', () => {
  // The page reads one uncached fetch at render start. Its data changes every 300 s
  // (t = 300, 600, ..., 3300: 11 changes). A regeneration writes only when a change fell
  // between the previous render's read and its own: renders start every 61 s, so each
  // change lies in exactly one gap (61 < 300): 11 writes out of 59 renders.
  const withData = page({ dataChanges: [{ fetch: 'posts', everyS: 300 }] }, { fetches: [{ id: 'posts' }] })

  it('without data changes every successful regeneration writes; with them, only changed outputs', () => {
    const without = runScenario(parseScenario(page({}, { fetches: [{ id: 'posts' }] })), { pricing: noAllowances })
    expect(without.totals.isrWrites).toBe(59)
    const r = runScenario(parseScenario(withData), { pricing: noAllowances })
    expect(r.totals.renders).toBe(59)
    expect(r.totals.isrWrites).toBe(11)
    expect(meter(r, 'vercel.isrWrites')).toMatchObject({ runUnits: 33, monthlyUnits: 23_760, monthlyUsd: 0.09504 })
    // Every render calls the origin once: 59 calls, × 720 a month at $0.00001.
    expect(meter(r, 'origin.calls')).toMatchObject({ runUnits: 59, monthlyUnits: 42_480, monthlyUsd: 0.4248 })
    expect(r.cost.monthlyUsd).toBeCloseTo(r.cost.vercelMonthlyUsd + 0.4248, 9)
  })

  it('a new path (blocking render) always writes, failed renders never do', () => {
    const r = runScenario(parseScenario({
      name: 'new-paths', durationS: 600,
      routes: [{ id: 'post', pattern: '/p/[id]', revalidateS: false, params: { count: 10, prebuilt: 0 }, renderS: 0.1, failureRate: 0, traffic: { rps: 5, arrivals: 'uniform' } }],
    }))
    // revalidate false: each of the 10 paths renders once (blocking) and is never stale.
    expect(r.totals.blockingRenders).toBe(10)
    expect(r.totals.isrWrites).toBe(10)
    const failing = runScenario(parseScenario({
      name: 'failing', durationS: 600,
      routes: [{ id: 'post', pattern: '/', revalidateS: 10, renderS: 0.1, failureRate: 1, traffic: { rps: 5, arrivals: 'uniform' } }],
    }))
    expect(failing.totals.failedRenders).toBeGreaterThan(10)
    expect(failing.totals.isrWrites).toBe(0)
  })
})

describe('"cost" names the headline figure everywhere a metric is named', () => {
  it('as a threshold, a constraint and an objective it is cost.monthlyUsd', () => {
    const r = runScenario(parseScenario({ name: 'c', durationS: 600, routes: [{ id: 'p', pattern: '/', revalidateS: 60, renderS: 0.1, traffic: { rps: 5 } }] }))
    const usd = r.cost.monthlyUsd
    expect(usd).toBeGreaterThan(0)
    expect(canonicalMetric('cost')).toBe('cost.monthlyUsd')
    expect(metricProblem('cost', ['p'], [])).toBeNull()
    const [below, above] = evaluateThresholds(r, { cost: [`<${usd * 2}`], 'cost.monthlyUsd': [`<${usd / 2}`] })
    expect(below).toMatchObject({ metric: 'cost', value: usd, pass: true }) // a threshold keeps the name it was given
    expect(above).toMatchObject({ metric: 'cost.monthlyUsd', value: usd, pass: false })
    expect(parseConstraint('cost<250', ['p'], [])).toMatchObject({ metric: 'cost.monthlyUsd', condition: { op: '<', value: 250 } })
  })
})
