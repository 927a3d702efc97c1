/**
 * On-demand calls and purges in fast mode (docs/fast-mode.md, "On-demand calls and purges").
 * A call's firing times and receivers depend on no path, nor do a purge's times, so they are
 * drawn once for the run, in the engine's order (controlOrder); each (instance, path) timeline
 * then replays the writes that reach its tags (§4.3 write side) and the purges that reach its
 * page (§11.10) as cuts, with its own copy of the manifest's view of those tags, and asks the
 * read side (tagVerdict) at each request that can change its state. A call counts the entries
 * it reaches and the renders it causes (stats.ts) per timeline, summed over paths.
 */
import { addExponential } from '../kernel/dist.ts'
import type { Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs, US_PER_S } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import { TAGS_EXPIRED, TAGS_NONE, TAGS_STALE, type TagState } from './decide.ts'
import type { ResolvedRoute } from './entries.ts'
import { pathsUnder } from './deploys.ts'
import { timingOf, type Timing } from './events.ts'
import { createReceiver } from './receiver.ts'
import { keepsTagsOnRestart, type VersionProfile } from './profiles.ts'
import { tagIgnoredOf } from './data-cache.ts'
import { countRenderWithin, MAX_EVENT_TIMES } from './stats.ts'
import { profileWrite, tagIndexOf, tagVerdict, type TagIndex } from './tags-manifest.ts'

const OP_WRITE = 0, OP_CLEAR = 1, OP_PURGE = 2

/** The calendar's rank-0 events fast mode needs, in the engine's order (time, then scheduling). */
export interface ControlEvent { readonly atUs: number; readonly kind: 'call' | 'restart' | 'deploy' | 'purge'; readonly i: number }

/**
 * Every on-demand firing, restart, deploy and purge before the end, ordered as the engine orders
 * them at one µs: by when each was scheduled. start() schedules the calls' first firings, then
 * the restarts, then the deploys' first firings, then the purges' (model.ts, deploys.ts); each
 * later firing is scheduled when the one before it fires. A Poisson call draws its gaps from its own stream, as events.ts does.
 */
export function controlOrder(s: Scenario, durationUs: number, callTiming: readonly Timing[]): ControlEvent[] {
  let seq = 0
  const queue: { atUs: number; seq: number; kind: ControlEvent['kind']; i: number }[] = []
  const gap = new Float64Array(1)
  const push = (atUs: number, kind: ControlEvent['kind'], i: number) => { if (atUs < durationUs) queue.push({ atUs, seq: seq++, kind, i }) }
  const after = (x: Timing, fromUs: number, first: boolean, i: number) => {
    if (x.everyUs > 0 && !first) push(fromUs + x.everyUs, 'call', i)
    else if (x.usPerEvent > 0) {
      gap[0] = 0
      addExponential(gap, 0, x.rng!)
      push(fromUs + roundHalfUp(gap[0]! * x.usPerEvent), 'call', i)
    }
  }
  callTiming.forEach((x, i) => (x.firstUs >= 0 ? push(x.firstUs, 'call', i) : after(x, 0, true, i)))
  s.restarts.forEach((r, i) => push(secToUs(r.atS), 'restart', i))
  const deploys = s.deploys.map((d) => timingOf(d, null)), purges = s.purges.map((x) => timingOf(x, null))
  deploys.forEach((x, i) => { if (x.firstUs >= 0) push(x.firstUs, 'deploy', i) })
  purges.forEach((x, i) => { if (x.firstUs >= 0) push(x.firstUs, 'purge', i) })
  const out: ControlEvent[] = []
  while (queue.length > 0) {
    let b = 0
    for (let j = 1; j < queue.length; j++) if (queue[j]!.atUs < queue[b]!.atUs || (queue[j]!.atUs === queue[b]!.atUs && queue[j]!.seq < queue[b]!.seq)) b = j
    const e = queue.splice(b, 1)[0]!
    out.push({ atUs: e.atUs, kind: e.kind, i: e.i })
    if (e.kind === 'call') after(callTiming[e.i]!, e.atUs, false, e.i)
    else if (e.kind === 'deploy' && deploys[e.i]!.everyUs > 0) push(e.atUs + deploys[e.i]!.everyUs, 'deploy', e.i)
    else if (e.kind === 'purge' && purges[e.i]!.everyUs > 0) push(e.atUs + purges[e.i]!.everyUs, 'purge', e.i)
  }
  return out
}

/** The run's on-demand calls and purges, drawn once: the ops, in order, and the figures every route adds to. */
export interface TagRun {
  readonly index: TagIndex
  readonly revalidatedAt: boolean
  /** Per call: its tag ids and what it writes (§4.3 table). */
  readonly calls: readonly { readonly ids: Int32Array; readonly swr: boolean; readonly expireUs: number }[]
  /** The ops in the engine's order: time, OP_WRITE (a call's firing), OP_CLEAR (a restart that loses the manifest) or OP_PURGE, the call or purge, receiving instance (-1: every one), deploys fired before it. */
  readonly opAtUs: Float64Array
  readonly opKind: Uint8Array
  readonly opCall: Int32Array
  readonly opInst: Int32Array
  readonly opBuild: Int32Array
  /** Per call: firings, their first times (s), entries touched, renders within 1 min, 1 h, 1 day (summed over paths). */
  readonly occurrences: Float64Array
  readonly atS: number[][]
  readonly touched: Float64Array
  readonly within: Float64Array
}

/** The run's calls and purges, or null when it has none. */
export function createTagRun(s: Scenario, profile: VersionProfile, streams: Streams, durationUs: number): TagRun | null {
  if (s.onDemand.length === 0 && s.purges.length === 0) return null
  const index = tagIndexOf(s, profile)
  const timing = s.onDemand.map((e, i) => timingOf(e, e.ratePerS !== undefined ? streams.claim('on-demand', String(i)) : null))
  const receiver = createReceiver(s, streams)
  const clears = !keepsTagsOnRestart(profile, false)
  const ops: { atUs: number; kind: number; call: number; inst: number; build: number }[] = []
  const occurrences = new Float64Array(s.onDemand.length)
  const atS = s.onDemand.map((): number[] => [])
  let build = 0
  for (const e of controlOrder(s, durationUs, timing)) {
    if (e.kind === 'deploy') { build++; continue }
    if (e.kind === 'purge') { ops.push({ atUs: e.atUs, kind: OP_PURGE, call: e.i, inst: -1, build }); continue }
    if (e.kind === 'restart') {
      const which = s.restarts[e.i]!.instance
      if (clears) ops.push({ atUs: e.atUs, kind: OP_CLEAR, call: -1, inst: which ?? -1, build })
      continue
    }
    const c = s.onDemand[e.i]!
    occurrences[e.i]!++
    if (atS[e.i]!.length < MAX_EVENT_TIMES) atS[e.i]!.push(e.atUs / US_PER_S)
    const target = c.target ?? 'instance'
    const inst = target === 'all' ? -1 : receiver(target, c.instance)
    ops.push({ atUs: e.atUs, kind: OP_WRITE, call: e.i, inst, build })
  }
  return {
    index,
    revalidatedAt: profile.tagModel === 'revalidated-at',
    calls: s.onDemand.map((e, i) => ({ ids: Int32Array.from(index.onDemandIds[i]!), ...(e.kind === 'res.revalidate' ? { swr: false, expireUs: 0 } : profileWrite(e.kind, e.profile)) })),
    opAtUs: Float64Array.from(ops, (o) => o.atUs),
    opKind: Uint8Array.from(ops, (o) => o.kind),
    opCall: Int32Array.from(ops, (o) => o.call),
    opInst: Int32Array.from(ops, (o) => o.inst),
    opBuild: Int32Array.from(ops, (o) => o.build),
    occurrences, atS,
    touched: new Float64Array(s.onDemand.length),
    within: new Float64Array(3 * s.onDemand.length),
  }
}

/** The calls' figures as the result lists them (stats.ts onDemand()). */
export function tagRunStats(run: TagRun): { occurrences: number; atS: number[]; entriesTouched: number; rendersWithin1m: number; rendersWithin1h: number; rendersWithin1d: number }[] {
  return run.calls.map((_, i) => ({
    occurrences: run.occurrences[i]!, atS: run.atS[i]!, entriesTouched: run.touched[i]!,
    rendersWithin1m: run.within[3 * i]!, rendersWithin1h: run.within[3 * i + 1]!, rendersWithin1d: run.within[3 * i + 2]!,
  }))
}

/**
 * One route's side of the calls, and the state of the (instance, path) timeline being run: the
 * ops that reach its tags, how far they are applied, its view of those tags, and the call
 * that last reached its entry (for the renders it causes).
 */
export interface PathTags {
  readonly run: TagRun
  /** Tag ids every path of the route carries, and all of those of each path with tags of its own. */
  readonly routeIds: Int32Array
  readonly ownIds: ReadonlyMap<number, Int32Array>
  /** Ops reaching every path of the route (indexes into the run's, in order). */
  readonly routeOps: Int32Array
  /** Per purge: the route's paths under its prefix, or 'all'; and the purges of some paths, by op index. */
  readonly purged: readonly ('all' | ReadonlySet<number>)[]
  readonly prefixPurges: Int32Array
  /** Per (route fetch i, tag id) at i × tags + id: 1 when the tag does not apply to the fetch's Data Cache entry (data-cache.ts tagIgnoredOf). */
  readonly fetchIgnored: Uint8Array
  /** The path's tag ids (1 at its ids), and the view: when each was marked stale, expired. */
  readonly carried: Uint8Array
  readonly stale: Float64Array
  readonly expired: Float64Array
  /**
   * The path's ops: the first n of routeOps, or of buffer when the path has tags of its own or
   * is under a purge's prefix (built when its timeline starts, so no list is kept per path).
   */
  list: Int32Array
  n: number
  readonly buffer: Int32Array
  /** The path's tag ids (routeIds, or its entry in ownIds). */
  ids: Int32Array
  i: number
  inst: number
  build: number
  /** Ops are applied through this time (µs). */
  atUs: number
  lastCall: number
  lastAtUs: number
}

/** Route r's side of the calls, or null when none reaches it. */
export function routeTags(run: TagRun | null, s: Scenario, r: ResolvedRoute): PathTags | null {
  if (run === null || r.isDynamic) return null
  const routeAll: number[] = []
  const own = new Map<number, number[]>()
  run.index.targets.forEach((ts, id) => {
    for (const t of ts) {
      if (t.route !== r.index) continue
      if (t.path === 'all') routeAll.push(id)
      else if (t.path < r.count) own.set(t.path, [...(own.get(t.path) ?? []), id])
    }
  })
  // §11.10: a purge reaches every page of the route, or those under its prefix (none of a dynamic route's).
  const purged = s.purges.map((x) => { const ks = x.prefix === undefined ? 'all' as const : pathsUnder(s.routes[r.index]!, x.prefix); return ks === 'all' ? ks : new Set(ks) })
  if (routeAll.length === 0 && own.size === 0 && !purged.some((ks) => ks === 'all' || ks.size > 0)) return null
  const ops = Int32Array.from(run.opAtUs.keys())
  const routeOps = ops.filter((j) => run.opKind[j] === OP_PURGE ? purged[run.opCall[j]!] === 'all' : routeAll.length > 0 && (run.opKind[j] === OP_CLEAR || run.calls[run.opCall[j]!]!.ids.some((id) => routeAll.includes(id))))
  const n = run.index.names.length
  return {
    run,
    routeIds: Int32Array.from(routeAll),
    ownIds: new Map([...own].map(([k, ids]) => [k, Int32Array.from([...routeAll, ...ids])])),
    routeOps, purged,
    prefixPurges: ops.filter((j) => run.opKind[j] === OP_PURGE && purged[run.opCall[j]!] !== 'all'),
    fetchIgnored: tagIgnoredOf(s, s.routes[r.index]!.fetches, run.index.names),
    carried: new Uint8Array(n), stale: new Float64Array(n), expired: new Float64Array(n),
    list: routeOps, n: 0, buffer: new Int32Array(ops.length), ids: new Int32Array(0), i: 0, inst: 0, build: 0, atUs: -Infinity, lastCall: -1, lastAtUs: 0,
  }
}

/** Starts path k's timeline on instance inst; false when no op reaches it (nothing to replay). */
export function beginTags(pt: PathTags, k: number, inst: number): boolean {
  for (const id of pt.ids) pt.carried[id] = 0
  const own = pt.ownIds.get(k)
  pt.ids = own ?? pt.routeIds
  for (const id of pt.ids) pt.carried[id] = 1
  pathOps(pt, k, own !== undefined)
  pt.i = 0
  pt.inst = inst
  pt.build = 0
  pt.atUs = -Infinity
  pt.lastCall = -1
  resetView(pt)
  return pt.n > 0
}

/**
 * Path k's ops, in order: the route's, with the purges of some paths that reach k merged in; for
 * a path with tags of its own (pt.carried set), every op that reaches one of its tags or it.
 */
function pathOps(pt: PathTags, k: number, own: boolean): void {
  const run = pt.run, out = pt.buffer
  let n = 0
  if (own) {
    for (let j = 0; j < run.opAtUs.length; j++) {
      const kind = run.opKind[j], ks = pt.purged[run.opCall[j]!]
      const reaches = kind === OP_PURGE ? ks === 'all' || ks!.has(k) : kind === OP_CLEAR || run.calls[run.opCall[j]!]!.ids.some((id) => pt.carried[id] === 1)
      if (reaches) out[n++] = j
    }
  } else {
    const route = pt.routeOps, pp = pt.prefixPurges
    let a = 0
    for (let b = 0; b < pp.length; b++) {
      const j = pp[b]!
      if (!(pt.purged[run.opCall[j]!] as ReadonlySet<number>).has(k)) continue
      while (a < route.length && route[a]! < j) out[n++] = route[a++]!
      out[n++] = j
    }
    if (n === 0) { pt.list = route; pt.n = route.length; return }
    while (a < route.length) out[n++] = route[a++]!
  }
  pt.list = out
  pt.n = n
}

function resetView(pt: PathTags): void {
  pt.stale.fill(-Infinity)
  pt.expired.fill(-Infinity)
}

/** The next op of this instance in the current build, by index into the run's, or -1. */
function nextOp(pt: PathTags): number {
  const run = pt.run
  while (pt.i < pt.n) {
    const j = pt.list[pt.i]!
    if (run.opBuild[j]! > pt.build) return -1
    const to = run.opInst[j]!
    if (run.opBuild[j]! === pt.build && (to < 0 || to === pt.inst)) return j
    pt.i++
  }
  return -1
}

/** Applies op j: a write to the path's view (and a touch of its entry when it has one), a restart's clear, or a purge (the caller drops the entry). */
function apply(pt: PathTags, j: number, has: boolean): void {
  const run = pt.run
  pt.i++
  const kind = run.opKind[j]
  if (kind === OP_CLEAR) { resetView(pt); return }
  if (kind === OP_PURGE) return
  const call = run.opCall[j]!, W = run.opAtUs[j]!, c = run.calls[call]!
  for (const id of c.ids) {
    if (pt.carried[id] !== 1) continue
    // tags-manifest.ts write(): 14/15 record revalidatedAt; 16 a stale time and an expire (a profile), or expired now.
    if (!run.revalidatedAt && c.swr) { pt.stale[id] = W; pt.expired[id] = W + c.expireUs }
    else pt.expired[id] = W
  }
  if (has) {
    run.touched[call]!++
    pt.lastCall = call
    pt.lastAtUs = W
  }
}

/**
 * Applies the ops of the current build at or before tUs (ops come before requests and render
 * ends at their µs); `has`: the path has an entry meanwhile. True when a purge came: the
 * caller drops the entry (§11.10).
 */
export function advanceTags(pt: PathTags, tUs: number, has: boolean): boolean {
  let purged = false
  for (let j = nextOp(pt); j >= 0 && pt.run.opAtUs[j]! <= tUs; j = nextOp(pt)) {
    if (pt.run.opKind[j] === OP_PURGE) { purged = true; has = false }
    apply(pt, j, has)
  }
  if (tUs > pt.atUs) pt.atUs = tUs
  return purged
}

/**
 * advanceTags through tUs for an entry a tag has marked, where the ops before the next request
 * change nothing the timeline reads but the marks (a rarely visited page sees hundreds): each
 * write is applied, and it stops after the ops at the µs of a purge or a restart's clear, which
 * drop the entry or the marks (true after a purge). A profile's expire coming due meanwhile
 * changes nothing either; the caller still takes those one by one (nextTagChange).
 */
export function advanceMarked(pt: PathTags, tUs: number): boolean {
  const run = pt.run
  for (let j = nextOp(pt); j >= 0 && run.opAtUs[j]! <= tUs; j = nextOp(pt)) {
    const at = run.opAtUs[j]!
    if (run.opKind[j] !== OP_WRITE) return advanceTags(pt, at, true)
    apply(pt, j, true)
    if (at > pt.atUs) pt.atUs = at
  }
  return false
}

/** The first purge of the path after the ops applied and at or before untilUs, µs, or Infinity. */
export function nextPurge(pt: PathTags, untilUs: number): number {
  const run = pt.run
  for (let i = pt.i; i < pt.n; i++) {
    const j = pt.list[i]!
    if (run.opBuild[j]! !== pt.build || run.opAtUs[j]! > untilUs) return Infinity
    if (run.opKind[j] === OP_PURGE) return run.opAtUs[j]!
  }
  return Infinity
}

/**
 * The end of a build's stretch: its remaining ops (`has` as the stretch left it), then each
 * build live only for a moment at one µs (deploys at one time: touches only, `hasIn(b)`), and
 * build `toBuild` starts with an empty view (a deploy resets the manifest).
 */
export function nextBuild(pt: PathTags, has: boolean, toBuild: number, hasIn: (build: number) => boolean): void {
  for (;;) {
    for (let j = nextOp(pt); j >= 0; j = nextOp(pt)) {
      if (pt.run.opKind[j] === OP_PURGE) has = false
      apply(pt, j, has)
    }
    if (toBuild === Infinity || pt.build + 1 >= toBuild) break // Infinity: the run ends
    pt.build++
    has = hasIn(pt.build)
  }
  if (toBuild === Infinity) return
  pt.build = toBuild
  pt.atUs = -Infinity // the old stretch may have looked past its end (a far expire): the new build's view starts empty
  resetView(pt)
}

/** The timeline of a path no request reaches: each call that reaches it counts its entry if the build live then (`hasIn(build)`) prerendered it. */
export function touchesOnly(pt: PathTags, hasIn: (build: number) => boolean): void {
  const run = pt.run
  let purgedIn = -1 // a purge drops the prerender until the next deploy
  for (let i = 0; i < pt.n; i++) {
    const j = pt.list[i]!, to = run.opInst[j]!, b = run.opBuild[j]!
    if (run.opKind[j] === OP_PURGE) purgedIn = b
    else if (run.opKind[j] === OP_WRITE && (to < 0 || to === pt.inst) && purgedIn !== b && hasIn(b)) run.touched[run.opCall[j]!]!++
  }
}

/**
 * §4.3 read side: what the path's tags make of an entry written at writtenUs, at nowUs (the ops
 * through nowUs applied): the page's (fetch -1), or route fetch i's Data Cache entry, which
 * reads the page's implicit tags and its own (data-cache.ts read()).
 */
export function tagState(pt: PathTags, writtenUs: number, nowUs: number, fetch = -1): TagState {
  const rv = pt.run.revalidatedAt, ignored = pt.fetchIgnored, off = fetch * pt.run.index.names.length
  let res: TagState = TAGS_NONE
  for (const id of pt.ids) {
    if (fetch >= 0 && ignored[off + id] === 1) continue
    const v = tagVerdict(rv, pt.stale[id]!, pt.expired[id]!, writtenUs, nowUs)
    if (v === TAGS_EXPIRED) return TAGS_EXPIRED
    if (v === TAGS_STALE) res = TAGS_STALE
  }
  return res
}

/**
 * The next time after the ops applied when the read side may change for an entry written at
 * writtenUs: the next op, or (16.x) an expire time set by a write coming due. Infinity if none.
 */
export function nextTagChange(pt: PathTags, writtenUs: number): number {
  const j = nextOp(pt)
  let t = j < 0 ? Infinity : pt.run.opAtUs[j]!
  if (pt.run.revalidatedAt) return t
  for (const id of pt.ids) {
    const x = pt.expired[id]!
    if (x > pt.atUs && x > writtenUs && x < t) t = x
  }
  return t
}

/** A render a tag caused starts at tUs: counted against the call that last reached the entry, once (stats.ts attribute). */
export function attributeTagRender(pt: PathTags, tUs: number): void {
  const call = pt.lastCall
  if (call < 0) return
  pt.lastCall = -1
  countRenderWithin(pt.run.within, 3 * call, tUs - pt.lastAtUs)
}
