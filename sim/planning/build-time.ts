/**
 * `next build`'s wall time from the pages it prerenders ("Beyond the notes: build time" in
 * docs/semantics.md). What Next 16.4 does, from its source (build/index.js, export/index.js,
 * export/worker.js):
 * - compile, type check, collect page data, finalize: a part that does not grow with the
 *   prerendered paths here (fixedS);
 * - "Generating static pages using W workers (n/N)": W = experimental.cpus, whose default is
 *   the machine's CPUs − 1 (at least 1), capped at the page files + 1; the N export paths are
 *   cut into B = min(W, ceil(N / staticGenerationMinPagesPerWorker)) contiguous batches of
 *   ceil(N / B), one per worker; a worker renders its batch in groups of
 *   staticGenerationMaxConcurrency (8) at once (Promise.all), group after group.
 * So a batch takes, per group, its slowest render, plus the CPU Next spends per page in the
 * worker (serialising HTML and RSC payload, writing files: pageS, one after another on the
 * worker's thread, stretched when more workers than CPUs share them). The build waits for
 * its slowest batch. A render at build is the route's renderS plus its fetches' origin
 * latency (the Data Cache is empty at build): a per-path fetch in every render, a shared
 * one only in the route's first group of each batch (after that the worker's cache has it).
 * Pure and deterministic: expected values, no draws.
 */
import type { BuildResult } from '../contract.ts'
import { lognormalParams } from '../kernel/dist.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import { withSegmentConfig } from '../isr/segment-config.ts'
import type { RouteConfig, Scenario } from '../scenario/schema.ts'

/**
 * Machine constants of the reference machine (2 shared vCPUs, next 16.4.6 with Turbopack),
 * calibrated from the fastest of three builds of 400 paths (test/build-time-calibrate.ts: 11.07 s,
 * of which Next's generation 6.5 s; the other two, 20.7 and 21.5 s, were slowed by other jobs), not from the builds
 * the test validates against. A scenario's `build` block overrides them for another machine.
 */
export const BUILD_DEFAULTS = {
  cpus: 2,
  /** Everything but page generation, seconds. */
  fixedS: 4.57,
  /** Next's own CPU per prerendered page in a worker, seconds. */
  pageS: 0.0098,
  maxConcurrency: 8,
  minPagesPerWorker: 25,
} as const

export type BuildConfig = NonNullable<Scenario['build']>

/** Pages Next prerenders of its own: /_not-found, and /_global-error from 16. */
function ownPages(s: Scenario): number {
  return s.next.version === '14' || s.next.version === '15' ? 1 : 2
}

/** A prerendered run of paths with the same expected render: `pages` of them, `renderS` each at build, `sharedS` once per batch. */
interface Run { readonly route: string; readonly pages: number; readonly mu: number; readonly sigma: number; readonly extraS: number; readonly sharedS: number }

/** The paths `next build` prerenders of a route: none for a dynamic one, else params.prebuilt (1 without params). */
export function prerenderedPaths(r: RouteConfig, s: Scenario): number {
  if (r.dynamic || effectiveRevalidate(r, s.next).revalidateS === 0) return 0
  const count = r.params?.count ?? 1
  return Math.min(count, r.params?.prebuilt ?? count)
}

/** A render time as log-normal parameters: a fixed time is sigma 0 (mu -Infinity for 0 s). */
function renderParams(renderS: RouteConfig['renderS']): { mu: number; sigma: number } {
  if (typeof renderS === 'number') return { mu: renderS > 0 ? Math.log(renderS) : -Infinity, sigma: 0 }
  return lognormalParams(renderS.lognormal.medianS, renderS.lognormal.p95S)
}

function runOf(r: RouteConfig, s: Scenario): Run {
  const perPath = (f: RouteConfig['fetches'][number]) => f.perPath ?? f.tags.some((t) => /\{[^}]+\}/.test(t))
  const extraS = Math.max(0, ...r.fetches.filter(perPath).map((f) => f.latencyS))
  const sharedS = Math.max(0, ...r.fetches.filter((f) => !perPath(f)).map((f) => f.latencyS))
  const { mu, sigma } = renderParams(r.renderS)
  return { route: r.id, pages: prerenderedPaths(r, s), mu, sigma, extraS, sharedS }
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const poly = (k: readonly number[], x: number) => k.reduce((acc, v) => acc * x + v, 0)
  if (p < 0.02425) { const q = Math.sqrt(-2 * Math.log(p)); return poly(c, q) / (poly(d, q) * q + 1) }
  if (p > 1 - 0.02425) { const q = Math.sqrt(-2 * Math.log(1 - p)); return -poly(c, q) / (poly(d, q) * q + 1) }
  const q = p - 0.5, r = q * q
  return (poly(a, r) * q) / (poly(b, r) * r + 1)
}

/** E[max of k renders] of a run: ∫₀¹ Q(v^(1/k)) dv by the midpoint rule (exact for a fixed time). */
function expectedMax(run: Run, k: number): number {
  if (run.mu === -Infinity) return run.extraS
  if (run.sigma === 0 || k === 0) return k === 0 ? 0 : Math.exp(run.mu) + run.extraS
  const n = 2000
  let sum = 0
  for (let i = 0; i < n; i++) sum += Math.exp(run.mu + run.sigma * normalQuantile(((i + 0.5) / n) ** (1 / k)))
  return sum / n + run.extraS
}

/** The expected slowest of k renders of this render time (no fetches): what a group of k waits for. */
export function expectedMaxRender(renderS: RouteConfig['renderS'], k: number): number {
  const { mu, sigma } = renderParams(renderS)
  return expectedMax({ route: '', pages: k, mu, sigma, extraS: 0, sharedS: 0 }, k)
}

/** Wall time of one batch: the export paths [from, to) of the runs laid end to end. */
function batchS(runs: readonly Run[], starts: readonly number[], from: number, to: number, group: number, memo: Map<string, number>): number {
  const emax = (i: number, k: number) => {
    const key = `${i}/${k}`
    let v = memo.get(key)
    if (v === undefined) memo.set(key, (v = expectedMax(runs[i]!, k)))
    return v
  }
  let total = 0
  let g = from
  // Runs met in this batch: a run's shared fetches go to the origin in its first group here.
  const met = new Set<number>()
  while (g < to) {
    const end = Math.min(g + group, to)
    let i = 0
    while (starts[i + 1]! <= g) i++
    const runEnd = starts[i]! + runs[i]!.pages
    if (met.has(i) && end <= runEnd) {
      // Whole groups inside one run are alike: count them at once.
      const whole = Math.floor((Math.min(to, runEnd) - g) / group)
      if (whole > 0) { total += whole * emax(i, group); g += whole * group; continue }
    }
    // A group across runs (or a run's first here, which fetches the shared data): its slowest member.
    let slowest = 0
    for (let j = i; j < runs.length && starts[j]! < end; j++) {
      const k = Math.min(end, starts[j]! + runs[j]!.pages) - Math.max(g, starts[j]!)
      if (k > 0) slowest = Math.max(slowest, emax(j, k) + (met.has(j) ? 0 : runs[j]!.sharedS))
      met.add(j)
    }
    total += slowest
    g = end
  }
  return total
}

/** The predicted `next build` time of the scenario's app. `build` defaults to the reference machine. */
export function predictBuild(s0: Scenario): BuildResult {
  const s = withSegmentConfig(s0)
  const b: BuildConfig = s.build ?? {}
  const cpus = b.cpus ?? BUILD_DEFAULTS.cpus
  const group = b.maxConcurrency ?? BUILD_DEFAULTS.maxConcurrency
  const minPages = b.minPagesPerWorker ?? BUILD_DEFAULTS.minPagesPerWorker
  const fixedS = b.fixedS ?? BUILD_DEFAULTS.fixedS
  const pageS = b.pageS ?? BUILD_DEFAULTS.pageS
  // Next's own pages render nothing of the app's; the routes' paths follow, route by route.
  const own = ownPages(s)
  const runs: Run[] = [{ route: '', pages: own, mu: -Infinity, sigma: 0, extraS: 0, sharedS: 0 }, ...s.routes.map((r) => runOf(r, s))].filter((r) => r.pages > 0)
  const starts: number[] = [0]
  for (const r of runs) starts.push(starts[starts.length - 1]! + r.pages)
  const pages = starts[starts.length - 1]!
  const workers = Math.max(1, Math.min(b.workers ?? Math.max(1, cpus - 1), s.routes.length + own + 1))
  const batches = Math.min(workers, Math.ceil(pages / minPages))
  const perBatch = Math.ceil(pages / batches)
  const cpuStretch = Math.max(1, batches / cpus)
  const memo = new Map<string, number>()
  let generateS = 0
  for (let w = 0; w < batches; w++) {
    const from = w * perBatch, to = Math.min(pages, from + perBatch)
    if (to > from) generateS = Math.max(generateS, batchS(runs, starts, from, to, group, memo) + (to - from) * pageS * cpuStretch)
  }
  const round = (x: number) => Math.round(x * 1000) / 1000
  return {
    predictedS: round(fixedS + generateS), fixedS: round(fixedS), generateS: round(generateS),
    pages, workers, batches, maxConcurrency: group, cpus, pageS,
    routes: Object.fromEntries(s.routes.map((r) => [r.id, { pages: prerenderedPaths(r, s) }])),
  }
}
