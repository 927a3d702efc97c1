/**
 * The result JSON (`isrsim run --json`, schemaVersion 1): totals, routes, staleness, latency,
 * freshness, cost, series and intervals. Types only. Units are in the names: …S seconds,
 * …Ms milliseconds, …Fraction in [0, 1].
 */
export const SCHEMA_VERSION = 1

export interface OutcomeCounts {
  /** Measured requests (after warmup). hit + stale + miss + dynamic + notFound + error (+ fallback). */
  readonly requests: number
  /** Fresh cached page served (x-nextjs-cache: HIT). */
  readonly hit: number
  /** Stale cached page served while a background regeneration runs (STALE). */
  readonly stale: number
  /** Waited for a blocking render (MISS; also 16.3+ expired entries, REVALIDATED/HIT on the wire). */
  readonly miss: number
  /** Rendered for this request, never cached (dynamic route). */
  readonly dynamic: number
  /** 404 without a render (dynamicParams: false). */
  readonly notFound: number
  /** HTTP 500: a blocking or dynamic render failed. */
  readonly error: number
  /**
   * Pages Router getStaticPaths fallback: true: the fallback shell was served (200, MISS on the
   * wire, no page content) for a path with no entry, whose render a browser's data request
   * starts (docs/semantics.md §14.3). Present only in scenarios with a fallback: true route.
   */
  readonly fallback?: number
}

export interface RenderCounts {
  /** Every render attempt: background, blocking and dynamic. */
  readonly renders: number
  readonly backgroundRenders: number
  readonly blockingRenders: number
  readonly dynamicRenders: number
  readonly failedRenders: number
  /** Render wall time summed over all attempts, seconds (CPU plus waiting on data). */
  readonly renderCpuS: number
  /**
   * Successful renders that stored a page whose output changed (ISR cache writes, billed per
   * 8 KB unit on Vercel): every blocking render of a new path, every regeneration of a route
   * whose data no data change reaches, and on the others a regeneration whose data differs
   * from the entry it replaces.
   */
  readonly isrWrites: number
  /**
   * Of isrWrites, those that stored a path its cache had no entry for: the cold fill of paths
   * not prerendered, and the refill after a deploy or a purge (each instance's cache counts
   * with local caches). One-off unknown paths (traffic.unknownRate) are steady traffic, not
   * fill, and are not counted here. isrWrites - fillWrites is the steady-state part.
   */
  readonly fillWrites: number
  /**
   * Pages the builds of `deploys[]` prerendered (params.prebuilt of each cached route, once per
   * deploy with prerender): written to the ISR store when the deployment goes live, apart
   * from isrWrites (docs/pricing-notes.md). 0 without deploys.
   */
  readonly deployWrites: number
}

export interface Staleness {
  /** stale / requests. */
  readonly staleServedFraction: number
  /** Age of a served page = time since the start of the render that produced it (when its data was read). Over 200 responses. */
  readonly ageMeanS: number
  readonly ageP50S: number
  readonly ageP95S: number
  readonly ageP99S: number
  readonly ageMaxS: number
}

export interface Latency {
  /** Response time; a blocking render counts its full wait. Cached responses count 0 (server overhead is not modelled). */
  readonly meanMs: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

export type Totals = OutcomeCounts & RenderCounts & CrawlerCounts & {
  /** Calls to the origin made by fetches (foreground and background), after warmup. */
  readonly originFetches: number
}

/** Crawler traffic (`traffic.crawlers`); present only where some crawler walks (a route's, or any route's in totals). */
export interface CrawlerCounts {
  /** Measured requests that crawlers sent (part of `requests`). */
  readonly crawlerRequests?: number
  /** Renders a crawler's request started: a STALE trigger, a MISS leader or a dynamic render (part of `renders`). */
  readonly crawlerRenders?: number
}

export interface FetchResult {
  /** Calls to the origin for this fetch id, after warmup. */
  readonly originFetches: number
  /** Data Cache entries it can have per cache: 1 for a shared URL, one per path index otherwise. */
  readonly keys: number
  /** Whether the Data Cache keeps it (revalidate or tags set; any fetch on 14). */
  readonly cached: boolean
}

/** What users care about more than page age: how long origin changes take to show (needs dataChanges). */
export interface Freshness {
  /** Origin data changes after warmup (a change to k keys counts k). */
  readonly dataChanges: number
  /** Changes that some served page reflected by the end of the run. */
  readonly reflected: number
  /** Time from a data change until a served page first reflects it. */
  readonly dataLagMeanS: number
  readonly dataLagP50S: number
  readonly dataLagP95S: number
  readonly dataLagMaxS: number
  /** Responses whose page was built from data older than the newest origin data, over all requests. */
  readonly outdatedServedFraction: number
}

export interface DataChangeResult extends Omit<OnDemandResult, 'kind' | 'instance' | 'atS'> {
  readonly tag?: string
  readonly fetch?: string
  /** Calls its webhook made. entriesTouched and rendersWithin* describe those calls. */
  readonly webhookCalls: number
}

export interface RouteResult extends OutcomeCounts, RenderCounts, CrawlerCounts, Staleness, Latency {
  /** Responses built from data older than the newest origin data, over the route's requests. */
  readonly outdatedServedFraction: number
  /**
   * With dataChanges, on a route some change reaches: key changes one of this route's responses
   * showed after warmup, and the time from each change to the route's first response showing it.
   */
  readonly dataLagReflected?: number
  readonly dataLagP50S?: number
  readonly dataLagP95S?: number
  readonly pattern: string
  /** The revalidate the route's entries use: seconds, false (never by time) or 0 (dynamic). */
  readonly effectiveRevalidateS: number | false
  /** What set effectiveRevalidateS, e.g. "page" or "page calls request APIs (dynamic)". */
  readonly revalidateSource: string
  readonly paths: number
  readonly prebuilt: number
  /**
   * Cache Components only (§12.4): what renders on every request as dynamic holes of the cached
   * shell; each request's hole render is counted in dynamicRenders and renderCpuS.
   */
  readonly holes?: readonly string[]
  /** The route entry's expire from its 'use cache' entries' cacheLife, seconds, when one sets it (§12.2). */
  readonly effectiveExpireS?: number
  /** Where the route comes from in the app (scenarios written by `isrsim import`). */
  readonly source?: RouteSource
  /** How the route was simulated: request by request ("exact") or from state change to state change ("fast", docs/fast-mode.md). */
  readonly mode: RouteMode
  /** Why a route ran exact under --mode fast or auto: the feature that couples it or that fast mode does not cover. */
  readonly exactBecause?: string
}

/** The mode asked for: exact (every request stepped), fast (fast-forwarded where exact in distribution) or auto (the same as fast, without the per-route notice). */
export type SimMode = 'exact' | 'fast' | 'auto'
export type RouteMode = 'exact' | 'fast'

/** The app files behind a route, and what in them sets its caching ("file:line what"). */
export interface RouteSource {
  readonly page: string
  readonly layouts: readonly string[]
  readonly generateStaticParams?: string | undefined
  readonly dynamic: readonly string[]
  readonly revalidate?: string | undefined
}

/** One fixed time bin; counts include the warmup (bins start at t = 0). */
export interface SeriesBin extends Omit<OutcomeCounts, 'requests'> {
  /** Start of the bin, seconds. */
  readonly atS: number
  /** Render attempts that started in the bin: background + blocking + dynamic. */
  readonly renders: number
  readonly backgroundRenders: number
  readonly blockingRenders: number
  readonly dynamicRenders: number
  /** Of those attempts, the ones that failed. */
  readonly failedRenders: number
}

/**
 * A route's served-age distribution. ageS[k] is the k-th percentile (k = 0..100, nearest
 * rank over the measured 200 responses, within 0.4%), so (ageS[k], k/100) traces the CDF.
 */
export interface AgeCdf {
  readonly samples: number
  readonly ageS: readonly number[]
  /**
   * The renewal-reward closed form (single page, Poisson arrivals, constant render time, no
   * failures or on-demand events), when the route is such a case: fraction[i] = P(age <= ageS[i]).
   */
  readonly closedForm?: { readonly ageS: readonly number[]; readonly fraction: readonly number[] }
}

/** An outage window from the scenario: renders starting inside it fail with failureRate. */
export interface OutageWindow {
  readonly fromS: number
  readonly toS: number
  readonly failureRate: number
  readonly routes?: readonly string[]
}

/** A replicated figure: mean over N independent seeds and its 95% confidence interval (Student t). */
export interface Interval {
  readonly mean: number
  readonly sd: number
  readonly low: number
  readonly high: number
}

export type IntervalsOf<T> = { readonly [K in keyof T]?: NonNullable<T[K]> extends number ? Interval : never }

/** One configured on-demand event and what it did, over all its occurrences (warmup included). */
export interface OnDemandResult {
  readonly kind: 'revalidateTag' | 'revalidatePath' | 'updateTag' | 'res.revalidate'
  readonly tag?: string
  readonly path?: string
  readonly type?: 'page' | 'layout'
  readonly profile?: 'max' | { readonly expireS: number }
  readonly instance: number
  /** How many times it fired. */
  readonly occurrences: number
  /** When it fired, seconds (the first 1000 occurrences, warmup included). */
  readonly atS: readonly number[]
  /** Cached entries it reached, summed over occurrences. Pages are not rendered then: only marked. */
  readonly entriesTouched: number
  /** Renders it caused (the next render of each touched entry, when the tag made it stale or expired) within 1 min, 1 h and 1 day. */
  readonly rendersWithin1m: number
  readonly rendersWithin1h: number
  readonly rendersWithin1d: number
}

export interface Warning {
  readonly code: string
  readonly route?: string
  readonly message: string
  readonly fix: string
}

/** One billed meter: units over the measured run, extrapolated to a 30-day month, and dollars. */
export interface CostMeter {
  readonly id: 'vercel.isrReads' | 'vercel.isrWrites' | 'vercel.invocations' | 'vercel.activeCpuHours' | 'vercel.memoryGbHours' | 'selfHosted.vcpuHours' | 'origin.calls'
  readonly unit: string
  readonly usdPerUnit: number
  readonly includedPerMonth: number
  readonly runUnits: number
  readonly monthlyUnits: number
  /** List price of the run's units (no allowance). */
  readonly runUsd: number
  /** max(0, monthlyUnits - includedPerMonth) × usdPerUnit. */
  readonly monthlyUsd: number
  /** Of runUnits, the one-off fill of a cold cache (billed once, not a month's): see Cost.oneOffUsd. */
  readonly oneOffUnits: number
  /** What the one-off units add to the month they fall in, after its allowance. */
  readonly oneOffUsd: number
}

/** A route's share of the meters (units over the run; dollars a month, allowances shared pro rata). */
export interface RouteCost {
  readonly isrReadUnits: number
  readonly isrWriteUnits: number
  readonly invocations: number
  readonly activeCpuHours: number
  readonly memoryGbHours: number
  readonly vercelMonthlyUsd: number
  /** The route's share of vercelOneOffUsd. */
  readonly vercelOneOffUsd: number
  readonly selfHostedMonthlyUsd: number
}

/** The cost model's figures (see README "Cost model"). Months are 30 days of the measured traffic. */
export interface Cost {
  readonly pricing: { readonly name: string; readonly date: string }
  readonly primary: 'vercel' | 'self-hosted'
  readonly measuredS: number
  /** Seconds in 30 days / measuredS. */
  readonly monthFactor: number
  /** The primary model plus origin calls, a month, after included allowances. */
  readonly monthlyUsd: number
  /** The primary model plus origin calls for the measured run, list price. */
  readonly runUsd: number
  /**
   * The one-off fill of a cold cache on the primary model, billed once (what it adds to the
   * month it falls in): the ISR writes of paths no cache had at the start (fillWrites), with
   * their renders' invocations, CPU and memory. Refills after deploys and purges recur and stay
   * in the monthly figures. 0 self-hosted (a fleet has no per-render bill). Monthly figures
   * extrapolate only the rest.
   */
  readonly oneOffUsd: number
  /** oneOffUsd on Vercel, whichever model is primary. */
  readonly vercelOneOffUsd: number
  readonly vercelMonthlyUsd: number
  readonly selfHostedMonthlyUsd: number
  readonly originMonthlyUsd: number
  readonly monthlyOriginCalls: number
  /** Render time a month, seconds (× activeCpuFraction), steady state (without the one-off fill): what a self-hosted fleet spends on ISR. */
  readonly monthlyRenderCpuS: number
  /** monthlyRenderCpuS over the configured fleet's vCPU-seconds (deployment.instances × cost.vcpusPerInstance): the mean. */
  readonly selfHostedCpuUtilization: number
  /** cost.targetCpuUtilization (default 0.6): the render CPU utilisation the self-hosted fleet is sized for. */
  readonly targetCpuUtilization: number
  /** Render CPU the fleet is sized for, in vCPUs busy (× activeCpuFraction): the busiest hour's with a daily curve, else the mean. */
  readonly selfHostedRenderVcpus: number
  /** "busiestHour" (a daily curve, a measured hour or more) or "mean". */
  readonly selfHostedSizedFor: 'busiestHour' | 'mean'
  /** selfHostedRenderVcpus over the configured fleet's vCPUs; above targetCpuUtilization, the fleet is too small (a warning). */
  readonly selfHostedPeakCpuUtilization: number
  /** ceil(selfHostedRenderVcpus / (targetCpuUtilization × vcpusPerInstance)), at least 1. */
  readonly selfHostedInstancesNeeded: number
  /** Instances the self-hosted cost counts: max(deployment.instances, selfHostedInstancesNeeded). */
  readonly selfHostedInstances: number
  readonly originCallsPerS: number
  readonly originRateLimitPerS?: number
  readonly meters: readonly CostMeter[]
  readonly routes: Readonly<Record<string, RouteCost>>
}

/**
 * The CDN layer in front of Next (deployment.cdn, §16): what it served, as fractions of the
 * requests users sent after warmup, and how many of those requests reached Next. Uncacheable
 * responses (private, no-store) pass through and count as misses.
 */
export interface CdnResult extends CdnRouteResult {
  readonly pops: number
  /** The same figures per route. */
  readonly routes: Readonly<Record<string, CdnRouteResult>>
}

/** The CDN layer's figures for a set of routes (§16). Ages and waits are what users got, end to end. */
export interface CdnRouteResult {
  /** Users' requests after warmup. */
  readonly requests: number
  readonly hit: number
  readonly stale: number
  readonly miss: number
  /** Requests after warmup that the CDN forwarded to Next (misses, and its background revalidations). */
  readonly originRequests: number
  /** Age of the page users got (from the start of the render that produced it, CDN time included), over responses with a page. */
  readonly ageMeanS: number
  readonly ageP50S: number
  readonly ageP95S: number
  readonly ageP99S: number
  readonly ageMaxS: number
  /** Users' mean wait: a CDN hit or stale answer counts 0, a miss what Next took. */
  readonly latencyMeanMs: number
}

export interface SimResult {
  readonly schemaVersion: 1
  /** Bumped whenever simulated behaviour changes; goldens are keyed by it. */
  readonly modelVersion: string
  readonly isrsimVersion: string
  readonly scenario: { readonly name: string; readonly hash: string; readonly durationS: number; readonly warmupS: number }
  readonly seed: string
  readonly rng: 'alea'
  /** The mode asked for (--mode); each route's own is routes.<id>.mode. */
  readonly mode: SimMode
  readonly next: { readonly version: string; readonly expireTimeS: number }
  readonly deployment: { readonly instances: number; readonly balancer: 'round-robin' | 'random'; readonly cache: 'local' | 'shared'; readonly tagPropagationS: number; readonly renderConcurrency?: number | undefined; readonly platform?: 'self-hosted' | 'vercel' | undefined; readonly cdn?: { readonly pops: number } | undefined }
  readonly replications: number
  readonly totals: Totals
  readonly staleness: Staleness
  readonly latency: Latency
  readonly routes: Readonly<Record<string, RouteResult>>
  readonly series: { readonly binS: number; readonly bins: readonly SeriesBin[] }
  /** Served age by route, as a CDF (replication 0). */
  readonly ageCdf: Readonly<Record<string, AgeCdf>>
  readonly outages: readonly OutageWindow[]
  readonly fetches: Readonly<Record<string, FetchResult>>
  readonly freshness: Freshness
  readonly onDemand: readonly OnDemandResult[]
  readonly dataChanges: readonly DataChangeResult[]
  readonly warnings: readonly Warning[]
  readonly cost: Cost
  /** Present with deployment.cdn: the CDN layer's outcomes (the routes' and totals' outcomes are then what Next served). */
  readonly cdn?: CdnResult
  /** Present with a scenario `build` block: the predicted `next build` time (docs/semantics.md, build time). */
  readonly build?: BuildResult
  /** Present when replications > 1: the same figures as intervals over the replications. */
  readonly intervals?: {
    readonly totals: IntervalsOf<Totals>
    readonly staleness: IntervalsOf<Staleness>
    readonly latency: IntervalsOf<Latency>
    readonly freshness: IntervalsOf<Freshness>
    readonly cost: IntervalsOf<Cost>
    readonly routes: Readonly<Record<string, IntervalsOf<RouteResult>>>
    readonly fetches: Readonly<Record<string, IntervalsOf<FetchResult>>>
    /** With deployment.cdn: the CDN layer's totals. */
    readonly cdn?: IntervalsOf<CdnRouteResult>
  }
}

/** The predicted `next build` time: a fixed part plus the generation of the prerendered pages over the workers. */
export interface BuildResult {
  readonly predictedS: number
  /** Compile, type check, page data, finalizing: does not grow with the prerendered paths. */
  readonly fixedS: number
  /** "Generating static pages": the slowest worker's batch. */
  readonly generateS: number
  /** Export paths: the routes' prerendered paths and Next's own pages (/_not-found, /_global-error). */
  readonly pages: number
  /** experimental.cpus as Next resolves it; batches = the workers that get pages. */
  readonly workers: number
  readonly batches: number
  readonly maxConcurrency: number
  readonly cpus: number
  /** Next's CPU per page in a worker, seconds. */
  readonly pageS: number
  readonly routes: Readonly<Record<string, { readonly pages: number }>>
}
