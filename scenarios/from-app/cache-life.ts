/**
 * A 'use cache' scope's cacheLife calls to the scenario's `cacheLife` (a preset name, or
 * { staleS, revalidateS, expireS }), with its seconds as the build resolved them: the profiles
 * of required-server-files.json (Next's built-in presets merged with next.config's own). A
 * custom profile name of next.config becomes its numbers; several calls in one scope take the
 * minimum of each field, as Next does (docs/semantics.md §12).
 */
import { isCacheLifeHole, type NextVersion, type ScenarioInput } from '../../sim/index.ts'
import type { CacheLifeProfile } from './build.ts'
import type { LifeCall } from './cache-calls.ts'

export type CacheLifeInput = NonNullable<ScenarioInput['routes'][number]['cacheLife']>

/** Next's INFINITE_CACHE (0xfffffffe s): "never". */
const INFINITE_S = 0xfffffffe
/** The scenario's preset names (schema.ts CACHE_LIFE_PRESETS; the type check keeps them in step). */
const PRESET_NAMES = ['default', 'seconds', 'minutes', 'hours', 'days', 'weeks', 'max'] as const satisfies readonly Extract<CacheLifeInput, string>[]
const PRESETS: readonly string[] = PRESET_NAMES

export interface MappedLife {
  /** undefined: no cacheLife call, the "default" profile (the scenario's default too). */
  readonly cacheLife: CacheLifeInput | undefined
  readonly revalidateS: number
  readonly expireS: number
  readonly staleS: number
  /** "cacheLife('hours')" or "no cacheLife (the default profile)". */
  readonly text: string
  readonly line: number | undefined
  readonly problems: readonly string[]
}

type Fields = { stale?: number | undefined; revalidate?: number | undefined; expire?: number | undefined }

/**
 * The life of a scope from its calls. `where` ("app/page.tsx") prefixes problems;
 * `profiles` are the build's (empty when the build has none: then the presets' names are kept
 * and their numbers are unknown to the import, NaN).
 */
export function mapLife(lives: readonly LifeCall[], profiles: Readonly<Record<string, CacheLifeProfile>>, where: string): MappedLife {
  const problems: string[] = []
  const def = profiles.default ?? {}
  const resolved: { fields: Fields; call: LifeCall; preset?: string }[] = []
  for (const c of lives) {
    if ('unknown' in c.arg) { problems.push(`${where}:${c.line} ${c.text}: its profile is not a static name or object; left out (the default profile is assumed)`); continue }
    if ('preset' in c.arg) {
      const p = profiles[c.arg.preset]
      if (p === undefined && !PRESETS.includes(c.arg.preset)) { problems.push(`${where}:${c.line} ${c.text}: no cacheLife profile "${c.arg.preset}" in the build's config; left out`); continue }
      resolved.push({ fields: { ...p }, call: c, ...(PRESETS.includes(c.arg.preset) ? { preset: c.arg.preset } : {}) })
    } else resolved.push({ fields: { ...c.arg.custom }, call: c })
  }
  if (resolved.length === 0) {
    return { cacheLife: undefined, revalidateS: def.revalidate ?? NaN, expireS: def.expire ?? NaN, staleS: def.stale ?? NaN, text: 'no cacheLife (the default profile)', line: undefined, problems }
  }
  // One call naming a preset stays a preset: the simulator holds each version's numbers.
  const only = resolved.length === 1 ? resolved[0]! : undefined
  const min: Fields = {}
  for (const r of resolved) for (const k of ['stale', 'revalidate', 'expire'] as const) {
    const v = r.fields[k]
    if (v !== undefined) min[k] = Math.min(min[k] ?? Infinity, v)
  }
  const text = resolved.map((r) => r.call.text).join(', ')
  if (resolved.length > 1) problems.push(`${where}:${resolved[0]!.call.line} several cacheLife calls in one scope (${text}): each field takes the smallest, as Next does`)
  const cacheLife: CacheLifeInput = only?.preset !== undefined ? (only.preset as CacheLifeInput) : custom(min)
  return {
    cacheLife,
    revalidateS: min.revalidate ?? def.revalidate ?? NaN,
    expireS: min.expire ?? def.expire ?? NaN,
    staleS: min.stale ?? def.stale ?? NaN,
    text,
    line: resolved[0]!.call.line,
    problems,
  }
}

/** { staleS, revalidateS, expireS }, "never" (INFINITE_CACHE) left out: the default profile's is never too. */
function custom(f: Fields): CacheLifeInput {
  const out: { staleS?: number; revalidateS?: number; expireS?: number } = {}
  if (f.stale !== undefined && f.stale < INFINITE_S) out.staleS = f.stale
  if (f.revalidate !== undefined && f.revalidate < INFINITE_S) out.revalidateS = f.revalidate
  if (f.expire !== undefined && f.expire < INFINITE_S) out.expireS = f.expire
  return out
}

/** Whether a Cache Components prerender leaves the entry out as a dynamic hole: the simulator's rule for the version (§12.3). */
export function isHole(life: MappedLife, cacheComponents: boolean, version: NextVersion): boolean {
  return cacheComponents && isCacheLifeHole(version, life)
}

/** Revalidate as the route table prints it: "never" at INFINITE_CACHE. */
export const revalidateOf = (life: MappedLife): number | false => (life.revalidateS >= INFINITE_S ? false : life.revalidateS)
