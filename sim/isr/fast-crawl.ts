/**
 * Crawlers in fast mode: the visits of one path, in time order. A crawler's walk (crawlers.ts)
 * is an affine permutation of its paths, the same every cycle, so path k's position in it is
 * i = (k − start)·stride⁻¹ mod P and its visits are at phase + c·V + roundHalfUp(i·V/P), exactly
 * V apart: known in advance, drawn from no stream, computed per path in O(1).
 *
 * Behind a random balancer each visit goes to an instance drawn for it, and a path's instances
 * run one after the other: each crawler's visits of the path get their instances from a stream
 * of the crawler's own, drawn in visit order from the state the path started at, so every
 * instance's pass sees the same draws and keeps the visits drawn for it; after the last pass the
 * stream moves past every draw any pass made (beginPath, endPath).
 */
import { indexBelow, type AleaRng, type Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs } from '../kernel/time.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { crawlerStreamKey, drawCrawlerWalk, type CrawlerWalk } from './crawlers.ts'
import type { ResolvedRoute } from './entries.ts'

export interface PathCrawl {
  readonly walks: readonly (CrawlerWalk & { readonly inverse: number })[]
  /** Per crawler, the time of its next visit of the current path, µs (Infinity: none); with instances, its next visit to the current instance. */
  readonly next: Float64Array
  /** Several instances behind a random balancer, else null. */
  readonly spread: CrawlSpread | null
}

interface CrawlSpread {
  readonly instances: number
  /** The instance whose pass of the current path runs. */
  inst: number
  readonly endUs: number
  /** Per crawler: the stream of its visits' instances, its state when the path began (4 each), the draws this pass made, and the most any pass made. */
  readonly rngs: readonly AleaRng[]
  readonly saved: Float64Array
  readonly drawn: Float64Array
  readonly most: Float64Array
}

/** The route's crawlers' walks, drawn from their own streams as the exact engine draws them; null without crawlers. */
export function routeCrawl(s: Scenario, r: ResolvedRoute, streams: Streams, durationUs: number): PathCrawl | null {
  const crawlers = s.routes[r.index]!.traffic.crawlers ?? []
  if (crawlers.length === 0) return null
  const walks = crawlers.map((c, ci) => {
    const walk = drawCrawlerWalk(streams.claim('crawler', crawlerStreamKey(r.id, ci)), c.paths ?? r.count, secToUs(c.revisitS))
    return { ...walk, inverse: modInverse(walk.stride, walk.paths) }
  })
  const instances = deploymentOf(s).instances
  const n = walks.length
  const spread = instances === 1 ? null : {
    instances, inst: 0, endUs: durationUs,
    rngs: walks.map((_, ci) => streams.claim('balancer', `crawler/${crawlerStreamKey(r.id, ci)}`)),
    saved: new Float64Array(4 * n), drawn: new Float64Array(n), most: new Float64Array(n),
  }
  return { walks, next: new Float64Array(n), spread }
}

/** Before the instances' passes of a path: each crawler's instance stream as it stands. */
export function beginPath(c: PathCrawl): void {
  const sp = c.spread
  if (sp === null) return
  for (let i = 0; i < sp.rngs.length; i++) { sp.saved.set(sp.rngs[i]!.s, 4 * i); sp.most[i] = 0 }
}

/** After the last pass of a path: each crawler's instance stream past every draw a pass made. */
export function endPath(c: PathCrawl): void {
  const sp = c.spread
  if (sp === null) return
  for (let i = 0; i < sp.rngs.length; i++) {
    const rng = sp.rngs[i]!
    rng.s.set(sp.saved.subarray(4 * i, 4 * i + 4))
    for (let d = 0; d < sp.most[i]!; d++) rng.next()
  }
}

/** Sets each crawler's first visit of path k (route-local) to this pass's instance, Infinity for a crawler that does not walk it. */
export function startPath(c: PathCrawl, k: number): void {
  const sp = c.spread
  for (let i = 0; i < c.walks.length; i++) {
    const w = c.walks[i]!
    if (sp !== null) { sp.rngs[i]!.s.set(sp.saved.subarray(4 * i, 4 * i + 4)); sp.drawn[i] = 0 }
    if (k >= w.paths) { c.next[i] = Infinity; continue }
    // Products stay below 2^53 for P <= 5e7 (the schema's limit on crawler paths).
    const pos = (((k - w.start) % w.paths + w.paths) % w.paths) * w.inverse % w.paths
    c.next[i] = w.phaseUs + roundHalfUp((pos * w.revisitUs) / w.paths)
    if (sp !== null) toOwnVisit(c, sp, i)
  }
}

/** Moves crawler i's next visit on to the first one drawn for this pass's instance (one draw per visit, in visit order). */
function toOwnVisit(c: PathCrawl, sp: CrawlSpread, i: number): void {
  const rng = sp.rngs[i]!, revisitUs = c.walks[i]!.revisitUs
  while (c.next[i]! < sp.endUs) {
    const inst = indexBelow(rng, sp.instances)
    sp.drawn[i] = sp.drawn[i]! + 1
    if (sp.drawn[i]! > sp.most[i]!) sp.most[i] = sp.drawn[i]!
    if (inst === sp.inst) return
    c.next[i] = c.next[i]! + revisitUs
  }
}

/** The crawler whose visit comes next (the first on a tie), or -1 when none is left. */
export function nextCrawler(c: PathCrawl): number {
  let best = -1, at = Infinity
  for (let i = 0; i < c.next.length; i++) if (c.next[i]! < at) { at = c.next[i]!; best = i }
  return best
}

/** Crawler i has made its visit: the next one is a revisit period later (with instances, the next one drawn for this pass's). */
export function advance(c: PathCrawl, i: number): void {
  c.next[i] = c.next[i]! + c.walks[i]!.revisitUs
  if (c.spread !== null) toOwnVisit(c, c.spread, i)
}

function modInverse(a: number, m: number): number {
  if (m === 1) return 0
  let [r0, r1] = [a % m, m], [s0, s1] = [1, 0]
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1)
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[s0, s1] = [s1, s0 - q * s1]
  }
  return ((s0 % m) + m) % m
}
