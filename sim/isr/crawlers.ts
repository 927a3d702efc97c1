/**
 * Crawlers (issue 14): a crawler walks P of a route's paths (ranks 0..P-1), visiting each
 * once per revisit period V, evenly spaced (P / V requests per second), in a fixed shuffled
 * order. Request j (j = c·P + i, cycle c, position i < P) goes
 *   at    t_j = phase + c·V + roundHalfUp(i·V / P)   (= roundHalfUp(phase + j·V/P): V and phase are whole µs)
 *   to    perm(i) = (start + stride·i) mod P,        gcd(stride, P) = 1.
 * perm is an affine bijection of 0..P-1, the same every cycle, so each path's visits are
 * exactly V apart. The walk needs O(1) memory for any P (up to 50 million), and the model
 * steps perm by one addition mod P per request: integers only, exact for any P.
 * stride, start and the phase (in [0, V/P)) are drawn once from the crawler's own stream,
 * `crawler/<route id>#<index>`, so a crawler moves no other stream.
 */
import { UINT32_SCALE, type Rng } from '../kernel/rng.ts'

export interface CrawlerWalk {
  /** P: the paths it walks (ranks 0..P-1). */
  readonly paths: number
  /** V, whole µs. */
  readonly revisitUs: number
  /** perm(i) = (start + stride·i) mod P. */
  readonly stride: number
  readonly start: number
  /** Time of request 0, whole µs in [0, V/P). */
  readonly phaseUs: number
}

/** The stream key of crawler `index` of a route. */
export function crawlerStreamKey(routeId: string, index: number): string {
  return `${routeId}#${index}`
}

/** Draws a crawler's walk: stride (coprime with P), start and phase, in that order, from its stream. */
export function drawCrawlerWalk(rng: Rng, paths: number, revisitUs: number): CrawlerWalk {
  const u = () => (rng.nextInt32() >>> 0) * UINT32_SCALE
  let stride = 1
  // A uniform stride in 1..P-1, redrawn until coprime with P (a few draws: φ(P)/P >= ~0.2 for P <= 5e7).
  if (paths > 2) do stride = 1 + Math.floor(u() * (paths - 1)); while (gcd(stride, paths) !== 1)
  const start = Math.floor(u() * paths)
  const phaseUs = Math.floor(u() * (revisitUs / paths))
  return { paths, revisitUs, stride, start, phaseUs }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}
