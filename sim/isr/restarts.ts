/**
 * Process restarts (§11.2): memory, the cache controls and (15+, local caches) the tags
 * manifest are lost; entries are read back from disk (or the shared handler) with their
 * times. Prebuilt paths fall back to the manifest's revalidate, paths generated on demand to
 * the 1 s default until regenerated once (§1.1). In-flight renders finish (a graceful restart).
 */
import type { Engine } from '../kernel/engine.ts'
import { secToUs } from '../kernel/time.ts'
import type { Scenario } from '../scenario/schema.ts'
import type { DataCache } from './data-cache.ts'
import type { Entries } from './entries.ts'
import { EV_RESTART, RANK_ON_DEMAND } from './events.ts'
import type { PagesRoutes } from './pages.ts'
import { keepsCacheControlOnRestart, keepsTagsOnRestart, type VersionProfile } from './profiles.ts'
import type { TagsManifest } from './tags-manifest.ts'

export interface Restarts {
  /** Schedules the scenario's restarts (before any request at the same µs). */
  start(): void
  /** Restart instance `which` (every instance when it equals the instance count). */
  restart(which: number): void
}

export function createRestarts(
  s: Scenario, profile: VersionProfile, instances: number, sharedCache: boolean, entries: Entries, manifest: TagsManifest, data: DataCache,
  pages: PagesRoutes, engine: Engine, durationUs: number,
): Restarts {
  return {
    start() {
      for (const r of s.restarts) {
        const t = secToUs(r.atS)
        if (t < durationUs) engine.at(t, RANK_ON_DEMAND, EV_RESTART, r.instance ?? instances)
      }
    },
    restart(which) {
      for (let inst = 0; inst < instances; inst++) {
        if (which !== instances && inst !== which) continue
        if (!keepsTagsOnRestart(profile, sharedCache)) manifest.clear(inst)
        data.useCache.restart(inst) // §12.5: the default handler is this process's memory
        // Entries stay (on disk, or in the shared handler); this process's cache controls do
        // not, unless the profile reads the entry's stored cache control back (16.4).
        entries.restartCacheControls(inst, pages.appRoutes, keepsCacheControlOnRestart(profile, false))
        if (pages.any) entries.restartCacheControls(inst, pages.pagesRoutes, keepsCacheControlOnRestart(profile, true))
      }
    },
  }
}
