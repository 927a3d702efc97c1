/**
 * Did nginx send each request where the model did? The model's balancer (round-robin in arrival
 * order over all routes, §8) gives every planned request an instance (the plan's
 * routes[].instance); nginx's upstream log says which instance answered. Both sequences are put
 * in arrival order and compared position by position.
 */
import { readFileSync } from 'node:fs'
import type { RequestPlan } from '../sim/contract.ts'
import { CALL_PATHS, PROBE_PATH } from './services/nginx.ts'

export interface Balancing {
  /** Planned requests compared (the shorter of the two sequences). */
  readonly compared: number
  /** Positions where nginx's first choice is the model's instance. */
  readonly agreed: number
  readonly agreement: number
  /**
   * Disagreements that are not two requests planned within TIE_MS of each other swapping places
   * on their way to nginx (k6 sends each at its planned time; a millisecond's jitter reorders them).
   */
  readonly unexplained: number
  /** Requests nginx could not send to its first choice and sent to the next (restart gaps). */
  readonly retried: number
  /** Requests per instance: model, nginx (first choice). */
  readonly perInstance: readonly { readonly instance: number; readonly model: number; readonly nginx: number }[]
  /** Log lines of the plan's requests vs planned requests (they differ when k6 dropped some). */
  readonly logged: number
  readonly planned: number
}

interface Line { readonly arrivalMs: number; readonly uri: string; readonly first: string; readonly retried: boolean }

/** The upstream log (nginx.ts UPSTREAM_LOG_FORMAT): GETs of the plan's pages, in arrival order. */
export function readUpstreamLog(file: string): Line[] {
  const re = /^(\d+\.\d+) (\d+\.\d+) "(\S+) (\S+)" (\d+) "([^"]*)"/
  const out: Line[] = []
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    const m = re.exec(l)
    if (!m || m[3] !== 'GET') continue
    const uri = m[4]!
    if (uri === PROBE_PATH || (CALL_PATHS as readonly string[]).includes(uri) || uri.startsWith('/_next/')) continue
    const addrs = m[6]!.split(/\s*,\s*|\s+:\s+/).filter((a) => a !== '' && a !== '-')
    out.push({ arrivalMs: Number(m[1]) * 1000 - Number(m[2]) * 1000, uri, first: addrs[0] ?? '-', retried: addrs.length > 1 })
  }
  return out.sort((a, b) => a.arrivalMs - b.arrivalMs)
}

/** The plan's requests in arrival order with the model's instance (ties keep route order, as the model's lane does). */
export function plannedSequence(plan: RequestPlan): { atMs: number; path: string; instance: number }[] {
  const all = plan.routes.flatMap((r) => r.paths.map((path, i) => ({ atMs: r.atMs?.[i] ?? (i * 1000) / r.rps, path, instance: r.instance?.[i] ?? 0 })))
  return all.sort((a, b) => a.atMs - b.atMs)
}

/** Requests planned closer than this may reach nginx in either order. */
export const TIE_MS = 5

export function compareBalancing(plan: RequestPlan, upstreamLog: string, upstreams: readonly string[]): Balancing {
  return compareSequences(plannedSequence(plan), readUpstreamLog(upstreamLog), upstreams)
}

/**
 * Behind a CDN (§16) the plan has no instance per request: what reaches Next (the PoPs' misses
 * and background updates) depends on each PoP's cache, and the model's balancer sends the n-th
 * of those requests to instance n mod N (round-robin in arrival order, as without a CDN). So
 * nginx's upstream log is compared with that rule applied to its own arrival order: does the
 * balancer do what the model assumes of it? (Which requests reach it is checked by the verdict:
 * the routes' requests reaching Next and the CDN's origin requests.)
 */
export function compareRoundRobin(upstreamLog: string, upstreams: readonly string[]): Balancing {
  const logged = readUpstreamLog(upstreamLog)
  return compareSequences(logged.map((l, i) => ({ atMs: l.arrivalMs, instance: i % upstreams.length })), logged, upstreams)
}

function compareSequences(model: readonly { atMs: number; instance: number }[], logged: readonly Line[], upstreams: readonly string[]): Balancing {
  const index = new Map(upstreams.map((u, i) => [u, i]))
  const n = Math.min(model.length, logged.length)
  let agreed = 0
  const perInstance = upstreams.map((_, i) => ({ instance: i, model: 0, nginx: 0 }))
  let unexplained = 0
  const near = (i: number, j: number) => j >= 0 && j < model.length && Math.abs(model[i]!.atMs - model[j]!.atMs) < TIE_MS
  for (let i = 0; i < n; i++) {
    const got = index.get(logged[i]!.first) ?? -1
    if (got === model[i]!.instance) agreed++
    else if (!near(i, i - 1) && !near(i, i + 1)) unexplained++
  }
  for (const m of model) perInstance[m.instance]!.model++
  for (const l of logged) { const k = index.get(l.first); if (k !== undefined) perInstance[k]!.nginx++ }
  return { compared: n, agreed, agreement: n > 0 ? agreed / n : 1, unexplained, retried: logged.filter((l) => l.retried).length, perInstance, logged: logged.length, planned: model.length }
}
