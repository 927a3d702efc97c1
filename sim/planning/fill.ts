/**
 * The one-off fill of a cold cache, apart from steady state. A route's fillWrites are its
 * writes of paths a cache had no entry for: the cold start's fill, and the refill after each
 * deploy or purge. The start's fill happens once; the refills recur with the deploys and
 * purges (a month repeats them like the rest of the run). So the run holds 1 + k fill cycles
 * (the start and the k resets within the measured period), and only the start's is one-off.
 */
import type { RouteConfig, Scenario } from '../scenario/schema.ts'

/** When a one-off or periodic event (a deploy, a purge) fires within [fromS, toS). */
export function firingsIn(e: { readonly atS?: number | undefined; readonly everyS?: number | undefined }, fromS: number, toS: number): number {
  const first = e.atS ?? e.everyS
  if (first === undefined) return 0
  if (e.everyS === undefined) return first >= fromS && first < toS ? 1 : 0
  const lastK = Math.ceil((toS - first) / e.everyS) - 1 // the last k with first + k × everyS < toS
  const firstK = Math.max(0, Math.ceil((fromS - first) / e.everyS))
  return Math.max(0, lastK - firstK + 1)
}

/**
 * Whether a purge's URL prefix reaches some path of the route ("/blog" reaches "/blog" and
 * "/blog/…"): the prefix covers the pattern's static head, or runs into its dynamic part.
 */
export function purgeReaches(prefix: string | undefined, pattern: string): boolean {
  if (prefix === undefined) return true
  const p = prefix.replace(/\/+$/, '')
  const head = pattern.split('[')[0]!.replace(/\/+$/, '') // the static part before the first dynamic segment
  if (p === '') return true
  if (head === p || head.startsWith(`${p}/`)) return true
  return pattern.includes('[') && p.startsWith(`${head}/`)
}

/**
 * The share of a route's fillWrites that is one-off: the cold paths at the start over all
 * the cold paths of the run's fill cycles, each cycle weighted by the paths it leaves cold
 * (a deploy with prerender leaves the prebuilt ones warm; a purge, every path it reaches). An
 * estimate: it takes every cycle to refill as much of its cold paths as the start did.
 * 1 without deploys and purges.
 */
export function oneOffFillShare(s: Scenario, r: RouteConfig): number {
  const count = r.params?.count ?? 1
  const prebuilt = Math.min(count, r.params?.prebuilt ?? count)
  const from = s.warmupS
  const to = s.durationS
  const atStart = count - prebuilt
  let recurring = 0
  for (const d of s.deploys) recurring += firingsIn(d, from, to) * (d.prerender ? count - prebuilt : count)
  for (const p of s.purges) if (purgeReaches(p.prefix, r.pattern)) recurring += firingsIn(p, from, to) * count
  if (recurring === 0) return 1
  return atStart / (atStart + recurring)
}
