/**
 * `isrsim app`: the code of a route's data reads (`fetches[]`), by kind (issue 17):
 * - "fetch" (default): `fetch(origin/data?..., { next: { revalidate, tags } })` through the Data Cache;
 * - "unstable_cache": `unstable_cache(() => dataCall(id, key), [id, key], { revalidate, tags })()`,
 *   made per path so that its tags can carry the path's param values;
 * - "use cache" / "use cache: remote": a module-level function with that directive, `cacheLife(...)`
 *   and `cacheTag(...)`, called with the path's key and tags (both part of its cache key).
 * Every kind but "fetch" reads the origin through `dataCall` (node:http), so that no fetch()
 * cache of Next's sits under the function's own cache.
 */
import type { PlanScenario } from '../sim/contract.ts'

type Route = PlanScenario['routes'][number]
export type Fetch = Route['fetches'][number] & {
  readonly kind?: 'fetch' | 'unstable_cache' | 'use cache' | 'use cache: remote' | undefined
  readonly cacheLife?: CacheLife | undefined
}
export type CacheLife = string | { readonly staleS?: number | undefined; readonly revalidateS?: number | undefined; readonly expireS?: number | undefined }

export class AppError extends Error {}

/** One URL per path (a templated tag, unless perPath says otherwise), as the simulator decides. */
export function perPathFetch(f: Route['fetches'][number]): boolean {
  return f.perPath ?? f.tags.some((t) => t.includes('{'))
}

export const isUseCache = (f: Fetch): boolean => f.kind === 'use cache' || f.kind === 'use cache: remote'

/** The argument of cacheLife(...): a preset name, or the custom profile in Next's field names. */
export function cacheLifeArg(c: CacheLife): string {
  if (typeof c === 'string') return JSON.stringify(c)
  const f: string[] = []
  if (c.staleS !== undefined) f.push(`stale: ${c.staleS}`)
  if (c.revalidateS !== undefined) f.push(`revalidate: ${c.revalidateS}`)
  if (c.expireS !== undefined) f.push(`expire: ${c.expireS}`)
  return `{ ${f.join(', ')} }`
}

export interface DataCode {
  /** Named imports from 'next/cache' the module needs. */
  readonly nextCache: readonly string[]
  /** Module-level declarations ('use cache' functions). */
  readonly decls: readonly string[]
  /** One expression per fetch, in order, each a promise of the origin's JSON answer. */
  readonly exprs: readonly string[]
}

/**
 * The data reads of route `r` (route id `routeId`, for names and errors). `key` is the JS
 * expression of the path key, `tagOf` turns a scenario tag into a JS template literal.
 * `major` picks cacheLife/cacheTag (16) or their unstable_ names (15, experimental.useCache).
 */
export function dataCode(r: Route, tagOf: (t: string) => string, key: string, major: '15' | '16'): DataCode {
  const nextCache = new Set<string>()
  const decls: string[] = []
  const exprs = r.fetches.map((raw, i) => {
    const f = raw as Fetch
    const k = perPathFetch(f) ? key : `'0'`
    const tags = f.tags.map(tagOf)
    const id = JSON.stringify(f.id)
    switch (f.kind ?? 'fetch') {
      case 'fetch': {
        const init: string[] = []
        if (f.revalidateS === 0) init.push(`cache: 'no-store'`)
        const next: string[] = []
        if (f.revalidateS !== undefined && f.revalidateS !== 0) next.push(`revalidate: ${f.revalidateS === false ? 'false' : String(f.revalidateS)}`)
        if (tags.length > 0) next.push(`tags: [${tags.join(', ')}]`)
        if (next.length > 0) init.push(`next: { ${next.join(', ')} }`)
        return `fetch(\`\${process.env.ISRSIM_ORIGIN}/data?fetch=${encodeURIComponent(f.id)}&key=\${${k}}\`, { ${init.join(', ')} }).then((r) => r.json())`
      }
      case 'unstable_cache': {
        nextCache.add('unstable_cache')
        const opts: string[] = []
        if (f.revalidateS !== undefined) opts.push(`revalidate: ${f.revalidateS === false ? 'false' : String(f.revalidateS)}`)
        if (tags.length > 0) opts.push(`tags: [${tags.join(', ')}]`)
        // The key parts name the fetch and the path: one entry per path, as the simulator keys it.
        return `unstable_cache(() => dataCall(${id}, ${k}), [${id}, ${k}], { ${opts.join(', ')} })()`
      }
      case 'use cache':
      case 'use cache: remote': {
        const life = major === '16' ? 'cacheLife' : 'unstable_cacheLife'
        const tag = major === '16' ? 'cacheTag' : 'unstable_cacheTag'
        nextCache.add(life)
        if (tags.length > 0) nextCache.add(tag)
        const name = `cached${i}`
        decls.push([
          `// fetches[${i}] "${f.id}": a '${f.kind}' function (its arguments are part of its cache key).`,
          `async function ${name}(key, tags) {`,
          `  '${f.kind}'`,
          `  ${life}(${cacheLifeArg(f.cacheLife ?? 'default')})`,
          ...(tags.length > 0 ? [`  ${tag}(...tags)`] : []),
          `  return dataCall(${id}, key)`,
          `}`,
        ].join('\n'))
        return `${name}(${k}, [${tags.join(', ')}])`
      }
      default:
        throw new AppError(`routes.${r.id}.fetches[${i}].kind: ${JSON.stringify(f.kind)} is not one the live app knows; allowed: "fetch", "unstable_cache", "use cache", "use cache: remote"`)
    }
  })
  return { nextCache: [...nextCache].sort(), decls, exprs }
}
