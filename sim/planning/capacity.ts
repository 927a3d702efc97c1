/**
 * Self-hosted capacity: how many `next start` instances keep render CPU under a target
 * utilisation, sized for the busiest hour when the traffic follows a daily curve; and the
 * cost model's warnings (an undersized fleet, a run too short for its daily curve, an
 * origin rate limit).
 */
import type { Cost, SeriesBin, Warning } from '../contract.ts'
import { round } from '../isr/metrics.ts'
import { costInputsOf, deploymentOf, type Scenario } from '../scenario/schema.ts'

/** cost.targetCpuUtilization when the scenario leaves it out: headroom for bursts inside an hour and for a lost instance. */
export const DEFAULT_TARGET_CPU_UTILIZATION = 0.6
const HOUR_S = 3600
const DAY_S = 86_400

/** Whether some route's traffic follows a daily curve that is not flat (its own, or the scenario's). */
export function hasDailyCurve(s: Scenario): boolean {
  return s.routes.some((r) => {
    const curve = r.traffic.diurnal ?? s.diurnal
    return curve !== undefined && curve.hourly.some((h) => h !== curve.hourly[0])
  })
}

/**
 * Render attempts in the busiest hour of the measured period: the largest sum over any run
 * of consecutive whole series bins that spans an hour (or one bin, when bins are longer than
 * an hour, as on runs over ten days), with the window's length. Null when the measured period
 * holds no such window (a run shorter than an hour).
 */
export function busiestWindow(bins: readonly Pick<SeriesBin, 'atS' | 'renders'>[], binS: number, warmupS: number, durationS: number): { renders: number; windowS: number } | null {
  const measured = bins.filter((b) => b.atS >= warmupS && b.atS + binS <= durationS)
  const k = Math.max(1, Math.round(HOUR_S / binS))
  if (measured.length < k) return null
  let sum = 0
  let best = 0
  for (let i = 0; i < measured.length; i++) {
    sum += measured[i]!.renders
    if (i >= k) sum -= measured[i - k]!.renders
    if (i >= k - 1 && sum > best) best = sum
  }
  return { renders: best, windowS: k * binS }
}

/**
 * ceil(render vCPUs / (target × vCPUs per instance)), at least 1: the instances whose render
 * CPU stays at or under the target. (Rounded to 1e-9 first, so that an exact fit is not
 * pushed over by floating point.)
 */
export function instancesNeeded(renderVcpus: number, targetCpuUtilization: number, vcpusPerInstance: number): number {
  return Math.max(1, Math.ceil(round(renderVcpus / (targetCpuUtilization * vcpusPerInstance), 9)))
}

export interface Capacity {
  readonly targetCpuUtilization: number
  /** Render CPU the fleet is sized for, vCPUs busy: the busiest hour's with a daily curve, else the mean. */
  readonly renderVcpus: number
  readonly sizedFor: 'busiestHour' | 'mean'
  readonly instancesNeeded: number
  /** What the bill counts: max(deployment.instances, instancesNeeded). */
  readonly instancesBilled: number
  /** renderVcpus over the configured fleet's vCPUs. */
  readonly utilizationAtConfigured: number
}

/**
 * The fleet the self-hosted bill counts. `meanRenderVcpus` is the steady-state render CPU
 * (vCPUs busy on average); `cpuPerRenderS` the CPU of one render attempt, to turn the
 * busiest hour's render count into CPU. The bill counts at least the configured
 * deployment.instances: the simulation ran that many instances (their caches, their
 * balancer), and a fleet is not billed below what is deployed; to see the smallest fleet,
 * run with deployment.instances 1.
 */
export function capacityOf(s: Scenario, meanRenderVcpus: number, cpuPerRenderS: number, series: { readonly binS: number; readonly bins: readonly Pick<SeriesBin, 'atS' | 'renders'>[] }): Capacity {
  const c = costInputsOf(s)
  const dep = deploymentOf(s)
  const target = c.targetCpuUtilization ?? DEFAULT_TARGET_CPU_UTILIZATION
  const busiest = hasDailyCurve(s) ? busiestWindow(series.bins, series.binS, s.warmupS, s.durationS) : null
  const peakVcpus = busiest === null ? null : (busiest.renders * cpuPerRenderS) / busiest.windowS
  // The busiest hour never sizes the fleet below the steady mean (a cold fill can sit outside it, or a window can be short).
  const renderVcpus = peakVcpus === null ? meanRenderVcpus : Math.max(peakVcpus, meanRenderVcpus)
  const needed = instancesNeeded(renderVcpus, target, c.vcpusPerInstance)
  return {
    targetCpuUtilization: target,
    renderVcpus: round(renderVcpus, 9),
    sizedFor: peakVcpus === null ? 'mean' : 'busiestHour',
    instancesNeeded: needed,
    instancesBilled: Math.max(dep.instances, needed),
    utilizationAtConfigured: round(renderVcpus / (dep.instances * c.vcpusPerInstance), 9),
  }
}

/** How far a short run's traffic may sit from the day's average before the month is flagged. */
const SHORT_RUN_TOLERANCE = 0.02

/**
 * The measured period's request rate over a whole day's, by the daily curves (each route's
 * own, or the scenario's; flat for a route without one), weighted by the routes' rates.
 */
export function measuredTrafficShare(s: Scenario): number {
  let measured = 0
  let daily = 0
  for (const r of s.routes) {
    const curve = r.traffic.diurnal ?? s.diurnal
    const rps = r.traffic.rps
    if (curve === undefined) {
      measured += rps
      daily += rps
      continue
    }
    let area = 0
    for (let t = s.warmupS; t < s.durationS;) {
      const next = Math.min(s.durationS, (Math.floor(t / HOUR_S) + 1) * HOUR_S)
      area += curve.hourly[(curve.startHour + Math.floor(t / HOUR_S)) % 24]! * (next - t)
      t = next
    }
    measured += (rps * area) / (s.durationS - s.warmupS)
    daily += (rps * curve.hourly.reduce((a, b) => a + b, 0)) / 24
  }
  return daily === 0 ? 1 : measured / daily
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`
const duration = (sec: number) => (sec >= HOUR_S ? `${round(sec / HOUR_S, 2)} h` : `${round(sec / 60, 2)} min`)

/** What the cost figures cannot be trusted for, each with its fix. */
export function costWarnings(s: Scenario, cost: Cost): Warning[] {
  const out: Warning[] = []
  const dep = deploymentOf(s)
  const c = costInputsOf(s)
  if (cost.originRateLimitPerS !== undefined && cost.originCallsPerS > cost.originRateLimitPerS) {
    out.push({ code: 'origin-rate-limit', message: `The fetches call the origin ${cost.originCallsPerS.toFixed(2)} times a second on average, above its limit of ${cost.originRateLimitPerS}/s (peaks are higher).`, fix: 'Raise the fetches\' revalidate, share fetches between routes, or cache the origin behind its own CDN.' })
  }
  if (cost.primary === 'self-hosted' && cost.selfHostedPeakCpuUtilization > cost.targetCpuUtilization) {
    const fleet = `${dep.instances} instance${dep.instances === 1 ? '' : 's'} × ${c.vcpusPerInstance} vCPUs`
    const when = cost.selfHostedSizedFor === 'busiestHour' ? 'in the busiest hour' : 'on average'
    const queue = dep.renderConcurrency === undefined
      ? 'This run does not queue renders (no deployment.renderConcurrency), so its latency assumes CPU to spare.'
      : `deployment.renderConcurrency ${dep.renderConcurrency} queues renders beyond it on each instance: this run's latency includes that wait.`
    const caches = dep.cache === 'local' && cost.selfHostedInstancesNeeded > dep.instances ? ` With local caches, ${cost.selfHostedInstancesNeeded} instances also means ${cost.selfHostedInstancesNeeded} caches to fill (more renders): set deployment.instances to ${cost.selfHostedInstancesNeeded} and run again to see.` : ''
    out.push({
      code: 'self-hosted-cpu',
      message: `Renders alone need ${pct(cost.selfHostedPeakCpuUtilization)} of the configured fleet's vCPUs (${fleet}) ${when}, above the target of ${pct(cost.targetCpuUtilization)}: the self-hosted cost counts ${cost.selfHostedInstancesNeeded} instances. ${queue}${caches}`,
      fix: 'Add instances or vCPUs (deployment.instances, cost.vcpusPerInstance), raise revalidate, or set deployment.renderConcurrency to model the queue.',
    })
  }
  const share = cost.measuredS < DAY_S && hasDailyCurve(s) ? measuredTrafficShare(s) : 1
  if (Math.abs(share - 1) > SHORT_RUN_TOLERANCE) {
    out.push({
      code: 'short-run-daily-curve',
      message: `The measured period is ${duration(cost.measuredS)}, shorter than a day of the daily curve, and its hours carry ${pct(share)} of the day's average request rate: the monthly figures repeat these hours ${round(cost.monthFactor, 2)} times instead of whole days.`,
      fix: `Set durationS to at least ${DAY_S + s.warmupS} (a day after warmup) so a month is 30 whole days.`,
    })
  }
  return out
}
