/**
 * `isrsim plan`: the requests and on-demand calls of replication 0 as data, for k6 to
 * replay. Path choice and (Poisson) times come from the simulator's own streams, so the
 * live test sends exactly the traffic the prediction assumed.
 */
import type { PlanCall, PlanDataChange, PlanRoute, RequestPlan } from './contract.ts'
import { pathOf } from './isr/tags.ts'
import { runScenario } from './run.ts'
import { scenarioHash, type Scenario } from './scenario.ts'

export function requestPlan(s: Scenario, seed: string = String(s.seed)): RequestPlan {
  const paths = s.routes.map(() => [] as string[])
  const atMs = s.routes.map(() => [] as number[])
  const routeIndex = new Map(s.routes.map((r, i) => [r.id, i]))
  const unknownSeen = s.routes.map(() => 0)
  const calls: PlanCall[] = []
  const dataChanges: PlanDataChange[] = []
  // "{slug}" in a webhook's tag or path takes the changed path's index (as in the model).
  const fill = (t: string | undefined, k: number) => (t === undefined ? undefined : t.replace(/\{[^}]+\}/g, String(k)))
  runScenario(s, {
    seed,
    trace: (e) => {
      if (e.kind === 'request') {
        const ri = routeIndex.get(e.route)!
        const r = s.routes[ri]!
        const count = r.params?.count ?? 1
        // A one-off unknown path (path -1) gets an index past the known ones, never reused.
        const k = e.path >= 0 ? e.path : count + unknownSeen[ri]!++
        paths[ri]!.push(pathOf(r.pattern, k))
        atMs[ri]!.push(e.atUs / 1000)
      } else if (e.kind === 'data-change') {
        dataChanges.push({ atMs: e.atUs / 1000, keys: e.keys })
      } else if (e.kind === 'webhook') {
        const w = s.dataChanges[e.change]!.webhook!
        const tag = fill(w.tag, e.path), path = fill(w.path, e.path)
        calls.push({
          atMs: e.atUs / 1000, kind: w.kind,
          ...(tag !== undefined ? { tag } : {}),
          ...(path !== undefined ? { path } : {}),
          ...(w.type !== undefined ? { type: w.type } : {}),
          ...(w.profile !== undefined ? { profile: w.profile } : {}),
        })
      } else if (e.kind === 'on-demand') {
        const c = s.onDemand[e.event]!
        calls.push({
          atMs: e.atUs / 1000, kind: c.kind,
          ...(c.tag !== undefined ? { tag: c.tag } : {}),
          ...(c.path !== undefined ? { path: c.path } : {}),
          ...(c.type !== undefined ? { type: c.type } : {}),
          ...(c.profile !== undefined ? { profile: c.profile } : {}),
        })
      }
    },
  })
  const routes: PlanRoute[] = s.routes.map((r, i) => {
    const uniform = r.traffic.arrivals === 'uniform' && r.traffic.unknownRate === 0 && r.traffic.schedule === undefined && r.traffic.diurnal === undefined
    return { id: r.id, pattern: r.pattern, executor: uniform ? 'uniform' : 'replay', rps: r.traffic.rps, paths: paths[i]!, ...(uniform ? {} : { atMs: atMs[i]! }) }
  })
  return {
    planVersion: 1,
    scenario: { name: s.name, hash: scenarioHash(s), durationS: s.durationS, warmupS: s.warmupS },
    seed,
    next: { version: s.next.version },
    spec: s,
    routes,
    onDemand: calls.sort((a, b) => a.atMs - b.atMs),
    dataChanges,
  }
}
