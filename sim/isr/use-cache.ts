/**
 * 'use cache' functions' entries (docs/semantics.md §12.5, §12.6): the default cache handler, an
 * in-memory LRU in each `next start` process (lost on restart, never seeded by the build, not
 * shared by instances even with a shared ISR cache handler), and 'use cache: remote', one
 * store every instance shares (a configured remote handler: it survives restarts). The Data
 * Cache (data-cache.ts) hands a render's read of such a function to `read`.
 *
 * Read rules (16.4.6 use-cache-wrapper.ts and cache-handlers/default.ts; 15.5.29 the same
 * shape): an entry past its revalidate or expire is dropped by the handler, so the function
 * runs in the foreground of whatever render reads it (no stale serving by time, no one-cycle
 * lag); a tag marked stale by revalidateTag(tag, profile) (16.x) leaves the entry readable but
 * stale: a dynamic render serves it and regenerates it in the background (once per key and
 * process), an ISR render regenerates it in the foreground; an expired tag (updateTag, the
 * one-argument form, revalidatePath, 15's revalidateTag) is a miss.
 */
import { grown } from '../kernel/grow.ts'
import { UINT32_SCALE, type AleaRng } from '../kernel/rng.ts'
import { SlotMap } from '../kernel/slot-map.ts'
import { secToUs } from '../kernel/time.ts'
import { deploymentOf, type Scenario } from '../scenario/schema.ts'
import { INFINITE_CACHE_S, isUseCacheKind, resolveLife } from './cache-life.ts'
import * as Decision from './decide.ts'
import type { VersionProfile } from './profiles.ts'
import type { TagsManifest } from './tags-manifest.ts'
import type { TraceEvent } from './trace.ts'

const { TAGS_EXPIRED, TAGS_STALE } = Decision

/** What this store needs of a data read (data-cache.ts's FetchInfo). */
interface FunctionInfo {
  readonly id: string
  readonly spec: { readonly failureRate: number }
  /** Its keys are base .. base + keys - 1 among all data reads' keys. */
  readonly base: number
  readonly latencyUs: number
  /** Its stream: one draw per run (its failures). */
  readonly rng: AleaRng
}

export interface UseCacheStore {
  /** Per route × maxF data read: 1 when it is a 'use cache' function (read here, not in the Data Cache). */
  readonly isUseCache: Uint8Array
  /** The last read's data time: when the entry it served was generated, µs. */
  readAtUs: number
  /**
   * Route × maxF read j, of fetch fi, key `key` (-1: a one-off path, never stored), for global
   * path p on instance inst, in an ISR render (`isr`) or a dynamic one; `bypass`: an on-demand
   * revalidation, which skips the handler. Returns the render's wait for it, µs (0: served).
   * `ignore` / `ignoreOff`: the tags that do not apply to this function (data-cache.ts).
   */
  read(j: number, fi: number, key: number, p: number, inst: number, isr: boolean, bypass: boolean, ignore: Uint8Array, ignoreOff: number): number
  /** A process restart: its default-handler entries are gone (remote ones stay). */
  restart(inst: number): void
  /** A new build goes live: every process is new, and no key of the old build matches. */
  rebuild(): void
  /** Entries held now (default handlers of every instance, then the remote store), for tests. */
  held(): number
}

export function createUseCacheStore(
  s: Scenario, profile: VersionProfile, fetches: readonly FunctionInfo[], maxF: number, keys: number,
  manifest: TagsManifest, clock: Float64Array, warmupUs: number, originFetches: Float64Array, trace: ((e: TraceEvent) => void) | null,
  lazy: boolean,
): UseCacheStore {
  const instances = deploymentOf(s).instances
  // Stores 0 .. instances - 1: each process's default handler; store `instances`: the remote one.
  const stores = instances + 1
  // Per (store, key) slot, store × keys + key: a row, the slot itself; or, when exact mode's
  // records are lazy (entries.ts), a row made at the slot's first read (a slot never read holds
  // no entry and zero times, as a fresh array cell does). None without a 'use cache' function.
  const any = s.routes.some((r) => r.fetches.some((f) => isUseCacheKind(f.kind)))
  const dir = lazy ? new SlotMap() : null
  const n = !any ? 0 : lazy ? 64 : stores * keys
  let has = new Uint8Array(n)
  /** When the entry's generation started (the handler's timestamp), µs. */
  let tsUs = new Float64Array(n)
  /** Until when a background regeneration of the key runs in that process, µs. */
  let bgUntilUs = new Float64Array(n)
  function rowOf(slot: number): number {
    if (dir === null) return slot
    const d = dir.findOrAdd(slot)
    if (d === has.length) { has = grown(has, d + 1); tsUs = grown(tsUs, d + 1); bgUntilUs = grown(bgUntilUs, d + 1) }
    return d
  }
  const isUseCache = new Uint8Array(s.routes.length * maxF)
  const remote = new Uint8Array(s.routes.length * maxF)
  const revalUs = new Float64Array(s.routes.length * maxF)
  const expireUs = new Float64Array(s.routes.length * maxF)
  s.routes.forEach((r, ri) => r.fetches.forEach((f, i) => {
    if (!isUseCacheKind(f.kind)) return
    const j = ri * maxF + i
    const life = resolveLife(profile, f.cacheLife)
    isUseCache[j] = 1
    remote[j] = f.kind === 'use cache: remote' ? 1 : 0
    revalUs[j] = life.revalidateS >= INFINITE_CACHE_S ? Infinity : secToUs(life.revalidateS)
    expireUs[j] = life.expireS >= INFINITE_CACHE_S ? Infinity : secToUs(life.expireS)
  }))

  /** Run function fi now for store row `row` (not stored when `store` is false); returns whether it succeeded. */
  function generate(fi: number, row: number, key: number, inst: number, mode: 'foreground' | 'background', store: boolean): boolean {
    const f = fetches[fi]!
    const now = clock[0]!
    if (now >= warmupUs) originFetches[fi] = originFetches[fi]! + 1
    const ok = (f.rng.nextInt32() >>> 0) * UINT32_SCALE >= f.spec.failureRate
    if (trace !== null) trace({ kind: 'fetch', atUs: now, fetch: f.id, key, mode, ok, instance: inst })
    // Decision: the entry is set with the generation's start as its timestamp (as the handler
    // does) when the generation starts; a read during its latencyS finds it.
    if (ok && store) { has[row] = 1; tsUs[row] = now }
    return ok
  }

  const self: UseCacheStore = {
    isUseCache,
    readAtUs: 0,
    read(j, fi, key, p, inst, isr, bypass, ignore, ignoreOff) {
      const now = clock[0]!
      const f = fetches[fi]!
      const row = rowOf((remote[j] === 1 ? instances : inst) * keys + f.base + (key < 0 ? 0 : key))
      const stored = key >= 0
      if (stored && !bypass && has[row] === 1) {
        const ageUs = now - tsUs[row]!
        // The handler drops an entry past its revalidate (production) or its expire: a miss.
        if (ageUs <= revalUs[j]! && ageUs <= expireUs[j]!) {
          const tags = p < 0 ? Decision.TAGS_NONE : manifest.check(inst, p, ignore, ignoreOff, tsUs, row)
          if (tags !== TAGS_EXPIRED) {
            self.readAtUs = tsUs[row]!
            if (tags !== TAGS_STALE) return 0
            // 16.x revalidateTag(tag, profile): stale (revalidate -1). A dynamic render serves
            // it and regenerates it in the background, once per key and process; an ISR render
            // regenerates it in the foreground.
            if (!isr) {
              if (bgUntilUs[row]! <= now) {
                bgUntilUs[row] = now + f.latencyUs
                generate(fi, row, key, inst, 'background', true)
              }
              return 0
            }
          }
        }
      }
      // A failed run leaves the data the page had: the entry's, if any.
      const before = tsUs[row]!
      self.readAtUs = generate(fi, row, key, inst, 'foreground', stored) ? now : before
      return f.latencyUs
    },
    restart(inst) {
      if (dir === null) {
        has.fill(0, inst * keys, (inst + 1) * keys)
        bgUntilUs.fill(0, inst * keys, (inst + 1) * keys)
        return
      }
      for (let d = 0; d < dir.size; d++) {
        if (Math.floor(dir.keys[d]! / keys) !== inst) continue
        has[d] = 0
        bgUntilUs[d] = 0
      }
    },
    rebuild() {
      // Cache keys include the build id: the new build finds no entry, remote ones included.
      has.fill(0)
      bgUntilUs.fill(0)
    },
    held() {
      return has.reduce((n, x) => n + x, 0)
    },
  }
  return self
}
