/**
 * A route's effective revalidate and why (semantics §5.1, §5.2). Pure.
 * The lowest explicit value wins; anything that reads request data makes the route
 * dynamic. Issue 3 adds layouts and fetches to the candidates.
 */
import type { RouteConfig } from '../scenario.ts'

export interface EffectiveRevalidate {
  /** Seconds, false = never by time, 0 = dynamic. */
  readonly revalidateS: number | false
  readonly source: string
}

export function effectiveRevalidate(route: RouteConfig): EffectiveRevalidate {
  if (route.dynamic) return { revalidateS: 0, source: 'page calls request APIs' }
  if (route.revalidateS === 0) return { revalidateS: 0, source: 'page revalidate = 0' }
  return { revalidateS: route.revalidateS, source: 'page' }
}

/**
 * The failure back-off (semantics §3, PR #34931): a failed regeneration re-sets the old
 * entry with revalidate' = min(max(prev || 3, 3), 30) seconds. `false || 3` is 3.
 */
export function backoffRevalidateS(prev: number | false): number {
  return Math.min(Math.max(prev === false || prev === 0 ? 3 : prev, 3), 30)
}
