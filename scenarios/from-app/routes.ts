/**
 * One scenario route per App Router page: the source's structure, reconciled with what
 * `next build` did. The build wins where they disagree (a warning says so): a route the build
 * rendered on demand (ƒ) is dynamic, a prerendered one has exactly the build's revalidate, and
 * the Data Cache entries the build wrote correct fetch tags and revalidates. Dynamic routes,
 * which the build never rendered, keep the source's fetches.
 */
import type { ScenarioInput } from '../../sim/index.ts'
import type { BuildInfo, Prerendered } from './build.ts'
import { paramValues, templateWith, urlShape, type ModelFetch } from './fetches.ts'
import type { Modules } from './modules.ts'
import { addFetch, candidates, lowest, paramsOf, patternOf, readStructure, type CacheOptions, type SourceStructure } from './structure.ts'

type RouteInput = ScenarioInput['routes'][number]
type FetchInput = NonNullable<RouteInput['fetches']>[number]

/** Placeholders for what a build cannot tell (warned once by the caller). */
export const PLACEHOLDER_RENDER_S = 0.2
export const PLACEHOLDER_RPS = 1

const ONE_YEAR_S = 31_536_000
const rv = (v: number | false) => (v === false ? 'false (never)' : v === 0 ? '0 (dynamic)' : `${v} s`)
const same = (a: number | false, b: number | false) => a === b

export interface RouteImport {
  readonly route: RouteInput
  readonly warnings: string[]
}

export interface RouteContext {
  readonly appDir: string
  readonly appRoot: string
  readonly mods: Modules
  readonly build: BuildInfo
  readonly cache: CacheOptions
}

/** The build's view of a page pattern. */
function buildView(build: BuildInfo, pattern: string): { mode: 'prerendered' | 'ssg-empty' | 'dynamic'; paths: Prerendered[]; revalidate?: number | false; fallback?: string | false | null } {
  const paths = build.prerendered.filter((p) => p.srcRoute === pattern)
  const dyn = build.dynamicRoutes.get(pattern)
  const fallback = dyn === undefined ? {} : { fallback: dyn.fallback }
  if (paths.length === 0) return { mode: dyn ? 'ssg-empty' : 'dynamic', paths, ...fallback }
  let revalidate: number | false = false
  for (const p of paths) if (p.revalidate !== false && (revalidate === false || p.revalidate < revalidate)) revalidate = p.revalidate
  return { mode: 'prerendered', paths, revalidate, ...fallback }
}

export function importRoute(ctx: RouteContext, entry: string, id: string): RouteImport | { skipped: string } {
  const pattern = patternOf(entry)
  const s = readStructure(ctx.appDir, ctx.appRoot, entry, ctx.mods, id, ctx.cache)
  if (!s) return { skipped: `${ctx.appRoot}${entry}: the build has this page but its source file was not found; left out (rebuild after changing app/)` }
  const warnings = [...s.warnings]
  const view = buildView(ctx.build, pattern)
  const params = paramsOf(pattern)
  const fetches = [...s.fetches]
  const layouts = s.layoutModel.map((l) => ({ ...l }))
  let pageRevalidateS = s.pageRevalidateS
  let pageDynamic = s.pageDynamic
  let dynamicCauses = [...s.dynamicCauses]
  let revalidateCause: string | undefined
  const gsp = s.page.generateStaticParams

  if (view.mode === 'dynamic') {
    if (dynamicCauses.length === 0) {
      pageDynamic = true
      const why = params.length > 0 && gsp === undefined
        ? `${s.pageFile}: a [${params.join('/')}] page without generateStaticParams is rendered on every request`
        : `${s.pageFile}: next build renders it on every request (ƒ), but neither the page nor its layouts call a request API or a no-store fetch that isrsim can see (a component they render may)`
      dynamicCauses = [why]
      if (gsp !== undefined || params.length === 0) warnings.push(`${why}; modelled as dynamic`)
    }
  } else {
    const ran = view.mode === 'prerendered' ? reconcileDataCache(ctx.build, pattern, view.paths, fetches, s, warnings) : undefined
    /** The build shows this fetch never ran: no Data Cache entry on any prerendered path. */
    const neverRan = (i: number) => ran !== undefined && fetches[i]?.urlMatch !== undefined && !ran.has(i)
    const drop = new Set<number>()
    if (dynamicCauses.length > 0) {
      // The build prerendered it: what looked dynamic in the source did not run at build (a
      // no-store fetch that ran would have made it dynamic, so such fetches are left out).
      warnings.push(`${pattern}: next build prerendered it (revalidate ${rv(view.revalidate ?? false)}), but the source suggests it is dynamic (${dynamicCauses.join('; ')}); the build wins`)
      dynamicCauses = []
      pageDynamic = false
      for (const l of layouts) { l.dynamic = false; if (l.revalidateS === 0) delete l.revalidateS }
      if (pageRevalidateS === 0) pageRevalidateS = undefined
      fetches.forEach((f, i) => { if (f.revalidateS === 0) drop.add(i) })
    }
    const cs = candidates({ pageFile: s.pageFile, page: s.page, layouts: s.layouts, layoutModel: layouts, pageRevalidateS, fetches, layoutLives: s.layoutLives, ...(s.pageLife ? { pageLife: s.pageLife } : {}) }, ctx.cache)
    const best = lowest(cs)
    revalidateCause = best.value === false && pageRevalidateS === undefined ? undefined : best.cause
    const b = view.revalidate
    if (b !== undefined && !same(best.value, b)) {
      const lowerBy = cs.filter((c) => c.value !== false && (b === false || c.value < b))
      if (lowerBy.length > 0) {
        // The source lowers it below what the build used: a fetch the build never ran is left
        // out, anything else is raised to the build's value.
        for (const c of lowerBy) {
          if (c.slot.kind === 'page') pageRevalidateS = b
          else if (c.slot.kind === 'layout') layouts[c.slot.index]!.revalidateS = b
          else if (c.slot.kind === 'life') continue // a cacheLife cannot be raised: the warning names it
          else if (neverRan(c.slot.index)) drop.add(c.slot.index)
          else fetches[c.slot.index] = { ...fetches[c.slot.index]!, revalidateS: b }
        }
        const left = lowerBy.filter((c) => c.slot.kind === 'fetch' && drop.has(c.slot.index))
        warnings.push(`${pattern}: next build gave revalidate ${rv(b)}, the source ${rv(best.value)} (${lowerBy.map((c) => c.cause).join('; ')}); the build wins${left.length > 0 ? `: ${left.length === lowerBy.length ? 'the' : 'a'} fetch the build never ran (no Data Cache entry) is left out` : ''}`)
      } else {
        // Something the source does not show lowers it.
        pageRevalidateS = b
        warnings.push(`${pattern}: next build gave revalidate ${rv(b)}, the source ${rv(best.value)} (${best.cause}); the build wins: the page is modelled with revalidate ${rv(b)}`)
      }
      const agrees = cs.find((c) => same(c.value, b))
      revalidateCause = b === false ? undefined : agrees ? agrees.cause : `${s.pageFile}: next build gave revalidate ${b} (${lowerBy.length > 0 ? `the source says less: ${lowerBy.map((c) => c.cause).join('; ')}` : 'nothing isrsim can read in the page, its layouts or what they call sets it'})`
    }
    if (drop.size > 0) {
      const kept = fetches.filter((_, i) => !drop.has(i))
      fetches.length = 0
      fetches.push(...kept)
    }
  }
  if (dynamicCauses.length > 0) revalidateCause = undefined
  // A tagged page or layout scope is a 'use cache' entry of its own (the component's output,
  // keyed by its props): a fetch of that kind carries its tags to the route's entry, and its
  // life is the scope's (inside the page's scope, whose cacheLife is the route's).
  const scopes = [...s.layoutLives.map((l, i) => ({ l, name: `${id}-layout${i}` })), { l: s.pageLife, name: `${id}-page` }]
  for (const { l, name } of scopes) {
    if (l === undefined || l.tags.length === 0) continue
    fetches.push({ id: name, kind: l.scope.kind, ...(l.life.cacheLife === undefined ? {} : { cacheLife: l.life.cacheLife }), tags: [...l.tags], perPath: params.length > 0 && name.endsWith('-page'), where: `${l.scope.file}:${l.scope.line} '${l.scope.kind}' scope`, setting: l.life.text, life: l.life })
  }

  const route: RouteInput = {
    id,
    pattern,
    ...(pageRevalidateS === undefined ? {} : { revalidateS: pageRevalidateS }),
    ...(pageDynamic ? { dynamic: true } : {}),
    ...(s.pageLife ? { cacheLife: s.pageLife.life.cacheLife ?? 'default' } : {}),
    ...(Object.keys(s.segmentConfig).length > 0 ? { segmentConfig: { ...s.segmentConfig } } : {}),
    layouts: layouts.map((l, i) => {
      const life = s.layoutLives[i]
      return { ...(l.revalidateS === undefined ? {} : { revalidateS: l.revalidateS }), ...(l.dynamic ? { dynamic: true } : {}), ...(life ? { cacheLife: life.life.cacheLife ?? 'default' } : {}) }
    }),
    fetches: fetches.map(toInput),
    ...paramsField(params, view, s),
    renderS: PLACEHOLDER_RENDER_S,
    ...pageSize(ctx.build, view.paths),
    traffic: { rps: PLACEHOLDER_RPS, placeholder: true },
    source: {
      page: s.pageFile,
      layouts: [...s.layoutFiles],
      ...(gsp === undefined ? {} : { generateStaticParams: `${s.pageFile}:${gsp}` }),
      ...(dynamicCauses.length > 0 ? { dynamic: dynamicCauses } : {}),
      ...(revalidateCause === undefined ? {} : { revalidate: revalidateCause }),
    },
  }
  for (const u of s.unmodelled) warnings.push(`${u.file}:${u.line} ${u.what}${u.via === undefined ? '' : ` (called from ${u.via})`}: not modelled yet; ${pattern} is simulated without it`)
  const expires = new Set(view.paths.filter((p) => p.revalidate !== false).map((p) => p.expire))
  if (expires.size > 1) warnings.push(`${pattern}: its prerendered paths have different expire times (${[...expires].join(', ')} s); the simulator uses next.expireTimeS`)
  return { route, warnings }
}

function toInput(f: ModelFetch): FetchInput {
  return { id: f.id, ...(f.kind === undefined ? {} : { kind: f.kind }), ...(f.revalidateS === undefined ? {} : { revalidateS: f.revalidateS }), ...(f.cacheLife === undefined ? {} : { cacheLife: f.cacheLife }), tags: [...f.tags], ...(f.perPath === undefined ? {} : { perPath: f.perPath }) }
}

function paramsField(params: readonly string[], view: ReturnType<typeof buildView>, s: SourceStructure): Pick<RouteInput, 'params'> {
  if (params.length === 0) return {}
  const dynamicParams = view.fallback !== undefined ? view.fallback !== false : (s.page.dynamicParams?.value ?? true)
  const paths = view.paths.map((p) => p.path)
  // notFound() for a param outside the data: that path's 404 is cached like a page (§15).
  const unknownResult = s.notFound !== undefined && dynamicParams ? { unknownResult: 'notFound' as const } : {}
  return { params: { count: Math.max(1, paths.length), prebuilt: paths.length, dynamicParams, ...unknownResult, ...(paths.length > 0 ? { paths } : {}) } }
}

/** Mean HTML + RSC size of the prerendered paths, KB (the cost model's ISR units). */
function pageSize(build: BuildInfo, paths: readonly Prerendered[]): Pick<RouteInput, 'pageSizeKb'> {
  const sizes = paths.map((p) => build.sizeOf(p.path)).filter((x): x is number => x !== undefined && x > 0)
  if (sizes.length === 0) return {}
  return { pageSizeKb: Math.round((sizes.reduce((a, b) => a + b, 0) / sizes.length / 1024) * 10) / 10 }
}

/**
 * Hold the source's fetches against the Data Cache entries the build wrote for this route's
 * prerendered paths: the build's tags and (explicit) revalidates win, and entries whose tags
 * the page carries but no source fetch explains become fetches of their own.
 */
function reconcileDataCache(build: BuildInfo, pattern: string, paths: readonly Prerendered[], fetches: ModelFetch[], s: SourceStructure, warnings: string[]): Set<number> {
  const ran = new Set<number>()
  const explained = new Set<string>()
  const fromBuild: ModelFetch[] = []
  const unexplainedTags = new Set<string>()
  for (const p of paths) {
    const values = paramValues(pattern, p.path)
    const fill = (t: string) => t.replace(/\{([^}]*)\}/g, (_, k: string) => values.get(k) ?? `{${k}}`)
    const pageTags = (build.tagsOf(p.path) ?? []).filter((t) => !t.startsWith('_N_T_'))
    fetches.forEach((f, i) => {
      if (!f.urlMatch) return
      const hits = build.dataCache.filter((e) => {
        const m = e.url === undefined ? null : f.urlMatch!.re.exec(e.url)
        return m !== null && f.urlMatch!.params.every((name, j) => m[j + 1] === values.get(name))
      })
      if (hits.length > 0) ran.add(i)
      for (const e of hits) {
        explained.add(e.url!)
        const tags = f.perPath ? e.tags.map((t) => templateWith(t, values)) : [...e.tags]
        if (tags.join('\n') !== f.tags.join('\n') && new Set(tags).size === tags.length) {
          warnings.push(`${f.where}: next build stored its tags as ${JSON.stringify(e.tags)} (${JSON.stringify(tags)} per path), the source gives ${JSON.stringify(f.tags)}; the build wins`)
          fetches[i] = f = { ...f, tags }
        }
        const built = e.revalidate >= ONE_YEAR_S ? false : e.revalidate
        if (typeof f.revalidateS === 'number' && f.revalidateS > 0 && !same(built, f.revalidateS)) {
          warnings.push(`${f.where}: next build stored it with revalidate ${rv(built)}, the source says ${rv(f.revalidateS)}; the build wins`)
          fetches[i] = f = { ...f, revalidateS: built }
        }
      }
    })
    const sourceTags = new Set([...fetches.flatMap((f) => f.tags.map(fill)), ...s.scopeTags.map(fill)])
    for (const t of pageTags) if (!sourceTags.has(t)) unexplainedTags.add(t)
    for (const e of build.dataCache) {
      if (e.url === undefined || explained.has(e.url) || !e.tags.some((t) => unexplainedTags.has(t) && pageTags.includes(t))) continue
      explained.add(e.url)
      const url = templateWith(e.url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, ''), values)
      const shape = urlShape(url.split(/(\{[^}]*\})/).filter((x) => x !== '').map((x) => (/^\{.*\}$/.test(x) ? { kind: 'param' as const, name: x.slice(1, -1) } : { kind: 'text' as const, text: x })))
      const tags = e.tags.map((t) => templateWith(t, values))
      for (const t of e.tags) unexplainedTags.delete(t)
      addFetch(fromBuild, { id: shape.id ?? `${pattern.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root'}-data`, revalidateS: e.revalidate >= ONE_YEAR_S ? false : e.revalidate, tags, ...(shape.perPath === undefined ? {} : { perPath: shape.perPath }), where: `${s.pageFile}: fetch ${url} (in the build's Data Cache, not found in the source)`, setting: `revalidate ${e.revalidate >= ONE_YEAR_S ? 'false' : e.revalidate}` }, warnings)
    }
  }
  for (const f of fromBuild) {
    if (fetches.some((x) => x.id === f.id)) continue
    warnings.push(`${pattern}: its prerendered pages read a fetch the build's Data Cache holds (${f.where.replace(/^.*: fetch (\S+) .*$/, '$1')}, ${f.setting}, tags ${JSON.stringify(f.tags)}), but no such fetch was found in ${s.pageFile}, its layouts or what they call; added as fetch "${f.id}"`)
    fetches.push(f)
  }
  if (unexplainedTags.size > 0 && s.unmodelled.length === 0) warnings.push(`${pattern}: its prerendered pages carry tags ${JSON.stringify([...unexplainedTags])} that no fetch isrsim found explains (revalidateTag on them is not modelled for this route)`)
  return ran
}
