/**
 * The Data Cache's entries (§5.3), one per (cache, key) slot: whether it holds an entry, when it
 * was written and when its data was read. Eager: an array cell per slot. Lazy (when exact mode's
 * records are lazy, entries.ts): a row is made at a slot's first use, so a site of 40M paths with
 * a per-path fetch costs only the keys its renders read. A slot with no row holds the build's
 * seed (§11.3): the keys the build prerendered hold an entry written and read at the last seeding
 * while the live build seeded them, and otherwise keep that seeding's times with no entry, as the
 * eager cells do after a deploy clears them. Both give the same bytes (test/lazy-entries.test.ts).
 */
import { grown } from '../kernel/grow.ts'
import { SlotMap } from '../kernel/slot-map.ts'

/** The Data Cache as a deploy found it (build-reuse.ts): valid until the next deploy. */
export interface FetchCacheSnapshot {
  hasEntry(slot: number): boolean
  lastModUs(slot: number): number
  dataAtUs(slot: number): number
  /** Calls fn for every slot holding an entry. */
  forEachEntry(fn: (slot: number) => void): void
}

export interface FetchCacheRows {
  /** Per row: 1 when it holds an entry, when it was written, when its data was read. Lazy rows move as they grow: read them after rowOf. */
  has: Uint8Array
  lastModUs: Float64Array
  dataAtUs: Float64Array
  /** The row of a slot, made (from the seed) on first use when lazy. */
  rowOf(slot: number): number
  /** Rows held, and the slot of each (for the end-of-run checks). */
  rows(): number
  slotOfRow(row: number): number
  hasEntry(slot: number): boolean
  /** The slot holds an entry written at lastModUs with data read at dataAtUs. */
  setEntry(slot: number, lastModUs: number, dataAtUs: number): void
  /** A new build goes live at atUs: no entry is left; `seed`: the build's keys hold one written at atUs. */
  rebuild(atUs: number, seed: boolean): void
  snapshot(): FetchCacheSnapshot
}

/**
 * The fetch whose keys hold global key `key`: the last whose base is at most key (fetches' keys
 * are consecutive ranges in order; one with no keys shares the next one's base), -1 if none.
 */
export function fetchOfKey(bases: ArrayLike<number>, key: number): number {
  let lo = -1, hi = bases.length - 1
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (bases[mid]! <= key) lo = mid; else hi = mid - 1 }
  return lo
}

/**
 * caches × keys slots; `seeded[k]`: how many keys from `bases[k]` the build seeds (fetch k's).
 * `seedAtUs`: the first build's seeding, or null when it seeds nothing.
 */
export function createFetchCacheRows(caches: number, keys: number, bases: Int32Array, seeded: Int32Array, seedAtUs: number | null, lazy: boolean): FetchCacheRows {
  const dir = lazy ? new SlotMap() : null
  const n = lazy ? 64 : caches * keys
  let has = new Uint8Array(n), lastModUs = new Float64Array(n), dataAtUs = new Float64Array(n)
  /** The last seeding's time (0 if none yet), and whether the live build's keys hold its entries. */
  let lastSeedUs = seedAtUs ?? 0, liveSeeded = seedAtUs !== null

  function isSeededKey(key: number): boolean {
    const k = fetchOfKey(bases, key)
    return k >= 0 && key - bases[k]! < seeded[k]!
  }
  /** Calls fn for every seeded slot. */
  function forEachSeeded(fn: (slot: number) => void): void {
    for (let c = 0; c < caches; c++) for (let k = 0; k < bases.length; k++) for (let j = 0; j < seeded[k]!; j++) fn(c * keys + bases[k]! + j)
  }
  function seed(atUs: number): void {
    forEachSeeded((slot) => {
      const d = dir === null ? slot : dir.find(slot)
      if (d < 0) return // a lazy slot with no row takes the seed as it is
      has[d] = 1
      lastModUs[d] = atUs
      dataAtUs[d] = atUs
    })
  }
  if (seedAtUs !== null && dir === null) seed(seedAtUs)

  function rowOf(slot: number): number {
    if (dir === null) return slot
    const before = dir.size
    const d = dir.findOrAdd(slot)
    if (d < before) return d
    if (d === has.length) { has = grown(has, d + 1); lastModUs = grown(lastModUs, d + 1); dataAtUs = grown(dataAtUs, d + 1); self.has = has; self.lastModUs = lastModUs; self.dataAtUs = dataAtUs }
    const s = isSeededKey(slot % keys)
    has[d] = s && liveSeeded ? 1 : 0
    lastModUs[d] = s ? lastSeedUs : 0
    dataAtUs[d] = s ? lastSeedUs : 0
    return d
  }

  const self: FetchCacheRows = {
    has, lastModUs, dataAtUs, rowOf,
    rows: () => (dir === null ? caches * keys : dir.size),
    slotOfRow: (row) => (dir === null ? row : dir.keys[row]!),
    hasEntry(slot) {
      if (dir === null) return has[slot] === 1
      const d = dir.find(slot)
      return d >= 0 ? has[d] === 1 : liveSeeded && isSeededKey(slot % keys)
    },
    setEntry(slot, lastMod, dataAt) {
      const d = rowOf(slot)
      has[d] = 1
      lastModUs[d] = lastMod
      dataAtUs[d] = dataAt
    },
    rebuild(atUs, seedIt) {
      has.fill(0)
      liveSeeded = seedIt
      if (seedIt) { lastSeedUs = atUs; seed(atUs) }
    },
    snapshot() {
      if (dir === null) {
        const h = has.slice(), l = lastModUs.slice(), a = dataAtUs.slice()
        return {
          hasEntry: (slot) => h[slot] === 1, lastModUs: (slot) => l[slot]!, dataAtUs: (slot) => a[slot]!,
          forEachEntry(fn) { for (let slot = 0; slot < h.length; slot++) if (h[slot] === 1) fn(slot) },
        }
      }
      // Rows made after the snapshot (the deploy's own writes) are not in it: only rows below `rows` are.
      const rows = dir.size, h = has.slice(0, rows), l = lastModUs.slice(0, rows), a = dataAtUs.slice(0, rows), seedUs = lastSeedUs, seededThen = liveSeeded
      const rowIn = (slot: number) => { const d = dir.find(slot); return d < rows ? d : -1 }
      return {
        hasEntry(slot) { const d = rowIn(slot); return d >= 0 ? h[d] === 1 : seededThen && isSeededKey(slot % keys) },
        lastModUs(slot) { const d = rowIn(slot); return d >= 0 ? l[d]! : isSeededKey(slot % keys) ? seedUs : 0 },
        dataAtUs(slot) { const d = rowIn(slot); return d >= 0 ? a[d]! : isSeededKey(slot % keys) ? seedUs : 0 },
        forEachEntry(fn) {
          for (let d = 0; d < rows; d++) if (h[d] === 1) fn(dir.keys[d]!)
          if (seededThen) forEachSeeded((slot) => { if (rowIn(slot) < 0) fn(slot) })
        },
      }
    },
  }
  return self
}
