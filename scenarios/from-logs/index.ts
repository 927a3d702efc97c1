/**
 * Traffic from access logs (issue 14): read nginx/Apache, Vercel, CloudFront and Cloudflare
 * logs as streams, match each request to the scenario's routes as Next would, and fit each
 * route's traffic (fitTraffic), or hand each route's logged requests to `isrsim replay`
 * (readRouteRequests). See README, "Traffic from access logs".
 */
import { UsageError, type ScenarioInput } from '../../sim/index.ts'
import type { ConcreteFormat } from './detect.ts'
import { fitScenario, routeParams, summaryLines } from './fit.ts'
import { indexPaths } from './index-paths.ts'
import { isDynamicPattern } from './match.ts'
import { scanLogs, type ScanOptions } from './scan.ts'

/** What a bad log throws (exit 2), for callers outside sim/'s reach (loadtest/replay.ts). */
export { UsageError as LogInputError }

export const LOG_FORMATS = ['auto', 'nginx', 'vercel', 'cloudfront', 'cloudflare'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]
export { CACHE_NAMES, CACHE_NONE, CACHE_HIT, CACHE_STALE, CACHE_MISS, CACHE_REVALIDATED } from './record.ts'
export type { CacheCode, CacheStatus, LogRecord } from './record.ts'

export interface FitOptions {
  readonly format: LogFormat
  /** Also put the logs' exact requests into the scenario as schedules. */
  readonly replay: boolean
  /** Where a progress line may go (a terminal gets a bar). */
  readonly progress?: NodeJS.WritableStream
  /** User agents that count as human whatever isbot says, e.g. /^k6\// for a load test's log. */
  readonly humanAgents?: RegExp
  /** Accept logs where most page requests match no route (a scenario of part of a site). */
  readonly allowUnmatched?: boolean
}

export interface TrafficFit {
  /** The scenario with each route's traffic, params.count and params.paths fitted. */
  readonly scenario: ScenarioInput
  /** Lines for the terminal: per route what was fitted, with the goodness of fit. */
  readonly report: readonly string[]
  readonly warnings: readonly string[]
}

function scanOptions(o: Pick<FitOptions, 'format' | 'progress' | 'humanAgents' | 'allowUnmatched'>, replay: boolean): ScanOptions {
  return {
    format: o.format as ConcreteFormat | 'auto',
    replay,
    ...(o.humanAgents ? { humans: o.humanAgents } : {}),
    ...(o.allowUnmatched ? { allowUnmatched: true } : {}),
    ...(o.progress ? { progress: o.progress } : {}),
  }
}

export async function fitTraffic(scenario: ScenarioInput, logs: readonly string[], o: FitOptions): Promise<TrafficFit> {
  const scan = await scanLogs(scenario.routes.map((r) => r.pattern), logs, scanOptions(o, o.replay))
  return fitScenario(scenario, scan, o.replay, logs)
}

/** One route's logged requests, for `isrsim replay`. */
export interface RouteRequests {
  readonly routeId: string
  /** Request start times, seconds since the logs' first request, ascending. */
  readonly atS: Float64Array
  /** The path index of each request (into `paths`; 0 for a static route). */
  readonly path: Int32Array
  /** The logged cache status of each request (CACHE_NONE..CACHE_REVALIDATED, see CACHE_NAMES). */
  readonly cache: Uint8Array
  /** The logged HTTP status of each request. */
  readonly status: Uint16Array
  /** The scenario's params.paths first (same indexes), then paths new in the log, then paths only ever answered 404. */
  readonly paths: readonly string[]
  /** paths[0..knownPaths) are pages; the rest were only answered 404. */
  readonly knownPaths: number
  /** Background regenerations the log records (Vercel proxy.statusCode -1); they are not requests. */
  readonly backgroundRegenerations: number
}

export interface LogRequests {
  /** The logs' first request, epoch ms (t = 0). */
  readonly startMs: number
  /** The observation window, seconds. */
  readonly spanS: number
  /** Whether the logs record a cache status per request. */
  readonly hasCache: boolean
  /** One per scenario route, in its order. */
  readonly routes: readonly RouteRequests[]
  /** The same summary lines as the fit's (files, skips, unmatched, unparseable). */
  readonly report: readonly string[]
  readonly warnings: readonly string[]
}

/**
 * Read logs and return each route's requests with the scenario's path indexes (params.paths
 * keep theirs; indexing shared with the fit), for replaying them through the simulator.
 */
export async function readRouteRequests(scenario: ScenarioInput, logs: readonly string[], o: Pick<FitOptions, 'format' | 'progress' | 'humanAgents' | 'allowUnmatched'>): Promise<LogRequests> {
  const scan = await scanLogs(scenario.routes.map((r) => r.pattern), logs, scanOptions(o, true))
  const routes = scenario.routes.map((r, i): RouteRequests => {
    const t = scan.tally.routes[i]!
    const p = routeParams(r)
    const idx = indexPaths(p.paths, p.prebuilt, t.entries, false)
    const c = t.requests
    if (!c) throw new UsageError('internal: replay columns missing')
    const order = Array.from({ length: c.n }, (_, k) => k).sort((a, b) => c.atMs[a]! - c.atMs[b]! || a - b)
    const dynamic = isDynamicPattern(r.pattern)
    return {
      routeId: r.id,
      atS: Float64Array.from(order, (k) => Math.max(0, (c.atMs[k]! - scan.startMs) / 1000)),
      path: Int32Array.from(order, (k) => (dynamic ? idx.indexOfId[c.id[k]!]! : 0)),
      cache: Uint8Array.from(order, (k) => c.cache[k]!),
      status: Uint16Array.from(order, (k) => c.status[k]!),
      paths: dynamic ? idx.paths : [r.pattern],
      knownPaths: dynamic ? idx.known : 1,
      backgroundRegenerations: t.background,
    }
  })
  return { startMs: scan.startMs, spanS: scan.spanMs / 1000, hasCache: scan.hasCache, routes, report: summaryLines(scan, null, true), warnings: scan.warnings }
}
