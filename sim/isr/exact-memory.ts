/**
 * About how much memory exact mode's per-path state takes (docs/fast-mode.md, Limits), so that
 * a run too big for the machine is refused with the fields to change instead of failing to
 * allocate. Exact mode keeps a record per (instance, path) of the routes that run exact
 * (entries.ts: 8 doubles and two flags): for every slot, or, past LAZY_ABOVE_SLOTS slots when
 * the traffic can reach fewer than half of them, only for the slots used (record-bound.ts).
 * The CDN's (PoP, path) records (cdn.ts) follow the same rule. It also keeps, per path of a
 * route with Zipf (up to ZIPF_TABLE_MAX_PATHS paths) or weighted popularity, its alias table
 * while it is built (dist.ts: weights, scaled weights, probabilities, aliases and work lists).
 * The Data Cache keeps an entry per (cache, fetch key) and 'use cache' one per (store, key)
 * (fetch-cache-rows.ts, use-cache.ts), lazily with the records; tracking data changes keeps
 * data times per (cache, path) and change lists per key (freshness.ts). Fast mode keeps nothing
 * per path (a route with fetches runs exact).
 */
import type { SimMode } from '../contract.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { CW } from './cdn.ts'
import { isPerPathFetch } from './data-cache.ts'
import { W, type ResolvedRoute } from './entries.ts'
import { fastPlan } from './fast-eligibility.ts'
import { ZIPF_TABLE_MAX_PATHS } from './popularity.ts'
import { recordsBound, visitsBound, wantsLazyCdnRecords, wantsLazyRecords } from './record-bound.ts'

const SLOT_BYTES = W * 8 + 2
const CDN_SLOT_BYTES = CW * 8
/** A lazy record of `bytes`: with the growth's slack (×1.5), its slot map cells and its key (SlotMap, at most half full). */
const lazyBytes = (bytes: number) => 1.5 * bytes + 48 + 16
const ALIAS_BYTES_PER_PATH = 36
/** A Data Cache or 'use cache' entry: a flag and two doubles. */
const KEY_BYTES = 17
/** With data changes, per key: two times (keyChange; the lists of the keys reached are in changeTrackingHeap). */
const CHANGE_KEY_BYTES = 16

export interface ExactMemory {
  /** Bytes of per-path state exact mode allocates before the first request. */
  readonly bytes: number
  /** Of them, the Data Cache's and 'use cache' entries per fetch key, and the tracking of data changes. */
  readonly dataBytes: number
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
  // The exact part's Data Cache holds only the exact routes' fetch keys (fast.ts runSplit runs them as a scenario of their own).
  const data = exact.length === 0 ? 0 : dataBytes({ ...s, routes: exact.map((r) => s.routes[r.index]!) }, exact, shared, lazy ? records : null)
  return {
    bytes: records * (lazy ? lazyBytes(SLOT_BYTES) : SLOT_BYTES) + cdnBytes(s, exact, pops, paths) + alias + data,
    dataBytes: data,
    instances: d.instances,
    paths,
    records,
    lazy,
    largest: top === null ? null : { id: top.id, count: top.count, why: plan.exactBecause[top.index]! },
  }
}

/**
 * The Data Cache's and 'use cache' entries over every fetch key (one per fetch id, or one per
 * path of the largest route making a per-path fetch), and the data-change tracking. Lazy
 * (`records` not null): at most one row per key a visited (instance, path) reads, unless a
 * deploy that reuses the fetch cache carries every entry over.
 */
function dataBytes(s: Scenario, routes: readonly ResolvedRoute[], shared: boolean, records: number | null): number {
  const maxF = Math.max(0, ...s.routes.map((r) => r.fetches.length))
  const keys = [...keysOfFetches(s).values()].reduce((n, k) => n + k, 0)
  if (keys === 0) return 0
  const d = deploymentOf(s)
  const caches = shared ? 1 : d.instances
  const useCache = s.routes.some((r) => r.fetches.some((f) => f.kind === 'use cache' || f.kind === 'use cache: remote')) ? d.instances + 1 : 0
  const reuses = s.deploys.some((x) => x.reuseFetchCache === true)
  const rows = (slots: number) => (records === null ? slots * KEY_BYTES : Math.min(slots, reuses ? slots : records * maxF) * lazyBytes(KEY_BYTES))
  const totalPaths = routes.reduce((n, r) => n + r.count, 0)
  // Lazy: the two times only for keys a change reaches, and the data times per record (entry and in flight).
  const changes = s.dataChanges.length === 0 ? 0
    : records === null ? keys * CHANGE_KEY_BYTES + (caches + d.instances) * totalPaths * maxF * 8
    : Math.min(keys, changeTrackingHeap(s).keys) * lazyBytes(16) + 2 * records * maxF * 8 * 1.5
  return rows(caches * keys) + rows(useCache * keys) + changes
}

/** Per fetch id, its Data Cache keys: one, or one per path of the largest route that makes it per path (data-cache.ts). */
function keysOfFetches(s: Scenario): Map<string, number> {
  const keysOf = new Map<string, number>()
  for (const r of s.routes) {
    for (const f of r.fetches) {
      const perPath = isPerPathFetch(f)
      keysOf.set(f.id, Math.max(keysOf.get(f.id) ?? 1, perPath ? (r.params?.count ?? 1) : 1))
    }
  }
  return keysOf
}

/** JS heap per key a data change reaches (freshness.ts: its two change lists, a queue per route reading it, the change's key list; measured ~310 B), and per later firing. */
const CHANGE_HEAP_PER_KEY = 320
const CHANGE_HEAP_PER_FIRING = 24

export interface ChangeHeap {
  /** JS heap the tracking of dataChanges may hold. */
  readonly bytes: number
  /** The change that reaches the most keys: by `fetch` or a literal tag, every key of a per-path fetch. */
  readonly worst: { readonly index: number; readonly keys: number } | null
  /** Keys the changes may reach, counted once per change. */
  readonly keys: number
}

/**
 * The JS heap that tracking data changes takes (freshness.ts): a change by `fetch`, or by a
 * literal tag a fetch carries, reaches every key of that fetch, each getting its own lists; a
 * templated tag's change reaches one key per firing. Sized apart from exactMemory because it
 * is bounded by V8's heap limit, not by the machine's memory.
 */
export function changeTrackingHeap(s: Scenario): ChangeHeap {
  const keysOf = keysOfFetches(s)
  const tagsOf = new Map<string, Set<string>>()
  for (const r of s.routes) for (const f of r.fetches) for (const t of f.tags) (tagsOf.get(f.id) ?? tagsOf.set(f.id, new Set()).get(f.id)!).add(t)
  let bytes = 0, reached = 0
  let worst: ChangeHeap['worst'] = null
  s.dataChanges.forEach((c, index) => {
    const firings = c.everyS !== undefined ? Math.ceil((s.durationS - (c.atS ?? 0)) / c.everyS) + 1 : c.ratePerS !== undefined ? Math.ceil(1.2 * c.ratePerS * s.durationS) + 10 : 1
    let keys = 0
    if (c.tag?.includes('{') === true) keys = Math.min(firings, [...keysOf.values()].reduce((n, k) => n + k, 0))
    else for (const [id, n] of keysOf) if (id === c.fetch || (c.tag !== undefined && tagsOf.get(id)?.has(c.tag) === true)) keys += n
    bytes += keys * (CHANGE_HEAP_PER_KEY + CHANGE_HEAP_PER_FIRING * Math.max(0, firings - 1))
    reached += keys
    if (worst === null || keys > worst.keys) worst = { index, keys }
  })
  return { bytes, worst, keys: reached }
}

/** The CDN's records (cdn.ts): per (PoP, path), or lazily, at most one per request, with the growth's slack and the slot map's cells and key. */
function cdnBytes(s: Scenario, exact: readonly ResolvedRoute[], pops: number, paths: number): number {
  if (!wantsLazyCdnRecords(s, exact, pops)) return pops * paths * CDN_SLOT_BYTES
  return Math.min(pops * paths, exact.reduce((n, r) => n + visitsBound(s, r), 0)) * lazyBytes(CDN_SLOT_BYTES)
}
