/**
 * A route's path indexes, shared by the fit and the replay: the scenario's params.paths keep
 * their block (the first `prebuilt` of them are the prebuilt ones, so they stay first), then
 * the paths first seen in the log, most popular first (human requests, then crawler requests,
 * then the path), then, for a replay, the paths that were only ever answered 404.
 *
 * With `reorderExisting` (the fit), the prebuilt block and the rest of params.paths are each
 * reordered by the log's popularity (unseen paths keep their order after the seen ones), so
 * rank 0 is the most requested prebuilt page and Zipf's ranks mean what they say. Without it
 * (replaying a log against an already fitted scenario), params.paths keep their indexes.
 */
import { pagePath } from './path.ts'
import type { PathEntry } from './tally.ts'

export interface RoutePaths {
  /** Index = the scenario's path index. */
  readonly paths: readonly string[]
  /** paths[0..known) are real pages (params.paths); the rest were only answered 404. */
  readonly known: number
  /** The path index of each tally entry, by entry id. */
  readonly indexOfId: Int32Array
}

const popular = (a: PathEntry, b: PathEntry) => b.human - a.human || b.crawler - a.crawler || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

export function indexPaths(existing: readonly string[], prebuilt: number, entries: readonly PathEntry[], reorderExisting: boolean): RoutePaths {
  const byPath = new Map(entries.map((e) => [e.path, e] as const))
  const entryOf = (p: string) => {
    const n = pagePath(p)
    return byPath.get(n.charCodeAt(0) === 0 ? p : n)
  }
  const block = (xs: readonly string[]) => {
    if (!reorderExisting) return [...xs]
    const seen = xs.map((p, i) => ({ p, i, e: entryOf(p) }))
    return seen.sort((a, b) => {
      const ea = a.e !== undefined && a.e.human + a.e.crawler > 0 ? a.e : undefined
      const eb = b.e !== undefined && b.e.human + b.e.crawler > 0 ? b.e : undefined
      if (ea && eb) return popular(ea, eb) || a.i - b.i
      if (ea) return -1
      if (eb) return 1
      return a.i - b.i
    }).map((x) => x.p)
  }
  const cut = Math.min(prebuilt, existing.length)
  const paths = [...block(existing.slice(0, cut)), ...block(existing.slice(cut))]
  const listed = new Set<PathEntry>()
  for (const p of existing) {
    const e = entryOf(p)
    if (e) listed.add(e)
  }
  const fresh = entries.filter((e) => !listed.has(e) && e.human + e.crawler > 0).sort(popular)
  for (const e of fresh) paths.push(e.path)
  const known = paths.length
  for (const e of entries.filter((x) => !listed.has(x) && x.human + x.crawler === 0).sort((a, b) => b.unknown - a.unknown || a.id - b.id)) paths.push(e.path)
  const indexOfId = new Int32Array(entries.length).fill(-1)
  const at = new Map<PathEntry, number>()
  paths.forEach((p, i) => {
    const e = entryOf(p)
    if (e && !at.has(e)) at.set(e, i)
  })
  for (const e of entries) indexOfId[e.id] = at.get(e) ?? -1
  return { paths, known, indexOfId }
}
