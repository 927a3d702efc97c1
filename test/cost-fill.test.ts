/**
 * The one-off fill of a cold cache, billed once, apart from the steady month (issue 16,
 * item 4); deploys' prerendered pages and refills, which recur.
 *
 * The hand case: 1000 paths of 16 KB (2 write units each), 100 prebuilt, revalidate false
 * (a page never regenerates by time), 2 requests a second evenly spread over the paths: in a
 * day every path is asked for, so the 900 paths not prebuilt are each written once (their
 * first request is a blocking MISS) and never again. Nothing recurs: a month of writes is 0,
 * and the fill is 900 × 2 = 1800 units, $0.0072 at $4 per million, billed once.
 * Reproduce: npx vitest run test/cost-fill.test.ts (the scenarios' own seeds).
 */
import { describe, expect, it } from 'vitest'
import { parseScenario, runScenario, type ScenarioInput } from '../sim/index.ts'
import { firingsIn, oneOffFillShare, purgeReaches } from '../sim/planning/fill.ts'
import { DEFAULT_PRICING, type Pricing } from '../sim/planning/pricing.ts'

/** The bundled list prices with every allowance removed. */
const noAllowances: Pricing = {
  ...DEFAULT_PRICING,
  name: 'test: list prices, no allowances',
  vercel: Object.fromEntries(Object.entries(DEFAULT_PRICING.vercel).map(([k, m]) => [k, { ...m, includedPerMonth: 0 }])) as Pricing['vercel'],
}
const pages = (durationS: number, extra: Partial<ScenarioInput> = {}, route: Record<string, unknown> = {}): ScenarioInput => ({
  name: 'fill', durationS,
  routes: [{ id: 'p', pattern: '/p/[id]', revalidateS: false, renderS: 0.2, pageSizeKb: 16, params: { count: 1000, prebuilt: 100 }, traffic: { rps: 2, arrivals: 'uniform' }, ...route }],
  ...extra,
})
const run = (input: ScenarioInput, pricing = noAllowances) => runScenario(parseScenario(input), { pricing })
const meter = (r: ReturnType<typeof run>, id: string) => r.cost.meters.find((m) => m.id === id)!

describe('the cold fill is billed once', () => {
  it('the hand case: 900 fills, 1800 write units, $0.0072 once and no writes a month', () => {
    const r = run(pages(86_400))
    expect(r.totals).toMatchObject({ isrWrites: 900, fillWrites: 900, deployWrites: 0, renders: 900 })
    expect(meter(r, 'vercel.isrWrites')).toMatchObject({ runUnits: 1800, oneOffUnits: 1800, monthlyUnits: 0, monthlyUsd: 0, oneOffUsd: 0.0072 })
    // The fill's renders: 900 invocations ($0.00054) and 900 × 0.2 s = 0.05 h of CPU ($0.0064) and 2 GB of memory ($0.00106), once.
    expect(meter(r, 'vercel.invocations')).toMatchObject({ oneOffUnits: 900, monthlyUnits: 0, oneOffUsd: 0.00054 })
    expect(meter(r, 'vercel.activeCpuHours')).toMatchObject({ oneOffUnits: 0.05, monthlyUnits: 0, oneOffUsd: 0.0064 })
    expect(meter(r, 'vercel.memoryGbHours')).toMatchObject({ oneOffUnits: 0.1, oneOffUsd: 0.00106 })
    expect(r.cost.oneOffUsd).toBe(0.0072 + 0.00054 + 0.0064 + 0.00106)
    expect(r.cost.vercelOneOffUsd).toBe(r.cost.oneOffUsd)
    expect(r.cost.routes.p!.vercelOneOffUsd).toBe(r.cost.oneOffUsd)
    // The month is reads only: 172,800 - 900 cached responses × 2 units × 30 at $0.40 per million.
    expect(r.cost.vercelMonthlyUsd).toBe(4.1256)
    expect(r.cost.monthlyRenderCpuS).toBe(0)
  })

  it('doubling the run leaves the one-off figure equal and the month within noise', () => {
    const day = run(pages(86_400))
    const twoDays = run(pages(2 * 86_400))
    expect(twoDays.totals.fillWrites).toBe(900)
    expect(twoDays.cost.oneOffUsd).toBe(day.cost.oneOffUsd)
    // The month: reads only, of the cached responses; the fill's 900 MISSes are a smaller share of two days (0.26% against 0.52%).
    expect(twoDays.cost.vercelMonthlyUsd).toBe(4.1364)
    expect(Math.abs(twoDays.cost.vercelMonthlyUsd / day.cost.vercelMonthlyUsd - 1)).toBeLessThan(0.003)
    // A route that regenerates (revalidate 600, zipf traffic, Poisson arrivals): the fill is the same 2000 paths, the month moves by noise only.
    const regen = (durationS: number) => run(pages(durationS, {}, { revalidateS: 600, params: { count: 2000, prebuilt: 0 }, traffic: { rps: 20 } }))
    const [a, b] = [regen(21_600), regen(43_200)]
    expect(a.totals.fillWrites).toBe(2000)
    expect(b.totals.fillWrites).toBe(2000)
    expect(b.cost.oneOffUsd).toBe(a.cost.oneOffUsd)
    expect(Math.abs(b.cost.vercelMonthlyUsd / a.cost.vercelMonthlyUsd - 1)).toBeLessThan(0.03)
  })

  it('before, a day\'s fill was a month\'s writes: 30 × 1800 units; the one-off figure applies the month\'s allowance', () => {
    const r = run(pages(86_400), DEFAULT_PRICING)
    // Vercel Pro includes 2M write units: 1800 more in the first month cost nothing.
    expect(meter(r, 'vercel.isrWrites')).toMatchObject({ oneOffUnits: 1800, oneOffUsd: 0 })
    expect(meter(r, 'vercel.isrWrites').monthlyUnits).toBe(0)
  })
})

describe('deploys: prerendered pages and refills recur, the start\'s fill does not', () => {
  // Periodic deploys every 8640 s: at 8640, ..., 77760 within the day (9), with the build at t = 0 ten a day.
  it('a day with ten builds (nine deploys in the run): 9 × 100 prerendered pages, 10 fills of 900, one of them one-off', () => {
    const r = run(pages(86_400, { deploys: [{ everyS: 8640 }] }))
    expect(r.totals).toMatchObject({ fillWrites: 9000, isrWrites: 9000, deployWrites: 900 })
    // Writes a month: (9000 fills - 900 one-off + 900 prerendered) × 2 units × 30 = 540,000 units, $2.16.
    expect(meter(r, 'vercel.isrWrites')).toMatchObject({ runUnits: 19_800, oneOffUnits: 1800, monthlyUnits: 540_000, monthlyUsd: 2.16, oneOffUsd: 0.0072 })
    // Without prerender every deploy leaves all 1000 paths cold: 900 + 9 × 1000 fills, of which the start's 900 are one-off.
    const cold = run(pages(86_400, { deploys: [{ everyS: 8640, prerender: false }] }))
    expect(cold.totals).toMatchObject({ fillWrites: 9900, deployWrites: 0 })
    expect(meter(cold, 'vercel.isrWrites')).toMatchObject({ oneOffUnits: 1800, monthlyUnits: (19_800 - 1800) * 30 })
  })

  it('the share of fills that is one-off, by cold paths per cycle', () => {
    const s = (extra: Partial<ScenarioInput>) => parseScenario(pages(86_400, extra))
    const route = (x: ReturnType<typeof s>) => x.routes[0]!
    expect(oneOffFillShare(s({}), route(s({})))).toBe(1)
    const d = s({ deploys: [{ everyS: 8640 }] })
    expect(oneOffFillShare(d, route(d))).toBe(0.1) // 900 / (900 + 9 × 900)
    const p = s({ purges: [{ atS: 3600 }, { atS: 7200, prefix: '/p' }] })
    expect(oneOffFillShare(p, route(p))).toBe(900 / (900 + 2 * 1000)) // a purge leaves every path it reaches cold
    const all = parseScenario(pages(86_400, { deploys: [{ atS: 100 }] }, { params: { count: 1000 } })) // every path prebuilt: nothing cold at the start
    expect(oneOffFillShare(all, route(all))).toBe(1) // no cold paths anywhere: nothing to split
    const coldDeploy = parseScenario(pages(86_400, { deploys: [{ atS: 100, prerender: false }] }, { params: { count: 1000 } }))
    expect(oneOffFillShare(coldDeploy, route(coldDeploy))).toBe(0) // fills come only after the deploy: all recur
  })

  it('firings within the measured period, and which purges reach a route', () => {
    expect(firingsIn({ everyS: 8640 }, 0, 86_400)).toBe(9)
    expect(firingsIn({ atS: 0, everyS: 8640 }, 0, 86_400)).toBe(10)
    expect(firingsIn({ atS: 100, everyS: 1000 }, 600, 3100)).toBe(2) // 1100 and 2100: 100 is in the warmup, 3100 past the end
    expect(firingsIn({ atS: 500 }, 600, 3600)).toBe(0) // during warmup
    expect(firingsIn({ atS: 5000 }, 0, 3600)).toBe(0)
    expect(purgeReaches(undefined, '/p/[id]')).toBe(true)
    expect(purgeReaches('/', '/p/[id]')).toBe(true)
    expect(purgeReaches('/p', '/p/[id]')).toBe(true)
    expect(purgeReaches('/p/42', '/p/[id]')).toBe(true)
    expect(purgeReaches('/pa', '/p/[id]')).toBe(false)
    expect(purgeReaches('/blog', '/blogs')).toBe(false)
    expect(purgeReaches('/blog', '/blog')).toBe(true)
    expect(purgeReaches('/blog/x', '/blog')).toBe(false)
  })
})
