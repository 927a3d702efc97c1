/**
 * Tags (shared/isr-semantics.md §4): which cache entries an on-demand event reaches.
 * Pure functions over the scenario; the model turns their answers into per-path tag lists.
 *
 * Path k of a route is its pattern with every dynamic segment replaced by k
 * (`/blog/[slug]` -> `/blog/7`), so scenarios can name concrete URLs.
 */
import type { NextVersion, RouteConfig, Scenario } from '../scenario.ts'
import { profileFor } from './profiles.ts'

export const IMPLICIT_TAG_PREFIX = '_N_T_'

const DYNAMIC_SEGMENT = /\[{1,2}(?:\.\.\.)?([^\]]+)\]{1,2}/g

/** A templated tag or path with every "{param}" replaced by path index k ("post:{slug}" -> "post:7"). */
export function fillTemplate(t: string, k: number): string {
  return t.replace(/\{[^}]*\}/g, String(k))
}

/** The concrete URL of path index k. Route groups, "(name)", are not part of the URL. */
export function pathOf(pattern: string, k: number): string {
  return pattern.replace(/\/\([^)]*\)/g, '').replace(DYNAMIC_SEGMENT, String(k)) || '/'
}

/** Route-level implicit tags of a page (§4.1): every layout prefix, then the page itself. */
export function implicitRouteTags(pattern: string): string[] {
  const segments = pattern === '/' ? [] : pattern.split('/').slice(1)
  const tags = [`${IMPLICIT_TAG_PREFIX}/layout`]
  for (let i = 1; i <= segments.length; i++) tags.push(`${IMPLICIT_TAG_PREFIX}/${segments.slice(0, i).join('/')}/layout`)
  tags.push(`${IMPLICIT_TAG_PREFIX}${pattern === '/' ? '' : pattern}/page`)
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

/** A set of paths an event reaches: all paths of a route, or one. */
export type Target = { readonly route: number; readonly path: number | 'all' }

/** Which paths carry `tag`, over every route of the scenario. Empty: nobody does. */
export function targetsOfTag(tag: string, routes: readonly RouteConfig[]): Target[] {
  const out: Target[] = []
  routes.forEach((r, ri) => {
    const count = r.params?.count ?? 1
    if (tag.startsWith(IMPLICIT_TAG_PREFIX)) {
      if (implicitRouteTags(r.pattern).includes(tag)) {
        out.push({ route: ri, path: 'all' })
        return
      }
      const k = pathIndexOf(r.pattern, tag.slice(IMPLICIT_TAG_PREFIX.length), count)
      if (k !== undefined) out.push({ route: ri, path: k })
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
  const u = url
  if (!pattern.includes('[')) return u === pattern ? 0 : undefined
  return sameIndex(matcherOf(pattern, SEGMENT_PARAM).exec(u), count)
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
    for (const f of r.fetches) for (const t of f.tags) out.add(fillTemplate(t, 0))
    out.add(`${IMPLICIT_TAG_PREFIX}${pathOf(r.pattern, 0)}`)
  }
  return [...out].slice(0, 8)
}

/** The on-demand event fields that decide its tags. */
export interface EventTarget {
  readonly kind: 'revalidateTag' | 'revalidatePath' | 'updateTag'
  readonly tag?: string | undefined
  readonly path?: string | undefined
  readonly type?: 'page' | 'layout' | undefined
}

/**
 * The tags an event invalidates, or null when Next ignores the call: revalidatePath of a
 * dynamic route path without a type only warns (§4.2).
 */
export function eventTags(e: EventTarget, version: NextVersion): string[] | null {
  if (e.kind !== 'revalidatePath') return e.tag === undefined ? [] : [e.tag]
  if (e.path === undefined) return []
  if (e.type === undefined && e.path.includes('[')) return null
  return revalidatePathTags(e.path, e.type, profileFor(version).normalisesPathTags)
}
