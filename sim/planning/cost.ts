/**
 * The cost model: a run's counts and render time, priced with a dated table.
 *
 * - Vercel: a render is one invocation plus Active CPU (render time × activeCpuFraction)
 *   plus provisioned memory (functionMemoryGb × render wall time). A successful render
 *   whose output changed writes ceil(pageSizeKb / 8) units; a cached response
 *   (HIT or STALE) that the regional CDN misses reads as many.
 * - Self-hosted: a fleet sized for its render CPU (capacity.ts): the instances that keep
 *   render CPU under cost.targetCpuUtilization (busiest hour with a daily curve), at least
 *   deployment.instances, × vcpusPerInstance vCPUs around the clock.
 * - Origin: every origin call the fetches make.
 * Run figures cover the measured period (after warmup); a month is 30 days of it, and
 * included allowances apply to the month only.
 */
import type { Cost, CostMeter, RouteCost, RouteResult, SeriesBin, Totals } from '../contract.ts'
import { round } from '../isr/metrics.ts'
import { costInputsOf, deploymentOf, type Scenario } from '../scenario/schema.ts'
import { capacityOf } from './capacity.ts'
import { oneOffFillShare } from './fill.ts'
import type { MeterPrice, Pricing } from './pricing.ts'

const MONTH_S = 30 * 86_400
const UNIT_KB = 8

/** Dollars to 1e-9 (so that sums of meters are reproducible to the last printed digit). */
const usd = (x: number) => round(x, 9)
const units = (x: number) => round(x, 6)

const USAGES = ['reads', 'writes', 'invocations', 'cpuH', 'memH'] as const
type Usage = (typeof USAGES)[number]
type RouteUsage = Record<Usage, number>

/** The run's render attempts over time (the result's series), for the busiest hour. */
export interface RenderSeries { readonly binS: number; readonly bins: readonly Pick<SeriesBin, 'atS' | 'renders'>[] }

export function costOf(s: Scenario, totals: Totals, routes: Readonly<Record<string, RouteResult>>, pricing: Pricing, series: RenderSeries): Cost {
  const c = costInputsOf(s)
  const dep = deploymentOf(s)
  const measuredS = s.durationS - s.warmupS
  const monthFactor = MONTH_S / measuredS

  // Each route's usage over the run, and the part of it that is the one-off fill (fill.ts):
  // its share of fillWrites, with the invocations, CPU and memory of the renders that wrote
  // them (at the route's mean render time). The rest recurs, and only the rest is a month's.
  const perRoute: Record<string, { run: RouteUsage; fill: RouteUsage }> = {}
  for (const r of s.routes) {
    const x = routes[r.id]!
    const unitsPerPage = Math.ceil((r.pageSizeKb ?? c.pageSizeKb) / UNIT_KB)
    const renderH = x.renderCpuS / 3600
    const fills = x.fillWrites * oneOffFillShare(s, r)
    const fillH = x.renders === 0 ? 0 : (renderH / x.renders) * fills
    perRoute[r.id] = {
      run: {
        reads: (x.hit + x.stale) * (1 - c.cdnHitFraction) * unitsPerPage,
        // A deploy's prerendered pages are ISR writes on Vercel (docs/pricing-notes.md), and recur with the deploys.
        writes: (x.isrWrites + x.deployWrites) * unitsPerPage,
        invocations: x.renders,
        cpuH: renderH * c.activeCpuFraction,
        memH: renderH * c.functionMemoryGb,
      },
      fill: { reads: 0, writes: fills * unitsPerPage, invocations: fills, cpuH: fillH * c.activeCpuFraction, memH: fillH * c.functionMemoryGb },
    }
  }
  const sum = (part: 'run' | 'fill', k: Usage) => Object.values(perRoute).reduce((n, v) => n + v[part][k], 0)
  const steady = (u: { run: RouteUsage; fill: RouteUsage }, k: Usage) => u.run[k] - u.fill[k]
  const all = {} as Record<Usage, number>
  const fillAll = {} as Record<Usage, number>
  for (const k of USAGES) {
    all[k] = sum('run', k)
    fillAll[k] = sum('fill', k)
  }
  const totalRenderS = Object.values(routes).reduce((n, x) => n + x.renderCpuS, 0)
  const totalRenders = Object.values(routes).reduce((n, x) => n + x.renders, 0)
  const cpuPerRenderS = totalRenders === 0 ? 0 : (totalRenderS * c.activeCpuFraction) / totalRenders
  // The fleet is sized for steady state: the one-off fill's CPU is left out of the mean.
  const steadyCpuS = all.cpuH * 3600 - fillAll.cpuH * 3600
  const capacity = capacityOf(s, steadyCpuS / measuredS, cpuPerRenderS, series)
  const vcpuHours = (capacity.instancesBilled * c.vcpusPerInstance * measuredS) / 3600

  // A month is the steady part × monthFactor; the one-off fill is billed once, as what it
  // adds to the month it falls in (after that month's allowance).
  const meter = (id: CostMeter['id'], p: MeterPrice, runUnits: number, oneOffUnits = 0): CostMeter => {
    const monthlyUnits = (runUnits - oneOffUnits) * monthFactor
    const billed = (n: number) => Math.max(0, n - p.includedPerMonth) * p.usdPerUnit
    return {
      id, unit: p.unit, usdPerUnit: p.usdPerUnit, includedPerMonth: p.includedPerMonth,
      runUnits: units(runUnits), monthlyUnits: units(monthlyUnits),
      runUsd: usd(runUnits * p.usdPerUnit),
      monthlyUsd: usd(billed(monthlyUnits)),
      oneOffUnits: units(oneOffUnits),
      oneOffUsd: usd(billed(monthlyUnits + oneOffUnits) - billed(monthlyUnits)),
    }
  }
  const v = pricing.vercel
  // The Vercel meters and the route usage each one bills.
  const vercelMeters: [CostMeter, Usage][] = [
    [meter('vercel.isrReads', v.isrReads, all.reads, fillAll.reads), 'reads'],
    [meter('vercel.isrWrites', v.isrWrites, all.writes, fillAll.writes), 'writes'],
    [meter('vercel.invocations', v.invocations, all.invocations, fillAll.invocations), 'invocations'],
    [meter('vercel.activeCpuHours', v.activeCpuHours, all.cpuH, fillAll.cpuH), 'cpuH'],
    [meter('vercel.memoryGbHours', v.memoryGbHours, all.memH, fillAll.memH), 'memH'],
  ]
  const fleet = meter('selfHosted.vcpuHours', pricing.selfHosted.vcpuHours, vcpuHours)
  const meters: CostMeter[] = [...vercelMeters.map(([m]) => m), fleet, meter('origin.calls', pricing.origin.calls, totals.originFetches)]
  const of = (prefix: string, k: 'runUsd' | 'monthlyUsd' | 'oneOffUsd') => usd(meters.filter((m) => m.id.startsWith(prefix)).reduce((n, m) => n + m[k], 0))
  const vercelMonthlyUsd = of('vercel.', 'monthlyUsd')
  const selfHostedMonthlyUsd = of('selfHosted.', 'monthlyUsd')
  const originMonthlyUsd = of('origin.', 'monthlyUsd')
  const primaryPrefix = c.primary === 'vercel' ? 'vercel.' : 'selfHosted.'

  // A route's dollars: its share of each meter's monthly bill (allowances shared pro rata).
  const share = (m: CostMeter, mine: number, total: number, k: 'monthlyUsd' | 'oneOffUsd' = 'monthlyUsd') => (total === 0 ? 0 : (m[k] * mine) / total)
  const routeCosts: Record<string, RouteCost> = {}
  for (const r of s.routes) {
    const u = perRoute[r.id]!
    const x = u.run
    routeCosts[r.id] = {
      isrReadUnits: units(x.reads), isrWriteUnits: units(x.writes), invocations: x.invocations,
      activeCpuHours: units(x.cpuH), memoryGbHours: units(x.memH),
      vercelMonthlyUsd: usd(vercelMeters.reduce((n, [m, k]) => n + share(m, steady(u, k), all[k] - fillAll[k]), 0)),
      vercelOneOffUsd: usd(vercelMeters.reduce((n, [m, k]) => n + share(m, u.fill[k], fillAll[k], 'oneOffUsd'), 0)),
      // One fleet: attributed by render time.
      selfHostedMonthlyUsd: usd(share(fleet, routes[r.id]!.renderCpuS, totalRenderS)),
    }
  }
  const monthlyRenderCpuS = steadyCpuS * monthFactor
  return {
    pricing: { name: pricing.name, date: pricing.date },
    primary: c.primary,
    measuredS,
    monthFactor: round(monthFactor, 9),
    monthlyUsd: usd(of(primaryPrefix, 'monthlyUsd') + originMonthlyUsd),
    runUsd: usd(of(primaryPrefix, 'runUsd') + of('origin.', 'runUsd')),
    oneOffUsd: of(primaryPrefix, 'oneOffUsd'),
    vercelOneOffUsd: of('vercel.', 'oneOffUsd'),
    vercelMonthlyUsd,
    selfHostedMonthlyUsd,
    originMonthlyUsd,
    monthlyOriginCalls: units(totals.originFetches * monthFactor),
    monthlyRenderCpuS: units(monthlyRenderCpuS),
    selfHostedCpuUtilization: round(monthlyRenderCpuS / (dep.instances * c.vcpusPerInstance * MONTH_S), 9),
    targetCpuUtilization: capacity.targetCpuUtilization,
    selfHostedRenderVcpus: capacity.renderVcpus,
    selfHostedSizedFor: capacity.sizedFor,
    selfHostedPeakCpuUtilization: capacity.utilizationAtConfigured,
    selfHostedInstancesNeeded: capacity.instancesNeeded,
    selfHostedInstances: capacity.instancesBilled,
    originCallsPerS: round(totals.originFetches / measuredS, 9),
    ...(c.originRateLimitPerS === undefined ? {} : { originRateLimitPerS: c.originRateLimitPerS }),
    meters,
    routes: routeCosts,
  }
}
