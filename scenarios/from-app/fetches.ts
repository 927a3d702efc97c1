/**
 * A `fetch` call in the source to a scenario fetch: an id from its URL's path
 * (`${API}/posts/${slug}` -> "posts:slug", one URL per path), its revalidate from
 * `next.revalidate` / `cache` / the segment's `fetchCache`, and its tags with params templated
 * back (`post-${slug}` -> "post-{slug}"). Also the other direction: a Data Cache entry of the
 * build (a concrete URL and tags) templated with the params of the page that read it.
 */
import type { CacheLifeInput, MappedLife } from './cache-life.ts'
import type { Part } from './evaluate.ts'
import { template } from './evaluate.ts'
import type { SourceFetch } from './source.ts'

export interface ModelFetch {
  readonly id: string
  readonly revalidateS?: number | false
  readonly tags: readonly string[]
  readonly perPath?: boolean
  /** "lib/api.ts:7 fetch(`${API}/posts/${slug}`) (called from app/blog/[slug]/page.tsx:11)" */
  readonly where: string
  /** What sets revalidateS, e.g. "next.revalidate = 600", "cache: 'no-store'". */
  readonly setting?: string
  /** Matches the concrete URLs of this fetch (the build's Data Cache entries); captures the params. */
  readonly urlMatch?: { readonly re: RegExp; readonly params: readonly string[] }
  /** Absent: a fetch(). */
  readonly kind?: 'unstable_cache' | 'use cache' | 'use cache: remote'
  /** A 'use cache' function's cacheLife (absent: the default profile). */
  readonly cacheLife?: CacheLifeInput
  /** A 'use cache' function's life in seconds, as the build's profiles give it. */
  readonly life?: MappedLife
}

const FETCH_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/

/** "posts:slug" style id, whether the URL is one per path, and a matcher for its concrete URLs. */
export function urlShape(url: readonly Part[]): { id: string | null; perPath: boolean | undefined; match: ModelFetch['urlMatch'] } {
  const ps = [...url]
  // The origin: an unknown leading part (process.env.API, a config value) or a literal scheme://host.
  let leadingUnknown = false
  while (ps[0]?.kind === 'unknown') { ps.shift(); leadingUnknown = true }
  const first = ps[0]
  if (first?.kind === 'text') {
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(first.text)
    if (m) ps[0] = { kind: 'text', text: first.text.slice(m[0].length) }
  }
  const unknownInPath = ps.some((p) => p.kind === 'unknown')
  let path = ''
  let re = leadingUnknown ? '^.*?' : '^(?:[a-z][a-z0-9+.-]*://[^/?#]*)?'
  const params: string[] = []
  for (const p of ps) {
    if (p.kind === 'text') { path += p.text; re += escape(p.text) }
    else if (p.kind === 'param') { path += `\u0000${p.name}\u0000`; re += '([^?#]+?)'; params.push(p.name) }
    else { path += '\u0001'; re += '.*?' }
  }
  path = path.split(/[?#]/)[0]!
  const segs = path.split('/').filter((s) => s !== '').map((s) => s.replace(/\u0000([^\u0000]*)\u0000/g, ':$1').replace(/\u0001/g, 'x').replace(/[^A-Za-z0-9_:-]/g, '-'))
  // "/posts/{slug}/comments" -> "posts:slug-comments": a param glued to the segment before it.
  // No "." in ids: threshold paths (fetches.<id>.originFetches) are split on it.
  let id = segs.reduce((acc, seg) => (acc === '' ? seg : seg.startsWith(':') ? `${acc}${seg}` : `${acc}-${seg}`), '').replace(/^[^A-Za-z0-9]+/, '')
  if (id === '' && ps.length > 0 && !unknownInPath) id = 'root'
  return {
    id: FETCH_ID.test(id) ? id : null,
    perPath: unknownInPath ? undefined : params.length > 0,
    match: unknownInPath && ps.length === 0 ? undefined : { re: new RegExp(`${re}$`), params },
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

export interface FetchProblem { readonly where: string; readonly what: string }

/**
 * The scenario fetch of a source fetch. `fetchCache` is the route's segment option
 * (the page's, else the nearest layout's).
 */
export function modelFetch(f: SourceFetch, fetchCache: string | undefined, fallbackId: string): { fetch: ModelFetch; problems: FetchProblem[] } {
  const where = `${f.file}:${f.line} fetch(${f.urlText})${f.via === undefined ? '' : ` (called from ${f.via})`}`
  const problems: FetchProblem[] = []
  const shape = urlShape(f.url)
  let revalidateS: number | false | undefined
  let setting: string | undefined
  if (f.revalidate !== undefined) {
    const v = 'value' in f.revalidate ? f.revalidate.value : undefined
    if (v === false) { revalidateS = false; setting = 'next.revalidate = false' }
    else if (typeof v === 'number' && v >= 0) {
      revalidateS = v === 0 ? 0 : Math.max(1, v)
      setting = `next.revalidate = ${v}`
      if (v > 0 && v < 1) problems.push({ where, what: `next.revalidate = ${v} is below 1 s, which Next rejects at response time; modelled as 1` })
    } else problems.push({ where, what: `next.revalidate = ${'unknown' in f.revalidate ? f.revalidate.unknown : JSON.stringify(v)} is not a static number or false; left out` })
  }
  if (revalidateS === undefined && f.cache !== undefined) {
    const c = 'value' in f.cache ? f.cache.value : undefined
    if (c === 'no-store' || c === 'no-cache') { revalidateS = 0; setting = `cache: '${c}'` }
    else if (c === 'force-cache') { revalidateS = false; setting = "cache: 'force-cache'" }
    else if (c !== 'default' && c !== 'only-if-cached' && c !== 'reload') problems.push({ where, what: `cache: ${'unknown' in f.cache ? f.cache.unknown : JSON.stringify(c)} is not a static value; left out` })
  }
  if (fetchCache === 'force-no-store' || fetchCache === 'only-no-store') { revalidateS = 0; setting = `fetchCache = '${fetchCache}'` }
  else if (fetchCache === 'force-cache' && (revalidateS === undefined || revalidateS === 0)) { revalidateS = false; setting = "fetchCache = 'force-cache'" }
  else if ((fetchCache === 'default-cache' || fetchCache === 'only-cache') && revalidateS === undefined) { revalidateS = false; setting = `fetchCache = '${fetchCache}'` }
  else if (fetchCache === 'default-no-store' && revalidateS === undefined) { revalidateS = 0; setting = "fetchCache = 'default-no-store'" }
  if (f.optionsUnknown) problems.push({ where, what: 'its options are not a static object (a spread or a value computed at run time); what could be read is used' })
  const tags: string[] = []
  if (f.tags === null) problems.push({ where, what: 'next.tags is not a static array; its tags are left out' })
  else for (const t of f.tags) {
    const s = template(t)
    if (s === null) problems.push({ where, what: `a tag (${t.map((p) => (p.kind === 'unknown' ? `\${${p.text}}` : p.kind === 'param' ? `\${${p.name}}` : p.text)).join('')}) is computed at run time; left out` })
    else if (s.length > 256) problems.push({ where, what: `tag "${s.slice(0, 40)}..." is longer than 256 characters (Next drops it); left out` })
    else if (!tags.includes(s)) tags.push(s)
  }
  if (shape.id === null) problems.push({ where, what: `its URL has no path isrsim can name; fetch id "${fallbackId}"` })
  return {
    fetch: {
      id: shape.id ?? fallbackId,
      ...(revalidateS === undefined ? {} : { revalidateS }),
      tags,
      ...(shape.perPath === undefined ? {} : { perPath: shape.perPath }),
      where,
      ...(setting === undefined ? {} : { setting }),
      ...(shape.match ? { urlMatch: shape.match } : {}),
    },
    problems,
  }
}

/**
 * A concrete string with a path's param values put back as "{param}" (longest values first),
 * only where a value stands alone ("post-hello", "/posts/hello"; not the "e" inside "news").
 */
export function templateWith(s: string, values: ReadonlyMap<string, string>): string {
  let out = s
  for (const [name, v] of [...values].sort((a, b) => b[1].length - a[1].length)) {
    if (v.length === 0) continue
    out = out.replace(new RegExp(`(?<![A-Za-z0-9])${escape(v)}(?![A-Za-z0-9])`, 'g'), `{${name}}`)
  }
  return out
}

/** The param values of a concrete path of `pattern` ("/blog/[slug]", "/blog/hello" -> slug = hello). */
export function paramValues(pattern: string, path: string): Map<string, string> {
  const segs = pattern.split('/').filter((s) => s !== '')
  const parts = path.split('/').filter((s) => s !== '')
  const out = new Map<string, string>()
  for (let i = 0; i < segs.length; i++) {
    const m = /^\[{1,2}(\.\.\.)?([^\]]+)\]{1,2}$/.exec(segs[i]!)
    if (!m) continue
    if (m[1]) { out.set(m[2]!, parts.slice(i).join('/')); break }
    out.set(m[2]!, parts[i] ?? '')
  }
  return out
}
