/**
 * About how much memory exact mode's per-path state takes (docs/fast-mode.md, Limits), so that
 * a run too big for the machine is refused with the fields to change instead of failing to
 * allocate. Exact mode keeps a record per (instance, path) of the routes that run exact
 * (entries.ts: 8 doubles and two flags): for every slot, or, past LAZY_ABOVE_SLOTS slots when
 * the traffic can reach fewer than half of them, only for the slots used (record-bound.ts).
 * The CDN's (PoP, path) records (cdn.ts) follow the same rule. It also keeps, per path of a
 * route with Zipf (up to ZIPF_TABLE_MAX_PATHS paths) or weighted popularity, its alias table
 * while it is built (dist.ts: weights, scaled weights, probabilities, aliases and work lists).
 * Fast mode keeps nothing per path.
 */
import type { SimMode } from '../contract.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { CW } from './cdn.ts'
import { W, type ResolvedRoute } from './entries.ts'
import { fastPlan } from './fast-eligibility.ts'
import { ZIPF_TABLE_MAX_PATHS } from './popularity.ts'
import { recordsBound, visitsBound, wantsLazyCdnRecords, wantsLazyRecords } from './record-bound.ts'

const SLOT_BYTES = W * 8 + 2
const CDN_SLOT_BYTES = CW * 8
/** A lazy record of `bytes`: with the growth's slack (×1.5), its slot map cells and its key (SlotMap, at most half full). */
const lazyBytes = (bytes: number) => 1.5 * bytes + 48 + 16
const ALIAS_BYTES_PER_PATH = 36

export interface ExactMemory {
  /** Bytes of per-path state exact mode allocates before the first request. */
  readonly bytes: number
  readonly instances: number
  /** Paths of the routes that run exact. */
  readonly paths: number
  /** (Instance, path) records exact mode may hold: every slot, or with lazy records at most those a run can visit. */
  readonly records: number
  readonly lazy: boolean
  /** The exact route with the most paths, and why it runs exact; null when every route runs fast. */
  readonly largest: { readonly id: string; readonly count: number; readonly why: string } | null
}

export function exactMemory(s: Scenario, routes: readonly ResolvedRoute[], mode: SimMode, sameTraffic = false): ExactMemory {
  const plan = fastPlan(s, routes, mode, sameTraffic)
  const d = deploymentOf(s)
  const exact = routes.filter((r) => plan.exactBecause[r.index] !== null)
  const paths = exact.reduce((n, r) => n + r.count, 0)
  const tableBuilt = (r: ResolvedRoute) => {
    const pop = s.routes[r.index]!.traffic.popularity
    return pop !== 'uniform' && r.count > 1 && !('zipf' in pop && r.count > ZIPF_TABLE_MAX_PATHS)
  }
  const alias = exact.reduce((n, r) => n + (tableBuilt(r) ? r.count * ALIAS_BYTES_PER_PATH : 0), 0)
  const pops = d.cdn?.pops ?? 0
  const top = exact.reduce<ResolvedRoute | null>((a, r) => (a === null || r.count > a.count ? r : a), null)
  const slots = d.instances * paths
  const shared = d.cache === 'shared'
  const lazy = wantsLazyRecords(s, exact, d.instances, shared)
  const records = lazy ? recordsBound(s, exact, d.instances, shared) : slots
  return {
    bytes: records * (lazy ? lazyBytes(SLOT_BYTES) : SLOT_BYTES) + cdnBytes(s, exact, pops, paths) + alias,
    instances: d.instances,
    paths,
    records,
    lazy,
    largest: top === null ? null : { id: top.id, count: top.count, why: plan.exactBecause[top.index]! },
  }
}

/** The CDN's records (cdn.ts): per (PoP, path), or lazily, at most one per request, with the growth's slack and the slot map's cells and key. */
function cdnBytes(s: Scenario, exact: readonly ResolvedRoute[], pops: number, paths: number): number {
  if (!wantsLazyCdnRecords(s, exact, pops)) return pops * paths * CDN_SLOT_BYTES
  return Math.min(pops * paths, exact.reduce((n, r) => n + visitsBound(s, r), 0)) * lazyBytes(CDN_SLOT_BYTES)
}
