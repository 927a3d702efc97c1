/**
 * `isrsim import <app-dir>`: a built Next.js app to a scenario `isrsim run` accepts as it is.
 * It reads the build (.next: manifests, page tags, the Data Cache, the config, the installed
 * next) and the source (app/ or src/app/, pages/ or src/pages/, parsed with the TypeScript
 * compiler API), one route per page pattern: App Router pages (with their 'use cache' scopes,
 * cacheLife, cacheTag, unstable_cache and segment config), App Router GET route handlers
 * (kind "route-handler") and Pages Router pages (router "pages": getStaticProps revalidate,
 * getStaticPaths fallback, notFound / redirect). The build wins where the two disagree; the
 * source says why a route is dynamic or what sets its revalidate (routes[].source, which the
 * CI gate quotes), and gives the fetches of dynamic routes the build never ran. What cannot be
 * modelled yet or had to be guessed is a warning naming the file and line.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { UsageError, type ScenarioInput } from '../../sim/index.ts'
import { installedNextVersion, readBuild, type BuildInfo } from './build.ts'
import { modules, type Modules } from './modules.ts'
import { importRouteHandler } from './handlers.ts'
import { importPagesRoute } from './pages.ts'
import { importRoute, PLACEHOLDER_RENDER_S, PLACEHOLDER_RPS } from './routes.ts'
import { findSource, patternOf, SOURCE_EXTENSIONS, type CacheOptions } from './structure.ts'
import { profileOf } from './version.ts'

export interface AppImport {
  /** The scenario, with clearly marked placeholder traffic (traffic.placeholder: true). */
  readonly scenario: ScenarioInput
  /** What could not be modelled or had to be guessed, each naming the file (and line). */
  readonly warnings: readonly string[]
  /** The installed next version ("16.4.6"), or "unknown". */
  readonly nextVersion: string
  /** The warnings (also in `warnings`) about guesses that logs or a traffic profile replace. */
  readonly placeholders: Placeholders
}

export interface Placeholders {
  readonly renderS: string
  readonly traffic: string
  /** Only when some route has [params]. */
  readonly count?: string
}

/** How long an imported scenario simulates: an hour, quick to run; change it at will. */
export const IMPORT_DURATION_S = 3600

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory()

/** Route ids from patterns: "/" -> "home", "/blog/[slug]" -> "blog-slug", unique. */
export function routeIdOf(pattern: string, used: Set<string>): string {
  const base = pattern === '/' ? 'home' : pattern.split('/').filter((s) => s !== '').map((s) => s.replace(/^\[{1,2}(?:\.\.\.)?|\]{1,2}$/g, '')).join('-').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z0-9]+|-+$/g, '') || 'route'
  let id = base
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`
  used.add(id)
  return id
}

/** The App Router folder (app/ or src/app/), or undefined for a Pages Router app. */
function appRootOf(dir: string, given: string): string | undefined {
  if (isDir(join(dir, 'app'))) return 'app'
  if (isDir(join(dir, 'src/app'))) return 'src/app'
  if (isDir(join(dir, 'pages')) || isDir(join(dir, 'src/pages'))) return undefined
  throw new UsageError(`${given} has no app/, src/app/, pages/ or src/pages/ folder: give the folder of a Next.js app (the one with package.json, app/ or pages/ and, after next build, .next/)`)
}

/** Route handlers (kind "route-handler") of the build's app entries; metadata routes get a note. */
function routeHandlers(ctx: { appDir: string; appRoot: string; mods: Modules; build: BuildInfo; cache: CacheOptions; profile: string }, used: Set<string>, warnings: string[]): ScenarioInput['routes'] {
  const out: ScenarioInput['routes'] = []
  for (const e of [...ctx.build.appEntries].sort()) {
    if (!e.endsWith('/route')) continue
    const dirs = e.split('/').filter((s) => s !== '').slice(0, -1)
    const file = findSource(ctx.appDir, [ctx.appRoot, ...dirs].join('/'), 'route')
    const pattern = patternOf(e)
    if (file) {
      const r = importRouteHandler(ctx, file, pattern, routeIdOf(pattern, used))
      if ('skipped' in r) warnings.push(r.skipped)
      else { out.push(r.route); warnings.push(...r.warnings) }
      continue
    }
    // Metadata routes (sitemap.ts, robots.ts, opengraph-image.tsx); static files (favicon.ico) are not worth a word.
    const last = dirs[dirs.length - 1] ?? ''
    const meta = findSource(ctx.appDir, [ctx.appRoot, ...dirs.slice(0, -1)].join('/'), last.replace(/\.[^.]+$/, ''))
    if (meta && SOURCE_EXTENSIONS.some((x) => meta.endsWith(x))) warnings.push(`${meta}:1 metadata route ${pattern}: not modelled yet (only pages and route.ts handlers are)`)
  }
  return out
}

function configWarnings(build: BuildInfo): string[] {
  const c = build.config
  const out: string[] = []
  if (c.cacheHandler) out.push(`next.config sets cacheHandler (${c.cacheHandler}): with several instances set deployment.cache: "shared" (and deployment.instances) in the scenario`)
  // The simulator knows the built-in handlers: 'use cache' in each process's memory, 'use cache: remote' shared.
  if (c.cacheHandlers.length > 0) out.push(`next.config sets cacheHandlers (${c.cacheHandlers.join(', ')}) for 'use cache': a custom handler's storage and sharing are not modelled yet ('use cache' is simulated in each process's memory, 'use cache: remote' as shared)`)
  if (!c.cacheComponents && c.ppr) out.push('next.config enables experimental.ppr (a 15 canary): Partial Prerendering is modelled with cacheComponents on Next 16 only; routes are simulated as the build table classifies them')
  if (c.basePath) out.push(`next.config sets basePath ${c.basePath}: patterns and params.paths leave it out (prefix it in load tests and logs)`)
  return out
}

/** Same fetch id on two routes must be one URL with one set of settings (a scenario rule): rename the others. */
function uniqueFetchIds(routes: ScenarioInput['routes']): string[] {
  const out: string[] = []
  const seen = new Map<string, { key: string; route: string }>()
  for (const r of routes) {
    r.fetches = (r.fetches ?? []).map((f) => {
      const key = JSON.stringify([f.revalidateS ?? null, f.tags ?? [], f.perPath ?? null, f.kind ?? 'fetch', f.cacheLife ?? null])
      const prev = seen.get(f.id)
      if (!prev) { seen.set(f.id, { key, route: r.id }); return f }
      if (prev.key === key) return f
      const id = `${f.id}-${r.id}`
      out.push(`fetch "${f.id}" of route ${r.id} (${r.pattern}) has other options than on route ${prev.route}; modelled as fetch "${id}" (the scenario needs one setting per fetch id)`)
      seen.set(id, { key, route: r.id })
      return { ...f, id }
    })
  }
  return out
}

export function importApp(appDir: string): AppImport {
  const dir = resolve(appDir)
  if (!existsSync(dir)) throw new UsageError(`${appDir} does not exist: give the folder of your Next.js app (the one with package.json, app/ and .next/)`)
  if (!isDir(dir)) throw new UsageError(`${appDir} is a file: give the folder of your Next.js app (the one with package.json, app/ and .next/)`)
  const appRoot = appRootOf(dir, appDir)
  const build = readBuild(dir)
  const entries = appRoot === undefined ? [] : build.appEntries.filter((e) => e.endsWith('/page'))
  const userEntries = entries.filter((e) => !/^\/_/.test(e))
  const userHandlers = appRoot === undefined ? [] : build.appEntries.filter((e) => e.endsWith('/route'))
  if (userEntries.length === 0 && userHandlers.length === 0 && build.pagesRouter.length === 0) {
    throw new UsageError(`${build.distDir}: the build has no pages or route handlers${appRoot === undefined ? '' : ` although ${appRoot}/ exists`}: run next build again`)
  }
  const warnings: string[] = []
  const nextVersion = installedNextVersion(dir)
  const { profile, warning } = nextVersion === undefined ? { profile: '16.4' as const, warning: `no node_modules/next found from ${appDir} upwards: the 16.4 profile is used (run npm install, then import again)` } : profileOf(nextVersion)
  if (warning) warnings.push(warning)
  const v16 = profile.startsWith('16')
  // cacheComponents needs 16 (a stable 15 refuses it; a 15 canary build is simulated as 15 without it).
  const cacheComponents = build.config.cacheComponents && v16
  if (build.config.cacheComponents && !v16) warnings.push(`next.config enables cacheComponents (or experimental.dynamicIO) on next ${nextVersion ?? 'unknown'}: only a canary allows it before 16; the scenario is simulated on the ${profile} profile without it ('use cache' entries still are)`)
  const cache: CacheOptions = { config: build.config, cacheComponents, version: profile }

  const mods = modules(dir)
  const used = new Set<string>()
  const routes: ScenarioInput['routes'] = []
  const byPattern = new Map<string, string>()
  for (const e of [...userEntries].sort((a, b) => patternOf(a).localeCompare(patternOf(b)) || a.length - b.length)) {
    if (appRoot === undefined) break
    const pattern = patternOf(e)
    if (e.split('/').some((s) => /^\(\.{1,3}\)/.test(s))) { warnings.push(`${appRoot}${e}: an intercepting route: not modelled yet; left out`); continue }
    const first = byPattern.get(pattern)
    if (first !== undefined) { warnings.push(`${appRoot}${e}: a parallel route slot of ${pattern} (modelled by ${appRoot}${first}): its own fetches and config are not modelled yet`); continue }
    byPattern.set(pattern, e)
    const r = importRoute({ appDir: dir, appRoot, mods, build, cache }, e, routeIdOf(pattern, used))
    if ('skipped' in r) { warnings.push(r.skipped); continue }
    routes.push(r.route)
    warnings.push(...r.warnings)
  }
  if (appRoot !== undefined) routes.push(...routeHandlers({ appDir: dir, appRoot, mods, build, cache, profile }, used, warnings))
  for (const page of [...build.pagesRouter].sort()) {
    const r = importPagesRoute({ appDir: dir, mods, build }, page, routeIdOf(page, used))
    if ('skipped' in r) { warnings.push(r.skipped); continue }
    routes.push(r.route)
    warnings.push(...r.warnings)
  }
  if (routes.length === 0) throw new UsageError(`${appDir}: the build has no page or GET route handler isrsim can simulate (${warnings.filter((w) => / left out/.test(w)).slice(0, 3).join('; ')})`)
  warnings.push(...uniqueFetchIds(routes), ...configWarnings(build))
  const placeholders: Placeholders = {
    renderS: `renderS of every route is a placeholder (${PLACEHOLDER_RENDER_S} s): a build does not time renders; measure them (isrsim loadtest) and set routes[].renderS`,
    traffic: `traffic of every route is a placeholder (${PLACEHOLDER_RPS} request/s, uniform): fit it from access logs (isrsim import --log FILE) or set routes[].traffic`,
    ...(routes.some((r) => r.pattern.includes('[')) ? { count: 'params.count of routes with [params] is the number of prerendered paths (at least 1): the real number of paths comes from access logs (--log) or your data' } : {}),
  }
  warnings.push(...Object.values(placeholders))

  const pkg = join(dir, 'package.json')
  let name = basename(dir)
  try { name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name || name } catch { /* no package.json: the folder name */ }
  const expireTimeS = build.config.expireTimeS
  const scenario: ScenarioInput = {
    name,
    description: `Imported by isrsim import from ${appDir} (next ${nextVersion ?? 'unknown'}). See imported.warnings for what it had to guess.`,
    durationS: IMPORT_DURATION_S,
    next: { version: profile, ...(expireTimeS !== undefined && expireTimeS > 0 && profile !== '14' ? { expireTimeS } : {}), ...(cacheComponents ? { cacheComponents: true } : {}) },
    routes,
    imported: { app: appDir, nextVersion: nextVersion ?? 'unknown', warnings },
  }
  return { scenario, warnings, nextVersion: nextVersion ?? 'unknown', placeholders }
}
