/** A route's popularity over its paths: the weights the arrival process and the closed form draw from. */
import { createAlias, zipfWeights, type AliasTable } from '../kernel/dist.ts'
import { createZipf, type ZipfSampler } from '../kernel/zipf.ts'
import type { RouteConfig } from '../scenario/schema.ts'

/** Zipf over more paths than this is drawn by rejection-inversion (kernel/zipf.ts): an alias table costs 16 bytes a path, 36 while built. */
export const ZIPF_TABLE_MAX_PATHS = 1 << 21

/** How exact mode draws a route's paths: uniformly (both null), from an alias table, or Zipf with no table. */
export function pathSampler(p: RouteConfig['traffic']['popularity'], count: number): { readonly alias: AliasTable | null; readonly zipf: ZipfSampler | null } {
  if (p === 'uniform' || count === 1) return { alias: null, zipf: null }
  if ('zipf' in p && count > ZIPF_TABLE_MAX_PATHS) return { alias: null, zipf: createZipf(count, p.zipf) }
  return { alias: createAlias(popularityWeights(p, count)!), zipf: null }
}

/** A route's popularity as weights over its `count` paths, rank 0 first; null when uniform. */
export function popularityWeights(p: RouteConfig['traffic']['popularity'], count: number): Float64Array | null {
  if (p === 'uniform') return null
  if ('zipf' in p) return zipfWeights(count, p.zipf)
  const w = new Float64Array(count)
  w.set(p.weights.slice(0, count))
  return w
}
