/**
 * Who receives an on-demand call or a webhook (schema: `target`), in exact and fast mode alike.
 * A call through the load balancer goes where the balancer sends it: round-robin over the
 * instances with its own turn, or random from a stream of its own, so that calls never move a
 * request's instance.
 */
import { UINT32_SCALE, type Streams } from '../kernel/rng.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'

export type Target = 'instance' | 'all' | 'balancer'

/** The receiving instance of a call with a target other than 'all', sent from `instance` when it names one. */
export type Receiver = (target: Exclude<Target, 'all'>, instance: number) => number

export function createReceiver(s: Scenario, streams: Streams): Receiver {
  const { instances, balancer } = deploymentOf(s)
  const viaBalancer = instances > 1 && [...s.onDemand, ...s.dataChanges.map((c) => c.webhook)].some((e) => e?.target === 'balancer')
  const balancerRng = viaBalancer && balancer === 'random' ? streams.claim('balancer', 'invalidations') : null
  let turn = 0
  return (target, instance) => {
    if (target === 'instance') return instance
    if (instances === 1) return 0
    if (balancerRng !== null) return ((balancerRng.nextInt32() >>> 0) * instances * UINT32_SCALE) | 0
    const i = turn
    turn = (turn + 1) % instances
    return i
  }
}
