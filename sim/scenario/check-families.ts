/**
 * The rules between fields of issue 17's cache families: Cache Components ('use cache',
 * cacheLife), unstable_cache, route handlers and the Pages Router. Each problem names its field,
 * the value and what Next.js allows (docs/semantics.md §12 and the sections after it).
 */
import type * as z from 'zod'
import type { ScenarioIssue } from '../kernel/errors.ts'
import { profileFor } from '../isr/profiles.ts'
import { effectiveRevalidate } from '../isr/revalidate.ts'
import { segmentIssues } from '../isr/segment-config.ts'
import { urlIndexIn } from '../isr/tags.ts'
import type { Scenario } from './schema.ts'

type CacheLife = NonNullable<Scenario['routes'][number]['cacheLife']>
type Path = (string | number)[]

export function checkFamilies(s: Scenario, ctx: z.RefinementCtx<Scenario>): void {
  const p = profileFor(s.next.version)
  if (s.next.cacheComponents === true && !p.hasCacheComponents) {
    ctx.addIssue({ code: 'custom', path: ['next', 'cacheComponents'], input: true, message: `needs Next 16: on next.version "${s.next.version}" a stable release refuses it (CanaryOnlyError)${p.hasUseCache ? '; use \'use cache\' (experimental.useCache) without it' : ''}` })
  }
  const life = (c: CacheLife | undefined, at: Path) => {
    if (c === undefined) return
    if (!p.hasUseCache) ctx.addIssue({ code: 'custom', path: at, input: c, message: `needs 'use cache', which Next ${s.next.version} does not have (15 with experimental.useCache, or 16)` })
    if (typeof c === 'object' && c.revalidateS !== undefined && c.expireS !== undefined && c.revalidateS > c.expireS) {
      ctx.addIssue({ code: 'custom', path: [...at, 'revalidateS'], input: c.revalidateS, message: `must be at most expireS (${c.expireS}): Next.js throws "expire option must be greater than the revalidate option"` })
    }
  }
  s.routes.forEach((r, i) => {
    const at = (...k: Path): Path => ['routes', i, ...k]
    const pages = r.router === 'pages'
    if (s.next.cacheComponents === true && !pages) {
      // next build refuses these exports with cacheComponents: "Route segment config "X" is not
      // compatible with `nextConfig.cacheComponents`" (observed on 16.4.6, §12).
      const refuse = (path: Path, input: unknown, name: string) => ctx.addIssue({ code: 'custom', path, input, message: `is refused by next build with next.cacheComponents (segment config "${name}" is not compatible with cacheComponents): give the page, layout or function a 'use cache' scope with cacheLife instead` })
      if (typeof r.revalidateS === 'number') refuse(at('revalidateS'), r.revalidateS, 'revalidate')
      r.layouts.forEach((l, j) => { if (l.revalidateS !== undefined) refuse(at('layouts', j, 'revalidateS'), l.revalidateS, 'revalidate') })
      if (r.segmentConfig?.dynamic !== undefined) refuse(at('segmentConfig', 'dynamic'), r.segmentConfig.dynamic, 'dynamic')
      if (r.segmentConfig?.fetchCache !== undefined) refuse(at('segmentConfig', 'fetchCache'), r.segmentConfig.fetchCache, 'fetchCache')
      if (r.params?.dynamicParams === false) refuse(at('params', 'dynamicParams'), false, 'dynamicParams')
    }
    life(r.cacheLife, at('cacheLife'))
    r.layouts.forEach((l, j) => life(l.cacheLife, at('layouts', j, 'cacheLife')))
    r.fetches.forEach((f, j) => {
      const useCache = f.kind === 'use cache' || f.kind === 'use cache: remote'
      if (useCache && !p.hasUseCache) ctx.addIssue({ code: 'custom', path: at('fetches', j, 'kind'), input: f.kind, message: `needs 'use cache', which Next ${s.next.version} does not have (15 with experimental.useCache, or 16)` })
      if (useCache) life(f.cacheLife, at('fetches', j, 'cacheLife'))
      else if (f.cacheLife !== undefined) ctx.addIssue({ code: 'custom', path: at('fetches', j, 'cacheLife'), input: f.cacheLife, message: `is only for kinds "use cache" and "use cache: remote" (this one is "${f.kind ?? 'fetch'}"): set revalidateS instead` })
      if (useCache && f.revalidateS !== undefined) ctx.addIssue({ code: 'custom', path: at('fetches', j, 'revalidateS'), input: f.revalidateS, message: `is not used by a '${f.kind}' function, whose life is its cacheLife` })
      if (f.kind === 'unstable_cache' && f.revalidateS === 0) ctx.addIssue({ code: 'custom', path: at('fetches', j, 'revalidateS'), input: 0, message: 'must be false or seconds >= 1: unstable_cache throws on revalidate 0' })
    })
    if (pages) {
      if (r.layouts.length > 0) ctx.addIssue({ code: 'custom', path: at('layouts'), input: r.layouts.length, message: 'must be empty for a Pages Router route: _app and _document do not cache or export revalidate' })
      if (r.kind === 'route-handler') ctx.addIssue({ code: 'custom', path: at('kind'), input: r.kind, message: 'is App Router only: Pages API routes (pages/api) are never cached; model one as a dynamic page (dynamic: true)' })
      if (r.cacheLife !== undefined) ctx.addIssue({ code: 'custom', path: at('cacheLife'), input: r.cacheLife, message: 'is App Router only: a Pages Router page caches by getStaticProps revalidate' })
      if (r.segmentConfig !== undefined) ctx.addIssue({ code: 'custom', path: at('segmentConfig'), input: r.segmentConfig, message: 'is App Router only (route segment config); a Pages Router page is static with getStaticProps, dynamic with getServerSideProps (dynamic: true)' })
      r.fetches.forEach((f, j) => {
        if (f.kind === 'use cache' || f.kind === 'use cache: remote') ctx.addIssue({ code: 'custom', path: at('fetches', j, 'kind'), input: f.kind, message: `is App Router only: '${f.kind}' needs the App Router's render; in getStaticProps use unstable_cache or a plain fetch` })
      })
      if (r.params?.dynamicParams === false) ctx.addIssue({ code: 'custom', path: at('params', 'dynamicParams'), input: false, message: 'is App Router only: a Pages Router route sets getStaticPaths fallback (params.fallback: false, true or "blocking")' })
    } else {
      if (r.params?.fallback !== undefined) ctx.addIssue({ code: 'custom', path: at('params', 'fallback'), input: r.params.fallback, message: 'is the Pages Router\'s getStaticPaths option (router: "pages"); an App Router route uses params.dynamicParams' })
      if (r.params?.unknownResult === 'redirect') ctx.addIssue({ code: 'custom', path: at('params', 'unknownResult'), input: 'redirect', message: 'is the Pages Router\'s getStaticProps { redirect } (router: "pages"); an App Router route has "page" or "notFound"' })
    }
    // §15.2, §15.3: what next build refuses (dynamic 'error' on a dynamic route, a fetch against a throwing fetchCache).
    if (!pages) for (const x of segmentIssues(r, (v) => { const e = effectiveRevalidate(v, s.next); return e.revalidateS === 0 ? e.source : null })) ctx.addIssue({ code: 'custom', path: at(...x.at), input: x.input, message: x.message })
    if (r.kind === 'route-handler' && r.layouts.length > 0) ctx.addIssue({ code: 'custom', path: at('layouts'), input: r.layouts.length, message: 'must be empty for a route handler: layouts do not wrap route.ts' })
  })
  // res.revalidate (§14.5): a Pages API route re-rendering one Pages path.
  s.onDemand.forEach((e, i) => {
    if (e.kind !== 'res.revalidate') return
    if (e.type !== undefined) ctx.addIssue({ code: 'custom', path: ['onDemand', i, 'type'], input: e.type, message: 'is only for revalidatePath (res.revalidate takes one URL)' })
    if (e.path === undefined) return
    if (s.routes.some((r) => r.router === 'pages' && urlIndexIn(r, e.path!) !== undefined)) return
    const app = s.routes.find((r) => r.router !== 'pages' && urlIndexIn(r, e.path!) !== undefined)
    ctx.addIssue({
      code: 'custom', path: ['onDemand', i, 'path'], input: e.path,
      message: app !== undefined
        ? `is a path of App Router route "${app.id}": res.revalidate is modelled for Pages Router paths (router: "pages"); for an App Router path use revalidatePath`
        : 'matches no path of a Pages Router route (router: "pages"; path k of "/posts/[id]" is "/posts/k", k < params.count)',
    })
  })
}

/**
 * Rules on what the author wrote, before defaults fill fields in: a Pages Router route that sets
 * params.dynamicParams at all (the schema's default true would hide it).
 */
export function rawFamilyIssues(input: unknown): ScenarioIssue[] {
  const routes = (input as { routes?: unknown } | null)?.routes
  if (!Array.isArray(routes)) return []
  const out: ScenarioIssue[] = []
  routes.forEach((r: unknown, i) => {
    const route = r as { router?: unknown; params?: { dynamicParams?: unknown } } | null
    if (route?.router === 'pages' && route.params?.dynamicParams !== undefined && route.params.dynamicParams !== false) {
      out.push({ path: `routes[${i}].params.dynamicParams`, message: 'is App Router only: a Pages Router route sets getStaticPaths fallback (params.fallback: false, true or "blocking")', received: route.params.dynamicParams })
    }
  })
  return out
}
