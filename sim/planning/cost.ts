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
import type { MeterPrice, Pricing } from './pricing.ts'

const MONTH_S = 30 * 86_400
const UNIT_KB = 8

/** Dollars to 1e-9 (so that sums of meters are reproducible to the last printed digit). */
const usd = (x: number) => round(x, 9)
const units = (x: number) => round(x, 6)

/** The run's render attempts over time (the result's series), for the busiest hour. */
export interface RenderSeries { readonly binS: number; readonly bins: readonly Pick<SeriesBin, 'atS' | 'renders'>[] }

export function costOf(s: Scenario, totals: Totals, routes: Readonly<Record<string, RouteResult>>, pricing: Pricing, series: RenderSeries): Cost {
  const c = costInputsOf(s)
  const dep = deploymentOf(s)
  const measuredS = s.durationS - s.warmupS
  const monthFactor = MONTH_S / measuredS

  const perRoute: Record<string, { reads: number; writes: number; invocations: number; cpuH: number; memH: number }> = {}
  for (const r of s.routes) {
    const x = routes[r.id]!
    const unitsPerPage = Math.ceil((r.pageSizeKb ?? c.pageSizeKb) / UNIT_KB)
    const renderH = x.renderCpuS / 3600
    perRoute[r.id] = {
      reads: (x.hit + x.stale) * (1 - c.cdnHitFraction) * unitsPerPage,
      writes: x.isrWrites * unitsPerPage,
      invocations: x.renders,
      cpuH: renderH * c.activeCpuFraction,
      memH: renderH * c.functionMemoryGb,
    }
  }
  type Usage = keyof (typeof perRoute)[string]
  const all = {} as Record<Usage, number>
  for (const k of ['reads', 'writes', 'invocations', 'cpuH', 'memH'] as const) all[k] = Object.values(perRoute).reduce((n, v) => n + v[k], 0)
  const totalRenderS = Object.values(routes).reduce((n, x) => n + x.renderCpuS, 0)
  const totalRenders = Object.values(routes).reduce((n, x) => n + x.renders, 0)
  const cpuPerRenderS = totalRenders === 0 ? 0 : (totalRenderS * c.activeCpuFraction) / totalRenders
  const capacity = capacityOf(s, (totalRenderS * c.activeCpuFraction) / measuredS, cpuPerRenderS, series)
  const vcpuHours = (capacity.instancesBilled * c.vcpusPerInstance * measuredS) / 3600

  const meter = (id: CostMeter['id'], p: MeterPrice, runUnits: number): CostMeter => {
    const monthlyUnits = runUnits * monthFactor
    return {
      id, unit: p.unit, usdPerUnit: p.usdPerUnit, includedPerMonth: p.includedPerMonth,
      runUnits: units(runUnits), monthlyUnits: units(monthlyUnits),
      runUsd: usd(runUnits * p.usdPerUnit),
      monthlyUsd: usd(Math.max(0, monthlyUnits - p.includedPerMonth) * p.usdPerUnit),
    }
  }
  const v = pricing.vercel
  // The Vercel meters and the route usage each one bills.
  const vercelMeters: [CostMeter, Usage][] = [
    [meter('vercel.isrReads', v.isrReads, all.reads), 'reads'],
    [meter('vercel.isrWrites', v.isrWrites, all.writes), 'writes'],
    [meter('vercel.invocations', v.invocations, all.invocations), 'invocations'],
    [meter('vercel.activeCpuHours', v.activeCpuHours, all.cpuH), 'cpuH'],
    [meter('vercel.memoryGbHours', v.memoryGbHours, all.memH), 'memH'],
  ]
  const fleet = meter('selfHosted.vcpuHours', pricing.selfHosted.vcpuHours, vcpuHours)
  const meters: CostMeter[] = [...vercelMeters.map(([m]) => m), fleet, meter('origin.calls', pricing.origin.calls, totals.originFetches)]
  const of = (prefix: string, k: 'runUsd' | 'monthlyUsd') => usd(meters.filter((m) => m.id.startsWith(prefix)).reduce((n, m) => n + m[k], 0))
  const vercelMonthlyUsd = of('vercel.', 'monthlyUsd')
  const selfHostedMonthlyUsd = of('selfHosted.', 'monthlyUsd')
  const originMonthlyUsd = of('origin.', 'monthlyUsd')
  const primaryPrefix = c.primary === 'vercel' ? 'vercel.' : 'selfHosted.'

  // A route's dollars: its share of each meter's monthly bill (allowances shared pro rata).
  const share = (m: CostMeter, mine: number, total: number) => (total === 0 ? 0 : (m.monthlyUsd * mine) / total)
  const routeCosts: Record<string, RouteCost> = {}
  for (const r of s.routes) {
    const x = perRoute[r.id]!
    routeCosts[r.id] = {
      isrReadUnits: units(x.reads), isrWriteUnits: units(x.writes), invocations: x.invocations,
      activeCpuHours: units(x.cpuH), memoryGbHours: units(x.memH),
      vercelMonthlyUsd: usd(vercelMeters.reduce((n, [m, k]) => n + share(m, x[k], all[k]), 0)),
      // One fleet: attributed by render time.
      selfHostedMonthlyUsd: usd(share(fleet, routes[r.id]!.renderCpuS, totalRenderS)),
    }
  }
  const monthlyRenderCpuS = totalRenderS * c.activeCpuFraction * monthFactor
  return {
    pricing: { name: pricing.name, date: pricing.date },
    primary: c.primary,
    measuredS,
    monthFactor: round(monthFactor, 9),
    monthlyUsd: usd(of(primaryPrefix, 'monthlyUsd') + originMonthlyUsd),
    runUsd: usd(of(primaryPrefix, 'runUsd') + of('origin.', 'runUsd')),
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
