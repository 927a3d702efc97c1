/**
 * A run in fast or auto mode (docs/fast-mode.md): the routes that fast-forward run path by path
 * (fast-paths.ts); the others run in the exact engine as a scenario of their own. Stream
 * isolation makes that split invisible to them: every stream is keyed by its route's id, and
 * fast-eligibility.ts keeps exact every scenario whose routes share anything (a balancer,
 * workers, on-demand calls, data, a CDN), so an exact route draws and does exactly what it would
 * in a run of the whole scenario. Both parts record into one Metrics.
 */
import type { Engine } from '../kernel/engine.ts'
import { HISTOGRAM_BUCKETS as B } from '../kernel/histogram.ts'
import type { AleaRng, Streams } from '../kernel/rng.ts'
import { secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { ResolvedRoute } from './entries.ts'
import { runFastRoute } from './fast-paths.ts'
import { createTagRun, tagRunStats } from './fast-tags.ts'
import type { FreshnessStats } from './freshness.ts'
import { Metrics, OUTCOME_NAMES } from './metrics.ts'
import { createIsrModel, type IsrModel } from './model.ts'
import type { VersionProfile } from './profiles.ts'
import { withSegmentConfig } from './segment-config.ts'
import type { TraceEvent } from './trace.ts'

const NO = OUTCOME_NAMES.length

/** What the result needs from a run, whichever engine ran each route. */
export interface RunParts {
  /** Every route of the scenario, in its order (index = scenario index). */
  readonly routes: readonly ResolvedRoute[]
  readonly fetchStats: ReturnType<IsrModel['fetchStats']>
  readonly freshness: ReturnType<IsrModel['freshness']>
  readonly onDemandStats: ReturnType<IsrModel['onDemandStats']>
}

/**
 * Runs the exact routes (scenario indexes in `exact`) through `runExact` on a scenario of their
 * own, then every fast route, all into `metrics`.
 */
export function runSplit(
  s: Scenario, all: readonly ResolvedRoute[], fast: readonly boolean[], profile: VersionProfile, streams: Streams, metrics: Metrics,
  engine: Engine, trace: ((e: TraceEvent) => void) | null, runExact: (model: IsrModel, m: Metrics) => void,
): RunParts {
  const durationUs = secToUs(s.durationS)
  const exactIdx = all.flatMap((r) => (fast[r.index] ? [] : [r.index]))
  let parts: RunParts = { routes: all, fetchStats: {}, freshness: emptyFreshness(all.length), onDemandStats: [] }
  if (exactIdx.length > 0) {
    const sub: Scenario = { ...s, routes: exactIdx.map((i) => s.routes[i]!) }
    const subMetrics = new Metrics(sub.routes.length, metrics.warmupUs, metrics.binUs, durationUs)
    const model = createIsrModel(sub, profile, streams, subMetrics, engine, trace)
    runExact(model, subMetrics)
    mergeMetrics(metrics, subMetrics, exactIdx)
    const f = model.freshness()
    const routes = all.map((r) => {
      const j = exactIdx.indexOf(r.index)
      return j < 0 ? r : { ...model.routes[j]!, index: r.index }
    })
    const outdatedByRoute = all.map((r) => { const j = exactIdx.indexOf(r.index); return j < 0 ? 0 : f.outdatedByRoute[j]! })
    const lagByRoute = all.map((r) => { const j = exactIdx.indexOf(r.index); return j < 0 ? null : f.lagByRoute[j] ?? null })
    parts = { routes, fetchStats: model.fetchStats(), freshness: { ...f, outdatedByRoute, lagByRoute }, onDemandStats: model.onDemandStats() }
  }
  const buildAtUs = -secToUs(s.buildAgeS)
  // Each fetch as its segment's fetchCache leaves it (§15.3), as createIsrModel reads the exact routes'.
  const sv = withSegmentConfig(s)
  const fastFetches: Record<string, RunParts['fetchStats'][string]> = {}
  // One stream per fetch id, claimed once: routes that share an uncached fetch (all fast, fastPlan) draw from it in turn.
  const fetchRngs = new Map<string, AleaRng>()
  const fetchRng = (id: string) => fetchRngs.get(id) ?? fetchRngs.set(id, streams.claim('fetch', id)).get(id)!
  // On-demand calls (only in a run whose routes all run fast, fast-eligibility.ts) and purges, drawn once for every fast route.
  const tagRun = exactIdx.length < all.length ? createTagRun(s, profile, streams, durationUs) : null
  for (const r of all) {
    if (!fast[r.index]) continue
    for (const [id, x] of Object.entries(runFastRoute(sv, r, profile, streams, fetchRng, metrics, durationUs, buildAtUs, tagRun))) {
      const had = fastFetches[id]
      // As exact mode counts a fetch several routes make: all their origin calls, the most keys any of them has.
      fastFetches[id] = had === undefined ? x : { ...had, originFetches: had.originFetches + x.originFetches, keys: Math.max(had.keys, x.keys) }
    }
  }
  // In the order the exact run lists fetches: by first appearance over the scenario's routes.
  const fetchStats: Record<string, RunParts['fetchStats'][string]> = {}
  for (const id of new Set(s.routes.flatMap((r) => r.fetches.map((f) => f.id)))) {
    const x = parts.fetchStats[id] ?? fastFetches[id]
    if (x !== undefined) fetchStats[id] = x
  }
  return { ...parts, fetchStats, ...(tagRun !== null && s.onDemand.length > 0 ? { onDemandStats: tagRunStats(tagRun) } : {}) }
}

/** A run's freshness with no data changes: nothing tracked, nothing outdated. */
function emptyFreshness(routes: number): FreshnessStats {
  return { dataChanges: 0, reflected: 0, dataLagMeanS: 0, dataLagP50S: 0, dataLagP95S: 0, dataLagMaxS: 0, outdatedByRoute: new Array<number>(routes).fill(0), changes: [], lagByRoute: new Array<null>(routes).fill(null) }
}

/** Adds part's routes (part route j is full route idx[j]) and its series into full. */
function mergeMetrics(full: Metrics, part: Metrics, idx: readonly number[]): void {
  const per = (a: Float64Array, b: Float64Array, w: number) => idx.forEach((i, j) => { for (let k = 0; k < w; k++) a[i * w + k] = b[j * w + k]! })
  per(full.counts, part.counts, NO)
  per(full.countsAtWarmup, part.countsAtWarmup, NO)
  per(full.renders, part.renders, 3)
  for (const f of ['failed', 'renderUs', 'writes', 'fillWrites', 'deployWrites', 'ageSum', 'ageMax', 'latSum', 'latMax', 'crawlerRequests', 'crawlerRenders'] as const) per(full[f], part[f], 1)
  per(full.ageHist, part.ageHist, B)
  per(full.latHist, part.latHist, B)
  for (let k = 0; k < full.series.length; k++) full.series[k] = full.series[k]! + part.series[k]!
  if (part.shellRoutes !== null) {
    const shells = new Uint8Array(full.routes)
    idx.forEach((i, j) => { shells[i] = part.shellRoutes![j]! })
    full.shellRoutes = shells
  }
}
