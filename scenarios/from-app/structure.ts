/**
 * One page's caching structure as the source states it: the layouts above it (root first,
 * route groups included), the page, their fetches, and what makes the route dynamic or sets its
 * effective revalidate, each with "file:line what". The effective revalidate follows the
 * simulator's rule (docs/semantics.md, A9/§5.1/§5.2): any dynamic cause makes it 0, else the
 * lowest explicit value of the page, the layouts and the fetches; `false` is forever.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { modelFetch, type ModelFetch } from './fetches.ts'
import type { Modules } from './modules.ts'
import { analyzeSegment, type Finding, type SegmentInfo } from './source.ts'

export const SOURCE_EXTENSIONS = ['.tsx', '.ts', '.jsx', '.js', '.mdx', '.md']

/** The file `dir/base.<ext>` relative to the app folder, if it exists. */
export function findSource(appDir: string, dir: string, base: string): string | undefined {
  for (const x of SOURCE_EXTENSIONS) {
    const f = `${dir}/${base}${x}`
    if (existsSync(join(appDir, f))) return f
  }
  return undefined
}

/** The page pattern of an app entry: route groups and parallel-route slots are not in the URL. */
export function patternOf(entry: string): string {
  const segs = entry.split('/').filter((s) => s !== '')
  segs.pop() // "page"
  const kept = segs.filter((s) => !(s.startsWith('(') && s.endsWith(')')) && !s.startsWith('@'))
  return `/${kept.join('/')}`
}

export const paramsOf = (pattern: string) => [...pattern.matchAll(/\[{1,2}(?:\.\.\.)?([^\]]+)\]{1,2}/g)].map((m) => m[1]!)

export interface Candidate {
  readonly value: number | false
  /** "app/blog/layout.tsx:4 export const revalidate = 60" */
  readonly cause: string
  readonly slot: { readonly kind: 'page' } | { readonly kind: 'layout'; readonly index: number } | { readonly kind: 'fetch'; readonly index: number }
}

export interface SourceStructure {
  readonly pageFile: string
  readonly layoutFiles: readonly string[]
  readonly page: SegmentInfo
  readonly layouts: readonly SegmentInfo[]
  /** Scenario layouts, root first. */
  readonly layoutModel: { revalidateS?: number | false; dynamic: boolean }[]
  readonly pageRevalidateS: number | false | undefined
  readonly pageDynamic: boolean
  readonly fetches: ModelFetch[]
  /** What makes the route dynamic, "file:line what". */
  readonly dynamicCauses: string[]
  readonly warnings: string[]
  readonly unmodelled: readonly Finding[]
}

const at = (f: Finding) => `${f.file}:${f.line} ${f.what}${f.via === undefined ? '' : ` (called from ${f.via})`}`
const rv = (v: number | false) => (v === false ? 'false' : String(v))

/**
 * Read a page and its layouts. `entry` is the app entry ("/(shop)/products/[id]/page"),
 * `appRoot` "app" or "src/app".
 */
export function readStructure(appDir: string, appRoot: string, entry: string, mods: Modules, routeId: string): SourceStructure | undefined {
  const dirs = entry.split('/').filter((s) => s !== '').slice(0, -1)
  const pageFile = findSource(appDir, [appRoot, ...dirs].join('/'), 'page')
  if (pageFile === undefined) return undefined
  const layoutFiles: string[] = []
  for (let i = 0; i <= dirs.length; i++) {
    if (dirs[i - 1]?.startsWith('@')) continue
    const f = findSource(appDir, [appRoot, ...dirs.slice(0, i)].join('/'), 'layout')
    if (f !== undefined && !/\.mdx?$/.test(f)) layoutFiles.push(f)
  }
  const params = paramsOf(patternOf(entry))
  const parse = (f: string, isPage: boolean) => (/\.mdx?$/.test(f) ? emptySegment(f) : analyzeSegment(mods, f, params, isPage))
  const layouts = layoutFiles.map((f) => parse(f, false))
  const page = parse(pageFile, true)
  const segs = [...layouts, page]
  const warnings: string[] = []
  for (const s of segs) for (const p of s.configProblems) warnings.push(`${at(p)}: left out`)
  // The deepest segment that sets `dynamic` / `fetchCache` decides for the route.
  const dynamicOpt = [...segs].reverse().find((s) => s.dynamic !== undefined)?.dynamic
  const fetchCache = [...segs].reverse().find((s) => s.fetchCache !== undefined)?.fetchCache?.value
  const forceStatic = dynamicOpt?.value === 'force-static'
  const causesOf = (s: SegmentInfo): string[] => {
    const out: string[] = []
    if (s.revalidate?.value === 0) out.push(`${s.file}:${s.revalidate.line} exports revalidate = 0`)
    if (s.dynamic?.value === 'force-dynamic') out.push(`${s.file}:${s.dynamic.line} exports dynamic = 'force-dynamic'`)
    if (!forceStatic) out.push(...s.requestApis.map(at))
    return out
  }
  const layoutModel = layouts.map((s) => {
    const dynamic = causesOf(s).some((c) => !c.includes('exports revalidate = 0'))
    return { ...(s.revalidate === undefined ? {} : { revalidateS: s.revalidate.value }), dynamic }
  })
  const fetches: ModelFetch[] = []
  for (const s of segs) {
    for (const f of s.fetches) {
      const m = modelFetch(f, forceStatic && fetchCache === undefined ? 'force-cache' : fetchCache, `${routeId}-fetch${fetches.length + 1}`)
      for (const p of m.problems) warnings.push(`${p.where}: ${p.what}`)
      addFetch(fetches, m.fetch, warnings)
    }
  }
  const dynamicCauses = segs.flatMap(causesOf)
  for (const f of fetches) if (f.revalidateS === 0) dynamicCauses.push(`${f.where} ${f.setting ?? 'no-store'}`)
  return {
    pageFile, layoutFiles, page, layouts, layoutModel, fetches, dynamicCauses, warnings,
    pageRevalidateS: page.revalidate?.value,
    pageDynamic: causesOf(page).some((c) => !c.includes('exports revalidate = 0')),
    unmodelled: segs.flatMap((s) => s.unmodelled),
  }
}

function emptySegment(file: string): SegmentInfo {
  return { file, configProblems: [], requestApis: [], fetches: [], unmodelled: [] }
}

const sameSettings = (a: ModelFetch, b: ModelFetch) => a.revalidateS === b.revalidateS && a.perPath === b.perPath && a.tags.join('\n') === b.tags.join('\n')

/** One fetch per URL in a route (Next memoizes identical fetches within a render). */
export function addFetch(list: ModelFetch[], f: ModelFetch, warnings: string[]): void {
  const same = list.find((x) => x.id === f.id)
  if (!same) { list.push(f); return }
  if (sameSettings(same, f)) return
  let n = 2
  while (list.some((x) => x.id === `${f.id}-${n}`)) n++
  warnings.push(`${f.where}: fetches the same URL as ${same.where} with other options; modelled as a second fetch "${f.id}-${n}"`)
  list.push({ ...f, id: `${f.id}-${n}` })
}

/** The candidates for the route's effective revalidate, in the simulator's order (page, layouts, fetches). */
export function candidates(s: { pageFile: string; page: SegmentInfo; layouts: readonly SegmentInfo[]; layoutModel: readonly { revalidateS?: number | false }[]; pageRevalidateS: number | false | undefined; fetches: readonly ModelFetch[] }): Candidate[] {
  const out: Candidate[] = []
  const pr = s.pageRevalidateS
  out.push({ value: pr ?? false, cause: pr === undefined ? `${s.pageFile}: no revalidate (never by time)` : `${s.pageFile}:${s.page.revalidate?.line ?? 1} export const revalidate = ${rv(pr)}`, slot: { kind: 'page' } })
  s.layoutModel.forEach((l, i) => {
    if (l.revalidateS !== undefined) out.push({ value: l.revalidateS, cause: `${s.layouts[i]?.file}:${s.layouts[i]?.revalidate?.line ?? 1} export const revalidate = ${rv(l.revalidateS)}`, slot: { kind: 'layout', index: i } })
  })
  s.fetches.forEach((f, i) => {
    if (f.revalidateS !== undefined) out.push({ value: f.revalidateS, cause: `${f.where} ${f.setting ?? `revalidate ${rv(f.revalidateS)}`}`, slot: { kind: 'fetch', index: i } })
  })
  return out
}

/** The lowest candidate (false = forever); the first of equals, as the simulator reports it. */
export function lowest(cs: readonly Candidate[]): Candidate {
  let best = cs[0]!
  for (const c of cs.slice(1)) if (c.value !== false && (best.value === false || c.value < best.value)) best = c
  return best
}
