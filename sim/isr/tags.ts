/**
 * Tags (docs/semantics.md §4): which cache entries an on-demand event reaches.
 * Pure functions over the scenario; the model turns their answers into per-path tag lists.
 *
 * Path k of a route is its real URL, `params.paths[k]`, and past that list its pattern with
 * every dynamic segment replaced by k (`/blog/[slug]` -> `/blog/7`), so scenarios can name
 * concrete URLs. A param of path k is taken from its real URL, else it is k.
 */
import type { NextVersion, RouteConfig, Scenario } from '../scenario/schema.ts'
import { profileFor } from './profiles.ts'

export const IMPLICIT_TAG_PREFIX = '_N_T_'

const DYNAMIC_SEGMENT = /\[{1,2}(?:\.\.\.)?([^\]]+)\]{1,2}/g

/** What real paths need of a route. */
export type RouteWithPaths = Pick<RouteConfig, 'pattern' | 'params'>

/**
 * A templated tag or path with every "{param}" replaced by path k's value of that param
 * ("post:{slug}" -> "post:hello" when path k is /blog/hello), or by k itself where path k
 * has no real URL or the route no such param ("post:7").
 */
export function fillTemplate(t: string, k: number, route?: RouteWithPaths): string {
  const info = route === undefined ? null : realPathsOf(route)
  if (info === null || !(k < info.list.length)) return t.replace(/\{[^}]*\}/g, String(k))
  return fillWith(compileTemplate(t, info.names), valuesOf(info)[k]!, k)
}

/** A template as alternating literal parts and param slots (index into the route's params, -1: none). */
interface CompiledTemplate { readonly parts: readonly string[]; readonly slots: readonly number[] }

function compileTemplate(t: string, names: readonly string[]): CompiledTemplate {
  const pieces = t.split(/\{([^}]*)\}/)
  return { parts: pieces.filter((_, i) => i % 2 === 0), slots: pieces.filter((_, i) => i % 2 === 1).map((name) => names.indexOf(name)) }
}

function fillWith(c: CompiledTemplate, values: readonly string[], k: number): string {
  let out = c.parts[0]!
  for (let i = 0; i < c.slots.length; i++) out += (c.slots[i]! >= 0 ? values[c.slots[i]!]! : String(k)) + c.parts[i + 1]!
  return out
}

/** The concrete URL of path index k, without real paths. Route groups, "(name)", are not part of the URL. */
export function pathOf(pattern: string, k: number): string {
  return urlPattern(pattern).replace(DYNAMIC_SEGMENT, String(k))
}

/** The URL of path k: its real URL (params.paths[k]) or, past that list, pathOf(pattern, k). */
export function urlOf(route: RouteWithPaths, k: number): string {
  const list = route.params?.paths
  return list !== undefined && k < list.length ? list[k]! : pathOf(route.pattern, k)
}

/** The pattern as its URLs spell it: without route groups ("/(shop)/p/[id]" -> "/p/[id]"). */
function urlPattern(pattern: string): string {
  return pattern.replace(/\/\([^)]*\)/g, '') || '/'
}

// ---- Real paths (params.paths). Looked up by URL and by filled tag template; the tables
// are built once per list (and template) on first use: a model asks for many tags.

interface RealPaths {
  readonly pattern: string
  readonly list: readonly string[]
  /** The pattern's params, in order ("[...slug]" is "slug"). */
  readonly names: readonly string[]
  values: (readonly string[])[] | null
  byUrl: Map<string, number> | null
  /** Per tag template: filled tag -> the path indexes that produce it (a tag without every param can name several). */
  readonly byTag: Map<string, Map<string, number[]>>
}
const realPaths = new WeakMap<readonly string[], RealPaths>()

function realPathsOf(route: RouteWithPaths): RealPaths | null {
  const list = route.params?.paths
  if (list === undefined || list.length === 0) return null
  let info = realPaths.get(list)
  if (info === undefined || info.pattern !== route.pattern) {
    const names = [...urlPattern(route.pattern).matchAll(DYNAMIC_SEGMENT)].map((m) => m[1]!)
    info = { pattern: route.pattern, list, names, values: null, byUrl: null, byTag: new Map() }
    realPaths.set(list, info)
  }
  return info
}

/**
 * Each real path's param values, in `names` order, as Next passes them: URL-decoded, a
 * catch-all's segments joined with "/" ("" for an empty optional catch-all).
 */
function valuesOf(info: RealPaths): (readonly string[])[] {
  if (info.values !== null) return info.values
  const segs = urlPattern(info.pattern).split('/').filter((x) => x !== '')
  let re = ''
  for (const seg of segs) {
    if (/^\[\[\.\.\.[^\]]+\]\]$/.test(seg)) re += '((?:/[^/]+)*)'
    else if (/^\[\.\.\.[^\]]+\]$/.test(seg)) re += '((?:/[^/]+)+)'
    else if (/^\[[^\]]+\]$/.test(seg)) re += '/([^/]+)'
    else re += `/${escapeRegExp(seg)}`
  }
  const m = new RegExp(`^${re}/?$`)
  info.values = info.list.map((url, k) => {
    const got = m.exec(url)
    return info.names.map((_, i) => {
      const v = got?.[i + 1]
      if (v === undefined) return String(k)
      // One segment ("/x" of a catch-all, or "x") without escapes is taken as it is: the common case, fast.
      const one = v.charCodeAt(0) === 47 ? v.slice(1) : v
      if (!one.includes('/') && !one.includes('%')) return one
      return v.split('/').filter((x) => x !== '').map(decodeSegment).join('/')
    })
  })
  return info.values
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s // a malformed escape stays as written
  }
}

/** The path index of `url` on a route: its real path, else index k past the list whose pathOf is url. */
export function urlIndexIn(route: RouteWithPaths, url: string): number | undefined {
  const count = route.params?.count ?? 1
  const info = realPathsOf(route)
  if (info === null) return pathIndexOf(route.pattern, url, count)
  if (info.byUrl === null) info.byUrl = new Map(info.list.map((u, k) => [u, k]))
  const k = info.byUrl.get(url)
  if (k !== undefined && k < count) return k
  const n = pathIndexOf(route.pattern, url, count)
  return n !== undefined && n >= info.list.length ? n : undefined
}

/** The path indexes of a route whose fill of `template` is `tag` (real param values first, then an index past the list). */
export function templateIndexesIn(template: string, tag: string, route: RouteWithPaths): number[] {
  const count = route.params?.count ?? 1
  const info = realPathsOf(route)
  if (info === null) {
    const k = templateIndexOf(template, tag, count)
    return k === undefined ? [] : [k]
  }
  let byTag = info.byTag.get(template)
  if (byTag === undefined) {
    byTag = new Map()
    const compiled = compileTemplate(template, info.names)
    const values = valuesOf(info)
    for (let k = 0; k < Math.min(info.list.length, count); k++) {
      const t = fillWith(compiled, values[k]!, k)
      const ks = byTag.get(t)
      if (ks) ks.push(k)
      else byTag.set(t, [k])
    }
    info.byTag.set(template, byTag)
  }
  const out = [...(byTag.get(tag) ?? [])]
  const n = templateIndexOf(template, tag, count)
  if (n !== undefined && n >= info.list.length) out.push(n)
  return out
}

/** The route a data change's "{param}" values come from: the first whose fetches carry its tag (or make its fetch). */
export function changeRouteOf(c: { readonly tag?: string | undefined; readonly fetch?: string | undefined }, routes: readonly RouteConfig[]): RouteConfig | undefined {
  const tag = c.tag
  return routes.find((r) => r.fetches.some((f) => (tag === undefined ? f.id === c.fetch : f.tags.some((t) => t === tag || tagMatchesTemplate(t, tag) || (t.includes('{') && templateIndexesIn(t, tag, r).length > 0)))))
}

/**
 * The route file path Next derives a page's implicit tags from (§4.1): route groups included.
 * An imported route knows its page file ("app/(shop)/p/[id]/page.tsx" -> "/(shop)/p/[id]"); a
 * hand-written pattern may spell its groups itself.
 */
export function routeFileOf(r: Pick<RouteConfig, 'pattern' | 'source'>): string {
  const page = r.source?.page
  if (page === undefined) return r.pattern
  const m = /^(?:src\/)?app((?:\/[^/]+)*?)\/(?:page|route)\.[A-Za-z]+$/.exec(page)
  return m ? m[1] || '/' : r.pattern
}

/**
 * Route-level implicit tags of a page (§4.1): every layout prefix, then the page itself. A
 * route handler's last tag is `…/route`, after its file `route.ts` (§15.1).
 */
export function implicitRouteTags(pattern: string, leaf: 'page' | 'route' = 'page'): string[] {
  const segments = pattern === '/' ? [] : pattern.split('/').slice(1)
  const tags = [`${IMPLICIT_TAG_PREFIX}/layout`]
  for (let i = 1; i <= segments.length; i++) tags.push(`${IMPLICIT_TAG_PREFIX}/${segments.slice(0, i).join('/')}/layout`)
  tags.push(`${IMPLICIT_TAG_PREFIX}${pattern === '/' ? '' : pattern}/${leaf}`)
  return tags
}

/**
 * The tags `revalidatePath(path, type)` invalidates (§4.2). The type is joined with "/" only
 * when the path does not already end in one (Next's source: `('/', 'layout')` is
 * `_N_T_/layout`). 15+ also strips a trailing slash and aliases "/" and "/index"; 14.x does not.
 */
export function revalidatePathTags(path: string, type: 'page' | 'layout' | undefined, normalise: boolean): string[] {
  const withType = (p: string) => (type ? `${p}${p.endsWith('/') ? '' : '/'}${type}` : p)
  if (!normalise) return [`${IMPLICIT_TAG_PREFIX}${withType(path)}`]
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  const tags = [`${IMPLICIT_TAG_PREFIX}${withType(p)}`]
  if (!type && p === '/') tags.push(`${IMPLICIT_TAG_PREFIX}/index`)
  if (!type && p === '/index') tags.push(`${IMPLICIT_TAG_PREFIX}/`)
  return tags
}

/** The last implicit tag's name: "route" for a route handler, "page" otherwise (§15.1). */
export function leafOf(r: Pick<RouteConfig, 'kind'>): 'page' | 'route' {
  return r.kind === 'route-handler' ? 'route' : 'page'
}

/** A set of paths an event reaches: all paths of a route, or one. */
export type Target = { readonly route: number; readonly path: number | 'all' }

/**
 * Which paths carry `tag`, over every route of the scenario. Empty: nobody does. A Pages
 * Router page carries no tag (§14.6): revalidateTag and revalidatePath never reach it, so its
 * routes count only with `withPages` (the scenario checks: a call that names a Pages path is
 * valid in Next.js, it just invalidates nothing).
 */
export function targetsOfTag(tag: string, routes: readonly RouteConfig[], withPages = false): Target[] {
  const out: Target[] = []
  routes.forEach((r, ri) => {
    if (!withPages && r.router === 'pages') return
    const count = r.params?.count ?? 1
    if (tag.startsWith(IMPLICIT_TAG_PREFIX)) {
      if (implicitRouteTags(routeFileOf(r), leafOf(r)).includes(tag)) {
        out.push({ route: ri, path: 'all' })
        return
      }
      const k = urlIndexIn(r, tag.slice(IMPLICIT_TAG_PREFIX.length))
      if (k !== undefined) out.push({ route: ri, path: k })
      return
    }
    if ((r.params?.paths?.length ?? 0) > 0) {
      // Real param values: a tag can name several paths, through any of the route's templates.
      const ks = new Set<number>()
      for (const f of r.fetches) {
        for (const t of f.tags) {
          if (t === tag) { out.push({ route: ri, path: 'all' }); return }
          if (t.includes('{')) for (const k of templateIndexesIn(t, tag, r)) ks.add(k)
        }
      }
      for (const k of [...ks].sort((a, b) => a - b)) out.push({ route: ri, path: k })
      return
    }
    for (const f of r.fetches) {
      for (const t of f.tags) {
        if (!t.includes('{')) {
          if (t === tag) { out.push({ route: ri, path: 'all' }); return }
          continue
        }
        const k = templateIndexOf(t, tag, count)
        if (k !== undefined) { out.push({ route: ri, path: k }); return }
      }
    }
  })
  return out
}

/** Path index k such that pathOf(pattern, k) === url, if any. (The "/" and "/index" alias is revalidatePath's, 15+.) */
function pathIndexOf(pattern: string, url: string, count: number): number | undefined {
  const p = urlPattern(pattern)
  if (!p.includes('[')) return url === p ? 0 : undefined
  return sameIndex(matcherOf(p, SEGMENT_PARAM).exec(url), count)
}

/** The path index k for which a templated tag produces `tag`, if any (k < count). */
export function templateIndexOf(template: string, tag: string, count: number): number | undefined {
  return sameIndex(matcherOf(template, TAG_PARAM).exec(tag), count)
}

/** Every captured index must be the same k (all params of path k are k), and k < count. */
function sameIndex(m: RegExpExecArray | null, count: number): number | undefined {
  if (!m || m.length < 2) return undefined
  const ks = m.slice(1).map(Number)
  const k = ks[0]!
  return ks.every((x) => x === k) && Number.isSafeInteger(k) && k < count ? k : undefined
}

/** Whether a fetch tag (possibly templated, "post:{slug}") can produce `tag` for some path. */
export function tagMatchesTemplate(template: string, tag: string): boolean {
  return template === tag || (template.includes('{') && matcherOf(template, TAG_PARAM).test(tag))
}

/**
 * Whether a concrete URL is one of `pattern`'s paths, as Next matches it: route groups are not
 * in the URL, "[x]" is one segment, "[...x]" one or more, "[[...x]]" zero or more.
 */
export function urlMatchesPattern(pattern: string, url: string): boolean {
  let m = urlMatchers.get(pattern)
  if (m === undefined) {
    const segs = pattern.replace(/\/\([^)]*\)/g, '').split('/').filter((x) => x !== '')
    let re = ''
    for (const seg of segs) {
      if (/^\[\[\.\.\.[^\]]+\]\]$/.test(seg)) re += '(?:/[^/]+)*'
      else if (/^\[\.\.\.[^\]]+\]$/.test(seg)) re += '(?:/[^/]+)+'
      else if (/^\[[^\]]+\]$/.test(seg)) re += '/[^/]+'
      else re += `/${escapeRegExp(seg)}`
    }
    m = new RegExp(`^${re === '' ? '/' : re}/?$`)
    urlMatchers.set(pattern, m)
  }
  return m.test(url) || (url === '/' && /^(?:\/\([^)]*\))*\/\[\[\.\.\.[^\]]+\]\]$/.test(pattern))
}
const urlMatchers = new Map<string, RegExp>()

/** A parameter in a tag template ("{slug}") and in a route pattern ("[slug]", "[...slug]", "[[...slug]]"). */
const TAG_PARAM = /\{[^}]*\}/
const SEGMENT_PARAM = /\[{1,2}(?:\.\.\.)?[^\]]+\]{1,2}/

/**
 * A regexp matching `template` with a number in place of each parameter (`param` finds them),
 * compiled once per template: a model asks for every tag of thousands of paths.
 */
function matcherOf(template: string, param: typeof TAG_PARAM | typeof SEGMENT_PARAM): RegExp {
  const cache = param === TAG_PARAM ? tagMatchers : segmentMatchers
  let m = cache.get(template)
  if (m === undefined) {
    m = new RegExp(`^${template.split(param).map(escapeRegExp).join('(\\d+)')}$`)
    cache.set(template, m)
  }
  return m
}
const tagMatchers = new Map<string, RegExp>()
const segmentMatchers = new Map<string, RegExp>()

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** A few example tags of the scenario, for error messages. */
export function exampleTags(s: Scenario): string[] {
  const out = new Set<string>()
  for (const r of s.routes) {
    for (const f of r.fetches) for (const t of f.tags) out.add(fillTemplate(t, 0, r))
    out.add(`${IMPLICIT_TAG_PREFIX}${urlOf(r, 0)}`)
  }
  return [...out].slice(0, 8)
}

/** The on-demand event fields that decide its tags. */
export interface EventTarget {
  readonly kind: 'revalidateTag' | 'revalidatePath' | 'updateTag' | 'res.revalidate'
  readonly tag?: string | undefined
  readonly path?: string | undefined
  readonly type?: 'page' | 'layout' | undefined
}

/**
 * The tags an event invalidates, or null when Next ignores the call: revalidatePath of a
 * dynamic route path without a type only warns (§4.2).
 */
export function eventTags(e: EventTarget, version: NextVersion): string[] | null {
  if (e.kind === 'res.revalidate') return [] // a render of one Pages path, not a tag (§14.5)
  if (e.kind !== 'revalidatePath') return e.tag === undefined ? [] : [e.tag]
  if (e.path === undefined) return []
  if (e.type === undefined && e.path.includes('[')) return null
  return revalidatePathTags(e.path, e.type, profileFor(version).normalisesPathTags)
}
