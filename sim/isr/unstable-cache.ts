/**
 * unstable_cache entries (docs/semantics.md §13). They live in the Data Cache beside fetch
 * entries (the same .next/cache/fetch-cache files, kind FETCH with no URL): one entry per key
 * (the fetch id, and per path when perPath), its own tags plus the page's implicit ones, stale
 * when strictly older than its revalidate, never expired by time, kept across restarts. What
 * differs from a fetch is here: it is always cached (on every version, in every render), its
 * revalidate without a number is one year rather than the route's, and whether a render waits
 * for a stale entry's refresh (awaitsUnstableCacheRefresh in profiles.ts: the one-cycle lag).
 */
import { ONE_YEAR_S, secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'

type FetchSpec = Scenario['routes'][number]['fetches'][number]

/** Whether a route's data read is an unstable_cache function (§13). */
export function isUnstableCache(f: Pick<FetchSpec, 'kind'>): boolean {
  return f.kind === 'unstable_cache'
}

/**
 * The revalidate an unstable_cache entry is stored and judged with, µs (§13): its own seconds;
 * `false` or none is stored as CACHE_ONE_YEAR (it never goes stale by time within a run that
 * short, only by its tags). Unlike a fetch, it never takes the route's revalidate.
 */
export function unstableCacheRevalidateUs(f: Pick<FetchSpec, 'revalidateS'>): number {
  return typeof f.revalidateS === 'number' ? secToUs(f.revalidateS) : secToUs(ONE_YEAR_S)
}
