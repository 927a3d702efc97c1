/**
 * About how much memory exact mode's per-path state takes (docs/fast-mode.md, Limits), so that
 * a run too big for the machine is refused with the fields to change instead of failing to
 * allocate. Exact mode keeps, visited or not, a record per (instance, path) of the routes that
 * run exact (entries.ts: 8 doubles and two flags), per (CDN point of presence, path) the CDN's
 * record (cdn.ts), and per path of a route with Zipf or weighted popularity its alias table
 * while it is built (dist.ts: weights, scaled weights, probabilities, aliases and work lists).
 * Fast mode keeps nothing per path.
 */
import type { SimMode } from '../contract.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { CW } from './cdn.ts'
import { W, type ResolvedRoute } from './entries.ts'
import { fastPlan } from './fast-eligibility.ts'

const SLOT_BYTES = W * 8 + 2
const CDN_SLOT_BYTES = CW * 8
const ALIAS_BYTES_PER_PATH = 36

export interface ExactMemory {
  /** Bytes of per-path state exact mode allocates before the first request. */
  readonly bytes: number
  readonly instances: number
  /** Paths of the routes that run exact. */
  readonly paths: number
  /** The exact route with the most paths, and why it runs exact; null when every route runs fast. */
  readonly largest: { readonly id: string; readonly count: number; readonly why: string } | null
}

export function exactMemory(s: Scenario, routes: readonly ResolvedRoute[], mode: SimMode, sameTraffic = false): ExactMemory {
  const plan = fastPlan(s, routes, mode, sameTraffic)
  const d = deploymentOf(s)
  const exact = routes.filter((r) => plan.exactBecause[r.index] !== null)
  const paths = exact.reduce((n, r) => n + r.count, 0)
  const alias = exact.reduce((n, r) => n + (s.routes[r.index]!.traffic.popularity === 'uniform' || r.count === 1 ? 0 : r.count * ALIAS_BYTES_PER_PATH), 0)
  const pops = d.cdn?.pops ?? 0
  const top = exact.reduce<ResolvedRoute | null>((a, r) => (a === null || r.count > a.count ? r : a), null)
  return {
    bytes: d.instances * paths * SLOT_BYTES + pops * paths * CDN_SLOT_BYTES + alias,
    instances: d.instances,
    paths,
    largest: top === null ? null : { id: top.id, count: top.count, why: plan.exactBecause[top.index]! },
  }
}
