/**
 * A route's effective revalidate and why (semantics §5.1, §5.2, rule A9). Pure.
 * The lowest explicit value across layouts, page and fetches wins; a dynamic layout or
 * page, a segment `revalidate = 0` or a no-store fetch makes the route dynamic.
 */
import type { RouteConfig, Scenario } from '../scenario/schema.ts'

/** The next.config a route's revalidate depends on (version, cacheComponents). */
export type NextConfig = Scenario['next']

export interface EffectiveRevalidate {
  /** Seconds, false = never by time, 0 = dynamic. */
  readonly revalidateS: number | false
  /** What set it: "page", "layouts[0]", `fetch "posts"`, or what made the route dynamic. */
  readonly source: string
}

interface Candidate {
  readonly value: number | false
  readonly source: string
}

export function effectiveRevalidate(route: RouteConfig, _next: NextConfig): EffectiveRevalidate {
  // §5.2: any of these, during the build prerender, makes the whole route dynamic.
  const dynamicBecause: string[] = []
  route.layouts.forEach((l, i) => {
    if (l.dynamic) dynamicBecause.push(`layouts[${i}] calls request APIs`)
    if (l.revalidateS === 0) dynamicBecause.push(`layouts[${i}] revalidate = 0`)
  })
  if (route.dynamic) dynamicBecause.push('page calls request APIs')
  if (route.revalidateS === 0) dynamicBecause.push('page revalidate = 0')
  for (const f of route.fetches) if (f.revalidateS === 0) dynamicBecause.push(`fetch "${f.id}" is no-store (revalidate 0)`)
  if (dynamicBecause.length > 0) return { revalidateS: 0, source: dynamicBecause.join('; ') }

  // §5.1: only values set explicitly take part; false (force-cache) counts as forever.
  const candidates: Candidate[] = [{ value: route.revalidateS, source: 'page' }]
  route.layouts.forEach((l, i) => { if (l.revalidateS !== undefined) candidates.push({ value: l.revalidateS, source: `layouts[${i}]` }) })
  for (const f of route.fetches) if (f.revalidateS !== undefined) candidates.push({ value: f.revalidateS, source: `fetch "${f.id}"` })
  let best: Candidate = candidates[0]!
  for (const c of candidates.slice(1)) {
    if (c.value !== false && (best.value === false || c.value < best.value)) best = c
  }
  return { revalidateS: best.value, source: best.source }
}
