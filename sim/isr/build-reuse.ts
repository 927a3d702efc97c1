/**
 * A new build that keeps `.next/cache/fetch-cache` (docs/semantics.md §15.5, deploys[].
 * reuseFetchCache). `next build` cleans `.next` except `cache`, and its prerender reads the
 * Data Cache entries earlier builds and servers left there, aged by their write time:
 * - a fresh entry (age within its revalidate) is reused as it is, on every version: the new
 *   build's prerendered page shows data older than the build;
 * - a stale one is refetched while the build waits on 16 (`buildRefetchesStaleData`); on 14
 *   and 15 it is served stale into the page and refreshed in the background, so the cache holds
 *   the build's data but the prerendered page the old one.
 * Entries the build does not read stay in the folder as they were, and the new server reads them
 * (also when the build prerendered nothing).
 * Cold path: runs once per deploy, after data.rebuild() has seeded the build's keys at atUs.
 */
import { SlotMap } from '../kernel/slot-map.ts'
import { ONE_YEAR_S, secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { DataCache } from './data-cache.ts'
import type { ResolvedRoute } from './entries.ts'
import type { FetchCacheSnapshot } from './fetch-cache-rows.ts'
import type { DataFreshness } from './freshness.ts'
import { buildRefetchesStale, isDataCached, type VersionProfile } from './profiles.ts'

/** The Data Cache as the old build left it: which slots held an entry, when written, when its data was read. */
export function snapshotFetchCache(data: DataCache): FetchCacheSnapshot {
  data.settleAll() // the old build's origin calls that completed are in the folder
  return data.rows.snapshot()
}

/**
 * After data.rebuild(atUs, prerender): restore the old entries the build reused or did not
 * read, and set the data time each prerendered page read (freshness, when tracked). Returns how
 * many (cache, key) entries the build reused fresh, how many stale ones went into a page
 * (14/15), and how many it left as they were.
 */
export function reuseFetchCache(
  s: Scenario, routes: readonly ResolvedRoute[], profile: VersionProfile, data: DataCache, old: FetchCacheSnapshot,
  fresh: DataFreshness, caches: number, totalPaths: number, atUs: number, prerender: boolean,
): { readonly reused: number; readonly staleIntoPage: number; readonly kept: number } {
  const refetch = buildRefetchesStale(profile)
  const { keys, maxF, rows } = data
  /** The slots handled, once each (several routes may make one fetch). */
  const restored = new SlotMap()
  /** Per slot the build read, the data time its prerendered page reads (the old one for a reused or a stale-served entry); atUs if none. */
  const pageReads = new Map<number, number>()
  let reused = 0, staleIntoPage = 0, kept = 0
  for (const r of routes) {
    if (!prerender || r.isDynamic || r.prebuilt === 0) continue
    const specs = s.routes[r.index]!.fetches
    // Without its own revalidate an entry takes the route's (ISR), else one year (§5.3).
    const routeRevalUs = r.revalidateUs > 0 && r.revalidateUs !== Infinity ? r.revalidateUs : secToUs(ONE_YEAR_S)
    specs.forEach((f, i) => {
      if (!isDataCached(profile, f, false)) return
      const revalUs = f.revalidateS === undefined ? routeRevalUs : f.revalidateS === false ? secToUs(ONE_YEAR_S) : secToUs(f.revalidateS)
      const j = r.index * maxF + i
      const n = data.perPath[j] === 1 ? r.prebuilt : 1
      for (let c = 0; c < caches; c++) {
        for (let k = 0; k < n; k++) {
          const slot = c * keys + data.keyBase[j]! + k
          if (!rows.hasEntry(slot) || !old.hasEntry(slot)) continue
          const before = restored.size
          if (restored.findOrAdd(slot) < before) continue
          if (atUs - old.lastModUs(slot) <= revalUs) {
            // Fresh: the build reads the old entry, which stays as it was written.
            rows.setEntry(slot, old.lastModUs(slot), old.dataAtUs(slot))
            if (fresh.tracks) pageReads.set(slot, old.dataAtUs(slot))
            reused++
          } else if (!refetch) {
            // 14/15: the page gets the stale data; the background refresh writes the build's.
            if (fresh.tracks) pageReads.set(slot, old.dataAtUs(slot))
            staleIntoPage++
          }
        }
      }
    })
  }
  // What the build did not fetch is still in the folder, as the old build and servers left it.
  old.forEachEntry((slot) => {
    if (rows.hasEntry(slot)) return
    rows.setEntry(slot, old.lastModUs(slot), old.dataAtUs(slot))
    kept++
  })
  if (fresh.tracks && prerender) {
    for (const r of routes) {
      if (r.isDynamic) continue
      for (let i = 0; i < data.routeFetches[r.index]!.length; i++) {
        const j = r.index * maxF + i
        for (let c = 0; c < caches; c++) {
          for (let p = r.firstPath; p < r.firstPath + r.prebuilt; p++) {
            const slot = c * keys + data.keyBase[j]! + (data.perPath[j] === 1 ? p - r.firstPath : 0)
            fresh.setPageData(c * totalPaths + p, i, pageReads.get(slot) ?? atUs)
          }
        }
      }
    }
  }
  return { reused, staleIntoPage, kept }
}
