/**
 * The deployment a live run starts for a scenario (deployment.instances, restarts[]): N
 * `next start` instances of one build, each with its own copy of the build output, on free
 * ports (instances.ts), and what the driver does on k6's clock (timeline.ts).
 */
import { join } from 'node:path'
import type { RequestPlan } from '../sim/contract.ts'
import { compareBalancing, compareRoundRobin, TIE_MS, type Balancing } from './balancing.ts'
import { instanceDirs, portsFor, startInstances, type Instance, type InstanceStart, type PortSource, type RestartRecord } from './instances.ts'
import { isDirectCall, type TimelineResult } from './timeline.ts'
import type { Observed } from './verify.ts'

export interface Topology {
  readonly instances: readonly Instance[]
  readonly balancer: 'round-robin' | 'random'
  readonly start: InstanceStart
  /** Some on-demand calls name their receiver: the driver sends them, k6 gets a plan without them. */
  readonly direct: boolean
  /** The driver has something to do on k6's clock (restarts or direct calls). */
  readonly timed: boolean
}

type Deployment = { readonly instances?: number; readonly balancer?: 'round-robin' | 'random' }

export async function startTopology(plan: RequestPlan, o: { appDir: string; nextBin: string; env: NodeJS.ProcessEnv; outDir: string; ports?: PortSource }): Promise<Topology> {
  const spec = plan.spec as RequestPlan['spec'] & { deployment?: Deployment; restarts?: readonly unknown[] }
  const n = spec.deployment?.instances ?? 1
  const ports = await portsFor(n, o.ports)
  const dirs = instanceDirs(o.appDir, n)
  const start: InstanceStart = { nextBin: o.nextBin, env: o.env, logFile: (i, k) => join(o.outDir, n === 1 && k === 0 ? 'next.log' : `next.${i}${k > 0 ? `.r${k}` : ''}.log`) }
  const instances = await startInstances(start, dirs, ports)
  const direct = n > 1 && plan.onDemand.some(isDirectCall)
  return { instances, balancer: spec.deployment?.balancer ?? 'round-robin', start, direct, timed: direct || (spec.restarts?.length ?? 0) > 0 }
}

/** k6's observation with the calls the driver sent itself added to its own. */
export function withTimeline(observed: Observed, t: TimelineResult): Observed {
  const od = observed.onDemand
  return { ...observed, onDemand: { planned: od.planned + t.calls.planned, sent: od.sent + t.calls.sent, failed: od.failed + t.calls.failed } }
}

/** <out>/topology.json: the instances, nginx's balancing against the model's (several instances behind nginx), the restarts as they happened. */
export interface TopologyReport {
  readonly instances: number
  readonly upstreams: readonly string[]
  readonly balancer: 'round-robin' | 'random'
  readonly balancing?: Balancing
  readonly restarts: readonly RestartRecord[]
}

export function topologyReport(plan: RequestPlan, t: Topology, upstreamLog: string | undefined, timed: TimelineResult | undefined, log: (l: string) => void): TopologyReport {
  const upstreams = t.instances.map((i) => new URL(i.url).host)
  // Behind a CDN the plan fixes no instance: nginx is held to round-robin over what reached it (balancing.ts).
  const cdn = (plan.spec as { deployment?: { cdn?: unknown } }).deployment?.cdn !== undefined
  const b = upstreamLog !== undefined && upstreams.length > 1 ? (cdn ? compareRoundRobin(upstreamLog, upstreams) : compareBalancing(plan, upstreamLog, upstreams)) : undefined
  if (b) {
    // With "random" nginx draws from its own generator: only the spread over instances can agree.
    log(`balancing (${t.balancer}${cdn ? ', behind the CDN: the n-th request reaching nginx against instance n mod N' : ''}): nginx sent ${b.agreed} of ${b.compared} requests to the model's instance (${(b.agreement * 100).toFixed(1)}%; ${b.unexplained} not explained by two requests planned under ${TIE_MS} ms apart swapping places), ${b.retried} retried on the next instance; per instance model/nginx ${b.perInstance.map((x) => `${x.model}/${x.nginx}`).join(', ')}`)
  }
  return { instances: upstreams.length, upstreams, balancer: t.balancer, ...(b ? { balancing: b } : {}), restarts: timed?.restarts ?? [] }
}
