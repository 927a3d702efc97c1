/**
 * A cached data read of the source (a 'use cache' function, an unstable_cache call) to a
 * scenario fetch of that kind: its id from the function's name (or unstable_cache's key parts),
 * its tags templated back ("product-{id}"), and its life: cacheLife for 'use cache', revalidate
 * for unstable_cache (docs/semantics.md §12, §13).
 */
import { template, type Part } from './evaluate.ts'
import { mapLife } from './cache-life.ts'
import type { BuildConfig } from './build.ts'
import type { FetchProblem, ModelFetch } from './fetches.ts'
import type { CachedRead } from './source.ts'

const FETCH_ID = /^[A-Za-z0-9][A-Za-z0-9_:-]*$/

/** Tags as templates; those computed at run time are problems, left out. */
export function tagTemplates(tags: readonly (readonly Part[] | null)[] | null, where: string, problems: FetchProblem[]): string[] {
  const out: string[] = []
  if (tags === null) { problems.push({ where, what: 'its tags are not a static array; left out' }); return out }
  for (const t of tags) {
    const s = t === null ? null : template(t)
    if (s === null) problems.push({ where, what: `a tag (${t === null ? '...spread' : t.map((p) => (p.kind === 'unknown' ? `\${${p.text}}` : p.kind === 'param' ? `\${${p.name}}` : p.text)).join('')}) is computed at run time; left out` })
    else if (s.length > 256) problems.push({ where, what: `tag "${s.slice(0, 40)}..." is longer than 256 characters (Next drops it); left out` })
    else if (!out.includes(s)) out.push(s)
  }
  return out
}

export function modelCached(c: CachedRead, config: BuildConfig, fallbackId: string): { fetch: ModelFetch; problems: FetchProblem[] } {
  const label = c.type === 'use cache' ? `'${c.kind}' ${c.name}()` : `unstable_cache ${c.name}`
  const where = `${c.file}:${c.line} ${label}${c.via === undefined ? '' : ` (called from ${c.via})`}`
  const problems: FetchProblem[] = []
  const sanitized = c.name.replace(/[^A-Za-z0-9_:-]+/g, '-').replace(/^[^A-Za-z0-9]+|-+$/g, '')
  const id = FETCH_ID.test(sanitized) ? sanitized : fallbackId
  if (c.type === 'use cache') {
    const tags = tagTemplates(c.calls.tags, where, problems)
    const life = mapLife(c.calls.lives, config.cacheLifeProfiles, c.file)
    for (const p of life.problems) problems.push({ where, what: p })
    return {
      fetch: { id, tags, perPath: c.perPath, kind: c.kind, ...(life.cacheLife === undefined ? {} : { cacheLife: life.cacheLife }), life, where, setting: life.text },
      problems,
    }
  }
  const tags = tagTemplates(c.call.tags, where, problems)
  let revalidateS: number | false = false
  let setting = 'no revalidate (cached until a tag or path revalidates it)'
  const r = c.call.revalidate
  if (r !== undefined) {
    const v = 'value' in r ? r.value : undefined
    if (v === false) setting = 'revalidate: false'
    else if (typeof v === 'number' && v >= 1) { revalidateS = v; setting = `revalidate: ${v}` }
    else problems.push({ where, what: `revalidate ${'unknown' in r ? r.unknown : JSON.stringify(v)} is not a static number >= 1 or false (unstable_cache throws on 0); modelled as no revalidate` })
  }
  if (c.call.optionsUnknown) problems.push({ where, what: 'its options are not a static object; what could be read is used' })
  return { fetch: { id, revalidateS, tags, perPath: c.perPath, kind: 'unstable_cache', where, setting }, problems }
}
