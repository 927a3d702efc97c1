/**
 * What `next build` wrote into .next (docs/semantics.md §10, checked on 16.4.6 and
 * 15.5.29 builds): every App Router page and route handler (server/app-paths-manifest.json),
 * every prerendered path with its revalidate, expire and source route, and each dynamic
 * route's fallback (prerender-manifest.json), the Pages Router pages (server/pages-manifest.json),
 * the config (required-server-files.json), the tags of each prerendered page (its .meta file)
 * and the Data Cache entries the build wrote (cache/fetch-cache/). Each file is validated; a
 * damaged one is named with what is wrong.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as z from 'zod'
import { UsageError } from '../../sim/index.ts'

export interface Prerendered {
  readonly path: string
  readonly revalidate: number | false
  readonly expire: number | undefined
  readonly srcRoute: string
}

export interface DataCacheEntry {
  readonly url: string | undefined
  readonly revalidate: number
  readonly tags: readonly string[]
}

export interface BuildInfo {
  readonly distDir: string
  /** App Router entries, e.g. "/(shop)/products/[id]/page", "/api/revalidate/route". */
  readonly appEntries: readonly string[]
  /** Prerendered paths in the manifest's order. */
  readonly prerendered: readonly Prerendered[]
  /** Dynamic routes with a prerender entry (generateStaticParams or force-static): fallback false = dynamicParams false. */
  readonly dynamicRoutes: ReadonlyMap<string, { readonly fallback: string | false | null }>
  /** Pages Router pages (Next's own /_app, /_document, /_error, /404, /500 left out). */
  readonly pagesRouter: readonly string[]
  readonly config: BuildConfig
  readonly dataCache: readonly DataCacheEntry[]
  /** The page's `x-next-cache-tags` from its .meta (implicit tags first, then fetch tags). */
  tagsOf(path: string): readonly string[] | undefined
  /** HTML plus RSC payload of a prerendered path, bytes. */
  sizeOf(path: string): number | undefined
  /** HTML plus JSON data of a prerendered Pages Router path, bytes. */
  pagesSizeOf(path: string): number | undefined
}

export interface CacheLifeProfile { readonly stale?: number | undefined; readonly revalidate?: number | undefined; readonly expire?: number | undefined }

export interface BuildConfig {
  readonly expireTimeS: number | undefined
  readonly cacheHandler: string | undefined
  readonly cacheHandlers: readonly string[]
  readonly cacheComponents: boolean
  /** experimental.useCache: 'use cache' without Partial Prerendering (15). */
  readonly useCache: boolean
  /** The cacheLife profiles after Next's merge (presets and custom ones), seconds (16: cacheLife; 15: experimental.cacheLife). */
  readonly cacheLifeProfiles: Readonly<Record<string, CacheLifeProfile>>
  readonly ppr: boolean
  readonly basePath: string
}

const prerenderManifest = z.looseObject({
  version: z.number(),
  routes: z.record(z.string(), z.looseObject({
    initialRevalidateSeconds: z.union([z.number().min(0), z.literal(false)]),
    initialExpireSeconds: z.number().min(0).optional(),
    srcRoute: z.string().nullable(),
  })),
  dynamicRoutes: z.record(z.string(), z.looseObject({ fallback: z.union([z.string(), z.literal(false), z.null()]).optional() })),
})
const pathManifest = z.record(z.string(), z.string())
const cacheLifeProfiles = z.record(z.string(), z.looseObject({ stale: z.number().min(0).optional(), revalidate: z.number().min(0).optional(), expire: z.number().min(0).optional() })).nullable().optional()
const requiredServerFiles = z.looseObject({
  config: z.looseObject({
    cacheLife: cacheLifeProfiles,
    expireTime: z.number().optional(),
    basePath: z.string().optional(),
    cacheHandler: z.string().nullable().optional(),
    cacheHandlers: z.record(z.string(), z.string().nullable().optional()).nullable().optional(),
    cacheComponents: z.boolean().nullable().optional(),
    experimental: z.looseObject({ ppr: z.union([z.boolean(), z.string()]).nullable().optional(), dynamicIO: z.boolean().nullable().optional(), useCache: z.boolean().nullable().optional(), cacheLife: cacheLifeProfiles }).optional(),
  }),
})

function readJson<T>(file: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message}); this ${what} is damaged: run next build again`)
  }
  const r = schema.safeParse(raw)
  if (!r.success) {
    const i = r.error.issues[0]!
    throw new UsageError(`${file}: ${i.path.length ? i.path.join('.') : 'the file'}: ${i.message}; this ${what} is not one isrsim knows (Next 14-16): run next build again, or report it with your next version`)
  }
  return r.data
}

const NEXT_INTERNAL_PAGES = new Set(['/_app', '/_document', '/_error', '/404', '/500'])

/**
 * Read `.next` of `appDir`. Refuses (exit 2, saying what to do) a missing `.next`, one from
 * `next dev` and an incomplete or damaged build.
 */
export function readBuild(appDir: string): BuildInfo {
  const distDir = join(appDir, '.next')
  if (!existsSync(distDir)) throw new UsageError(`${appDir} has no .next folder: run next build first (isrsim import reads the build output and the source; a custom distDir in next.config is not supported yet)`)
  const buildId = join(distDir, 'BUILD_ID')
  const prerender = join(distDir, 'prerender-manifest.json')
  if (!existsSync(buildId)) {
    const dev = existsSync(join(distDir, 'dev')) || existsSync(prerender)
    throw new UsageError(`${distDir} ${dev ? 'is from next dev' : 'holds no production build'} (no BUILD_ID${existsSync(prerender) ? '' : ', no prerender-manifest.json'}): run next build first; isrsim import reads a production build`)
  }
  if (!existsSync(prerender)) throw new UsageError(`${prerender} is missing: the build is incomplete; run next build again`)
  const pm = readJson(prerender, prerenderManifest, 'prerender manifest')
  const appPathsFile = join(distDir, 'server/app-paths-manifest.json')
  const appEntries = existsSync(appPathsFile) ? Object.keys(readJson(appPathsFile, pathManifest, 'App Router manifest')) : []
  const pagesFile = join(distDir, 'server/pages-manifest.json')
  const pagesRouter = existsSync(pagesFile) ? Object.keys(readJson(pagesFile, pathManifest, 'Pages Router manifest')).filter((p) => !NEXT_INTERNAL_PAGES.has(p)) : []
  const rsfFile = join(distDir, 'required-server-files.json')
  const c = existsSync(rsfFile) ? readJson(rsfFile, requiredServerFiles, 'server config').config : undefined
  const config: BuildConfig = {
    expireTimeS: c?.expireTime,
    cacheHandler: c?.cacheHandler ?? undefined,
    cacheHandlers: Object.entries(c?.cacheHandlers ?? {}).filter(([, v]) => typeof v === 'string').map(([k]) => k),
    cacheComponents: c?.cacheComponents === true || c?.experimental?.dynamicIO === true,
    useCache: c?.experimental?.useCache === true,
    cacheLifeProfiles: { ...c?.experimental?.cacheLife, ...c?.cacheLife },
    ppr: c?.experimental?.ppr === true || c?.experimental?.ppr === 'incremental',
    basePath: c?.basePath ?? '',
  }
  const prerendered: Prerendered[] = Object.entries(pm.routes).map(([path, r]) => ({ path, revalidate: r.initialRevalidateSeconds, expire: r.initialExpireSeconds, srcRoute: r.srcRoute ?? path }))
  const dynamicRoutes = new Map(Object.entries(pm.dynamicRoutes).map(([k, v]) => [k, { fallback: v.fallback ?? null }]))
  const fileOf = (path: string, ext: string) => join(distDir, 'server/app', `${path === '/' ? '/index' : path}${ext}`)
  return {
    distDir, appEntries, prerendered, dynamicRoutes, pagesRouter, config,
    dataCache: readDataCache(join(distDir, 'cache/fetch-cache')),
    tagsOf(path) {
      const f = fileOf(path, '.meta')
      if (!existsSync(f)) return undefined
      try {
        const meta = JSON.parse(readFileSync(f, 'utf8')) as { headers?: Record<string, unknown> }
        const tags = meta.headers?.['x-next-cache-tags']
        return typeof tags === 'string' ? tags.split(',').filter((t) => t !== '') : []
      } catch {
        return undefined
      }
    },
    pagesSizeOf(path) {
      const base = join(distDir, 'server/pages', path === '/' ? '/index' : path)
      if (!existsSync(`${base}.html`)) return undefined
      return statSync(`${base}.html`).size + (existsSync(`${base}.json`) ? statSync(`${base}.json`).size : 0)
    },
    sizeOf(path) {
      const html = fileOf(path, '.html')
      const rsc = fileOf(path, '.rsc')
      if (!existsSync(html)) return undefined
      return statSync(html).size + (existsSync(rsc) ? statSync(rsc).size : 0)
    },
  }
}

const fetchEntry = z.looseObject({ kind: z.literal('FETCH'), revalidate: z.number(), tags: z.array(z.string()).optional(), data: z.looseObject({ url: z.string().optional() }).optional() })

/** The Data Cache entries the build wrote; an unreadable entry is skipped (it is a cache, not a manifest). */
function readDataCache(dir: string): DataCacheEntry[] {
  if (!existsSync(dir)) return []
  const out: DataCacheEntry[] = []
  for (const name of readdirSync(dir).sort()) {
    if (!/^[0-9a-f]{16,}$/.test(name)) continue
    try {
      const e = fetchEntry.safeParse(JSON.parse(readFileSync(join(dir, name), 'utf8')))
      // unstable_cache entries are FETCH entries too, with no URL (15.5): not a fetch.
      if (e.success) out.push({ url: e.data.data?.url || undefined, revalidate: e.data.revalidate, tags: e.data.tags ?? [] })
    } catch { /* a partly written entry */ }
  }
  return out
}

/** The installed next's version: node_modules/next/package.json from the app folder upwards. */
export function installedNextVersion(appDir: string): string | undefined {
  let d = appDir
  for (;;) {
    const f = join(d, 'node_modules/next/package.json')
    if (existsSync(f)) {
      try { return (JSON.parse(readFileSync(f, 'utf8')) as { version?: string }).version } catch { return undefined }
    }
    const up = join(d, '..')
    if (up === d) return undefined
    d = up
  }
}
