/**
 * Crawlers in fast mode: the visits of one path, in time order. A crawler's walk (crawlers.ts)
 * is an affine permutation of its paths, the same every cycle, so path k's position in it is
 * i = (k − start)·stride⁻¹ mod P and its visits are at phase + c·V + roundHalfUp(i·V/P), exactly
 * V apart: known in advance, drawn from no stream, computed per path in O(1).
 */
import type { Streams } from '../kernel/rng.ts'
import { roundHalfUp, secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import { crawlerStreamKey, drawCrawlerWalk, type CrawlerWalk } from './crawlers.ts'
import type { ResolvedRoute } from './entries.ts'

export interface PathCrawl {
  readonly walks: readonly (CrawlerWalk & { readonly inverse: number })[]
  /** Per crawler, the time of its next visit of the current path, µs (Infinity: none). */
  readonly next: Float64Array
}

/** The route's crawlers' walks, drawn from their own streams as the exact engine draws them; null without crawlers. */
export function routeCrawl(s: Scenario, r: ResolvedRoute, streams: Streams): PathCrawl | null {
  const crawlers = s.routes[r.index]!.traffic.crawlers ?? []
  if (crawlers.length === 0) return null
  const walks = crawlers.map((c, ci) => {
    const walk = drawCrawlerWalk(streams.claim('crawler', crawlerStreamKey(r.id, ci)), c.paths ?? r.count, secToUs(c.revisitS))
    return { ...walk, inverse: modInverse(walk.stride, walk.paths) }
  })
  return { walks, next: new Float64Array(walks.length) }
}

/** Sets each crawler's first visit of path k (route-local), Infinity for a crawler that does not walk it. */
export function startPath(c: PathCrawl, k: number): void {
  for (let i = 0; i < c.walks.length; i++) {
    const w = c.walks[i]!
    if (k >= w.paths) { c.next[i] = Infinity; continue }
    // Products stay below 2^53 for P <= 5e7 (the schema's limit on crawler paths).
    const pos = (((k - w.start) % w.paths + w.paths) % w.paths) * w.inverse % w.paths
    c.next[i] = w.phaseUs + roundHalfUp((pos * w.revisitUs) / w.paths)
  }
}

/** The crawler whose visit comes next (the first on a tie), or -1 when none is left. */
export function nextCrawler(c: PathCrawl): number {
  let best = -1, at = Infinity
  for (let i = 0; i < c.next.length; i++) if (c.next[i]! < at) { at = c.next[i]!; best = i }
  return best
}

/** Crawler i has made its visit: the next one is a revisit period later. */
export function advance(c: PathCrawl, i: number): void {
  c.next[i] = c.next[i]! + c.walks[i]!.revisitUs
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
