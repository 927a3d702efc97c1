/**
 * The scenario's routes resolved to paths: each route's effective revalidate and expire, and its
 * range of global path ids (a route's paths are firstPath .. firstPath + count - 1).
 */
import type { Scenario } from '../scenario/schema.ts'
import { secToUs } from '../kernel/time.ts'
import { effectiveRevalidate, type EffectiveRevalidate } from './revalidate.ts'

export interface ResolvedRoute {
  readonly index: number
  readonly id: string
  readonly pattern: string
  readonly effective: EffectiveRevalidate
  readonly isDynamic: boolean
  /** Route's revalidate in µs; Infinity = false. */
  readonly revalidateUs: number
  /** Route's expire in µs; Infinity when revalidate is false (no expire is set, §2). */
  readonly expireUs: number
  readonly count: number
  readonly prebuilt: number
  readonly dynamicParams: boolean
  /** Global index of the route's path 0: its paths are firstPath .. firstPath + count - 1. */
  readonly firstPath: number
}

export function resolveRoutes(s: Scenario): ResolvedRoute[] {
  let firstPath = 0
  return s.routes.map((r, index) => {
    const effective = effectiveRevalidate(r, s.next)
    const isDynamic = effective.revalidateS === 0
    const revalidateUs = effective.revalidateS === false ? Infinity : secToUs(effective.revalidateS)
    const count = r.params?.count ?? 1
    const out: ResolvedRoute = {
      index, id: r.id, pattern: r.pattern, effective, isDynamic, revalidateUs,
      expireUs: effective.revalidateS === false ? Infinity : secToUs(effective.expireS ?? s.next.expireTimeS),
      count, prebuilt: r.params?.prebuilt ?? count, dynamicParams: r.params?.dynamicParams ?? true,
      firstPath,
    }
    firstPath += count
    return out
  })
}

/** Route of a global path id (binary search over first paths; not on the hot path). */
export function routeOfPath(routes: readonly ResolvedRoute[], p: number): number {
  let lo = 0, hi = routes.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (routes[mid]!.firstPath <= p) lo = mid
    else hi = mid - 1
  }
  return lo
}
