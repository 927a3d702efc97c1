/**
 * One scenario route (router "pages") per Pages Router page of the build
 * (server/pages-manifest.json), reconciled with its source (docs/semantics.md §14):
 * - revalidate: the prerendered paths' initialRevalidateSeconds (prerender-manifest.json entries
 *   whose srcRoute is the page), else what getStaticProps returns; getServerSideProps is dynamic;
 * - fallback: the manifest's dynamicRoutes[page].fallback (false, null = "blocking",
 *   "<page>.html" = true), explained by getStaticPaths' fallback in the source;
 * - unknownResult: "notFound" / "redirect" when getStaticProps returns { notFound: true } /
 *   { redirect } (the result cached with its revalidate).
 * API routes (pages/api) are never cached: left out with a note.
 */
import type { ScenarioInput } from '../../sim/index.ts'
import type { BuildInfo } from './build.ts'
import type { Modules } from './modules.ts'
import { readPagesSource, type PropsReturn } from './pages-source.ts'
import { PLACEHOLDER_RENDER_S, PLACEHOLDER_RPS } from './routes.ts'
import { findSource, paramsOf } from './structure.ts'

type RouteInput = ScenarioInput['routes'][number]

const rv = (v: number | false) => (v === false ? 'false (never)' : `${v} s`)

/** The source file of a Pages Router page ("/blog/[slug]" -> "pages/blog/[slug].tsx"), under pages/ or src/pages/. */
export function pagesFileOf(appDir: string, page: string): string | undefined {
  const rel = page === '/' ? '/index' : page
  const dir = rel.slice(0, rel.lastIndexOf('/'))
  const base = rel.slice(rel.lastIndexOf('/') + 1)
  for (const root of ['pages', 'src/pages']) {
    const f = findSource(appDir, `${root}${dir}`, base) ?? findSource(appDir, `${root}${rel}`, 'index')
    if (f !== undefined) return f
  }
  return undefined
}

/** The manifest's fallback: false, null ("blocking") or the fallback page's file (true). */
export function fallbackOf(f: string | false | null | undefined): false | true | 'blocking' | undefined {
  if (f === undefined) return undefined
  return f === false ? false : f === null ? 'blocking' : true
}

export interface PagesContext { readonly appDir: string; readonly mods: Modules; readonly build: BuildInfo }

export function importPagesRoute(ctx: PagesContext, page: string, id: string): { route: RouteInput; warnings: string[] } | { skipped: string } {
  const file = pagesFileOf(ctx.appDir, page)
  if (page.startsWith('/api/') || page === '/api') {
    return { skipped: `${file ?? `pages${page}`}:1 Pages Router API route ${page}: never cached by Next (no ISR: every request runs it); left out of the scenario` }
  }
  if (file === undefined) return { skipped: `pages${page}: the build has this Pages Router page but its source file was not found; left out (rebuild after changing pages/)` }
  const warnings: string[] = []
  const src = readPagesSource(ctx.mods, file)
  const params = paramsOf(page)
  const paths = ctx.build.prerendered.filter((p) => p.srcRoute === page)
  const fallback = fallbackOf(ctx.build.dynamicRoutes.get(page)?.fallback)
  const gsp = src.getStaticProps
  const returns = gsp?.returns ?? []
  const propsReturn = returns.find((r) => r.result === 'props')
  const at = (r: PropsReturn) => `${file}:${r.line}`
  const sourceRv = (r: PropsReturn | undefined): number | false | undefined => (r === undefined || r.revalidate === undefined ? (r === undefined ? undefined : false) : typeof r.revalidate === 'object' ? undefined : r.revalidate)
  for (const r of returns) if (typeof r.revalidate === 'object') warnings.push(`${at(r)}: getStaticProps returns revalidate ${r.revalidate.unknown}, not a static number or false; the build's value is used`)

  let revalidateS: number | false = false
  let dynamic = false
  let revalidateCause: string | undefined
  const dynamicCauses: string[] = []
  if (src.getServerSideProps !== undefined) {
    dynamic = true
    dynamicCauses.push(`${file}:${src.getServerSideProps} exports getServerSideProps (rendered on every request)`)
  } else if (paths.length > 0) {
    // The build wins: the lowest revalidate of the prerendered paths.
    let b: number | false = false
    for (const p of paths) if (p.revalidate !== false && (b === false || p.revalidate < b)) b = p.revalidate
    revalidateS = b
    const s = sourceRv(propsReturn)
    if (propsReturn !== undefined && s !== undefined && s !== b) warnings.push(`${page}: next build gave revalidate ${rv(b)}, ${at(propsReturn)} getStaticProps returns ${rv(s)}; the build wins`)
    revalidateCause = b === false ? undefined : propsReturn !== undefined && s === b ? `${at(propsReturn)} getStaticProps returns revalidate ${b}` : `${file}: next build gave revalidate ${b}`
  } else if (gsp !== undefined) {
    // Nothing prerendered (getStaticPaths returned no paths): the source's revalidate.
    const r = propsReturn ?? returns[0]
    const s = sourceRv(r)
    if (r !== undefined && s !== undefined) {
      revalidateS = s
      if (s !== false) revalidateCause = `${at(r)} getStaticProps returns revalidate ${s}${r.result === 'props' ? '' : ` (with ${r.result === 'notFound' ? 'notFound: true' : 'a redirect'})`}`
    }
  }
  if (!dynamic && revalidateS === 0) revalidateS = false

  // The notFound / redirect results are cached with their own revalidate: one value per route in the scenario.
  for (const r of returns) {
    const s = sourceRv(r)
    if (r.result !== 'props' && propsReturn !== undefined && s !== undefined && s !== revalidateS) {
      warnings.push(`${at(r)}: getStaticProps returns ${r.result === 'notFound' ? 'notFound: true' : 'a redirect'} with revalidate ${rv(s)}, the page ${rv(revalidateS)}; the scenario has one revalidate per route, so the cached ${r.result === 'notFound' ? '404' : 'redirect'} is simulated with ${rv(revalidateS)}`)
    }
  }
  const unknownResult = returns.some((r) => r.result === 'notFound') ? 'notFound' as const : returns.some((r) => r.result === 'redirect') ? 'redirect' as const : undefined
  const sp = src.getStaticPaths
  if (sp !== undefined && fallback !== undefined && sp.fallback !== undefined && typeof sp.fallback !== 'object' && sp.fallback !== fallback) {
    warnings.push(`${file}:${sp.fallbackLine ?? sp.line}: getStaticPaths returns fallback ${JSON.stringify(sp.fallback)}, the build's manifest ${JSON.stringify(fallback)}; the build wins`)
  }
  const route: RouteInput = {
    id,
    pattern: page,
    router: 'pages',
    ...(dynamic ? { dynamic: true } : { revalidateS }),
    layouts: [],
    fetches: [],
    ...(params.length > 0 ? {
      params: {
        count: Math.max(1, paths.length),
        prebuilt: paths.length,
        ...(fallback === undefined ? {} : { fallback }),
        // With fallback false an unknown path is a 404 without a render: nothing is cached for it.
        ...(unknownResult !== undefined && fallback !== false ? { unknownResult } : {}),
        ...(paths.length > 0 ? { paths: paths.map((p) => p.path) } : {}),
      },
    } : {}),
    renderS: PLACEHOLDER_RENDER_S,
    ...pageSize(ctx.build, paths.map((p) => p.path)),
    traffic: { rps: PLACEHOLDER_RPS, placeholder: true },
    source: {
      page: file,
      layouts: [],
      ...(sp === undefined ? {} : { generateStaticParams: `${file}:${sp.line}` }),
      ...(dynamicCauses.length > 0 ? { dynamic: dynamicCauses } : {}),
      ...(revalidateCause === undefined || dynamic ? {} : { revalidate: revalidateCause }),
    },
  }
  return { route, warnings }
}

function pageSize(build: BuildInfo, paths: readonly string[]): Pick<RouteInput, 'pageSizeKb'> {
  const sizes = paths.map((p) => build.pagesSizeOf(p)).filter((x): x is number => x !== undefined && x > 0)
  if (sizes.length === 0) return {}
  return { pageSizeKb: Math.round((sizes.reduce((a, b) => a + b, 0) / sizes.length / 1024) * 10) / 10 }
}
