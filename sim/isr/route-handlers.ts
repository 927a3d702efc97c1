/**
 * Route handlers (docs/semantics.md §15.1): an App Router `route.ts` GET, `kind:
 * "route-handler"`. Once cached it is an ISR entry like a page (the same state machine);
 * what differs is whether the build prerenders it at all, and on 14 whether tags reach it.
 */
import type { RouteConfig, Scenario } from '../scenario/schema.ts'
import { profileFor, routeHandlerStaticGen, tagsReachRouteHandlers, type VersionProfile } from './profiles.ts'

/** Whether route r is a route handler. */
export function isRouteHandler(r: Pick<RouteConfig, 'kind'>): boolean {
  return r.kind === 'route-handler'
}

/**
 * The exports that opt a GET handler into static generation on 15+ (`isStaticGenEnabled`):
 * dynamic 'force-static' or 'error', revalidate > 0, or generateStaticParams (params with
 * prebuilt paths). `revalidate = false` cannot be told from no export (the schema's default
 * is false): model it as dynamic 'force-static'. Under cacheComponents the check is skipped.
 */
export function routeHandlerOptsIn(r: RouteConfig, next: Scenario['next']): boolean {
  const d = r.segmentConfig?.dynamic
  return d === 'force-static' || d === 'error'
    || (typeof r.revalidateS === 'number' && r.revalidateS > 0)
    || (r.params !== undefined && (r.params.prebuilt ?? r.params.count) > 0)
    || next.cacheComponents === true
}

/**
 * Why a route handler is dynamic by default (15+, no opt-in), or null: a page, a 14 handler
 * (static by default, dynamic only for the page causes of §5.2) or one that opts in.
 */
export function routeHandlerDynamicBecause(r: RouteConfig, next: Scenario['next']): string | null {
  if (!isRouteHandler(r)) return null
  const p = profileFor(next.version)
  if (routeHandlerStaticGen(p, routeHandlerOptsIn(r, next))) return null
  return `route handler GET is dynamic by default on Next ${next.version} (no revalidate > 0, dynamic 'force-static'/'error' or generateStaticParams)`
}

/** Whether revalidateTag/revalidatePath reach route r's cached entries: pages always, route handlers from 15 (§15.1). */
export function tagsReachRoute(r: Pick<RouteConfig, 'kind'>, p: VersionProfile): boolean {
  return !isRouteHandler(r) || tagsReachRouteHandlers(p)
}
