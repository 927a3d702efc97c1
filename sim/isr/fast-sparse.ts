/**
 * Sparse traffic in fast mode (docs/fast-mode.md): a route whose run holds far fewer requests
 * than it has (instance, path) pairs, as a catalogue of 40M variant pages visited 100k times a
 * day. Running every pair's timeline costs a draw per pair even when nothing happens on it;
 * here only the pairs with a request that changes state are run.
 *
 * Before its first such request a pair's timeline is fixed by the build: a prerendered page is
 * fresh until `startUs` (its window's requests are HITs, deferred in bulk), a page never
 * rendered has nothing before its first request. So the first state-changing request is the
 * pair's first arrival at or after its start. The route's arrivals are one Poisson process of
 * which each pair's is an independent thinning (popularity × balancer). Drawing that process
 * over the run, with a path and an instance for each arrival, and keeping per pair the first
 * arrival past its start, gives every pair's first state-changing request, jointly, in
 * distribution; each visited pair's timeline then goes on from it with fresh draws (the
 * process after an arrival is independent of it). The pairs never visited add only their
 * build-fixed windows, in bulk at their summed share (fast-paths.ts).
 */
import { createAlias, pickAliasInt32, type AliasTable } from '../kernel/dist.ts'
import { indexBelow, type AleaRng } from '../kernel/rng.ts'
import { createZipf, sampleZipf, type ZipfSampler } from '../kernel/zipf.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { ResolvedRoute } from './entries.ts'
import { bulk, nextArrival, type PathCtx, type PathState } from './fast-path-ctx.ts'
import { lambdaAt } from './fast-rate.ts'
import { runPath } from './fast-timeline.ts'
import { HIT, NOT_FOUND } from './metrics.ts'

/** The most arrivals the sparse draw takes (a map entry per visited pair: ~80 bytes each at most 2^20). */
export const SPARSE_MAX_ARRIVALS = 1 << 20

/** The visited pairs (key = path × instances + instance, ascending) and each one's first state-changing arrival (continuous µs). */
export interface SparseVisits {
  readonly keys: Float64Array
  readonly firstUs: Float64Array
}

/**
 * Whether route r's traffic is sparse enough to draw its visits: at most a quarter of the pairs
 * a request can reach (paths of positive share). No crawlers and no deploys: their visits and
 * new builds are per path.
 */
export function isSparse(c: PathCtx, s: Scenario, r: ResolvedRoute, instances: number, hasCrawl: boolean, deploys: number): boolean {
  if (hasCrawl || deploys > 0 || r.count < 2) return false
  const pop = s.routes[r.index]!.traffic.popularity
  const reachable = pop !== 'uniform' && 'weights' in pop ? pop.weights.slice(0, r.count).filter((w) => w > 0).length : r.count
  const expected = lambdaAt(c.curve, c.endCont)
  return expected <= SPARSE_MAX_ARRIVALS && expected * 4 <= reachable * instances
}

/**
 * Draws path indexes by the route's popularity with no table the size of the route: uniform,
 * Zipf by rejection-inversion (kernel/zipf.ts), or an alias table over the weights given (the
 * paths past them have none), the same distributions as fast-paths.ts shareOf.
 */
function pathPicker(s: Scenario, r: ResolvedRoute): (rng: AleaRng) => number {
  const pop = s.routes[r.index]!.traffic.popularity, n = r.count
  if (pop === 'uniform') return (rng) => indexBelow(rng, n)
  if ('zipf' in pop) { const z: ZipfSampler = createZipf(n, pop.zipf); return (rng) => sampleZipf(z, rng) }
  const alias: AliasTable = createAlias(pop.weights.slice(0, n))
  return (rng) => pickAliasInt32(alias, rng.nextInt32())
}

/**
 * Draws the route's arrivals over the run (c.share must be the route's whole share, 1) with a
 * path and an instance each, from `pathRng`; `startUs(k)` is path k's start (Infinity: no
 * request ever changes its state).
 */
export function sparseVisits(c: PathCtx, s: Scenario, r: ResolvedRoute, instances: number, pathRng: AleaRng, startUs: (k: number) => number): SparseVisits {
  const pick = pathPicker(s, r)
  const first = new Map<number, number>()
  for (let t = nextArrival(c, 0); t < c.endCont; t = nextArrival(c, t)) {
    const k = pick(pathRng)
    const inst = instances === 1 ? 0 : indexBelow(pathRng, instances)
    if (t < startUs(k)) continue
    const key = k * instances + inst
    if (!first.has(key)) first.set(key, t)
  }
  const keys = Float64Array.from(first.keys()).sort()
  return { keys, firstUs: Float64Array.from(keys, (key) => first.get(key)!) }
}

/**
 * Runs route r's visited (instance, path) pairs, each from its first state-changing arrival, then
 * the rest in bulk: prerendered pages fresh until their start (all run with revalidate false), and
 * without dynamicParams the never-rendered pages' 404s. `share(k)` is path k's share of the route.
 */
export function runSparse(c: PathCtx, st: PathState, s: Scenario, r: ResolvedRoute, share: (k: number) => number, instances: number, buildAtUs: number, pathRng: AleaRng): void {
  // The build's entry is fresh until lastModified + revalidate (+ 0.5: the boundary is fresh), or
  // expire if lower on 16.3+, as fast-timeline.ts runStretch's first window; from 0 at the earliest.
  const limitUs = c.profile.enforcesExpire ? Math.min(r.revalidateUs, r.expireUs) : r.revalidateUs
  const builtStart = Math.max(0, buildAtUs + limitUs + 0.5)
  const startUs = (k: number) => (k < r.prebuilt ? builtStart : r.dynamicParams ? 0 : Infinity)
  const flat = c.curve.segUs === Infinity
  c.share = 1
  c.usPerArrival = flat ? 1 / c.curve.segRate[0]! : NaN
  const v = sparseVisits(c, s, r, instances, pathRng, startUs)
  let visitedBuilt = 0
  for (let j = 0; j < v.keys.length; j++) {
    const key = v.keys[j]!, k = Math.floor(key / instances)
    c.share = share(k) / instances
    if (flat) c.usPerArrival = 1 / (c.share * c.curve.segRate[0]!)
    runPath(c, st, k, buildAtUs, v.firstUs[j]!)
    if (k < r.prebuilt) visitedBuilt += c.share
  }
  let built = 0
  for (let k = 0; k < r.prebuilt; k++) built += share(k)
  // The pairs no request reached: only what the build fixed, at their summed share (a float residue of the difference is no share).
  c.share = built - visitedBuilt > 1e-12 * built ? built - visitedBuilt : 0
  if (c.share > 0) bulk(c, HIT, 0, Math.min(builtStart, c.endCont), buildAtUs, true)
  // (With every page prebuilt there are none: 1 − built would leave a float residue.)
  c.share = r.prebuilt >= r.count ? 0 : 1 - built
  if (!r.dynamicParams && c.share > 0) bulk(c, NOT_FOUND, 0, c.endCont, 0, false)
}
