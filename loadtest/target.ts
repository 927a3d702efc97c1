/**
 * `isrsim loadtest --target`: the rules for a deployment we did not build.
 *
 * - **Real paths only.** A plan may request URLs the scenario made up (path indexes past
 *   params.paths, one-off unknown paths). On a user's deployment those are 404s or cold renders
 *   of pages that do not exist, which the model never predicted. Such a plan is refused (exit 2)
 *   with the route and the numbers, unless --real-paths-only asks for the scenario restricted to
 *   its real paths (each route's params.count capped at its real paths, no unknown paths), which
 *   is then what is planned, predicted and checked.
 * - **Unknown initial state.** How old the target's prerendered pages are cannot be seen from
 *   outside. The prediction is made for each initial state that matters (build age 0; every
 *   prebuilt page stale; every prebuilt page past its expire time), and where they differ a
 *   check's range covers them all, with a note that says so.
 */
import type { RequestPlan, SimResult, VerdictJson } from '../sim/contract.ts'
import { mergeStartStates } from './start-states.ts'

type Spec = RequestPlan['spec']
type RouteSpec = Spec['routes'][number]
type Traffic = { -readonly [K in keyof RouteSpec['traffic']]: RouteSpec['traffic'][K] } & {
  crawlers?: { name: string; revisitS: number; paths?: number }[]
  schedule?: { atS: number[]; path?: number[] }
  popularity?: unknown
}

/** Routes whose planned requests include made-up URLs, one line each (empty: none). */
export function syntheticRoutes(plan: RequestPlan): string[] {
  return plan.routes.filter((r) => r.syntheticRequests > 0).map((r) => {
    const spec = plan.spec.routes.find((x) => x.id === r.id)
    const count = spec?.params?.count ?? 1
    const unknown = spec?.traffic.unknownRate ?? 0
    return `route ${r.id} (${r.pattern}): ${r.syntheticRequests} of ${r.paths.length} requests go to URLs that are not in params.paths (${r.realPaths} real path${r.realPaths === 1 ? '' : 's'}, params.count ${count}${unknown > 0 ? `, unknownRate ${unknown}/s` : ''})`
  })
}

export function syntheticRefusal(lines: readonly string[]): string {
  return `--target: the plan would request paths your deployment may not have; isrsim does not invent URLs on a real deployment:\n${lines.map((l) => `  ${l}`).join('\n')}\nFix: give the routes their real URLs (isrsim import <app-dir> --log <access log> records them in params.paths, or list them in params.paths yourself) and set traffic.unknownRate to 0, or pass --real-paths-only to test the scenario restricted to its real paths`
}

/**
 * The scenario with every dynamic route restricted to its real paths: params.count capped at
 * params.paths, no unknown paths, crawlers and weights capped, scheduled requests to other
 * paths dropped. A route with no real path sends nothing. Returns the notes to print.
 */
export function restrictToRealPaths(spec: Spec): { spec: Spec; notes: string[] } {
  const notes: string[] = []
  const routes = spec.routes.map((r): RouteSpec => {
    if (!r.pattern.includes('[')) return r
    const count = r.params?.count ?? 1
    const real = Math.min(r.params?.paths?.length ?? 0, count)
    const t = r.traffic as Traffic
    if (real === count && t.unknownRate === 0) return r
    const traffic: Traffic = { ...t, unknownRate: 0 }
    if (real === 0) {
      notes.push(`route ${r.id} (${r.pattern}): no real paths (params.paths is empty), so it gets no requests`)
      traffic.rps = 0
      delete traffic.crawlers
      delete traffic.schedule
      return { ...r, traffic }
    }
    notes.push(`route ${r.id} (${r.pattern}): ${real} real path${real === 1 ? '' : 's'} of params.count ${count}${t.unknownRate > 0 ? `, unknownRate ${t.unknownRate}/s dropped` : ''}`)
    if (traffic.crawlers) traffic.crawlers = traffic.crawlers.map((c) => ({ ...c, paths: Math.min(c.paths ?? count, real) }))
    if (traffic.schedule?.path) {
      const keep = traffic.schedule.path.map((p) => p < real)
      traffic.schedule = { atS: traffic.schedule.atS.filter((_, i) => keep[i]), path: traffic.schedule.path.filter((_, i) => keep[i]) }
    }
    const pop = traffic.popularity as { weights?: number[] } | undefined
    if (pop?.weights && pop.weights.length > real) traffic.popularity = { weights: pop.weights.slice(0, real) }
    const params = { ...r.params!, count: real, prebuilt: Math.min(r.params!.prebuilt ?? count, real) }
    return { ...r, params, traffic }
  })
  return { spec: { ...spec, routes }, notes }
}

export interface InitialState {
  readonly name: 'fresh' | 'stale' | 'expired'
  readonly buildAgeS: number
  readonly label: string
}

/**
 * The initial states worth predicting, from the fresh prediction's effective revalidates: build
 * age 0; every prebuilt page stale (just past the longest finite revalidate), when that is
 * before the expire time; every prebuilt page expired (just past next.expireTimeS).
 */
export function initialStates(fresh: SimResult): InitialState[] {
  const revs = Object.values(fresh.routes).map((r) => r.effectiveRevalidateS).filter((v): v is number => typeof v === 'number' && v > 0)
  const states: InitialState[] = [{ name: 'fresh', buildAgeS: 0, label: 'build age 0' }]
  if (revs.length === 0) return states
  const staleS = Math.max(...revs) + 1
  const expire = fresh.next.expireTimeS
  if (staleS < expire) states.push({ name: 'stale', buildAgeS: staleS, label: `every prebuilt page stale (build age ${staleS} s)` })
  states.push({ name: 'expired', buildAgeS: Math.max(expire, staleS) + 1, label: `every prebuilt page expired (build age past expireTime ${expire} s)` })
  return states
}

/** One verdict from the verdicts of several initial states, merged by start-states.ts's rule. */
export function mergeInitialStates(verdicts: readonly { readonly state: InitialState; readonly verdict: VerdictJson }[]): VerdictJson {
  return mergeStartStates(verdicts.map((v) => ({ label: v.state.label, verdict: v.verdict })), 'initial state unknown: the deployment\'s prerendered pages may be of any age')
}
