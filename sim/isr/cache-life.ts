/**
 * cacheLife (§12.1): the presets of each version, a scenario's cacheLife resolved to seconds,
 * and the hole rule of Cache Components (§12.3). Pure.
 */
import type { Scenario } from '../scenario/schema.ts'
import type { NextVersion } from '../versions.ts'
import { maxPresetExpireS, profileFor, shortStaleIsHole, type VersionProfile } from './profiles.ts'

export type CacheLife = NonNullable<Scenario['routes'][number]['cacheLife']>
export type CacheLifePreset = Extract<CacheLife, string>

/** Next.js's INFINITE_CACHE (0xfffffffe seconds): "never" for revalidate and expire. */
export const INFINITE_CACHE_S = 0xfffffffe

export interface Life {
  readonly staleS: number
  readonly revalidateS: number
  /** INFINITE_CACHE_S when the entry never expires. */
  readonly expireS: number
}

/**
 * Expire below this, or revalidate 0, and a 'use cache' entry is left out of a Cache Components
 * prerender (DYNAMIC_EXPIRE on 15.5, MIN_PRERENDERABLE_EXPIRE on 16; strict `<`).
 */
export const MIN_PRERENDERABLE_EXPIRE_S = 300
/** 16.3+: stale below this also leaves the entry out of the static shell (MIN_PREFETCHABLE_STALE). */
export const MIN_PREFETCHABLE_STALE_S = 30

/**
 * The built-in profiles (16.4.6 config-shared.ts, 15.5.29 the same under experimental.cacheLife);
 * `default` with its backfill (stale from staleTimes.static 300, expire INFINITE_CACHE).
 * `max.expire` is the version's (maxPresetExpireS).
 */
const PRESETS: Record<CacheLifePreset, Life> = {
  default: { staleS: 300, revalidateS: 900, expireS: INFINITE_CACHE_S },
  seconds: { staleS: 30, revalidateS: 1, expireS: 60 },
  minutes: { staleS: 300, revalidateS: 60, expireS: 3600 },
  hours: { staleS: 300, revalidateS: 3600, expireS: 86_400 },
  days: { staleS: 300, revalidateS: 86_400, expireS: 604_800 },
  weeks: { staleS: 300, revalidateS: 604_800, expireS: 2_592_000 },
  max: { staleS: 300, revalidateS: 2_592_000, expireS: 31_536_000 },
}

/** A preset's numbers on a profile: `max` never expires on 15.5, after one year on 16.x. */
export function presetLife(p: VersionProfile, name: CacheLifePreset): Life {
  const life = PRESETS[name]
  return name === 'max' ? { ...life, expireS: maxPresetExpireS(p) } : life
}

/** A scenario's cacheLife in seconds; absent is "default", and a custom field left out takes default's. */
export function resolveLife(p: VersionProfile, c: CacheLife | undefined): Life {
  if (c === undefined) return presetLife(p, 'default')
  if (typeof c === 'string') return presetLife(p, c)
  const d = presetLife(p, 'default')
  return { staleS: c.staleS ?? d.staleS, revalidateS: c.revalidateS ?? d.revalidateS, expireS: c.expireS ?? d.expireS }
}

/**
 * Whether a Cache Components prerender leaves this entry out as a dynamic hole (§12.3):
 * revalidate 0 or expire < 300; on 16.3+ also stale < 30.
 */
export function isHole(p: VersionProfile, life: Life): boolean {
  return life.revalidateS === 0 || life.expireS < MIN_PRERENDERABLE_EXPIRE_S || (shortStaleIsHole(p) && life.staleS < MIN_PREFETCHABLE_STALE_S)
}

/** The hole rule (§12.3) for a version, by name: what `isrsim import` asks of a scope's life. */
export function isHoleOn(version: NextVersion, life: Life): boolean {
  return isHole(profileFor(version), life)
}

/** Whether `next.cacheComponents` is on and runs on the profile (15 refuses it at parse). */
export function cacheComponentsOn(p: VersionProfile, next: Scenario['next']): boolean {
  return next.cacheComponents === true && p.hasCacheComponents
}

/** The kinds of fetches[] that are 'use cache' functions. */
export function isUseCacheKind(kind: Scenario['routes'][number]['fetches'][number]['kind']): boolean {
  return kind === 'use cache' || kind === 'use cache: remote'
}
