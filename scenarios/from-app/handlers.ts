/**
 * One scenario route (kind "route-handler") per App Router route.ts that exports GET
 * (docs/semantics.md §15): static or dynamic as the build decided (a prerender-manifest entry
 * whose srcRoute is the handler, with its revalidate; none: rendered on every request), and
 * why, from the source: its `revalidate`, `dynamic`, `fetchCache` and `generateStaticParams`
 * exports, request APIs, fetches and cached reads. 15+ makes a GET without any of those
 * dynamic by default; 14 prerenders it (the simulator's profile switch). A handler without GET
 * is never cached: left out with a note.
 */
import ts from 'typescript'
import type { ScenarioInput } from '../../sim/index.ts'
import type { BuildInfo } from './build.ts'
import { lineOf, type Modules } from './modules.ts'
import { PLACEHOLDER_RENDER_S, PLACEHOLDER_RPS } from './routes.ts'
import { analyzeSegment } from './source.ts'
import { addFetch, candidates, lowest, paramsOf, type CacheOptions, type SegmentConfig } from './structure.ts'
import { modelFetch, type ModelFetch } from './fetches.ts'
import { modelCached } from './cached.ts'

type RouteInput = ScenarioInput['routes'][number]

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
const rv = (v: number | false) => (v === false ? 'false (never)' : v === 0 ? '0 (dynamic)' : `${v} s`)

export interface HandlerContext { readonly appDir: string; readonly mods: Modules; readonly build: BuildInfo; readonly cache: CacheOptions; readonly profile: string }

export function importRouteHandler(ctx: HandlerContext, file: string, pattern: string, id: string): { route: RouteInput; warnings: string[] } | { skipped: string } {
  const mod = ctx.mods.get(file)
  const exported = METHODS.filter((m) => mod.exports.has(m))
  const lineOfExport = (m: string) => {
    const local = mod.exports.get(m)!
    const fn = mod.functions.get(local) ?? mod.consts.get(local)
    return fn ? lineOf(mod.sf, fn.parent && ts.isVariableDeclaration(fn.parent) ? fn.parent : fn) : 1
  }
  if (!exported.includes('GET')) {
    const first = exported[0]
    return { skipped: `${file}:${first === undefined ? 1 : lineOfExport(first)} route handler ${pattern} exports no GET (${exported.length > 0 ? exported.join(', ') : 'no HTTP method'}): only GET responses are cached, so it is left out of the scenario` }
  }
  const params = paramsOf(pattern)
  const seg = analyzeSegment(ctx.mods, file, params, false)
  const warnings = seg.configProblems.map((p) => `${p.file}:${p.line} ${p.what}: left out`)
  const forceStatic = seg.dynamic?.value === 'force-static'
  const fetchCache = seg.fetchCache?.value
  const fetches: ModelFetch[] = []
  for (const f of seg.fetches) {
    const m = modelFetch(f, forceStatic && fetchCache === undefined ? 'force-cache' : fetchCache, `${id}-fetch${fetches.length + 1}`)
    for (const p of m.problems) warnings.push(`${p.where}: ${p.what}`)
    addFetch(fetches, m.fetch, warnings)
  }
  for (const c of seg.cached) {
    const m = modelCached(c, ctx.cache.config, `${id}-cached${fetches.length + 1}`)
    for (const p of m.problems) warnings.push(`${p.where}: ${p.what}`)
    addFetch(fetches, m.fetch, warnings)
  }
  for (const u of seg.unmodelled) warnings.push(`${u.file}:${u.line} ${u.what}${u.via === undefined ? '' : ` (called from ${u.via})`}: not modelled yet; ${pattern} is simulated without it`)

  // Why the source says dynamic.
  const causes: string[] = []
  if (seg.dynamic?.value === 'force-dynamic') causes.push(`${file}:${seg.dynamic.line} exports dynamic = 'force-dynamic'`)
  if (seg.revalidate?.value === 0) causes.push(`${file}:${seg.revalidate.line} exports revalidate = 0`)
  if (!forceStatic) causes.push(...seg.requestApis.map((r) => `${r.file}:${r.line} ${r.what}`))
  for (const f of fetches) if (f.revalidateS === 0) causes.push(`${f.where} ${f.setting ?? 'no-store'}`)
  const optedIn = forceStatic || seg.dynamic?.value === 'error' || seg.revalidate?.value === false || (typeof seg.revalidate?.value === 'number' && seg.revalidate.value > 0) || seg.generateStaticParams !== undefined
  if (causes.length === 0 && !optedIn && ctx.profile !== '14' && !ctx.cache.cacheComponents) causes.push(`${file}:${lineOfExport('GET')} GET without revalidate, dynamic = 'force-static' or generateStaticParams: dynamic by default from Next 15`)

  const paths = ctx.build.prerendered.filter((p) => p.srcRoute === pattern)
  const inManifest = paths.length > 0 || ctx.build.dynamicRoutes.has(pattern)
  let dynamic = !inManifest
  let revalidateS: number | false | undefined = seg.revalidate?.value === 0 ? undefined : seg.revalidate?.value
  let revalidateCause: string | undefined
  if (dynamic && causes.length === 0) {
    causes.push(`${file}: next build renders it on every request (ƒ), but isrsim sees no reason in its source`)
    warnings.push(`${causes[0]}; modelled as dynamic`)
  }
  if (!dynamic && causes.length > 0) {
    warnings.push(`${pattern}: next build prerendered this route handler, but the source suggests it is dynamic (${causes.join('; ')}); the build wins`)
    causes.length = 0
  }
  if (!dynamic) {
    const cs = candidates({ pageFile: file, page: seg, layouts: [], layoutModel: [], pageRevalidateS: revalidateS, fetches, layoutLives: [] }, ctx.cache)
    const best = lowest(cs)
    revalidateCause = best.value === false && revalidateS === undefined ? undefined : best.cause
    let b: number | false | undefined
    for (const p of paths) if (b === undefined || (p.revalidate !== false && (b === false || p.revalidate < b))) b = p.revalidate
    if (b !== undefined && best.value !== b) {
      warnings.push(`${pattern}: next build gave revalidate ${rv(b)}, the source ${rv(best.value)} (${best.cause}); the build wins`)
      revalidateS = b
      revalidateCause = b === false ? undefined : `${file}: next build gave revalidate ${b}`
    }
  }
  dynamic = dynamic || causes.length > 0
  const segmentConfig: SegmentConfig = {}
  if (seg.dynamic !== undefined) segmentConfig.dynamic = seg.dynamic.value as SegmentConfig['dynamic']
  if (seg.fetchCache !== undefined) segmentConfig.fetchCache = seg.fetchCache.value as SegmentConfig['fetchCache']
  const dyn = ctx.build.dynamicRoutes.get(pattern)
  const route: RouteInput = {
    id,
    pattern,
    kind: 'route-handler',
    ...(revalidateS === undefined || dynamic ? {} : { revalidateS }),
    ...(dynamic ? { dynamic: true } : {}),
    ...(Object.keys(segmentConfig).length > 0 ? { segmentConfig } : {}),
    layouts: [],
    fetches: fetches.map((f) => ({ id: f.id, ...(f.kind === undefined ? {} : { kind: f.kind }), ...(f.revalidateS === undefined ? {} : { revalidateS: f.revalidateS }), ...(f.cacheLife === undefined ? {} : { cacheLife: f.cacheLife }), tags: [...f.tags], ...(f.perPath === undefined ? {} : { perPath: f.perPath }) })),
    ...(params.length > 0 ? { params: { count: Math.max(1, paths.length), prebuilt: paths.length, dynamicParams: dyn === undefined ? (seg.dynamicParams?.value ?? true) : dyn.fallback !== false, ...(paths.length > 0 ? { paths: paths.map((p) => p.path) } : {}) } } : {}),
    renderS: PLACEHOLDER_RENDER_S,
    traffic: { rps: PLACEHOLDER_RPS, placeholder: true },
    source: {
      page: file,
      layouts: [],
      ...(seg.generateStaticParams === undefined ? {} : { generateStaticParams: `${file}:${seg.generateStaticParams}` }),
      ...(causes.length > 0 ? { dynamic: causes } : {}),
      ...(revalidateCause === undefined || dynamic ? {} : { revalidate: revalidateCause }),
    },
  }
  return { route, warnings }
}
