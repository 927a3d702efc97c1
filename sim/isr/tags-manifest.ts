/**
 * The tags manifest (§4.3): when each tag was marked stale or expired, one view per instance
 * (local caches never share it; a shared cache handler propagates an invalidation to the other
 * instances after tagPropagationS, §8; the Redis handler deletes at once, §8.2), the write side (what an on-demand call or a webhook
 * records) and the read side (what an entry written at some time makes of its tags now).
 *
 * Only tags some event names are tracked at all: the on-demand calls' and every tag a data
 * change's webhook can name ("{slug}" filled with each path index). Each path gets the list of
 * those it carries (CSR: list[ptr[p] .. ptr[p + 1]]).
 */
import type { Engine } from '../kernel/engine.ts'
import { ONE_YEAR_S, secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import * as Decision from './decide.ts'
import type { TagState } from './decide.ts'
import { routeOfPath, type ResolvedRoute } from './entries.ts'
import { EV_TAG_PROPAGATE, RANK_ON_DEMAND } from './events.ts'
import type { VersionProfile } from './profiles.ts'
import { tagsReachRoute } from './route-handlers.ts'
import { changeRouteOf, eventTags, fillTemplate, targetsOfTag, type Target } from './tags.ts'

// This module's own constants (V8 folds them; an imported binding is read at every use).
const { TAGS_EXPIRED, TAGS_NONE, TAGS_STALE } = Decision

/** The "max" cacheLife profile's expire (§2 table). */
export const MAX_PROFILE_EXPIRE_S = ONE_YEAR_S

/**
 * What an on-demand call writes on 16.x (§4.3 table): a profile gives stale-while-revalidate,
 * bounded by the profile's expire ("max" = one year); without one, the tag expires at once.
 */
export function profileWrite(kind: 'revalidateTag' | 'revalidatePath' | 'updateTag', profile: 'max' | { readonly expireS: number } | undefined): { readonly swr: boolean; readonly expireUs: number } {
  if (kind !== 'revalidateTag' || profile === undefined) return { swr: false, expireUs: 0 }
  return { swr: true, expireUs: secToUs(profile === 'max' ? MAX_PROFILE_EXPIRE_S : profile.expireS) }
}

/**
 * The §4.3 read side for one tag of an entry written at writtenUs, now. 14.x/15.x
 * (`revalidatedAt`): the entry is discarded when revalidatedAt >= lastModified (note >=); the
 * tag's `expired` time is its revalidatedAt. 16.x: expired when expired <= now and expired >
 * lastModified, stale when stale > lastModified.
 */
export function tagVerdict(revalidatedAt: boolean, staleUs: number, expiredUs: number, writtenUs: number, nowUs: number): TagState {
  if (revalidatedAt) return expiredUs >= writtenUs ? TAGS_EXPIRED : TAGS_NONE
  if (expiredUs <= nowUs && expiredUs > writtenUs) return TAGS_EXPIRED
  return staleUs > writtenUs ? TAGS_STALE : TAGS_NONE
}

/** For a templated data-change tag, how many path indexes it can pick from (the largest route whose fetches carry it). */
export function changeSpanOf(c: Scenario['dataChanges'][number], s: Scenario): number {
  if (c.tag === undefined || !c.tag.includes('{')) return 1
  let span = 0
  for (const r of s.routes) if (r.fetches.some((f) => f.tags.includes(c.tag!))) span = Math.max(span, r.params?.count ?? 1)
  return Math.max(span, 1)
}

export interface TagsManifest {
  /** Tracked tags, by id. */
  readonly names: readonly string[]
  /** Per tag id: the routes and paths that carry it. */
  readonly targets: readonly (readonly Target[])[]
  /** Per on-demand call: the tag ids it names. */
  readonly onDemandIds: readonly (readonly number[])[]
  /** Per data change, per path index k its webhook can name ("{slug}" = k): the tag ids. */
  readonly webhookIds: readonly (readonly (readonly number[])[])[]
  /** Whether path p carries a tracked tag. */
  has(p: number): boolean
  /**
   * The read side over path p's tags in instance inst's view, for an entry written at
   * written[wi] (a slot: no double crosses the call). `ignore`: null for a page entry (every
   * tag counts); for a Data Cache entry, per tag id at ignore[ignoreOff + id], 1 for another
   * fetch's own tag (the page's implicit tags and the fetch's own count).
   */
  check(inst: number, p: number, ignore: Uint8Array | null, ignoreOff: number, written: Float64Array, wi: number): TagState
  /**
   * Record an invalidation of tag ids on instance `instance` now, and with a shared cache
   * propagate it to the others (`propagate` false: each instance receives the call itself).
   */
  write(ids: readonly number[], swr: boolean, expireUs: number, instance: number, propagate: boolean): void
  /** The EV_TAG_PROPAGATE event: pending write i reaches the other instances. */
  propagate(i: number): void
  /** Instance inst's view is lost (a restart, when the manifest lives in memory only). */
  clear(inst: number): void
  /** A deploy: every view starts empty, and the old build's invalidations still propagating are dropped. */
  reset(): void
}

/** The tracked tags (by id), who carries each, and the ids each on-demand call and webhook names: the manifest's index, with no state. */
export interface TagIndex {
  readonly names: readonly string[]
  readonly targets: readonly (readonly Target[])[]
  readonly onDemandIds: readonly (readonly number[])[]
  readonly webhookIds: readonly (readonly (readonly number[])[])[]
}

export function tagIndexOf(s: Scenario, profile: VersionProfile): TagIndex {
  const index = new Map<string, number>()
  const idOf = (t: string) => {
    let id = index.get(t)
    if (id === undefined) index.set(t, (id = index.size))
    return id
  }
  const onDemandIds = s.onDemand.map((e) => (eventTags(e, s.next.version) ?? []).map(idOf))
  const webhookIds = s.dataChanges.map((c) => {
    const w = c.webhook
    if (!w) return [] as number[][]
    const templated = (w.tag ?? w.path ?? '').includes('{')
    const ks = templated ? changeSpanOf(c, s) : 1
    // "{slug}" takes the changed path's value on the change's route (its real param, or k).
    const route = changeRouteOf(c, s.routes)
    const out: number[][] = []
    for (let k = 0; k < ks; k++) {
      const fill = (x: string | undefined) => (x === undefined ? undefined : fillTemplate(x, k, route))
      const tags = eventTags({ kind: w.kind, tag: fill(w.tag), path: fill(w.path), type: w.type }, s.next.version) ?? []
      out.push(tags.filter((t) => targetsOfTag(t, s.routes).length > 0).map(idOf))
    }
    return out
  })
  const names = [...index.keys()]
  // A route handler's entry on 14 carries no tags the cache checks (§15.1).
  const targets = names.map((t) => targetsOfTag(t, s.routes).filter((x) => tagsReachRoute(s.routes[x.route]!, profile)))
  return { names, targets, onDemandIds, webhookIds }
}

export function createTagsManifest(
  s: Scenario, routes: readonly ResolvedRoute[], profile: VersionProfile, totalPaths: number, instances: number, sharedCache: boolean, propagationS: number, engine: Engine, durationUs: number,
  sparse = false,
): TagsManifest {
  const clock = engine.clock, when = engine.when
  const revalidatedAt = profile.tagModel === 'revalidated-at'
  const { names, targets, onDemandIds, webhookIds } = tagIndexOf(s, profile)
  const nTags = names.length

  // 16.x: when each tag was marked stale / expired; 14.x-15.x: expired is revalidatedAt.
  const stale = new Float64Array(instances * nTags).fill(-Infinity)
  const expired = new Float64Array(instances * nTags).fill(-Infinity)
  /**
   * Bounds over each instance's whole view, so that most checks need not walk a path's tags:
   * past[i] >= every stale and expired time in view i that is <= now, and future[i] <= every
   * expired time > now. An entry written after past and read before future has no stale or
   * expired tag in either model. Writes raise and lower them; values they overwrite are not
   * taken out, which only makes the bounds looser, never wrong.
   */
  const past = new Float64Array(instances).fill(-Infinity)
  const future = new Float64Array(instances).fill(Infinity)
  // §8.2: the Redis handler deletes the tagged entries in Redis (revalidatePath: records the
  // implicit tag's time, read as a delete): every instance finds no entry at once, whatever the
  // profile. So each write expires at once and reaches every view without delay.
  const deletes = sharedCache && s.deployment?.cacheHandler === 'fortedigital-redis'
  const propagationUs = deletes ? 0 : secToUs(propagationS)
  /** Invalidations on their way to the other instances: [tag id, stale, expired] per write. */
  const pending: { readonly from: number; readonly writes: Float64Array }[] = []
  /** Pending writes below this index belong to an old build (reset()). */
  let dropBefore = 0

  // Each path's tags: its route's (a tag every path of the route carries) and its own. Dense, a
  // list per path over every path (4 bytes a path and tag); `sparse` (exact mode's lazy records:
  // millions of paths, mostly never visited), the route's list and a map of the paths with tags
  // of their own.
  let ptr: Int32Array | null = null
  let list = new Int32Array(0)
  let routeTags: Int32Array[] = []
  const ownTags = new Map<number, Int32Array>()
  if (nTags > 0 && sparse) {
    const routeAll: number[][] = routes.map(() => [])
    targets.forEach((ts, id) => {
      for (const t of ts) {
        if (t.path === 'all') routeAll[t.route]!.push(id)
        else {
          const p = routes[t.route]!.firstPath + t.path
          const l = ownTags.get(p)
          ownTags.set(p, l === undefined ? Int32Array.of(id) : Int32Array.from([...l, id]))
        }
      }
    })
    routeTags = routeAll.map((ids) => Int32Array.from(ids))
  } else if (nTags > 0) {
    const routeAll: number[][] = routes.map(() => [])
    const pathExtra = new Map<number, number[]>()
    targets.forEach((ts, id) => {
      for (const t of ts) {
        if (t.path === 'all') routeAll[t.route]!.push(id)
        else {
          const p = routes[t.route]!.firstPath + t.path
          const l = pathExtra.get(p)
          if (l) l.push(id)
          else pathExtra.set(p, [id])
        }
      }
    })
    ptr = new Int32Array(totalPaths + 1)
    for (const r of routes) for (let p = r.firstPath; p < r.firstPath + r.count; p++) ptr[p + 1] = ptr[p]! + routeAll[r.index]!.length + (pathExtra.get(p)?.length ?? 0)
    list = new Int32Array(ptr[totalPaths]!)
    for (const r of routes) {
      for (let p = r.firstPath; p < r.firstPath + r.count; p++) {
        let j = ptr[p]!
        for (const id of routeAll[r.index]!) list[j++] = id
        for (const id of pathExtra.get(p) ?? []) list[j++] = id
      }
    }
  }
  const tagPtr = ptr, tagList = list

  /** Apply [tag id, stale, expired] writes to one instance's view (NaN: leave stale as it is). */
  function apply(inst: number, writes: Float64Array): void {
    const now = clock[0]!
    for (let j = 0; j < writes.length; j += 3) {
      const t = inst * nTags + writes[j]!
      const st = writes[j + 1]!
      if (!Number.isNaN(st)) {
        stale[t] = st
        if (st > past[inst]!) past[inst] = st // a write's stale time is never after now
      }
      const ex = writes[j + 2]!
      expired[t] = ex
      if (ex > now) { if (ex < future[inst]!) future[inst] = ex }
      else if (ex > past[inst]!) past[inst] = ex
    }
  }

  /** Recompute instance inst's bounds from its view (when an expired time has come, or after a restart). */
  function tighten(inst: number): void {
    const now = clock[0]!
    let p = -Infinity, f = Infinity
    for (let t = inst * nTags; t < (inst + 1) * nTags; t++) {
      const st = stale[t]!, ex = expired[t]!
      if (st > p) p = st
      if (ex > now) { if (ex < f) f = ex }
      else if (ex > p) p = ex
    }
    past[inst] = p
    future[inst] = f
  }

  /** The tags of path p, one by one (the bounds did not rule them out). */
  function walk(inst: number, p: number, ignore: Uint8Array | null, ignoreOff: number, ts: number): TagState {
    if (tagPtr === null) return walkSparse(inst, p, ignore, ignoreOff, ts)
    const now = clock[0]!
    const view = inst * nTags
    let res: TagState = TAGS_NONE
    for (let j = tagPtr[p]!, b = tagPtr[p + 1]!; j < b; j++) {
      const id = tagList[j]!
      if (ignore !== null && ignore[ignoreOff + id] === 1) continue
      const v = tagVerdict(revalidatedAt, stale[view + id]!, expired[view + id]!, ts, now)
      if (v === TAGS_EXPIRED) return TAGS_EXPIRED
      if (v === TAGS_STALE) res = TAGS_STALE
    }
    return res
  }

  /**
   * walk() over the sparse lists: the route's tags, then the path's own. The loop is walk()'s, not
   * a shared helper: a helper taking `ts` would box the double on every call V8 does not inline
   * (the extended catalogue ran ~5% slower with one).
   */
  function walkSparse(inst: number, p: number, ignore: Uint8Array | null, ignoreOff: number, ts: number): TagState {
    const now = clock[0]!
    const view = inst * nTags
    let res: TagState = TAGS_NONE
    for (const ids of [routeTags[routeOfPath(routes, p)]!, ownTags.get(p)]) {
      if (ids === undefined) continue
      for (let j = 0; j < ids.length; j++) {
        const id = ids[j]!
        if (ignore !== null && ignore[ignoreOff + id] === 1) continue
        const v = tagVerdict(revalidatedAt, stale[view + id]!, expired[view + id]!, ts, now)
        if (v === TAGS_EXPIRED) return TAGS_EXPIRED
        if (v === TAGS_STALE) res = TAGS_STALE
      }
    }
    return res
  }

  return {
    names,
    targets,
    onDemandIds,
    webhookIds,
    has(p) {
      if (tagPtr !== null) return tagPtr[p]! < tagPtr[p + 1]!
      return nTags > 0 && (routeTags[routeOfPath(routes, p)]!.length > 0 || ownTags.has(p))
    },
    check(inst, p, ignore, ignoreOff, written, wi) {
      if (clock[0]! >= future[inst]!) tighten(inst)
      if (past[inst]! < written[wi]!) return TAGS_NONE
      return walk(inst, p, ignore, ignoreOff, written[wi]!)
    },
    write(ids, swr, expireUs, instance, propagate) {
      const now = clock[0]!
      // The write, as [tag id, stale, expired] triples; it reaches the receiving instance now.
      const writes = new Float64Array(ids.length * 3)
      ids.forEach((t, j) => {
        writes[3 * j] = t
        if (revalidatedAt) { writes[3 * j + 1] = NaN; writes[3 * j + 2] = now } // revalidatedAt = now; a profile is ignored
        else if (swr && !deletes) { writes[3 * j + 1] = now; writes[3 * j + 2] = now + expireUs }
        else { writes[3 * j + 1] = NaN; writes[3 * j + 2] = now } // one-argument revalidateTag, updateTag, revalidatePath
      })
      apply(instance, writes)
      if (sharedCache && instances > 1 && propagate) {
        // A shared cache handler: the other instances see it after tagPropagationS.
        if (propagationUs === 0) for (let i = 0; i < instances; i++) { if (i !== instance) apply(i, writes) }
        else {
          pending.push({ from: instance, writes })
          when[0] = now + propagationUs
          if (when[0]! < durationUs) engine.schedule(RANK_ON_DEMAND, EV_TAG_PROPAGATE, pending.length - 1)
        }
      }
    },
    propagate(i) {
      if (i < dropBefore) return
      const { from, writes } = pending[i]!
      for (let k = 0; k < instances; k++) if (k !== from) apply(k, writes)
    },
    clear(inst) {
      stale.fill(-Infinity, inst * nTags, (inst + 1) * nTags)
      expired.fill(-Infinity, inst * nTags, (inst + 1) * nTags)
      tighten(inst)
    },
    reset() {
      stale.fill(-Infinity)
      expired.fill(-Infinity)
      past.fill(-Infinity)
      future.fill(Infinity)
      dropBefore = pending.length
    },
  }
}
