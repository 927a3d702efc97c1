/**
 * runScenario: scenario + seed -> SimResult. All logic lives here so tests never
 * spawn processes; the CLI is a thin shell around it.
 */
import tQuantile from '@stdlib/stats-base-dists-t-quantile'
import { SCHEMA_VERSION, type SimMode, type AgeCdf, type FetchResult, type Interval, type IntervalsOf, type RouteResult, type SimResult, type Totals, type Warning } from './contract.ts'
import { createEngine } from './kernel/engine.ts'
import { InvariantError } from './kernel/errors.ts'
import { createIsrModel, type IsrModel } from './isr/model.ts'
import { resolveRoutes } from './isr/entries.ts'
import { fastPlan } from './isr/fast-eligibility.ts'
import { withPagesRoutes } from './isr/pages.ts'
import { runSplit, type RunParts } from './isr/fast.ts'
import type { TraceEvent } from './isr/trace.ts'
import { profileFor } from './isr/profiles.ts'
import { effectiveRevalidate } from './isr/revalidate.ts'
import { eventTags, targetsOfTag } from './isr/tags.ts'
import { Metrics } from './isr/metrics.ts'
import { costWarnings } from './planning/capacity.ts'
import { costOf } from './planning/cost.ts'
import { predictBuild } from './planning/build-time.ts'
import { DEFAULT_PRICING, type Pricing } from './planning/pricing.ts'
import { createStreams, TRAFFIC_STREAMS } from './kernel/rng.ts'
import { closedFormAgeCdf } from './isr/closed-form.ts'
import { deploymentOf, type Scenario } from './scenario/schema.ts'
import { scenarioHash } from './scenario/parse.ts'
import { secToUs, US_PER_S } from './kernel/time.ts'
import { ISRSIM_VERSION, MODEL_VERSION } from './version.ts'

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: string
  /** Independent seeds: replication 0 uses the seed itself, replication i uses `${seed}#${i}`. @default 1 */
  readonly replications?: number
  /** Called for every response and render of replication 0 (tests, --trace). Slows the run. */
  readonly trace?: (e: TraceEvent) => void
  /** Where the scenario came from, for the reproduce line. */
  readonly source?: string
  /**
   * Replications keep replication 0's requests, on-demand calls and data changes (rng.ts
   * TRAFFIC_STREAMS) and redraw the rest (render times, failures, ...): the spread of what
   * can still vary when a load test replays one fixed plan. @default false
   */
  readonly sameTraffic?: boolean
  /** The price table for result.cost. @default DEFAULT_PRICING */
  readonly pricing?: Pricing
  /**
   * Called as the run advances, with the simulated seconds done over all replications and
   * their total (durationS × replications): a progress bar for the host, which owns the
   * clock. The engine then runs in PROGRESS_STEPS slices of simulated time per replication
   * (same events in the same order: the result is byte-identical); without it, in one go.
   */
  readonly onProgress?: (doneS: number, totalS: number) => void
  /**
   * "exact" steps every request; "fast" and "auto" fast-forward every route whose semantics
   * allow it exactly in distribution and run the others exact, saying why per route
   * (docs/fast-mode.md). Routes that run fast emit no trace events. @default 'exact'
   */
  readonly mode?: SimMode
  /** Called after each replication with its raw counters (tests comparing modes read the age histograms there). */
  readonly onReplication?: (replication: number, metrics: Metrics) => void
}

/** Slices of simulated time per replication when onProgress is given. */
const PROGRESS_STEPS = 200

/** Nice bin widths, seconds; the chosen one gives at most 240 bins. */
const BIN_WIDTHS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800]

export function seriesBinS(durationS: number): number {
  return BIN_WIDTHS_S.find((w) => durationS / w <= 240) ?? Math.ceil(durationS / 240)
}

export function replicationSeed(seed: string, i: number): string {
  return i === 0 ? seed : `${seed}#${i}`
}

export function reproduceLine(source: string | undefined, seed: string, mode?: SimMode): string {
  return `Reproduce: isrsim run ${source ?? '<scenario>'} --seed ${JSON.stringify(seed)}${mode === undefined || mode === 'auto' ? '' : ` --mode ${mode}`}`
}

export function runScenario(s: Scenario, options: RunOptions = {}): SimResult {
  const seed = options.seed ?? String(s.seed)
  const n = options.replications ?? 1
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`replications must be a whole number >= 1, received ${n}`)
  const reps: SimResult[] = []
  // Seed-independent: computed once, not per replication.
  const closedForms = s.routes.map((_, i) => closedFormAgeCdf(s, i))
  for (let i = 0; i < n; i++) {
    const repSeed = replicationSeed(seed, i)
    try {
      const progress = options.onProgress
      const onSlice = progress === undefined ? null : (doneUs: number) => progress(i * s.durationS + doneUs / US_PER_S, n * s.durationS)
      reps.push(runOnce(s, repSeed, i === 0 ? options.trace ?? null : null, options.sameTraffic === true ? { names: TRAFFIC_STREAMS, seed } : null, options.pricing ?? DEFAULT_PRICING, closedForms, onSlice, options.mode ?? 'exact', options.onReplication === undefined ? null : (m) => options.onReplication!(i, m)))
    } catch (e) {
      if (e instanceof InvariantError) {
        const where = e.atUs === undefined ? '' : ` at t=${e.atUs / US_PER_S}s`
        throw new InvariantError(`Invariant violated${where} in scenario "${s.name}" (seed ${JSON.stringify(repSeed)}): ${e.message}\n${reproduceLine(options.source, repSeed, options.mode ?? 'exact')}`, e.atUs)
      }
      throw e
    }
  }
  const base = reps[0]!
  const result: SimResult = { ...base, seed, replications: n }
  return n === 1 ? result : { ...result, intervals: intervalsOf(reps) }
}

function runOnce(s: Scenario, seed: string, trace: ((e: TraceEvent) => void) | null, pinned: Parameters<typeof createStreams>[1], pricing: Pricing, closedForms: readonly (AgeCdf['closedForm'] | null)[], onSlice: ((doneUs: number) => void) | null, mode: SimMode, onMetrics: ((m: Metrics) => void) | null): SimResult {
  const durationUs = secToUs(s.durationS)
  const binS = seriesBinS(s.durationS)
  const profile = profileFor(s.next.version)
  const streams = createStreams(seed, pinned)
  const metrics = new Metrics(s.routes.length, secToUs(s.warmupS), secToUs(binS), durationUs)
  const engine = createEngine()
  const runModel = (model: IsrModel, m: Metrics): void => {
    model.start()
    const maxEvents = Math.ceil(model.expectedEvents * 4 + 1e6)
    if (onSlice === null) {
      engine.run({ untilUs: durationUs, dispatch: model.dispatch, lane: model.lane, maxEvents })
    } else {
      // The engine stops before the slice's end and resumes where it stopped: the same events
      // in the same order, so the result does not depend on the slicing. The runaway guard
      // keeps one budget for the whole run.
      const stepUs = Math.max(1, Math.ceil(durationUs / PROGRESS_STEPS))
      let left = maxEvents
      for (let untilUs = Math.min(stepUs, durationUs); ; untilUs = Math.min(untilUs + stepUs, durationUs)) {
        left -= engine.run({ untilUs, dispatch: model.dispatch, lane: model.lane, maxEvents: left }).processed
        onSlice(untilUs)
        if (untilUs >= durationUs) break
      }
    }
    m.finish()
    model.finish(durationUs)
  }
  const plan = fastPlan(s, resolveRoutes(s), mode, pinned !== null)
  const fast = plan.exactBecause.map((x) => x === null)
  let parts: RunParts
  if (!plan.anyFast) {
    const model = createIsrModel(s, profile, streams, metrics, engine, trace)
    runModel(model, metrics)
    parts = { routes: model.routes, fetchStats: model.fetchStats(), freshness: model.freshness(), onDemandStats: model.onDemandStats() }
  } else {
    // A Pages route's fallback false is dynamicParams false (§14.2), as the exact model reads it.
    parts = runSplit(s, withPagesRoutes(s, resolveRoutes(s)), fast, profile, streams, metrics, engine, trace, runModel)
    onSlice?.(durationUs)
  }

  onMetrics?.(metrics)
  const fetches = parts.fetchStats
  const fresh = parts.freshness
  const model = parts
  const all = model.routes.map((r) => r.index)
  const totalsAll = metrics.summarize(all)
  const routes: Record<string, RouteResult> = {}
  // Crawler figures only where crawlers walk: a crawler-free result stays as it was.
  const crawled = s.routes.map((r) => (r.traffic.crawlers?.length ?? 0) > 0)
  const crawlerCounts = (routeSet: readonly number[]) => ({
    crawlerRequests: routeSet.reduce((n, i) => n + metrics.crawlerRequests[i]!, 0),
    crawlerRenders: routeSet.reduce((n, i) => n + metrics.crawlerRenders[i]!, 0),
  })
  for (const r of model.routes) {
    const source = s.routes[r.index]!.source
    routes[r.id] = {
      pattern: r.pattern,
      effectiveRevalidateS: r.effective.revalidateS,
      revalidateSource: r.effective.source,
      paths: r.count,
      prebuilt: r.isDynamic ? 0 : r.prebuilt,
      ...(r.effective.holes === undefined ? {} : { holes: r.effective.holes }),
      ...(r.effective.expireS === undefined ? {} : { effectiveExpireS: r.effective.expireS }),
      ...metrics.summarize([r.index]),
      outdatedServedFraction: 0,
      ...(crawled[r.index] ? crawlerCounts([r.index]) : {}),
      ...(source ? { source } : {}),
      mode: fast[r.index] ? 'fast' : 'exact',
      ...(mode !== 'exact' && !fast[r.index] ? { exactBecause: plan.exactBecause[r.index]! } : {}),
    }
    const n = routes[r.id]!.requests
    const lag = fresh.lagByRoute[r.index] ?? null // only on a route some data change reaches (freshness.ts)
    routes[r.id] = { ...routes[r.id]!, outdatedServedFraction: n === 0 ? 0 : Math.round((fresh.outdatedByRoute[r.index]! / n) * 1e9) / 1e9, ...(lag ?? {}) }
  }
  const { requests, hit, stale, miss, dynamic, notFound, error, renders, backgroundRenders, blockingRenders, dynamicRenders, failedRenders, renderCpuS, isrWrites, fillWrites, deployWrites } = totalsAll
  const { staleServedFraction, ageMeanS, ageP50S, ageP95S, ageP99S, ageMaxS, meanMs, p50Ms, p95Ms, p99Ms, maxMs } = totalsAll
  const totals: Totals = { requests, hit, stale, miss, dynamic, notFound, error, ...(totalsAll.fallback === undefined ? {} : { fallback: totalsAll.fallback }), renders, backgroundRenders, blockingRenders, dynamicRenders, failedRenders, renderCpuS, isrWrites, fillWrites, deployWrites, originFetches: Object.values(fetches).reduce((n, f) => n + f.originFetches, 0), ...(crawled.some(Boolean) ? crawlerCounts(all) : {}) }
  const series = { binS, bins: metrics.seriesBins() }
  const cost = costOf(s, totals, routes, pricing, series)
  const warnings = [...warningsFor(s), ...costWarnings(s, cost)]
  return {
    schemaVersion: SCHEMA_VERSION,
    modelVersion: MODEL_VERSION,
    isrsimVersion: ISRSIM_VERSION,
    scenario: { name: s.name, hash: scenarioHash(s), durationS: s.durationS, warmupS: s.warmupS },
    seed,
    rng: 'alea',
    mode,
    next: { version: s.next.version, expireTimeS: s.next.expireTimeS },
    deployment: deploymentOf(s),
    replications: 1,
    totals,
    staleness: { staleServedFraction, ageMeanS, ageP50S, ageP95S, ageP99S, ageMaxS },
    latency: { meanMs, p50Ms, p95Ms, p99Ms, maxMs },
    routes,
    series,
    ageCdf: Object.fromEntries(model.routes.map((r) => [r.id, { ...metrics.ageCdf(r.index), ...(closedForms[r.index] ? { closedForm: closedForms[r.index]! } : {}) }])),
    outages: s.outages.map((o) => ({ fromS: o.fromS, toS: o.toS, failureRate: o.failureRate, ...(o.routes ? { routes: o.routes } : {}) })),
    fetches,
    freshness: {
      dataChanges: fresh.dataChanges,
      reflected: fresh.reflected,
      dataLagMeanS: fresh.dataLagMeanS,
      dataLagP50S: fresh.dataLagP50S,
      dataLagP95S: fresh.dataLagP95S,
      dataLagMaxS: fresh.dataLagMaxS,
      outdatedServedFraction: requests === 0 ? 0 : Math.round((fresh.outdatedByRoute.reduce((a, b) => a + b, 0) / requests) * 1e9) / 1e9,
    },
    onDemand: model.onDemandStats.map((stats, i) => {
      const e = s.onDemand[i]!
      return {
        kind: e.kind,
        ...(e.tag === undefined ? {} : { tag: e.tag }),
        ...(e.path === undefined ? {} : { path: e.path }),
        ...(e.type === undefined ? {} : { type: e.type }),
        ...(e.profile === undefined ? {} : { profile: e.profile }),
        instance: e.instance,
        ...stats,
      }
    }),
    dataChanges: fresh.changes.map((stats, i) => {
      const c = s.dataChanges[i]!
      return {
        ...(c.tag === undefined ? {} : { tag: c.tag }),
        ...(c.fetch === undefined ? {} : { fetch: c.fetch }),
        ...stats,
      }
    }),
    warnings,
    cost,
    // The CDN layer (§16), only with deployment.cdn: a result without one stays as it was.
    ...(metrics.cdn === null ? {} : { cdn: metrics.cdn.result(s.deployment?.cdn?.pops ?? 1, model.routes.map((r) => r.id)) }),
    // The predicted next build time, only with a build block: a result without one stays as it was.
    ...(s.build === undefined ? {} : { build: predictBuild(s) }),
  }
}

/** Mean and 95% confidence interval of the mean (Student t, n-1 degrees of freedom). */
export function interval(values: readonly number[]): Interval {
  const n = values.length
  const mean = values.reduce((a, b) => a + b, 0) / n
  const sd = n < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1))
  const half = n < 2 ? 0 : tQuantile(0.975, n - 1) * sd / Math.sqrt(n)
  const r = (x: number) => Math.round(x * 1e9) / 1e9
  // Counts, fractions, ages and dollars: when no replication is below 0, neither is the bound
  // (a t-interval over few replications can reach there).
  const low = values.every((v) => v >= 0) ? Math.max(0, mean - half) : mean - half
  return { mean: r(mean), sd: r(sd), low: r(low), high: r(mean + half) }
}

function intervalsOfObjects<T extends object>(objs: readonly T[]): IntervalsOf<T> {
  const out: Record<string, Interval> = {}
  for (const [k, v] of Object.entries(objs[0]!)) {
    if (typeof v === 'number') out[k] = interval(objs.map((o) => (o as Record<string, number>)[k]!))
  }
  return out as IntervalsOf<T>
}

function intervalsOf(reps: readonly SimResult[]): NonNullable<SimResult['intervals']> {
  const routes: Record<string, IntervalsOf<RouteResult>> = {}
  for (const id of Object.keys(reps[0]!.routes)) routes[id] = intervalsOfObjects(reps.map((r) => r.routes[id]!))
  const fetches: Record<string, IntervalsOf<FetchResult>> = {}
  for (const id of Object.keys(reps[0]!.fetches)) fetches[id] = intervalsOfObjects(reps.map((r) => r.fetches[id]!))
  return {
    fetches,
    totals: intervalsOfObjects(reps.map((r) => r.totals)),
    staleness: intervalsOfObjects(reps.map((r) => r.staleness)),
    latency: intervalsOfObjects(reps.map((r) => r.latency)),
    freshness: intervalsOfObjects(reps.map((r) => r.freshness)),
    cost: intervalsOfObjects(reps.map((r) => r.cost)),
    routes,
    ...(reps[0]!.cdn === undefined ? {} : { cdn: intervalsOfObjects(reps.map((r) => { const { pops: _, routes: __, ...totals } = r.cdn!; return totals })) }),
  }
}

/** Caveats a Next.js engineer would want pointed out, each with its fix. */
export function warningsFor(s: Scenario): Warning[] {
  const out: Warning[] = []
  const profile = profileFor(s.next.version)
  for (const r of s.routes) {
    const eff = effectiveRevalidate(r, s.next)
    const rev = eff.revalidateS
    const dynamicLayouts = r.layouts.flatMap((l, i) => (l.dynamic ? [i] : []))
    // intent: "dynamic": the route is dynamic on purpose, so being dynamic is no caveat. Under
    // cacheComponents the layout is a hole of a cached shell, not a dynamic route (§12.4).
    if (dynamicLayouts.length > 0 && !r.dynamic && r.revalidateS !== 0 && r.intent !== 'dynamic' && eff.holes === undefined) {
      out.push({
        code: 'dynamic-layout',
        route: r.id,
        message: `${dynamicLayouts.map((i) => `layouts[${i}]`).join(', ')} call${dynamicLayouts.length === 1 ? 's' : ''} cookies()/headers(), so ${r.pattern} (page revalidate ${String(r.revalidateS)}) is rendered on every request: its ISR settings have no effect.`,
        fix: 'Read cookies/headers in a client component, a route handler or middleware instead of the layout, or move the page out from under that layout.',
      })
    }
    if (rev === 0) {
      if (dynamicLayouts.length === 0 && r.intent !== 'dynamic') out.push({ code: 'dynamic-route', route: r.id, message: `${r.pattern} is dynamic (${eff.source}): every request renders and nothing is cached.`, fix: r.kind === 'route-handler' ? 'export const revalidate = <seconds> (or dynamic = \'force-static\') if the response can be shared between users (§15.1).' : 'Move cookies()/headers() into a client component or a route handler, use a cached fetch, or set revalidate > 0, if the page can be shared between users.' })
      continue
    }
    if (eff.source !== 'page' && (r.revalidateS === false || (typeof rev === 'number' && rev < r.revalidateS))) {
      out.push({
        code: 'revalidate-lowered',
        route: r.id,
        message: `${eff.source} sets revalidate ${String(rev)}s, lower than the page's ${String(r.revalidateS)}: ${r.pattern} regenerates every ${String(rev)}s (the lowest value wins).`,
        fix: `Raise ${eff.source}'s revalidate, or move that data behind its own cache (a fetch with its own revalidate no longer lowers the page once it sets none).`,
      })
    }
    if (typeof rev === 'number' && s.buildAgeS > rev) {
      out.push({ code: 'build-older-than-revalidate', route: r.id, message: `The build is ${s.buildAgeS}s old, older than revalidate ${rev}s: the first request to every prebuilt ${r.pattern} path after start is STALE and triggers a regeneration.`, fix: 'Deploy right after building, or expect a regeneration burst at start.' })
    }
    if (profile.enforcesExpire && typeof rev === 'number' && s.next.expireTimeS <= rev) {
      out.push({ code: 'expire-before-revalidate', route: r.id, message: `expireTime ${s.next.expireTimeS}s <= revalidate ${rev}s on ${s.next.version}: entries expire before they go stale, so requests block on renders instead of being served stale.`, fix: 'Set expireTime well above the largest revalidate.' })
    }
    // A Pages route's getStaticPaths fallback false is its dynamicParams false (§14.2).
    const pages = r.router === 'pages'
    const dynamicParams = pages ? r.params?.fallback !== false : (r.params?.dynamicParams ?? true)
    if (r.traffic.placeholder) {
      out.push({ code: 'placeholder-traffic', route: r.id, message: `${r.pattern}: the traffic is a placeholder (${r.traffic.rps} req/s), not measured: every figure of this route is only as good as that guess.`, fix: 'Fit it from your access logs: isrsim traffic <scenario> --log access.log --out <scenario> (or isrsim import <app> --log access.log).' })
    }
    if (r.traffic.unknownRate > 0 && dynamicParams) {
      const shell = pages && r.params?.fallback === true ? ' (after the fallback shell, the browser\'s data request renders it)' : ''
      out.push({ code: 'unknown-paths-render', route: r.id, message: `${r.traffic.unknownRate} req/s to unknown ${r.pattern} paths each cost a blocking render and a new cache entry${shell}.`, fix: pages ? 'Set getStaticPaths fallback: false if every valid path is prebuilt, or return { notFound: true } early.' : 'Set dynamicParams = false if every valid path is prebuilt, or return notFound() early.' })
    }
  }
  const dep = deploymentOf(s)
  const oneInstance = s.onDemand.filter((e) => e.target !== 'all')
  if (dep.instances > 1 && dep.cache === 'local' && dep.platform !== 'vercel' && oneInstance.length > 0) {
    const receivers = [...new Set(oneInstance.map((e) => (e.target === 'balancer' ? 'the one the balancer picks' : e.instance)))].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : typeof a === 'number' ? -1 : 1))
    out.push({ code: 'local-cache-invalidation', message: `${dep.instances} instances with local caches: on-demand calls reach only instance${receivers.length === 1 ? '' : 's'} ${receivers.join(', ')}; the other instances keep serving old pages until they go stale by time.`, fix: 'Use a shared cache handler (cacheHandler) that stores entries and tags centrally, or send the call to every instance.' })
  }
  s.onDemand.forEach((e, i) => {
    const what = e.kind === 'revalidatePath' || e.kind === 'res.revalidate' ? `${e.kind}(${JSON.stringify(e.path)}${e.type ? `, ${JSON.stringify(e.type)}` : ''})` : `${e.kind}(${JSON.stringify(e.tag)}${e.profile ? `, ${JSON.stringify(e.profile)}` : ''})`
    const route = `onDemand[${i}]`
    const tags = e.kind === 'res.revalidate' ? null : eventTags(e, s.next.version)
    if (tags !== null && tags.length > 0 && tags.every((t) => targetsOfTag(t, s.routes).length === 0)) {
      // Valid input (some Pages path carries the tag or path), but Pages entries have no tags (§14.6).
      out.push({ code: 'pages-not-invalidated', message: `${route} ${what}: it names only Pages Router pages, which revalidateTag and revalidatePath never invalidate: nothing changes.`, fix: 'Call res.revalidate(path) from a Pages API route (onDemand kind "res.revalidate").' })
    } else if (e.kind === 'revalidatePath' && e.type === undefined && e.path?.includes('[')) {
      out.push({ code: 'revalidatePath-no-effect', message: `${route} ${what}: a dynamic route path without a type has no effect (Next.js only warns).`, fix: 'Pass type "page" (every URL of that page) or "layout" (everything under it), or a concrete URL.' })
    } else if (profile.tagModel === 'revalidated-at') {
      if (e.profile !== undefined) out.push({ code: 'profile-ignored', message: `${route} ${what}: Next ${s.next.version} ignores the second argument, so touched pages block on a fresh render (MISS) instead of being served stale.`, fix: 'Upgrade to Next 16 for revalidateTag(tag, "max") stale-while-revalidate, or expect blocking misses.' })
    } else if (e.kind === 'updateTag' || (e.kind === 'revalidateTag' && e.profile === undefined) || e.kind === 'revalidatePath') {
      const why = e.kind === 'updateTag' ? 'updateTag expires its tag at once (read-your-own-writes)' : e.kind === 'revalidatePath' ? 'revalidatePath expires at once' : 'the one-argument revalidateTag is deprecated and expires at once'
      out.push({ code: e.kind === 'revalidatePath' ? 'revalidatePath-blocking' : e.kind === 'updateTag' ? 'updateTag-blocking' : 'revalidateTag-deprecated', message: `${route} ${what}: ${why}, so the next visitor of every touched page waits for a blocking render (MISS).`, fix: 'Use revalidateTag(tag, "max") to serve the old page while it regenerates, unless the user must see their own write.' })
    }
  })
  return out
}
