/** The installed next version to the simulator's behaviour profile (14, 15, 16.0 for 16.0–16.2, 16.3, 16.4). */
import type { NextVersion } from '../../sim/index.ts'

export function profileOf(version: string): { readonly profile: NextVersion; readonly warning?: string } {
  const m = /^(\d+)\.(\d+)/.exec(version)
  if (!m) return { profile: '16.4', warning: `next version "${version}" is not major.minor.patch: the 16.4 profile is used` }
  const major = Number(m[1])
  const minor = Number(m[2])
  if (major < 14) return { profile: '14', warning: `next ${version} is older than 14: the 14 profile is used, check the results` }
  if (major === 14) return { profile: '14' }
  if (major === 15) return { profile: '15' }
  if (major === 16) return { profile: minor <= 2 ? '16.0' : minor === 3 ? '16.3' : '16.4' }
  return { profile: '16.4', warning: `next ${version} is newer than the profiles isrsim knows (14-16.4): the 16.4 profile is used` }
}
