/**
 * `isrsim plan`: the requests and on-demand calls of replication 0 as data, for k6 to
 * replay. Path choice and (Poisson) times come from the simulator's own streams, so the
 * live test sends exactly the traffic the prediction assumed. Requests go to the real URLs
 * (params.paths); each route says how many requests went to URLs the scenario made up, so
 * that a load test of a real deployment can refuse to send them.
 */
import type { PlanCall, PlanDataChange, PlanRoute, RequestPlan } from './contract.ts'
import { changeRouteOf, fillTemplate, urlOf } from './isr/tags.ts'
import { runScenario } from './run.ts'
import { scenarioHash } from './scenario/parse.ts'
import { type Scenario } from './scenario/schema.ts'

/** agents[0] of a plan route with crawlers: the route's human traffic (traffic.rps, unknownRate, schedule). */
export const HUMAN_AGENT = 'human'

type Call = Pick<PlanCall, 'kind'> & { readonly tag?: string | undefined; readonly path?: string | undefined; readonly type?: 'page' | 'layout' | undefined; readonly profile?: PlanCall['profile'] | undefined; readonly target?: PlanCall['target'] | undefined; readonly instance?: number | undefined }

/** A call at atMs, without the fields it does not set (the JSON stays minimal). */
function callAt(atMs: number, c: Call, instances: number): PlanCall {
  // Only a deployment of several instances says who receives it (plans of one stay as they were).
  const who = instances > 1 ? { target: c.target ?? 'instance', ...((c.target ?? 'instance') === 'instance' ? { instance: c.instance ?? 0 } : {}) } : {}
  return {
    atMs, kind: c.kind,
    ...(c.tag !== undefined ? { tag: c.tag } : {}),
    ...(c.path !== undefined ? { path: c.path } : {}),
    ...(c.type !== undefined ? { type: c.type } : {}),
    ...(c.profile !== undefined ? { profile: c.profile } : {}),
    ...who,
  }
}

export function requestPlan(s: Scenario, seed: string = String(s.seed)): RequestPlan {
  const paths = s.routes.map(() => [] as string[])
  const atMs = s.routes.map(() => [] as number[])
  // Who sent each request (agents[agent[i]]): only routes with crawlers record it, so plans without stay as they were.
  const agent = s.routes.map((r) => ((r.traffic.crawlers?.length ?? 0) > 0 ? [] as number[] : null))
  const routeIndex = new Map(s.routes.map((r, i) => [r.id, i]))
  const unknownSeen = s.routes.map(() => 0)
  const synthetic = s.routes.map(() => 0)
  // A route without params has one URL, its pattern: real, whatever the scenario says.
  const realPaths = s.routes.map((r) => (r.pattern.includes('[') ? Math.min(r.params?.paths?.length ?? 0, r.params?.count ?? 1) : 1))
  const instances = s.deployment?.instances ?? 1
  // The instance of each request (several instances only): the balancing sequence the live run checks nginx against.
  // Behind a CDN (§16) users' requests are the CDN's ('cdn' events); 'request' events are then what reached Next,
  // and a user's request has no instance (the CDN's forwards do).
  const users = s.deployment?.cdn === undefined ? 'request' : 'cdn'
  const instance = s.routes.map(() => (instances > 1 && users === 'request' ? [] as number[] : null))
  // The PoP of each user's request (several PoPs only, §16): k6 sends it to that PoP's nginx.
  const pop = s.routes.map(() => ((s.deployment?.cdn?.pops ?? 1) > 1 ? [] as number[] : null))
  const calls: PlanCall[] = []
  const dataChanges: PlanDataChange[] = []
  runScenario(s, {
    seed,
    trace: (e) => {
      switch (e.kind) {
        case 'request':
        case 'cdn': {
          if (e.kind !== users) return
          const ri = routeIndex.get(e.route)!
          const r = s.routes[ri]!
          const count = r.params?.count ?? 1
          // A one-off unknown path (path -1) gets an index past the known ones, never reused.
          const k = e.path >= 0 ? e.path : count + unknownSeen[ri]!++
          paths[ri]!.push(urlOf(r, k))
          if (r.pattern.includes('[') && !(k < realPaths[ri]!)) synthetic[ri]!++
          atMs[ri]!.push(e.atUs / 1000)
          agent[ri]?.push(e.crawler === undefined ? 0 : e.crawler + 1)
          if (e.kind === 'request') instance[ri]?.push(e.instance)
          else pop[ri]?.push(e.pop)
          return
        }
        case 'data-change':
          dataChanges.push({ atMs: e.atUs / 1000, keys: e.keys })
          return
        case 'webhook': {
          // "{slug}" in the webhook's tag or path takes the changed path's value, as in the model.
          const c = s.dataChanges[e.change]!
          const w = c.webhook!
          const route = changeRouteOf(c, s.routes)
          calls.push(callAt(e.atUs / 1000, { ...w, tag: w.tag === undefined ? undefined : fillTemplate(w.tag, e.path, route), path: w.path === undefined ? undefined : fillTemplate(w.path, e.path, route) }, instances))
          return
        }
        case 'on-demand':
          calls.push(callAt(e.atUs / 1000, s.onDemand[e.event]!, instances))
          return
        default:
          return
      }
    },
  })
  const routes: PlanRoute[] = s.routes.map((r, i) => {
    // Evenly spaced at rps only without anything else: no unknown paths, schedule, daily curve (own or the site's) or crawler.
    const uniform = r.traffic.arrivals === 'uniform' && r.traffic.unknownRate === 0 && r.traffic.schedule === undefined && (r.traffic.diurnal ?? s.diurnal) === undefined && (r.traffic.crawlers?.length ?? 0) === 0
    const agents = agent[i] ? { agents: [HUMAN_AGENT, ...r.traffic.crawlers!.map((c) => c.name)], agent: agent[i] } : {}
    return { id: r.id, pattern: r.pattern, executor: uniform ? 'uniform' : 'replay', rps: r.traffic.rps, paths: paths[i]!, ...(uniform ? {} : { atMs: atMs[i]! }), realPaths: realPaths[i]!, syntheticRequests: synthetic[i]!, ...agents, ...(instance[i] ? { instance: instance[i] } : {}), ...(pop[i] ? { pop: pop[i] } : {}) }
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
