/**
 * Access logs made from the simulator's own answers, for `isrsim replay` tests: a traced run of
 * a scenario, each request written as the nginx line (isrsim log_format: cache status, $msec,
 * $request_time) or the Vercel drain entry the deployment would have logged, and each
 * background render as Vercel's `proxy.statusCode: -1` entry.
 */
import type { ScenarioInput } from '../sim/index.ts'
import type { OUTCOME_NAMES } from '../sim/isr/metrics.ts'
import { formatLog, HUMAN_UAS, type SynthRequest } from './from-logs-helpers.ts'
import { traced } from './helpers.ts'

/** The log's t = 0: 2024-05-01 09:00 UTC. */
export const LOG_START_MS = Date.UTC(2024, 4, 1, 9)

export interface SimLog {
  readonly requests: SynthRequest[]
  /** Background renders: when they started and the page they regenerated. */
  readonly background: { readonly atMs: number; readonly path: string }[]
  /** Per route id, the traced outcome counts (hit, stale, miss, ...). */
  readonly outcomes: Record<string, Record<(typeof OUTCOME_NAMES)[number], number>>
}

/** Path k of a route: its params.paths entry, else the pattern with k for its parameter. */
function urlOf(r: ScenarioInput['routes'][number], k: number): string {
  return r.params?.paths?.[k] ?? r.pattern.replace(/\[[^\]]+\]/, String(k))
}

const CACHE: Record<(typeof OUTCOME_NAMES)[number], SynthRequest['cache']> = { hit: 'HIT', stale: 'STALE', miss: 'MISS', dynamic: '-', notFound: '-', error: '-', fallback: 'MISS' }

export function simLog(s: ScenarioInput, seed?: string): SimLog {
  const t = traced(s, seed)
  const route = new Map(s.routes.map((r) => [r.id, r] as const))
  const outcomes: SimLog['outcomes'] = {}
  const requests = t.requests.map((e, i): SynthRequest => {
    const name = e.outcome
    const counts = (outcomes[e.route] ??= { hit: 0, stale: 0, miss: 0, dynamic: 0, notFound: 0, error: 0, fallback: 0 })
    counts[name]++
    return {
      atMs: LOG_START_MS + Math.round(e.atUs / 1000),
      method: 'GET',
      path: urlOf(route.get(e.route)!, e.path),
      status: name === 'notFound' ? 404 : name === 'error' ? 500 : 200,
      ua: HUMAN_UAS[i % HUMAN_UAS.length]!,
      cache: CACHE[name],
      durationMs: Math.max(1, Math.round(e.latencyUs / 1000)),
    }
  })
  const background = t.renders.filter((r) => r.mode === 'background').map((r) => ({ atMs: LOG_START_MS + Math.round(r.atUs / 1000), path: urlOf(route.get(r.route)!, r.path) }))
  return { requests: requests.sort((a, b) => a.atMs - b.atMs), background, outcomes }
}

/** nginx lines in the README's isrsim log_format. */
export function nginxLog(reqs: readonly SynthRequest[]): string {
  return formatLog(reqs, 'nginx')
}

/** A Vercel drain: the requests, and a statusCode -1 entry per background render, in time order. */
export function vercelLog(log: SimLog): string {
  const lines = formatLog(log.requests, 'vercel').trimEnd().split('\n').map((l, i) => ({ atMs: log.requests[i]!.atMs, l }))
  log.background.forEach((b, i) => lines.push({
    atMs: b.atMs,
    l: JSON.stringify({ id: `bg${i}`, deploymentId: 'dpl_x', projectId: 'prj_x', source: 'lambda', host: 'example.vercel.app', timestamp: b.atMs, requestId: `bg${i}`, statusCode: 200, level: 'info', proxy: { timestamp: b.atMs, method: 'GET', host: 'example.com', path: b.path, userAgent: ['Next.js'], statusCode: -1, region: 'fra1', scheme: 'https', vercelCache: 'STALE' } }),
  }))
  return `${lines.sort((a, b) => a.atMs - b.atMs).map((x) => x.l).join('\n')}\n`
}
