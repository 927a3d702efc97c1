/**
 * One page's caching structure as the source states it: the layouts above it (root first,
 * route groups included), the page, their fetches, and what makes the route dynamic or sets its
 * effective revalidate, each with "file:line what". The effective revalidate follows the
 * simulator's rule (docs/semantics.md, A9/§5.1/§5.2): any dynamic cause makes it 0, else the
 * lowest explicit value of the page, the layouts and the fetches; `false` is forever.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { NextVersion } from '../../sim/index.ts'
import type { BuildConfig } from './build.ts'
import { modelCached, tagTemplates } from './cached.ts'
import { isHole, mapLife, revalidateOf, type MappedLife } from './cache-life.ts'
import { modelFetch, type FetchProblem, type ModelFetch } from './fetches.ts'
import type { Modules } from './modules.ts'
import { analyzeSegment, type CacheScope, type Finding, type SegmentInfo } from './source.ts'

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
  readonly slot: { readonly kind: 'page' } | { readonly kind: 'layout'; readonly index: number } | { readonly kind: 'fetch'; readonly index: number } | { readonly kind: 'life' }
}

/** A page or layout that is a 'use cache' scope, with its life. */
export interface ScopeLife { readonly scope: CacheScope; readonly life: MappedLife; readonly tags: readonly string[] }

const DYNAMIC_OPTIONS = ['auto', 'force-static', 'force-dynamic', 'error'] as const
const FETCH_CACHE_OPTIONS = ['auto', 'default-cache', 'only-cache', 'force-cache', 'default-no-store', 'only-no-store', 'force-no-store'] as const
export interface SegmentConfig {
  dynamic?: (typeof DYNAMIC_OPTIONS)[number] | undefined
  fetchCache?: (typeof FETCH_CACHE_OPTIONS)[number] | undefined
}

/** What the import needs of the build's config for 'use cache' scopes. */
export interface CacheOptions {
  readonly config: BuildConfig
  /** Partial Prerendering is on (short-lived entries are holes, §12.3). */
  readonly cacheComponents: boolean
  /** The version profile, whose hole rule applies (16.3+: stale below 30 s is a hole too). */
  readonly version: NextVersion
}

/** Without a build (the source alone): no custom profiles, no Partial Prerendering. */
export const SOURCE_ONLY: CacheOptions = {
  config: { expireTimeS: undefined, cacheHandler: undefined, cacheHandlers: [], cacheComponents: false, useCache: false, cacheLifeProfiles: {}, ppr: false, basePath: '' },
  cacheComponents: false,
  version: '16.4',
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
  /** The page is a 'use cache' scope. */
  readonly pageLife?: ScopeLife
  /** Per layout (root first), when it is a 'use cache' scope. */
  readonly layoutLives: readonly (ScopeLife | undefined)[]
  /** cacheTag(...) of the page and layout scopes, templated ("product-{id}"). */
  readonly scopeTags: readonly string[]
  /** The nested-most segment's dynamic / fetchCache exports. */
  readonly segmentConfig: SegmentConfig
  /** notFound() in the page (or what it calls). */
  readonly notFound?: Finding
}

const at = (f: Finding) => `${f.file}:${f.line} ${f.what}${f.via === undefined ? '' : ` (called from ${f.via})`}`
const rv = (v: number | false) => (v === false ? 'false' : String(v))

/**
 * Read a page and its layouts. `entry` is the app entry ("/(shop)/products/[id]/page"),
 * `appRoot` "app" or "src/app".
 */
export function readStructure(appDir: string, appRoot: string, entry: string, mods: Modules, routeId: string, cache: CacheOptions = SOURCE_ONLY): SourceStructure | undefined {
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
    for (const c of s.cached) {
      const m = modelCached(c, cache.config, `${routeId}-cached${fetches.length + 1}`)
      for (const p of m.problems) warnings.push(`${p.where}: ${p.what}`)
      addFetch(fetches, m.fetch, warnings)
    }
  }
  const scopeTags: string[] = []
  const lifeOf = (seg: SegmentInfo): ScopeLife | undefined => {
    if (!seg.scope) return undefined
    const problems: FetchProblem[] = []
    const where = `${seg.scope.file}:${seg.scope.line} '${seg.scope.kind}'`
    const tags = tagTemplates(seg.scope.calls.tags, where, problems)
    for (const t of tags) if (!scopeTags.includes(t)) scopeTags.push(t)
    const life = mapLife(seg.scope.calls.lives, cache.config.cacheLifeProfiles, seg.scope.file)
    for (const p of problems) warnings.push(`${p.where}: ${p.what}`)
    warnings.push(...life.problems)
    return { scope: seg.scope, life, tags }
  }
  const layoutLives = layouts.map(lifeOf)
  const pageLife = lifeOf(page)
  const segmentConfig: SegmentConfig = {}
  const dyn = dynamicOpt?.value
  if (dyn !== undefined && (DYNAMIC_OPTIONS as readonly string[]).includes(dyn)) segmentConfig.dynamic = dyn as SegmentConfig['dynamic']
  if (fetchCache !== undefined) {
    if ((FETCH_CACHE_OPTIONS as readonly string[]).includes(fetchCache)) segmentConfig.fetchCache = fetchCache as SegmentConfig['fetchCache']
    else warnings.push(`${[...segs].reverse().find((s) => s.fetchCache !== undefined)?.file}: export const fetchCache = ${JSON.stringify(fetchCache)} is not a value Next accepts (${FETCH_CACHE_OPTIONS.join(', ')}); left out`)
  }
  const notFound = page.notFound
  const dynamicCauses = segs.flatMap(causesOf)
  for (const f of fetches) if (f.revalidateS === 0) dynamicCauses.push(`${f.where} ${f.setting ?? 'no-store'}`)
  return {
    pageFile, layoutFiles, page, layouts, layoutModel, fetches, dynamicCauses, warnings,
    pageRevalidateS: page.revalidate?.value,
    pageDynamic: causesOf(page).some((c) => !c.includes('exports revalidate = 0')),
    unmodelled: segs.flatMap((s) => s.unmodelled),
    ...(pageLife ? { pageLife } : {}),
    layoutLives, scopeTags, segmentConfig,
    ...(notFound ? { notFound } : {}),
  }
}

function emptySegment(file: string): SegmentInfo {
  return { file, configProblems: [], requestApis: [], fetches: [], cached: [], unmodelled: [] }
}

const sameSettings = (a: ModelFetch, b: ModelFetch) => a.revalidateS === b.revalidateS && a.perPath === b.perPath && a.tags.join('\n') === b.tags.join('\n') && a.kind === b.kind && JSON.stringify(a.cacheLife) === JSON.stringify(b.cacheLife)

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
export function candidates(s: { pageFile: string; page: SegmentInfo; layouts: readonly SegmentInfo[]; layoutModel: readonly { revalidateS?: number | false }[]; pageRevalidateS: number | false | undefined; fetches: readonly ModelFetch[]; pageLife?: ScopeLife; layoutLives?: readonly (ScopeLife | undefined)[] }, cache: CacheOptions = SOURCE_ONLY): Candidate[] {
  const out: Candidate[] = []
  const pr = s.pageRevalidateS
  out.push({ value: pr ?? false, cause: pr === undefined ? `${s.pageFile}: no revalidate (never by time)` : `${s.pageFile}:${s.page.revalidate?.line ?? 1} export const revalidate = ${rv(pr)}`, slot: { kind: 'page' } })
  s.layoutModel.forEach((l, i) => {
    if (l.revalidateS !== undefined) out.push({ value: l.revalidateS, cause: `${s.layouts[i]?.file}:${s.layouts[i]?.revalidate?.line ?? 1} export const revalidate = ${rv(l.revalidateS)}`, slot: { kind: 'layout', index: i } })
  })
  // §12.2: a 'use cache' scope's life lowers the route's; under Cache Components a short-lived one is a hole instead.
  const life = (l: ScopeLife | undefined, what: string) => {
    if (!l || Number.isNaN(l.life.revalidateS) || isHole(l.life, cache.cacheComponents, cache.version)) return
    out.push({ value: revalidateOf(l.life), cause: `${l.scope.file}:${l.life.line ?? l.scope.line} ${l.life.text} in a '${l.scope.kind}' ${what}`, slot: { kind: 'life' } })
  }
  (s.layoutLives ?? []).forEach((l) => life(l, 'layout'))
  life(s.pageLife, 'page')
  // Inside a 'use cache' page what it reads is in its scope (its explicit cacheLife wins).
  if (s.pageLife !== undefined && s.pageLife.life.cacheLife !== undefined) return out
  s.fetches.forEach((f, i) => {
    if (f.life !== undefined) {
      if (!Number.isNaN(f.life.revalidateS) && !isHole(f.life, cache.cacheComponents, cache.version)) out.push({ value: revalidateOf(f.life), cause: `${f.where} ${f.setting ?? f.life.text}`, slot: { kind: 'life' } })
    } else if (f.revalidateS !== undefined) out.push({ value: f.revalidateS, cause: `${f.where} ${f.setting ?? `revalidate ${rv(f.revalidateS)}`}`, slot: { kind: 'fetch', index: i } })
  })
  return out
}

/** The lowest candidate (false = forever); the first of equals, as the simulator reports it. */
export function lowest(cs: readonly Candidate[]): Candidate {
  let best = cs[0]!
  for (const c of cs.slice(1)) if (c.value !== false && (best.value === false || c.value < best.value)) best = c
  return best
}
