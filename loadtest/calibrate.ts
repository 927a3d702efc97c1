/**
 * Calibration of a live run before the load: Next.js's own time per render, measured with
 * renders of paths the plan never asks for, and the warming of every instance of a topology.
 */
import type { RequestPlan } from '../sim/contract.ts'
import { perPathFetch, urlOf } from './app.ts'
import { LiveError } from './errors.ts'
import type { OriginCounters } from './origin.ts'

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  if (!r.ok) throw new LiveError(`${url}: HTTP ${r.status}`, 1)
  return (await r.json()) as T
}

/** A route Next caches: nothing in it (page, layout, no-store fetch, revalidate 0) makes it dynamic. */
export function isCachedRoute(r: RequestPlan['spec']['routes'][number]): boolean {
  return r.revalidateS !== 0 && !r.dynamic && !r.layouts.some((l) => l.dynamic) && !r.fetches.some((f) => f.revalidateS === 0)
}

type PlanRouteSpec = RequestPlan['spec']['routes'][number]
type Pages = { router?: 'app' | 'pages'; params?: { fallback?: boolean | 'blocking' } }
const fallbackOf = (x: PlanRouteSpec) => (x as Pages).router === 'pages' ? (x as Pages).params?.fallback ?? 'blocking' : 'blocking'
/** Cached routes that render a path the plan never asks for (a Pages route with fallback false has no render for it). */
const unknownPathRoutes = (plan: RequestPlan) => plan.spec.routes.filter((x) => x.params !== undefined && x.params.dynamicParams && isCachedRoute(x) && fallbackOf(x) !== false)
/** fallback: true renders an unknown path blocking for a bot (a browser would get the shell): Googlebot's user agent. */
const botHeaders = (r: PlanRouteSpec) => fallbackOf(r) === true ? { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } : undefined

/**
 * Several instances: each process's first render of a route also loads its code (up to ~0.9 s
 * more, measured on 18(i)), which the model does not have. One render of an unplanned path per
 * route and instance before the load, so that no instance starts cold. With `planned` (a cache
 * the driver empties afterwards) every route's first planned URL instead, static routes too.
 */
export async function warmInstances(plan: RequestPlan, urls: readonly string[], planned: boolean): Promise<number> {
  const targets = planned
    ? plan.routes.filter((r) => r.paths.length > 0).map((r) => ({ path: r.paths[0]!, headers: undefined }))
    : unknownPathRoutes(plan).map((r) => ({ path: urlOf(r.pattern, String(r.params!.count + 200_000)), headers: botHeaders(r) }))
  let warmed = 0
  for (const url of urls) {
    for (const t of targets) {
      const res = await fetch(`${url}${t.path}`, { signal: AbortSignal.timeout(30_000), ...(t.headers ? { headers: t.headers } : {}) })
      await res.text()
      if (res.status === 200) warmed++
    }
  }
  return warmed
}

/**
 * Next.js's own time per render, on top of the origin's render latency: blocking renders
 * of paths the plan never asks for (index >= count), timed from outside. Routes without
 * such paths (dynamicParams false, static) are skipped.
 */
export async function calibrate(plan: RequestPlan, baseUrl: string, originUrl: string): Promise<{ renderOverheadS: number; samples: number }> {
  const r = unknownPathRoutes(plan)[0]
  if (!r) return { renderOverheadS: 0, samples: 0 }
  const headers = botHeaders(r)
  const over: number[] = []
  for (let i = 0; i < 5; i++) {
    const k = r.params!.count + 100_000 + i
    const path = urlOf(r.pattern, String(k))
    const before = await getJson<OriginCounters>(`${originUrl}/__counters`)
    const t0 = performance.now()
    const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(30_000), ...(headers ? { headers } : {}) })
    await res.text()
    const ms = performance.now() - t0
    const after = await getJson<OriginCounters>(`${originUrl}/__counters`)
    if (res.status !== 200 || after.beforeStart.renders !== before.beforeStart.renders + 1) continue
    // A new path's per-path fetches miss the Data Cache: they add their latency (in parallel).
    const fetchMs = Math.max(0, ...r.fetches.filter(perPathFetch).map((f) => f.latencyS * 1000))
    const expected = (typeof r.renderS === 'number' ? r.renderS * 1000 : r.renderS.lognormal.medianS * 1000) + fetchMs
    if (i > 0) over.push(ms - expected) // the first render also loads the route's code
  }
  over.sort((a, b) => a - b)
  const med = over.length > 0 ? over[Math.floor(over.length / 2)]! : 0
  return { renderOverheadS: Math.max(0, Math.round(med) / 1000), samples: over.length }
}

