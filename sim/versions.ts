/**
 * The Next.js versions isrsim models: its behaviour profiles and the releases each stands for.
 * A leaf (it imports nothing), so that every part that maps a Next.js version reads this one
 * table: the scenario format (sim/scenario/schema.ts), the switches of each profile
 * (sim/isr/profiles.ts), `isrsim import` (scenarios/from-app/version.ts, through sim/index.ts)
 * and the load test (loadtest/live.ts, for the Next.js it installed).
 */

/** The behaviour profiles, oldest first (`next.version` in a scenario). */
export const NEXT_VERSIONS = ['14', '15', '16.0', '16.3', '16.4'] as const
export type NextVersion = (typeof NEXT_VERSIONS)[number]
/** The profile of a scenario that names none: the newest. */
export const DEFAULT_NEXT_VERSION: NextVersion = '16.4'

/**
 * The releases each profile stands for: from major.fromMinor up to the next entry (16.0
 * covers 16.0-16.2; 16.4 every later 16.x). Oldest first, one entry per profile.
 */
export const PROFILE_RELEASES: readonly { readonly profile: NextVersion; readonly major: number; readonly fromMinor: number }[] = [
  { profile: '14', major: 14, fromMinor: 0 },
  { profile: '15', major: 15, fromMinor: 0 },
  { profile: '16.0', major: 16, fromMinor: 0 },
  { profile: '16.3', major: 16, fromMinor: 3 },
  { profile: '16.4', major: 16, fromMinor: 4 },
]

/**
 * The profile of a Next.js release ("16.4.6", "15.5.29", "16.5.0-canary.2"), by the table
 * above. A version that is not major.minor[.patch], or older or newer than every profile, gets
 * the nearest profile (the default for one it cannot read) and a warning saying so.
 */
export function profileOfRelease(version: string): { readonly profile: NextVersion; readonly warning?: string } {
  const m = /^(\d+)\.(\d+)/.exec(version)
  if (!m) return { profile: DEFAULT_NEXT_VERSION, warning: `next version "${version}" is not major.minor.patch: the ${DEFAULT_NEXT_VERSION} profile is used` }
  const major = Number(m[1]), minor = Number(m[2])
  const oldest = PROFILE_RELEASES[0]!, newest = PROFILE_RELEASES[PROFILE_RELEASES.length - 1]!
  if (major < oldest.major) return { profile: oldest.profile, warning: `next ${version} is older than ${oldest.major}: the ${oldest.profile} profile is used, check the results` }
  if (major > newest.major) return { profile: newest.profile, warning: `next ${version} is newer than the profiles isrsim knows (${oldest.profile}-${newest.profile}): the ${newest.profile} profile is used` }
  let found = oldest
  for (const r of PROFILE_RELEASES) if (r.major < major || (r.major === major && r.fromMinor <= minor)) found = r
  return { profile: found.profile }
}
