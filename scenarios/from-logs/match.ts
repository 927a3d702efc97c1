/**
 * Requests to routes as Next matches them: one trie over the scenario's patterns, walked
 * segment by segment in Next's order (static before dynamic, dynamic before catch-all,
 * catch-all before optional catch-all), backtracking when a branch does not match, so the
 * first match is the one Next's sorted route list gives. Route groups `(name)` and parallel
 * route slots `@name` are not URL segments and are dropped.
 */

interface Node {
  readonly children: Map<string, Node>
  dynamic: Node | null
  /** Route index of the page here, -1 when none. */
  page: number
  catchAll: number
  optionalCatchAll: number
}

const node = (): Node => ({ children: new Map(), dynamic: null, page: -1, catchAll: -1, optionalCatchAll: -1 })

export interface RouteMatcher {
  /** The index (into the patterns) of the route serving `path`, or -1. */
  match(path: string): number
  /** Patterns that another one shadows (the same URLs), as warnings. */
  readonly conflicts: readonly string[]
}

/** The URL segments of a pattern: groups and slots removed. */
export function patternSegments(pattern: string): string[] {
  return pattern.split('/').filter((s) => s !== '' && !(s.startsWith('(') && s.endsWith(')')) && !s.startsWith('@'))
}

export function isDynamicPattern(pattern: string): boolean {
  return patternSegments(pattern).some((s) => s.startsWith('['))
}

export function buildMatcher(patterns: readonly string[]): RouteMatcher {
  const root = node()
  const conflicts: string[] = []
  patterns.forEach((pattern, ri) => {
    const segs = patternSegments(pattern)
    let n = root
    const claim = (slot: 'page' | 'catchAll' | 'optionalCatchAll') => {
      if (n[slot] >= 0) conflicts.push(`${pattern} serves the same URLs as ${patterns[n[slot]]}; requests go to the first`)
      else n[slot] = ri
    }
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!
      const last = i === segs.length - 1
      if (s.startsWith('[[...') && last) return claim('optionalCatchAll')
      if (s.startsWith('[...') && last) return claim('catchAll')
      if (s.startsWith('[')) {
        n.dynamic ??= node()
        n = n.dynamic
      } else {
        let c = n.children.get(s)
        if (!c) { c = node(); n.children.set(s, c) }
        n = c
      }
    }
    claim('page')
  })

  function walk(n: Node, path: string, pos: number): number {
    if (pos >= path.length) return n.page >= 0 ? n.page : n.optionalCatchAll
    let end = path.indexOf('/', pos)
    if (end < 0) end = path.length
    if (end === pos) return walk(n, path, pos + 1) // "//": an empty segment
    const child = n.children.size > 0 ? n.children.get(path.slice(pos, end)) : undefined
    if (child) {
      const r = walk(child, path, end + 1)
      if (r >= 0) return r
    }
    if (n.dynamic) {
      const r = walk(n.dynamic, path, end + 1)
      if (r >= 0) return r
    }
    return n.catchAll >= 0 ? n.catchAll : n.optionalCatchAll
  }

  return { match: (path: string) => walk(root, path, 1), conflicts }
}
