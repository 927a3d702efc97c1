/** A route's popularity over its paths: the weights the arrival process and the closed form draw from. */
import { zipfWeights } from '../kernel/dist.ts'
import type { RouteConfig } from '../scenario/schema.ts'

/** A route's popularity as weights over its `count` paths, rank 0 first; null when uniform. */
export function popularityWeights(p: RouteConfig['traffic']['popularity'], count: number): Float64Array | null {
  if (p === 'uniform') return null
  if ('zipf' in p) return zipfWeights(count, p.zipf)
  const w = new Float64Array(count)
  w.set(p.weights.slice(0, count))
  return w
}
